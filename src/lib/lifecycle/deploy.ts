// `deploy`: everything the reference did in nine manual steps, in order, resumable.
//   preflight → terraform init → project settings (tfvars) → ECR repository (only when
//   missing) → terraform plan (asked about on a terminal) → build and push ∥ the apply of
//   everything but the services (task definitions included) → plan of the services →
//   release (a number in the bucket) → DB snapshot (only when the Airflow version changes) →
//   db migrate → admin user (first deploy) → apply of the services → services stable → the
//   release's outcome → URL.
// No Airflow component starts before its schema is migrated.
// Running it again continues from where it stopped: every step looks at what is there.
import {mkdirSync, rmSync} from 'node:fs'
import {join} from 'node:path'

import {type AwsContext, contextFor} from '../aws/context.js'
import {parseDeployment} from '../config/deployment.js'
import {type Settings, loadDeployment} from '../config/resolver.js'
import {buildImage, checkImageRef, gitTag, tagExists} from '../docker/build.js'
import {checkRequirements} from '../docker/recipe.js'
import {type Check, credentialsCheck, dockerChecks, nodeCheck, regionCheck, terraformCheck} from '../doctor/doctor.js'
import {runStepTask} from '../ecs/task-runner.js'
import {CliError, EXIT, mapError} from '../errors.js'
import {childProcessMs} from '../process/runner.js'
import {prepareInfra} from '../project/infra.js'
import {ECR_REPOSITORY, ECR_TARGETS, type PlanSummary, Terraform, imageIndependentTargets, requireTerraformDir, tfvarsImage, writeTfvars} from '../terraform/terraform.js'
import {webAddress} from '../web/url.js'
import {ADMIN_COMMAND, adminCreated, markAdminCreated} from './admin.js'
import {waitStable} from './stable.js'
import {dagsFromBundle, publishBundleStep} from '../dags/step.js'
import {onlyDagsChangedSince} from '../dags/release.js'
import {type ParallelStep, type StepLog, type StepTiming, Steps} from './steps.js'
import {type Recorder, endRelease, refuseOlderThanDatabase, startRelease} from '../releases/record.js'
import {createSnapshot, pruneSnapshots, releaseSnapshotName, restoreHint, snapshotRetention} from '../releases/snapshots.js'
import {type ReleaseKind} from '../releases/store.js'
import {type PreparedState, type StateReport, prepareState, stateNote, stateReport} from '../state/prepare.js'
import {airflowVersion} from '../releases/version.js'

const INFRASTRUCTURE = 'terraform apply (infrastructure)'
const DATABASE = 'aws_db_instance.metadata'
const SERVICES_PLAN = 'terraform plan (services)'
const SERVICES_APPLY = 'terraform apply (services)'

const note = (plan: PlanSummary): string => `+${plan.add} ~${plan.change} -${plan.destroy}`

export interface DeployOptions {
  /** A prebuilt image reference: no build. */
  image?: string
  tag?: string
  platform: string
  yes: boolean
  /** listr2 task list (a terminal, no --json) rather than plain lines. */
  fancy: boolean
  bin: string
  stableTimeoutMs: number
  /** Asked on a terminal before applying (unless --yes); false cancels. */
  confirm?: (summary: PlanSummary) => Promise<boolean>
  /** What the release record calls this run (default "deploy"). */
  kind?: ReleaseKind
  /** Create the database from this RDS snapshot (a new deployment only). */
  restoreSnapshot?: string
  /** Asked on a terminal (unless --yes) before a local state is moved to S3; false cancels. */
  confirmMove?: (question: string) => Promise<boolean>
}

export interface DeployResult {
  project: string
  url: string
  image: string
  plan: PlanSummary
  firstDeploy: boolean
  /** The release this deploy recorded, and the snapshot it took before migrating (an Airflow version change). */
  release?: number
  snapshot?: string
  deletedSnapshots?: string[]
  /** Where the state is: its backend, the S3 object, and a local state moved there by this deploy. */
  state: StateReport
  steps: StepTiming[]
  /** Wall time, and what of it the CLI spent itself (CPU: not terraform, docker or AWS waits). */
  timing: {totalSeconds: number; childProcessSeconds: number; cliCpuSeconds: number}
}

function runTask(ctx: AwsContext, bin: string, command: string[], log: (line: string) => void, what: string): Promise<void> {
  return runStepTask(ctx, bin, command, log, {what, again: 'deploy'})
}

function restoreRefused(snapshot: string): CliError {
  return new CliError('--restore-snapshot creates the database, and this deployment already has one; nothing was changed.', {
    code: 'INVALID_INPUT',
    hint: `Restore into a new deployment: \`airflow-ecs destroy\` (it keeps a final snapshot), then \`airflow-ecs deploy --restore-snapshot ${snapshot}\`, or use another project name.`,
  })
}

function preflightFailure(checks: Check[]): CliError | undefined {
  const failed = checks.find((c) => c.status === 'fail')
  if (!failed) return undefined
  return new CliError(`${failed.name}: ${failed.detail}.`, {code: 'MISSING_TOOL', hint: failed.fix ?? '`airflow-ecs doctor` shows every check.'})
}

/**
 * The deploy, with the environment's state held: the CLI's lock on it is taken after the
 * preflight and released however the deploy ends (a second deploy meanwhile fails fast).
 */
export async function deploy(settings: Settings, options: DeployOptions): Promise<DeployResult> {
  const held: {state?: PreparedState} = {}
  try {
    return await deployHeld(settings, options, held)
  } finally {
    await held.state?.release()
  }
}

async function deployHeld(settings: Settings, options: DeployOptions, held: {state?: PreparedState}): Promise<DeployResult> {
  const wallStart = Date.now()
  // The packaged module, as this CLI version ships it (an upgrade's change shows in the plan).
  const infraChange = prepareInfra(settings)
  requireTerraformDir(settings)
  if (options.image) checkImageRef(options.image)
  const steps = new Steps(options.fancy)
  const tf = (log?: (line: string) => void) => new Terraform(settings, log)
  let region = settings.region
  const building = !options.image
  // A requirements.txt the constraints cannot satisfy stops here, not minutes into the build.
  if (building) checkRequirements(settings)

  // A restore is for a new deployment: one that has a database (the cached outputs say so) is refused before anything runs.
  if (options.restoreSnapshot) {
    const existing = await loadDeployment(settings).catch(() => undefined)
    if (existing?.database?.identifier) throw restoreRefused(options.restoreSnapshot)
  }
  await steps.run('preflight', async (log) => {
    const [terraform, docker, creds] = await Promise.all([terraformCheck(), building ? dockerChecks() : Promise.resolve([]), credentialsCheck(settings)])
    region ??= creds.region
    const checks = [nodeCheck(), terraform, ...docker, creds, regionCheck(settings, creds.region)]
    for (const c of checks) log(`${c.status.padEnd(4)} ${c.name}: ${c.detail}`)
    const failure = preflightFailure(checks)
    if (failure) throw failure
  })
  // The state bucket, the backend and the lock; a local state is moved to S3 here, once (asked first).
  const notes: string[] = []
  const stateHeld = await prepareState(settings, {operation: 'deploy', yes: options.yes, confirm: options.confirmMove, log: (line) => notes.push(line)})
  held.state = stateHeld
  await steps.run('state', async (log) => {
    for (const line of notes) log(line)
  })
  steps.annotate('state', stateNote(stateHeld))
  await steps.run('terraform init', async (log) => {
    if (settings.infra === 'package') log(`the packaged module in ${settings.terraformDir}${infraChange ? ` (${infraChange})` : ''}`)
    else if (settings.terraformDir !== settings.ownModuleDir) log(`the project's module, copied to ${settings.terraformDir}${infraChange ? ` (${infraChange})` : ''}`)
    await tf(log).init(stateHeld.initArgs)
    stateHeld.afterInit()
  })

  // The project's settings before any apply: every name, the ECR repository's included, comes
  // from project_name. The image is not known yet when building (it needs the repository), so
  // the file keeps naming the last deploy's until it is.
  const restore = options.restoreSnapshot ? {db_snapshot_identifier: options.restoreSnapshot} : {}
  writeTfvars(settings, options.image ?? tfvarsImage(settings), restore)

  // The ECR repository first, alone: the image has to be pushed before the services start.
  let state = await tf().state()
  if (options.restoreSnapshot && state.some((r) => r.address === DATABASE)) throw restoreRefused(options.restoreSnapshot)
  if (state.some((r) => r.address === ECR_REPOSITORY)) {
    steps.skip('ECR repository', 'exists')
  } else {
    await steps.run('ECR repository', (log) => tf(log).applyTargets(ECR_TARGETS, 'terraform apply (ECR repository)'))
    state = await tf().state()
  }

  let image = options.image
  let build: {tag: string; ctx: AwsContext} | undefined
  if (building) {
    const repo = state.find((r) => r.address === ECR_REPOSITORY)?.values as {repository_url?: string; name?: string} | undefined
    if (!repo?.repository_url || !repo.name) {
      throw new CliError('The ECR repository is not in the Terraform state.', {code: 'NO_DEPLOYMENT', hint: 'Run deploy again; if it persists, check `terraform state list`.'})
    }
    const deployment = parseDeployment({project: settings.project, ecr: {repository_url: repo.repository_url, repository_name: repo.name}}, settings.project)
    const ctx = contextFor(settings, deployment, region)
    const tag = options.tag ?? (await gitTag(settings.projectRoot))
    image = `${repo.repository_url}:${tag}`
    const deployed = tfvarsImage(settings)
    if (await tagExists(ctx, repo.name, tag)) steps.skip('build and push', `${tag} is already in ECR`)
    else if (!options.tag && dagsFromBundle(settings) && onlyDagsChangedSince(settings.projectRoot, deployed)) {
      // Only DAG files changed since the deployed image: the bundle step ships them, the
      // image and the services stay as they are.
      image = deployed
      steps.skip('build and push', `only DAG files changed since ${deployed!.split(':').at(-1)}: the DAG bundle ships them, no image build or service rollout`)
    } else build = {tag, ctx}
  } else {
    steps.skip('build and push', `using ${image}`)
  }

  writeTfvars(settings, image, restore)
  mkdirSync(settings.cacheDir, {recursive: true})
  const planFile = join(settings.cacheDir, 'deploy.tfplan')
  const servicesPlanFile = join(settings.cacheDir, 'deploy-services.tfplan')
  const first = await steps.run('terraform plan', (log) => tf(log).plan(planFile))
  const plan = first.summary
  steps.annotate('terraform plan', note(plan))
  const total = plan.add + plan.change + plan.destroy
  let firstDeploy = false
  const version = airflowVersion(settings)
  let rec: Recorder | undefined
  let snapshot: string | undefined
  let bundleVersion: string | undefined
  // What the release records of the DAG bundle, however the deploy ends.
  const bundleExtra = () => (bundleVersion ? {dagBundleVersion: bundleVersion} : {})
  let planned: AwsContext | undefined
  // Saved plans hold sensitive values in plain text: they do not outlive this run.
  try {
    if (total > 0 && !options.yes) {
      if (!options.confirm || !(await options.confirm(plan))) {
        throw new CliError('Deploy cancelled; nothing was applied.', {code: 'CANCELLED', hint: 'Run it again and answer yes, or pass --yes.'})
      }
    }
    // 1. Everything that does not run the image (network, database, load balancer, queues,
    //    secrets, roles, task definitions), while the image builds.
    const targets = imageIndependentTargets(first.changes)
    const b = build
    const work: Array<ParallelStep<unknown>> = [
      ...(b ? [{title: 'build and push', work: (log: StepLog) => buildImage(b.ctx, {tag: b.tag, platform: options.platform, push: true, onLine: log, buildArgs: settings.file.airflowVersion ? {AIRFLOW_VERSION: version} : undefined})}] : []),
      ...(targets.length > 0 ? [{title: INFRASTRUCTURE, work: (log: StepLog) => tf(log).applyTargets(targets, INFRASTRUCTURE)}] : []),
    ]
    if (work.length > 0) await steps.parallel(work)
    if (targets.length === 0) steps.skip(INFRASTRUCTURE, total > 0 ? 'nothing to apply before the services' : 'no changes')

    // 2. What is left, the services and their scaling, planned again once the rest exists (the
    //    first plan still holds when nothing was applied). Its outputs name the cluster, the
    //    network and the standalone task definition, so the one-off tasks run before any service.
    let rest = first
    let restFile = planFile
    if (targets.length > 0) {
      rest = await steps.run(SERVICES_PLAN, (log) => tf(log).plan(servicesPlanFile, SERVICES_PLAN))
      restFile = servicesPlanFile
      steps.annotate(SERVICES_PLAN, note(rest.summary))
    } else {
      steps.skip(SERVICES_PLAN, 'nothing applied since terraform plan')
    }
    const ctx = contextFor(settings, parseDeployment(rest.outputs.airflow_ecs, settings.project, settings.overrides), region)
    planned = ctx

    // 3. The release (a number, in progress), and when the Airflow version changes, a snapshot
    //    of the database named after it, available before the migration starts.
    rec = await steps.run('release', (log) =>
      startRelease(ctx, {kind: options.kind ?? 'deploy', image, airflowVersion: version, restoredFrom: options.restoreSnapshot, log}),
    )
    if (rec) steps.annotate('release', `release ${rec.release.number}`)
    refuseOlderThanDatabase(rec, version)
    if (rec?.versionChange) {
      const name = releaseSnapshotName(ctx.deployment.project, rec.release.number)
      await steps.run('db snapshot', (log) => createSnapshot(ctx, name, log))
      steps.annotate('db snapshot', `${name} (Airflow ${rec.databaseVersion} → ${version})`)
      snapshot = name
      rec.release.snapshot = name
    } else {
      steps.skip('db snapshot', rec ? 'the Airflow version does not change' : 'no release history')
    }

    // 4. The schema, and the admin user on the first deploy, before any component starts.
    await steps.run('db migrate', async (log) => {
      try {
        await runTask(ctx, options.bin, ['db', 'migrate'], log, '`airflow db migrate`')
      } catch (error) {
        if (!snapshot || !(error instanceof CliError)) throw error
        throw new CliError(`${error.message} The services still run the old version; the database was snapshotted first as ${snapshot}.`, {
          code: error.code,
          exitCode: error.exitCode,
          cause: error,
          hint: `${error.hint ?? ''} If the migration left the database broken: ${restoreHint(snapshot)}`.trim(),
        })
      }
    })
    if (rec) rec.migrated = true
    firstDeploy = !(await adminCreated(ctx))
    if (firstDeploy) {
      await steps.run('admin user', async (log) => {
        await runTask(ctx, options.bin, ADMIN_COMMAND, log, '`airflow users create`')
        await markAdminCreated(ctx)
      })
    } else {
      steps.skip('admin user', 'created by an earlier deploy')
    }

    // 3b. The DAG bundle, before the dag-processor (re)starts: S3DagBundle refuses an empty prefix.
    bundleVersion = await publishBundleStep(steps, ctx, settings.projectRoot)

    // 5. The services, on a migrated database.
    if (rest.summary.add + rest.summary.change + rest.summary.destroy > 0) {
      await steps.run(SERVICES_APPLY, (log) => tf(log).applyPlan(restFile, SERVICES_APPLY))
    } else {
      steps.skip(SERVICES_APPLY, 'no changes')
    }
  } catch (error) {
    if (planned) await endRelease(planned, rec, error, bundleExtra())
    throw error
  } finally {
    rmSync(planFile, {force: true})
    rmSync(servicesPlanFile, {force: true})
  }

  const deployment = await loadDeployment(settings, {refresh: true})
  region ??= deployment.region
  const ctx = contextFor(settings, deployment, region)
  try {
    await steps.run('services stable', (log) => waitStable(ctx, options.stableTimeoutMs, log))
  } catch (error) {
    await endRelease(ctx, rec, error, bundleExtra())
    throw error
  }
  await endRelease(ctx, rec, undefined, bundleExtra())
  // Retention: the CLI's pre-migration snapshots beyond the newest N go (never the newest).
  // Best effort: the deploy succeeded; a refused deletion is said, not fatal.
  const deletedSnapshots = snapshot
    ? await pruneSnapshots(ctx, snapshotRetention(settings.file)).catch((error: unknown) => {
        process.stderr.write(`Old pre-migration snapshots were not deleted: ${mapError(error).message}\n`)
        return undefined
      })
    : undefined
  const {url} = await webAddress(ctx)
  // CPU since the process started: start-up included, the children and the waits not.
  const cpu = process.cpuUsage()
  return {
    project: deployment.project,
    url,
    image: image!,
    plan,
    firstDeploy,
    ...(rec ? {release: rec.release.number} : {}),
    ...(snapshot ? {snapshot} : {}),
    ...(deletedSnapshots?.length ? {deletedSnapshots} : {}),
    state: stateReport(held.state!),
    steps: steps.timings,
    timing: {
      totalSeconds: (Date.now() - wallStart) / 1000,
      childProcessSeconds: childProcessMs() / 1000,
      cliCpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    },
  }
}
