// RDS snapshots of the metadata database: the one `deploy` takes before an Airflow version
// change migrates the schema (named after the release), their retention, and the final one
// `destroy` leaves (named after the project, the Terraform workspace and the time).
import {type AwsContext} from '../aws/context.js'
import {CliError, invalid, mapError} from '../errors.js'
import {pollIntervalMs} from '../ecs/standalone.js'
import {sleep} from '../time.js'
import {tableFor} from '../cost/prices.js'

export const DEFAULT_SNAPSHOT_RETENTION = 5

const stamp = (d: Date): string => d.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')

/** `<project>-release-<n>-<YYYYMMDD-HHMM>`: the release's number and when (numbers restart after a destroy). */
export function releaseSnapshotName(project: string, release: number, now = new Date()): string {
  return `${project}-release-${release}-${stamp(now)}`
}

export const releaseSnapshotPrefix = (project: string): string => `${project}-release-`

/** `<project>-<workspace>-final-<YYYYMMDD-HHMM>`: unique per destroy (one a minute at most). */
export function finalSnapshotName(project: string, workspace: string, now = new Date()): string {
  return `${project}-${workspace.replace(/[^a-zA-Z0-9]+/g, '-')}-final-${stamp(now)}`.replace(/-+/g, '-')
}

/** "snapshots": {"keep": N} in airflow-ecs.json, default 5; at least 1 (the newest is never deleted). */
export function snapshotRetention(file: Record<string, unknown>): number {
  const keep = (file.snapshots as {keep?: unknown} | undefined)?.keep
  return typeof keep === 'number' && Number.isInteger(keep) && keep >= 1 ? keep : DEFAULT_SNAPSHOT_RETENTION
}

export interface SnapshotInfo {
  id: string
  createdAt: number
}

/** Which of the CLI's release snapshots to delete: all but the newest `keep` (never the newest). */
export function snapshotsToDelete(snapshots: SnapshotInfo[], keep: number): string[] {
  const newestFirst = [...snapshots].sort((a, b) => b.createdAt - a.createdAt)
  return newestFirst.slice(Math.max(1, keep)).map((s) => s.id)
}

/** What a snapshot of `allocatedGb` costs a month at most (RDS bills what it holds, up to the allocation). */
export function snapshotMonthlyUsd(allocatedGb: number, region: string): number {
  const price = tableFor(region).prices['rds.snapshotGbMonth']?.usd ?? 0
  return Math.round(allocatedGb * price * 100) / 100
}

async function rds(ctx: AwsContext) {
  const m = await import('@aws-sdk/client-rds')
  return {m, client: new m.RDSClient(ctx.clientConfig)}
}

export function databaseIdentifier(ctx: AwsContext): string {
  const id = ctx.deployment.database?.identifier
  if (!id) throw new CliError('The deployment names no database.', {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` first.'})
  return id
}

/** Creates the snapshot and waits until RDS calls it available. A refusal (quota, permission) says what to do. */
export async function createSnapshot(ctx: AwsContext, name: string, log: (line: string) => void, timeoutMs = 60 * 60 * 1000): Promise<{id: string; createdAt?: Date}> {
  const {m, client} = await rds(ctx)
  const instance = databaseIdentifier(ctx)
  try {
    await client.send(
      new m.CreateDBSnapshotCommand({
        DBInstanceIdentifier: instance,
        DBSnapshotIdentifier: name,
        Tags: [
          {Key: 'airflow-ecs:project', Value: ctx.deployment.project},
          {Key: 'airflow-ecs:purpose', Value: 'before-migrate'},
        ],
      }),
    )
  } catch (error) {
    const e = error as {name?: string}
    const why = e.name === 'SnapshotQuotaExceededFault' || e.name === 'SnapshotQuotaExceeded' ? 'the account is at its RDS snapshot quota' : mapError(error).message
    throw new CliError(`RDS refused the snapshot ${name} of ${instance}: ${why}. Nothing was migrated or rolled out.`, {
      code: mapError(error).code === 'ACCESS_DENIED' ? 'ACCESS_DENIED' : 'UNEXPECTED',
      cause: error,
      hint:
        e.name?.startsWith('SnapshotQuota')
          ? 'Delete old manual snapshots (`aws rds describe-db-snapshots --snapshot-type manual`) or ask AWS for a higher quota, then deploy again.'
          : 'Allow rds:CreateDBSnapshot and rds:DescribeDBSnapshots for your identity (or fix what RDS reports), then deploy again.',
    })
  }
  log(`snapshot ${name} of ${instance} requested`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = (await client.send(new m.DescribeDBSnapshotsCommand({DBSnapshotIdentifier: name}))).DBSnapshots?.[0]
    if (found?.Status === 'available') return {id: name, createdAt: found.SnapshotCreateTime}
    if (found?.Status && ['failed', 'deleted', 'incompatible-restore'].includes(found.Status)) {
      throw new CliError(`The snapshot ${name} ended ${found.Status}. Nothing was migrated or rolled out.`, {code: 'UNEXPECTED', hint: 'Check the RDS console for why, then deploy again.'})
    }
    if (Date.now() > deadline) throw new CliError(`The snapshot ${name} was not available in time.`, {code: 'TIMEOUT', hint: 'Wait for it in the RDS console, then deploy again.'})
    log(`snapshot ${name}: ${found?.Status ?? 'pending'}${found?.PercentProgress === undefined ? '' : ` ${found.PercentProgress}%`}`)
    await sleep(pollIntervalMs(10_000))
  }
}

/** Deletes the CLI's release snapshots beyond the newest `keep` of this project. Returns what it deleted. */
export async function pruneSnapshots(ctx: AwsContext, keep: number): Promise<string[]> {
  const {m, client} = await rds(ctx)
  const prefix = releaseSnapshotPrefix(ctx.deployment.project)
  const mine: SnapshotInfo[] = []
  let marker: string | undefined
  do {
    const page = await client.send(new m.DescribeDBSnapshotsCommand({SnapshotType: 'manual', Marker: marker}))
    for (const s of page.DBSnapshots ?? []) {
      if (s.DBSnapshotIdentifier?.startsWith(prefix) && s.Status === 'available') mine.push({id: s.DBSnapshotIdentifier, createdAt: s.SnapshotCreateTime?.getTime() ?? 0})
    }
    marker = page.Marker
  } while (marker)
  const doomed = snapshotsToDelete(mine, keep)
  for (const id of doomed) await client.send(new m.DeleteDBSnapshotCommand({DBSnapshotIdentifier: id}))
  return doomed
}

/** The commands that bring a snapshot back, shown whenever one is named. */
export function restoreHint(snapshot: string): string {
  return `Restore it into a new deployment with \`airflow-ecs destroy\` then \`airflow-ecs deploy --restore-snapshot ${snapshot}\` (or restore it by hand: \`aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier ${snapshot} --db-instance-identifier NEW\`).`
}

/** An RDS snapshot identifier: a letter first, letters, digits and single hyphens, not ending in one. */
export function checkSnapshotName(name: string, flag: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/.test(name) || name.includes('--') || name.endsWith('-')) {
    throw invalid(`${flag}: "${name}" is not an RDS snapshot name.`, 'Give the name `destroy` printed (e.g. airflow-default-final-20261202-1330); `aws rds describe-db-snapshots` lists them.')
  }
  return name
}
