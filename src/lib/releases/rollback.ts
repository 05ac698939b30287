// `rollback [RELEASE]`: every service back on the task definitions a recorded release ran,
// with no build and no Terraform run, then a wait until ECS calls them stable, recorded as a
// new release. The image goes into the Terraform settings file so the next `deploy` plans the
// same task-definition content instead of undoing the rollback.
import {type AwsContext} from '../aws/context.js'
import {CliError, invalid} from '../errors.js'
import {waitStable} from '../lifecycle/stable.js'
import {type StepTiming, Steps} from '../lifecycle/steps.js'
import {writeProjectSetting} from '../project/settings.js'
import {TFVARS_FILE, tfvarsImage, writeTfvars} from '../terraform/terraform.js'
import {endRelease, startRelease} from './record.js'
import {createSnapshot, releaseSnapshotName} from './snapshots.js'
import {
  type Release,
  compareVersions,
  databaseVersion,
  defaultRollbackTarget,
  finishRelease,
  listReleases,
  liveRelease,
  liveServices,
  lockHolder,
  sameTaskDefinitions,
} from './store.js'
import {airflowVersion} from './version.js'

export interface RollbackOptions {
  /** A release number as typed (checked here); default: the previous good release. */
  target?: string
  /** Run `airflow db downgrade` first when the target's Airflow is older than the database's (confirmed by the command). */
  downgradeDatabase: boolean
  /** Asked before a downgrade: the command types the confirmation on a terminal. */
  confirmDowngrade?: (message: string) => Promise<boolean>
  stableTimeoutMs: number
  fancy: boolean
  bin: string
}

export interface RollbackResult {
  release?: number
  target: number
  image?: string
  services: Record<string, {from?: string; to: string}>
  snapshot?: string
  downgraded?: string
  steps: StepTiming[]
}

export function checkReleaseArg(value: string): number {
  if (!/^\d{1,8}$/.test(value) || Number(value) < 1) throw invalid(`"${value}" is not a release number.`, 'Give the number `airflow-ecs releases` shows, e.g. `airflow-ecs rollback 3`.')
  return Number(value)
}

/** What rollback would do, or why it refuses: checked before anything changes. */
export function chooseTarget(history: Release[], live: Release['services'], wanted?: number, now = Date.now()): Release {
  const lock = lockHolder(history, now)
  if (lock) {
    throw new CliError(`Release ${lock.number} (${lock.kind}, started ${lock.startedAt} by ${lock.who.gitUser ?? lock.who.arn ?? 'someone'}) is still in progress; nothing was changed.`, {
      code: 'INVALID_INPUT',
      exitCode: 1,
      hint: 'Wait for it to finish (`airflow-ecs releases` shows its outcome), then roll back. A deploy that died holds the lock for an hour at most.',
    })
  }
  if (wanted !== undefined) {
    const target = history.find((r) => r.number === wanted)
    if (!target) {
      const known = history.slice(0, 5).map((r) => r.number).join(', ')
      throw invalid(`Release ${wanted} is not recorded for this deployment.`, `\`airflow-ecs releases\` lists them${known ? ` (the newest: ${known})` : ''}.`)
    }
    if (target.outcome !== 'succeeded' || Object.keys(target.services).length === 0) {
      throw invalid(`Release ${wanted} ${target.outcome === 'succeeded' ? 'recorded no service' : target.outcome === 'in-progress' ? 'never finished' : target.outcome}: its task definitions were never known to work.`, 'Roll back to a release whose outcome is "succeeded" (`airflow-ecs releases`).')
    }
    if (sameTaskDefinitions(target.services, live)) {
      throw invalid(`Release ${wanted} is already live: every service runs its task definitions.`, 'Nothing to roll back; `airflow-ecs releases` shows which release runs.')
    }
    return target
  }
  const target = defaultRollbackTarget(history, live)
  if (!target) throw invalid('There is no earlier successful release that runs other task definitions than the live ones.', '`airflow-ecs releases` shows the history; roll forward with `airflow-ecs deploy`.')
  return target
}

export async function rollback(ctx: AwsContext, options: RollbackOptions): Promise<RollbackResult> {
  const wanted = options.target === undefined ? undefined : checkReleaseArg(options.target)
  // The state's lock, as a deploy holds it: a deploy's Terraform would otherwise roll the
  // services forward under this rollback (or this one back under a deploy).
  const {lockServices} = await import('../state/lock.js')
  const lock = await lockServices(ctx.settings, 'rollback')
  try {
    return await rollbackLocked(ctx, options, wanted)
  } finally {
    await lock?.release()
  }
}

async function rollbackLocked(ctx: AwsContext, options: RollbackOptions, wanted: number | undefined): Promise<RollbackResult> {
  const steps = new Steps(options.fancy)
  const [history, live] = await Promise.all([listReleases(ctx), liveServices(ctx)])
  const target = chooseTarget(history, live, wanted)
  const dbVersion = databaseVersion(history)
  const downgrade = Boolean(target.airflowVersion && dbVersion && compareVersions(target.airflowVersion, dbVersion) < 0)
  if (downgrade && !options.downgradeDatabase) {
    throw new CliError(`Release ${target.number} runs Airflow ${target.airflowVersion}, older than the database's schema (Airflow ${dbVersion}); nothing was changed.`, {
      code: 'INVALID_INPUT',
      hint: `Its code cannot run on a newer schema: the schema has to go down first, with the newer code (\`airflow db downgrade --to-version ${target.airflowVersion}\`). \`airflow-ecs rollback ${target.number} --downgrade-database\` on a terminal snapshots the database, runs it as a one-off task and then rolls back (you type the project name to confirm).`,
    })
  }
  if (downgrade && !(await options.confirmDowngrade?.(`Roll back to release ${target.number}: the database schema goes down from Airflow ${dbVersion} to ${target.airflowVersion} (data in newer tables or columns is lost; a snapshot is taken first).`))) {
    throw new CliError('Not confirmed; nothing was changed.', {code: 'CANCELLED', hint: 'Type the project name exactly to confirm the downgrade.'})
  }
  const previous = liveRelease(history)
  const rec = await steps.run('release', (log) => startRelease(ctx, {kind: 'rollback', image: target.image, airflowVersion: target.airflowVersion, log}))
  if (!rec) throw new CliError('The deployment has no bucket to record releases in.', {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` first.'})
  rec.release.rollbackOf = target.number
  const services: RollbackResult['services'] = {}
  let snapshot: string | undefined
  try {
    if (downgrade) {
      snapshot = releaseSnapshotName(ctx.deployment.project, rec.release.number)
      const name = snapshot
      await steps.run('db snapshot', (log) => createSnapshot(ctx, name, log))
      rec.release.snapshot = name
      await steps.run('db downgrade', async (log) => {
        const {runStepTask} = await import('../ecs/task-runner.js')
        await runStepTask(ctx, options.bin, ['db', 'downgrade', '--to-version', target.airflowVersion!, '--yes'], log, {
          what: '`airflow db downgrade`',
          again: 'rollback',
          consequence: 'the services were not touched',
          hint: `The database was snapshotted first as ${name}.`,
        })
      })
      rec.databaseVersion = target.airflowVersion
    }
    await steps.run('update services', async (log) => {
      const {ECSClient, UpdateServiceCommand} = await import('@aws-sdk/client-ecs')
      const ecs = new ECSClient(ctx.clientConfig)
      for (const [name, s] of Object.entries(target.services)) {
        if (!live[name]) {
          log(`${name}: no longer in the cluster, skipped`)
          continue
        }
        if (live[name].taskDefinition === s.taskDefinition) continue
        await ecs.send(new UpdateServiceCommand({cluster: ctx.deployment.cluster.name, service: name, taskDefinition: s.taskDefinition}))
        services[name] = {from: live[name].taskDefinition, to: s.taskDefinition}
        log(`${name}: ${live[name].taskDefinition.split('/').pop()} → ${s.taskDefinition.split('/').pop()}`)
      }
      for (const name of Object.keys(live)) if (!target.services[name]) log(`${name}: not in release ${target.number}, left as it is`)
    })
    await steps.run('services stable', (log) => waitStable(ctx, options.stableTimeoutMs, log))
  } catch (error) {
    await endRelease(ctx, rec, error)
    throw error
  }
  // Terraform's next plan must render what now runs: the settings file names the release's image
  // (and its Airflow version when the database went down with it).
  const settings = ctx.settings
  if (target.image && tfvarsImage(settings) !== undefined) writeTfvars(settings, target.image)
  else if (target.image) steps.skip(`write ${TFVARS_FILE}`, 'no settings file in this checkout: pass --image to the next deploy')
  if (downgrade && target.airflowVersion && target.airflowVersion !== airflowVersion(settings)) writeProjectSetting(settings, 'airflowVersion', target.airflowVersion)
  const done = await endRelease(ctx, rec, undefined)
  if (previous && previous.number !== target.number) {
    await finishRelease(ctx, previous, 'rolled-back', {finishedAt: previous.finishedAt, rolledBackBy: rec.release.number}).catch(() => undefined)
  }
  return {release: done?.number ?? rec.release.number, target: target.number, image: target.image, services, ...(snapshot ? {snapshot} : {}), ...(downgrade ? {downgraded: target.airflowVersion} : {}), steps: steps.timings}
}
