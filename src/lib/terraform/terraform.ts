// Terraform, driven for `deploy` and `destroy`. Settings go in through a generated
// infra-terraform/airflow-ecs.auto.tfvars.json (non-secret values only; Terraform loads
// *.auto.tfvars.json by itself, so a plain `terraform plan` by hand sees the same inputs).
// Every run goes through the process runner, with terraform's output streamed and the
// values it should not print hidden.
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {type Settings, deploymentArchitecture, ensureCacheDir, terraformChildEnv, writePrivate} from '../config/resolver.js'
import {CliError} from '../errors.js'
import {type RunOptions, run} from '../process/runner.js'
import {explainTerraform} from './diagnostics.js'

export const TFVARS_FILE = 'airflow-ecs.auto.tfvars.json'
/** The ECR repository is created first, on its own, so the image can be pushed before the rest exists. */
export const ECR_REPOSITORY = 'aws_ecr_repository.airflow'
export const ECR_TARGETS = [ECR_REPOSITORY, 'aws_ecr_lifecycle_policy.airflow']

/**
 * Resource types that run or scale the image: the services and what depends on them. They wait
 * for the push and for `airflow db migrate`, so no component starts on an old schema. Everything
 * else (network, database, load balancer, queues, secrets, roles, task definitions) is applied
 * first, while the image builds. A task definition may name a tag that is not pushed yet; a
 * service may not.
 */
const NEEDS_PUSHED_IMAGE = new Set([
  'aws_ecs_service',
  'aws_appautoscaling_target',
  'aws_appautoscaling_policy',
  'aws_appautoscaling_scheduled_action',
  'aws_cloudwatch_metric_alarm',
])

export interface PlanSummary {
  add: number
  change: number
  destroy: number
}

export interface PlannedChange {
  address: string
  type: string
  actions: string[]
}

export interface PlanResult {
  summary: PlanSummary
  changes: PlannedChange[]
  /** Root output values after the apply; unknown parts are left out. */
  outputs: Record<string, unknown>
}

export function requireTerraformDir(settings: Settings): void {
  if (!existsSync(settings.terraformDir) || !['versions.tf', 'main.tf', 'outputs.tf'].some((f) => existsSync(join(settings.terraformDir, f)))) {
    throw new CliError(`No Terraform configuration in ${settings.terraformDir}.`, {
      code: 'NO_DEPLOYMENT',
      hint: settings.infra === 'project'
        ? 'Put the Terraform module there (`airflow-ecs eject infra` copies the packaged one), or unset AIRFLOW_ECS_TERRAFORM_DIR / "terraformDir" to use the packaged module.'
        : 'Run airflow-ecs from the project folder (the one with airflow-ecs.json; `airflow-ecs init` makes one).',
    })
  }
}

/**
 * The non-secret settings of airflow-ecs.json as Terraform variables: project_name,
 * allowed_cidrs, min_workers / max_workers, topology, cpu_architecture, the schedule preset
 * and its time zone, image, plus anything under "terraformVars"
 * (e.g. {"certificate_arn": "...", "db_multi_az": true}).
 */
export function tfvars(settings: Settings, image?: string): Record<string, unknown> {
  const vars: Record<string, unknown> = {project_name: settings.project}
  if (settings.file.allowedCidrs) vars.allowed_cidrs = settings.file.allowedCidrs
  if (settings.file.workers?.min !== undefined) vars.min_workers = settings.file.workers.min
  if (settings.file.workers?.max !== undefined) vars.max_workers = settings.file.workers.max
  const dags = settings.file.dags as {source?: unknown} | undefined
  if (dags?.source === 'image' || dags?.source === 'bundle') vars.dags_source = dags.source
  if (typeof settings.file.topology === 'string') vars.topology = settings.file.topology.toLowerCase()
  // Only when the file says (ARM64 is the module's default): an older project's
  // "platform": "linux/amd64" keeps its tasks on the architecture its image was built for.
  if (typeof settings.file.architecture === 'string' || (typeof settings.file.platform === 'string' && !settings.file.platform.includes(','))) {
    vars.cpu_architecture = deploymentArchitecture(settings)
  }
  if (settings.file.schedule === 'office-hours') {
    vars.scale_to_zero_preset = 'office-hours'
    // The user's time zone: the file's, else this machine's.
    vars.schedule_timezone = settings.file.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'
  } else if (typeof settings.file.timezone === 'string') vars.schedule_timezone = settings.file.timezone
  const extra = settings.file.terraformVars
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) Object.assign(vars, extra)
  if (image) vars.image = image
  return vars
}

/** The image the generated tfvars file names now (the last deploy's), if any. */
export function tfvarsImage(settings: Settings): string | undefined {
  try {
    const {image} = JSON.parse(readFileSync(join(settings.terraformDir, TFVARS_FILE), 'utf8')) as {image?: unknown}
    return typeof image === 'string' && image !== '' ? image : undefined
  } catch {
    return undefined
  }
}

export function writeTfvars(settings: Settings, image?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const vars = {...tfvars(settings, image), ...extra}
  // Only its owner reads it: "terraformVars" may carry anything.
  writePrivate(join(settings.terraformDir, TFVARS_FILE), `${JSON.stringify(vars, null, 2)}\n`)
  return vars
}

/**
 * Hides what terraform would print that must not be seen: the AWS provider uses the
 * generated password itself as the id of data.aws_secretsmanager_random_password, and
 * terraform prints ids ("Read complete after 0s [id=...]").
 */
export function redactTerraformLine(line: string): string {
  return line.replace(/((?:random_password|random_string).*?\[id=)[^\]]*\]/g, '$1(redacted)]')
}

/** Counts a plan's resource changes the way terraform's summary line does. */
export function summarize(changes: PlannedChange[]): PlanSummary {
  const summary = {add: 0, change: 0, destroy: 0}
  for (const {actions} of changes) {
    if (actions.includes('create')) summary.add++
    if (actions.includes('delete')) summary.destroy++
    if (actions.includes('update')) summary.change++
  }
  return summary
}

/** Resources of a plan that are applied before the image is pushed and the database migrated (see NEEDS_PUSHED_IMAGE). */
export function imageIndependentTargets(changes: PlannedChange[]): string[] {
  return changes
    .filter((c) => !NEEDS_PUSHED_IMAGE.has(c.type) && (c.actions.includes('create') || c.actions.includes('update')))
    .map((c) => c.address.replace(/\[[^\]]*\]$/, ''))
    .filter((a, i, all) => all.indexOf(a) === i)
}

export interface StateResource {
  address: string
  type: string
  values: Record<string, unknown>
}

export class Terraform {
  constructor(
    private readonly settings: Settings,
    private readonly onLine?: (line: string) => void,
  ) {}

  /** -lock-timeout for the commands that lock the state, when the user gave one. */
  private lock(): string[] {
    const ms = this.settings.lockTimeoutMs
    return ms ? [`-lock-timeout=${Math.ceil(ms / 1000)}s`] : []
  }

  private run(args: string[], step: string, hint?: string, extra: Partial<RunOptions> = {}) {
    return run('terraform', [`-chdir=${this.settings.terraformDir}`, ...args], {
      env: terraformChildEnv(this.settings),
      onLine: this.onLine,
      redact: redactTerraformLine,
      step,
      hint,
      // A failure names Terraform's first Error diagnostic; the whole output goes to .airflow-ecs/logs/.
      explain: (output: string) => explainTerraform(output, this.settings.terraformDir, this.settings),
      logDir: join(this.settings.cacheDir, 'logs'),
      ...extra,
    })
  }

  /** Args: the backend's (-reconfigure, or -migrate-state -force-copy for a move: src/lib/state/remote.ts). */
  init(extra: string[] = []) {
    return this.run(
      ['init', '-input=false', '-no-color', ...extra],
      'terraform init',
      this.settings.infra === 'project'
        ? `Fix the Terraform files in ${this.settings.terraformDir} (the project's own module) if that is what it reports; else check access to the provider registry (or your mirror, TF_CLI_CONFIG_FILE) and the backend configuration.`
        : 'Check access to the provider registry (or your mirror, TF_CLI_CONFIG_FILE) and the backend configuration.',
    )
  }

  /** The resources in the state with their attribute values (empty when nothing is deployed). Not logged. */
  async state(): Promise<StateResource[]> {
    const shown = await this.run(['show', '-json', '-no-color'], 'terraform show', undefined, {onLine: undefined})
    const parsed = JSON.parse(shown.stdout || '{}') as {values?: {root_module?: Module}}
    const out: StateResource[] = []
    interface Module {
      resources?: Array<{address: string; type: string; mode: string; values?: Record<string, unknown>}>
      child_modules?: Module[]
    }
    const walk = (m?: Module): void => {
      for (const r of m?.resources ?? []) if (r.mode === 'managed') out.push({address: r.address, type: r.type, values: r.values ?? {}})
      for (const c of m?.child_modules ?? []) walk(c)
    }
    walk(parsed.values?.root_module)
    return out
  }

  applyTargets(targets: string[], step: string, extra: string[] = []) {
    return this.run(
      ['apply', '-auto-approve', '-input=false', '-no-color', ...this.lock(), ...targets.map((t) => `-target=${t}`), ...extra],
      step,
      'Fix what Terraform reports, then run deploy again: it continues from where it stopped.',
    )
  }

  /**
   * Plans into a file; returns the summary, each change, and the root outputs as they will be
   * after the apply (the parts not known until then left out).
   */
  async plan(planFile: string, step = 'terraform plan'): Promise<PlanResult> {
    // A saved plan holds sensitive values in plain text: a private folder, a private file.
    ensureCacheDir(dirname(planFile))
    await this.run(['plan', '-input=false', '-no-color', ...this.lock(), `-out=${planFile}`], step, 'Fix what the plan reports, then run deploy again.')
    chmodSync(planFile, 0o600)
    const shown = await this.run(['show', '-json', planFile], 'terraform show', undefined, {onLine: undefined})
    const plan = JSON.parse(shown.stdout) as {
      resource_changes?: Array<{address: string; type: string; mode?: string; change: {actions: string[]}}>
      output_changes?: Record<string, {after?: unknown}>
    }
    const changes = (plan.resource_changes ?? [])
      .filter((rc) => rc.mode !== 'data' && !(rc.change.actions.length === 1 && ['no-op', 'read'].includes(rc.change.actions[0])))
      .map((rc) => ({address: rc.address, type: rc.type, actions: rc.change.actions}))
    const outputs = Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([name, change]) => [name, change.after]))
    return {summary: summarize(changes), changes, outputs}
  }

  applyPlan(planFile: string, step = 'terraform apply') {
    return this.run(['apply', '-input=false', '-no-color', ...this.lock(), planFile], step, 'Fix what Terraform reports, then run deploy again: it continues from where it stopped.')
  }

  destroy(extra: string[] = []) {
    return this.run(['destroy', '-auto-approve', '-input=false', '-no-color', ...this.lock(), ...extra], 'terraform destroy', 'Fix what Terraform reports, then run destroy again.')
  }
}
