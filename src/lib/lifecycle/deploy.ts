// `deploy`: everything the reference did in nine manual steps, in order, resumable.
// preflight → terraform init → ECR repository (only when missing) → build and push (unless
// --image) → plan (asked about on a terminal) → apply → db migrate → admin user (first
// deploy) → services stable → URL. Running it again continues from where it stopped:
// every step checks what is already there.
import {mkdirSync} from 'node:fs'
import {join} from 'node:path'

import {DescribeRepositoriesCommand, ECRClient} from '@aws-sdk/client-ecr'

import {type AwsContext, clientConfig} from '../aws/context.js'
import {parseDeployment} from '../config/deployment.js'
import {type Settings, loadDeployment} from '../config/resolver.js'
import {buildImage, gitTag, tagExists} from '../docker/build.js'
import {type Check, credentialsCheck, dockerChecks, nodeCheck, regionCheck, terraformCheck} from '../doctor/doctor.js'
import {startTask} from '../ecs/standalone.js'
import {attach} from '../ecs/task-runner.js'
import {CliError} from '../errors.js'
import {type PlanSummary, ECR_TARGETS, Terraform, requireTerraformDir, writeTfvars} from '../terraform/terraform.js'
import {webAddress} from '../web/url.js'
import {ADMIN_COMMAND, adminCreated, markAdminCreated} from './admin.js'
import {waitStable} from './stable.js'
import {type StepTiming, Steps} from './steps.js'

export interface DeployOptions {
  image?: string
  platform: string
  yes: boolean
  interactive: boolean
  bin: string
  stableTimeoutMs: number
  /** Asked on a terminal before applying; false cancels. */
  confirm: (summary: PlanSummary) => Promise<boolean>
}

export interface DeployResult {
  url: string
  image: string
  plan: PlanSummary
  firstDeploy: boolean
  steps: StepTiming[]
}

function preflightFailures(checks: Check[]): Check[] {
  return checks.filter((c) => c.status === 'fail')
}

async function ecrRepositoryContext(settings: Settings, region?: string): Promise<AwsContext> {
  const name = `${settings.project}-airflow`
  const config = clientConfig(settings, region)
  const repo = (await new ECRClient(config).send(new DescribeRepositoriesCommand({repositoryNames: [name]}))).repositories?.[0]
  const deployment = parseDeployment({project: settings.project, region, ecr: {repository_url: repo?.repositoryUri, repository_name: repo?.repositoryName}}, settings.project)
  return {settings, deployment, region, clientConfig: config}
}

async function runTask(ctx: AwsContext, bin: string, command: string[], log: (line: string) => void, what: string): Promise<void> {
  const started = await startTask(ctx, {command, size: {}, environment: []})
  log(`task ${started.taskId}`)
  const {exitCode} = await attach(ctx, bin, started, {line: log, note: log})
  if (exitCode !== 0) {
    throw new CliError(`${what} exited with code ${exitCode}.`, {
      code: 'PROCESS_FAILED',
      hint: `Read its log with \`${bin} logs standalone --task ${started.taskId} --since 1h\`, fix the cause, and run deploy again.`,
    })
  }
}

export async function deploy(settings: Settings, options: DeployOptions): Promise<DeployResult> {
  requireTerraformDir(settings)
  const steps = new Steps(options.interactive)
  const tf = new Terraform(settings, undefined)
  let region = settings.region

  await steps.run('preflight', async (log) => {
    const checks = [nodeCheck(), await terraformCheck(), ...(options.image ? [] : await dockerChecks())]
    const creds = await credentialsCheck(settings)
    region ??= creds.region
    checks.push(creds, regionCheck(settings, creds.region))
    for (const c of checks) log(`${c.status.padEnd(4)} ${c.name}: ${c.detail}`)
    const failed = preflightFailures(checks)
    if (failed.length > 0) {
      throw new CliError(`${failed[0].name}: ${failed[0].detail}`, {code: 'MISSING_TOOL', hint: failed[0].fix})
    }
  })
  await steps.run('terraform init', (log) => new Terraform(settings, log).init())

  const state = await tf.stateList()
  if (state.includes(ECR_TARGETS[0])) steps.skip('ECR repository', 'exists')
  else await steps.run('ECR repository', (log) => new Terraform(settings, log).applyTargets(ECR_TARGETS))

  let image = options.image
  if (image) {
    steps.skip('build and push', `using ${image}`)
  } else {
    const ctx = await ecrRepositoryContext(settings, region)
    const tag = await gitTag(settings.projectRoot)
    if (await tagExists(ctx, ctx.deployment.ecr!.repositoryName!, tag)) {
      image = `${ctx.deployment.ecr!.repositoryUrl}:${tag}`
      steps.skip('build and push', `${tag} is already in ECR`)
    } else {
      image = (await steps.run('build and push', (log) => buildImage(ctx, {tag, platform: options.platform, push: true, cwd: settings.projectRoot, onLine: log}))).image
    }
  }

  writeTfvars(settings, image)
  const planFile = join(settings.cacheDir, 'deploy.tfplan')
  mkdirSync(settings.cacheDir, {recursive: true})
  const plan = await steps.run('terraform plan', (log) => new Terraform(settings, log).plan(planFile))
  const changes = plan.add + plan.change + plan.destroy
  if (changes > 0) {
    if (!options.yes && !(await options.confirm(plan))) {
      throw new CliError('Deploy cancelled; nothing was applied.', {code: 'CANCELLED', hint: 'Run it again and answer yes, or pass --yes.'})
    }
    await steps.run(`terraform apply (+${plan.add} ~${plan.change} -${plan.destroy})`, (log) => new Terraform(settings, log).applyPlan(planFile))
  } else {
    steps.skip('terraform apply', 'no changes')
  }

  const deployment = await loadDeployment(settings, {refresh: true})
  region ??= deployment.region
  const ctx: AwsContext = {settings, deployment, region, clientConfig: clientConfig(settings, region)}

  await steps.run('db migrate', (log) => runTask(ctx, options.bin, ['db', 'migrate'], log, '`airflow db migrate`'))
  const firstDeploy = !(await adminCreated(ctx))
  if (firstDeploy) {
    await steps.run('admin user', async (log) => {
      await runTask(ctx, options.bin, ADMIN_COMMAND, log, '`airflow users create`')
      await markAdminCreated(ctx)
    })
  } else {
    steps.skip('admin user', 'created by an earlier deploy')
  }
  await steps.run('services stable', (log) => waitStable(ctx, options.stableTimeoutMs, log))
  const {url} = await webAddress(ctx)
  return {url, image, plan, firstDeploy, steps: steps.timings}
}
