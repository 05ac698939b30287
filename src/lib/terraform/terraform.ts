// Terraform, driven for `deploy` and `destroy`: settings go in through a generated
// airflow-ecs.auto.tfvars.json (no secrets), every run through the process runner.
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Settings, terraformChildEnv} from '../config/resolver.js'
import {CliError} from '../errors.js'
import {run} from '../process/runner.js'

export const TFVARS_FILE = 'airflow-ecs.auto.tfvars.json'
export const ECR_TARGETS = ['aws_ecr_repository.airflow', 'aws_ecr_lifecycle_policy.airflow']

export interface PlanSummary {
  add: number
  change: number
  destroy: number
}

export function requireTerraformDir(settings: Settings): void {
  if (!existsSync(join(settings.terraformDir, 'versions.tf')) && !existsSync(join(settings.terraformDir, 'main.tf'))) {
    throw new CliError(`No Terraform configuration in ${settings.terraformDir}.`, {
      code: 'NO_DEPLOYMENT',
      hint: 'Run airflow-ecs from the project folder (the one with infra-terraform/), or set AIRFLOW_ECS_TERRAFORM_DIR.',
    })
  }
}

/** The non-secret settings from airflow-ecs.json, as Terraform variables. */
export function writeTfvars(settings: Settings, image?: string): Record<string, unknown> {
  const vars: Record<string, unknown> = {project_name: settings.project}
  if (settings.file.allowedCidrs) vars.allowed_cidrs = settings.file.allowedCidrs
  if (settings.file.workers?.min !== undefined) vars.min_workers = settings.file.workers.min
  if (settings.file.workers?.max !== undefined) vars.max_workers = settings.file.workers.max
  const extra = settings.file.terraformVars
  if (extra && typeof extra === 'object') Object.assign(vars, extra)
  if (image) vars.image = image
  writeFileSync(join(settings.terraformDir, TFVARS_FILE), `${JSON.stringify(vars, null, 2)}\n`)
  return vars
}

/**
 * The AWS provider logs the random-password data source with the password as its id
 * ("Read complete after 1s [id=…]"): never pass that on.
 */
export function redactTerraformLine(line: string): string {
  return line.replace(/(random_password.*?\[id=)[^\]]*\]/g, '$1(redacted)]')
}

export class Terraform {
  constructor(
    private readonly settings: Settings,
    private readonly onLine?: (line: string) => void,
  ) {}

  private run(args: string[], step: string, hint?: string) {
    return run('terraform', [`-chdir=${this.settings.terraformDir}`, ...args], {
      env: terraformChildEnv(this.settings),
      onLine: this.onLine ? (line) => this.onLine!(redactTerraformLine(line)) : undefined,
      step,
      hint,
    })
  }

  init() {
    return this.run(['init', '-input=false', '-no-color'], 'terraform init', 'Check network access to the provider registry (or your mirror) and the backend configuration.')
  }

  async stateList(): Promise<string[]> {
    if (!existsSync(join(this.settings.terraformDir, 'terraform.tfstate')) && !existsSync(join(this.settings.terraformDir, '.terraform', 'terraform.tfstate'))) return []
    const result = await this.run(['state', 'list'], 'terraform state list').catch(() => ({stdout: ''}))
    return result.stdout.split('\n').filter(Boolean)
  }

  applyTargets(targets: string[]) {
    return this.run(['apply', '-auto-approve', '-input=false', '-no-color', ...targets.map((t) => `-target=${t}`)], 'terraform apply (ECR repository)')
  }

  /** Plans into a file; returns what it would do. */
  async plan(planFile: string): Promise<PlanSummary> {
    await this.run(['plan', '-input=false', '-no-color', `-out=${planFile}`], 'terraform plan', 'Fix what the plan reports, then run deploy again.')
    const shown = await run('terraform', [`-chdir=${this.settings.terraformDir}`, 'show', '-json', planFile], {env: terraformChildEnv(this.settings), step: 'terraform show'})
    const plan = JSON.parse(shown.stdout) as {resource_changes?: Array<{change: {actions: string[]}}>}
    const summary = {add: 0, change: 0, destroy: 0}
    for (const rc of plan.resource_changes ?? []) {
      const actions = rc.change.actions
      if (actions.includes('create')) summary.add++
      if (actions.includes('delete')) summary.destroy++
      if (actions.includes('update')) summary.change++
    }
    return summary
  }

  applyPlan(planFile: string) {
    return this.run(['apply', '-input=false', '-no-color', planFile], 'terraform apply', 'Fix what Terraform reports, then run deploy again: it continues from where it stopped.')
  }

  destroy() {
    return this.run(['destroy', '-auto-approve', '-input=false', '-no-color'], 'terraform destroy', 'Fix what Terraform reports, then run destroy again.')
  }
}
