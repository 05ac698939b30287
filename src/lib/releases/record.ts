// How deploy, upgrade and dags deploy record a release: claim a number (in progress) once the
// bucket exists, say whether the Airflow version changes (then deploy snapshots the database
// before migrating), and write the outcome at the end, whatever it is.
import {type AwsContext} from '../aws/context.js'
import {CliError, mapError} from '../errors.js'
import {
  type Release,
  type ReleaseKind,
  claimRelease,
  compareVersions,
  databaseVersion,
  finishRelease,
  gitCommit,
  liveRelease,
  liveServices,
  recentReleases,
  whoAmI,
} from './store.js'

export interface Recorder {
  release: Release
  /** The live release before this one, if any. */
  previous?: Release
  /** The Airflow version of the database before this release. */
  databaseVersion?: string
  /** The Airflow version changes: snapshot before migrating. */
  versionChange: boolean
  /** Set once `airflow db migrate` succeeded: the schema is at this release's version. */
  migrated?: boolean
}

export interface StartOptions {
  kind: ReleaseKind
  image?: string
  airflowVersion?: string
  restoredFrom?: string
  log: (line: string) => void
}

/** Claims the next release number. Undefined (and a note) when the deployment has no bucket to record in. */
export async function startRelease(ctx: AwsContext, options: StartOptions): Promise<Recorder | undefined> {
  if (!ctx.deployment.bucket) {
    options.log('the Terraform outputs name no bucket: this release is not recorded')
    return undefined
  }
  const [history, who] = await Promise.all([recentReleases(ctx), whoAmI(ctx)])
  const previous = liveRelease(history)
  const dbVersion = databaseVersion(history)
  const release = await claimRelease(ctx, {
    kind: options.kind,
    outcome: 'in-progress',
    // A DAG-only release runs the image and the Airflow of the live one.
    image: options.image ?? previous?.image,
    gitCommit: gitCommit(ctx.settings.projectRoot),
    airflowVersion: options.airflowVersion ?? previous?.airflowVersion,
    services: {},
    ...(options.restoredFrom ? {restoredFrom: options.restoredFrom} : {}),
    who,
    startedAt: new Date().toISOString(),
  })
  options.log(`release ${release.number}${previous ? ` (live: release ${previous.number}, Airflow ${previous.airflowVersion ?? '?'})` : ' (the first recorded)'}`)
  const versionChange = Boolean(dbVersion && options.airflowVersion && compareVersions(options.airflowVersion, dbVersion) !== 0)
  return {release, previous, databaseVersion: dbVersion, versionChange}
}

/** A deploy must not run an Airflow older than its database: that needs a downgrade first. */
export function refuseOlderThanDatabase(rec: Recorder | undefined, version: string | undefined): void {
  if (!rec?.databaseVersion || !version || compareVersions(version, rec.databaseVersion) >= 0) return
  throw new CliError(`This deploy runs Airflow ${version}, older than the database's ${rec.databaseVersion}; nothing was migrated or rolled out.`, {
    code: 'INVALID_INPUT',
    exitCode: 1,
    hint: `Set "airflowVersion" back to ${rec.databaseVersion} (or \`airflow-ecs upgrade --to\` a newer one); to really go back, \`airflow-ecs rollback --downgrade-database\` to a release of ${version} runs \`airflow db downgrade --to-version ${version}\` first.`,
  })
}

/** The outcome, the services as they run now, the end time. Never hides the error that ended the release. */
export async function endRelease(ctx: AwsContext, rec: Recorder | undefined, error: unknown, extra: Partial<Release> = {}): Promise<Release | undefined> {
  if (!rec) return undefined
  try {
    const services = await liveServices(ctx).catch(() => rec.release.services)
    const v = rec.release.airflowVersion
    const db = rec.databaseVersion
    const databaseVersion = !rec.migrated ? db : v && db ? (compareVersions(v, db) > 0 ? v : db) : (v ?? db)
    if (!error) return await finishRelease(ctx, rec.release, 'succeeded', {...extra, services, databaseVersion})
    const mapped = mapError(error)
    // ECS's circuit breaker put the services back on what ran before.
    const outcome = mapped.code === 'ROLLOUT_FAILED' ? 'rolled-back' : 'failed'
    return await finishRelease(ctx, rec.release, outcome, {...extra, services, databaseVersion, error: mapped.message})
  } catch {
    return undefined
  }
}

/**
 * `dags deploy` published a new bundle version: a release with the live image and services,
 * written once, already finished (one more write than the publish). Best effort.
 */
export async function recordDagsRelease(ctx: AwsContext, version: string, note: (line: string) => void): Promise<number | undefined> {
  if (!ctx.deployment.bucket) return undefined
  try {
    const [history, who, services] = await Promise.all([recentReleases(ctx), whoAmI(ctx), liveServices(ctx).catch(() => ({}))])
    const previous = liveRelease(history)
    const now = new Date().toISOString()
    const release = await claimRelease(ctx, {
      kind: 'dags',
      outcome: 'succeeded',
      image: previous?.image,
      gitCommit: gitCommit(ctx.settings.projectRoot),
      airflowVersion: previous?.airflowVersion,
      databaseVersion: databaseVersion(history),
      services: Object.keys(services).length > 0 ? services : (previous?.services ?? {}),
      dagBundleVersion: version,
      who,
      startedAt: now,
      finishedAt: now,
    })
    return release.number
  } catch (error) {
    note(`The release of DAG bundle version ${version} was not recorded: ${mapError(error).message}`)
    return undefined
  }
}
