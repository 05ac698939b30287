// Releases: what was deployed, when, by whom, and how it ended, recorded in the AWS account
// itself so every checkout (and CI) sees the same history.
//
// Where: one JSON object per release in the deployment's own S3 bucket,
//   releases/<8-digit number>.json
// A number is taken with a conditional PutObject (If-None-Match: *): of two deploys that
// race for the same number, S3 lets exactly one create the object; the other gets 412 and
// takes the next number. The object is written "in-progress" when the release starts (that
// is also the lock `rollback` respects) and rewritten by its owner with the outcome.
// Why S3 and not SSM: the bucket already exists, belongs to the deployment (destroy empties
// it), has conditional writes, no 4 KB / 10,000-parameter limits, and costs nothing extra.
import {spawnSync} from 'node:child_process'

import {type AwsContext, s3Config} from '../aws/context.js'
import {CliError, isWriteConflict} from '../errors.js'

export const RELEASES_PREFIX = 'releases/'
/** An in-progress release younger than this holds the lock; an older one is a deploy that died. */
export const LOCK_TTL_MS = 60 * 60 * 1000

export type ReleaseKind = 'deploy' | 'upgrade' | 'dags' | 'rollback' | 'restore'
export type ReleaseOutcome = 'in-progress' | 'succeeded' | 'failed' | 'rolled-back'

export interface ReleaseService {
  service: string
  taskDefinition: string
  revision?: number
}

export interface Release {
  number: number
  kind: ReleaseKind
  outcome: ReleaseOutcome
  image?: string
  gitCommit?: string
  airflowVersion?: string
  /** The Airflow version of the database schema after this release (migrations only go up). */
  databaseVersion?: string
  /** Service name → the task definition it runs (DescribeServices after the rollout). */
  services: Record<string, ReleaseService>
  dagBundleVersion?: string
  /** The RDS snapshot taken before this release migrated the database. */
  snapshot?: string
  /** For a rollback: the release whose task definitions it restored. */
  rollbackOf?: number
  /** For a release a later rollback replaced: that rollback's number. */
  rolledBackBy?: number
  /** The snapshot the database was created from (deploy --restore-snapshot). */
  restoredFrom?: string
  who: {arn?: string; gitUser?: string}
  startedAt: string
  finishedAt?: string
  error?: string
}

const key = (n: number): string => `${RELEASES_PREFIX}${String(n).padStart(8, '0')}.json`

/** The release numbers the keys name, ascending. */
export function releaseNumbers(keys: string[]): number[] {
  return keys
    .map((k) => /^releases\/(\d{8})\.json$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}

/** The number the next release tries first. */
export function nextNumber(numbers: number[]): number {
  return numbers.length === 0 ? 1 : Math.max(...numbers) + 1
}

/** "3.3.2" ≤ "3.10.0": numeric, part by part. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0)
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}

/** The release that is live: the newest one that succeeded. */
export function liveRelease(releases: Release[]): Release | undefined {
  return [...releases].sort((a, b) => b.number - a.number).find((r) => r.outcome === 'succeeded')
}

/**
 * The Airflow version of the database: what the newest finished release says its schema is
 * (a release that failed after migrating still moved the schema).
 */
export function databaseVersion(releases: Release[]): string | undefined {
  const newest = [...releases].sort((a, b) => b.number - a.number).find((r) => r.databaseVersion || (r.outcome === 'succeeded' && r.airflowVersion))
  return newest?.databaseVersion ?? newest?.airflowVersion
}

/** An in-progress release that still holds the lock, if any. */
export function lockHolder(releases: Release[], now = Date.now()): Release | undefined {
  return releases.find((r) => r.outcome === 'in-progress' && now - Date.parse(r.startedAt) < LOCK_TTL_MS)
}

const sameTaskDefinitions = (a: Release['services'], b: Release['services']): boolean => {
  const names = Object.keys(a)
  return names.length > 0 && names.length === Object.keys(b).length && names.every((n) => b[n]?.taskDefinition === a[n].taskDefinition)
}

export {sameTaskDefinitions}

/** rollback's default target: the newest succeeded release before the live one that runs other task definitions. */
export function defaultRollbackTarget(releases: Release[], live: Release['services']): Release | undefined {
  return [...releases]
    .sort((a, b) => b.number - a.number)
    .find((r) => r.outcome === 'succeeded' && Object.keys(r.services).length > 0 && !sameTaskDefinitions(r.services, live))
}

export function releaseBucket(ctx: AwsContext): string | undefined {
  return ctx.deployment.bucket
}

async function s3(ctx: AwsContext) {
  const {S3Client} = await import('@aws-sdk/client-s3')
  return new S3Client(s3Config(ctx.clientConfig))
}

function noBucket(): CliError {
  return new CliError('The deployment has no bucket to record releases in (nothing deployed yet?).', {
    code: 'NO_DEPLOYMENT',
    hint: 'Run `airflow-ecs deploy` first; releases are recorded from then on.',
  })
}

async function listKeys(ctx: AwsContext): Promise<string[]> {
  const Bucket = releaseBucket(ctx)
  if (!Bucket) throw noBucket()
  const {ListObjectsV2Command} = await import('@aws-sdk/client-s3')
  const client = await s3(ctx)
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({Bucket, Prefix: RELEASES_PREFIX, ContinuationToken: token}))
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return keys
}

/** The newest `limit` releases (all without a limit), newest first. */
export async function listReleases(ctx: AwsContext, limit?: number): Promise<Release[]> {
  const Bucket = releaseBucket(ctx)
  if (!Bucket) throw noBucket()
  const numbers = releaseNumbers(await listKeys(ctx)).reverse()
  const wanted = limit === undefined ? numbers : numbers.slice(0, limit)
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  const client = await s3(ctx)
  const out: Release[] = []
  for (let i = 0; i < wanted.length; i += 16) {
    const batch = await Promise.all(
      wanted.slice(i, i + 16).map(async (n) => {
        const got = await client.send(new GetObjectCommand({Bucket, Key: key(n)}))
        try {
          return JSON.parse(await got.Body!.transformToString()) as Release
        } catch {
          return undefined
        }
      }),
    )
    out.push(...batch.filter((r): r is Release => Boolean(r)))
  }
  return out
}

/** How many of the newest releases a deploy reads: enough to find the live one, bounded so a long history stays fast. */
export const RECENT_RELEASES = 50

/**
 * The newest releases, enough to know the live one and the database's version: a deploy or a
 * `dags deploy` reads this window, not the whole history (hundreds of DAG releases a month).
 * Only when no release of the window succeeded is the rest read.
 */
export async function recentReleases(ctx: AwsContext): Promise<Release[]> {
  const window = await listReleases(ctx, RECENT_RELEASES)
  if (window.length < RECENT_RELEASES || liveRelease(window)) return window
  return listReleases(ctx)
}

/** Who runs this: the STS caller and the git user of the project. */
export async function whoAmI(ctx: AwsContext): Promise<Release['who']> {
  const gitUser = spawnSync('git', ['config', 'user.name'], {cwd: ctx.settings.projectRoot, encoding: 'utf8'}).stdout?.trim() || undefined
  try {
    const {GetCallerIdentityCommand, STSClient} = await import('@aws-sdk/client-sts')
    const id = await new STSClient(ctx.clientConfig).send(new GetCallerIdentityCommand({}))
    return {arn: id.Arn, gitUser}
  } catch {
    return {gitUser}
  }
}

export function gitCommit(projectRoot: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], {cwd: projectRoot, encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() || undefined : undefined
}

/** Takes the next free number (a conditional create) and writes the release in progress. */
export async function claimRelease(ctx: AwsContext, release: Omit<Release, 'number'>): Promise<Release> {
  const Bucket = releaseBucket(ctx)
  if (!Bucket) throw noBucket()
  const {PutObjectCommand} = await import('@aws-sdk/client-s3')
  const client = await s3(ctx)
  let n = nextNumber(releaseNumbers(await listKeys(ctx)))
  for (let attempt = 0; attempt < 20; attempt++, n++) {
    const full: Release = {number: n, ...release}
    try {
      await client.send(new PutObjectCommand({Bucket, Key: key(n), Body: JSON.stringify(full, null, 2), ContentType: 'application/json', IfNoneMatch: '*'}))
      return full
    } catch (error) {
      // Another release took this number first (or wrote at the same moment): the next one.
      if (isWriteConflict(error)) continue
      throw error
    }
  }
  throw new CliError('Could not take a release number: other deploys keep taking them.', {code: 'UNEXPECTED', hint: 'Try again in a minute.'})
}

/** Rewrites a release this run owns (its outcome, services, end time). */
export async function saveRelease(ctx: AwsContext, release: Release): Promise<void> {
  const Bucket = releaseBucket(ctx)
  if (!Bucket) throw noBucket()
  const {PutObjectCommand} = await import('@aws-sdk/client-s3')
  await (await s3(ctx)).send(new PutObjectCommand({Bucket, Key: key(release.number), Body: JSON.stringify(release, null, 2), ContentType: 'application/json'}))
}

/** Every service of the cluster and the task definition it runs now (generic: whatever services exist). */
export async function liveServices(ctx: AwsContext): Promise<Release['services']> {
  const {DescribeServicesCommand, ECSClient, ListServicesCommand} = await import('@aws-sdk/client-ecs')
  const ecs = new ECSClient(ctx.clientConfig)
  const cluster = ctx.deployment.cluster.name
  const arns: string[] = []
  let token: string | undefined
  do {
    const page = await ecs.send(new ListServicesCommand({cluster, nextToken: token}))
    arns.push(...(page.serviceArns ?? []))
    token = page.nextToken
  } while (token)
  const out: Release['services'] = {}
  for (let i = 0; i < arns.length; i += 10) {
    const {services} = await ecs.send(new DescribeServicesCommand({cluster, services: arns.slice(i, i + 10)}))
    for (const s of services ?? []) {
      if (!s.serviceName || !s.taskDefinition || s.status === 'INACTIVE') continue
      const revision = Number(s.taskDefinition.split(':').pop())
      out[s.serviceName] = {service: s.serviceName, taskDefinition: s.taskDefinition, ...(Number.isInteger(revision) ? {revision} : {})}
    }
  }
  return out
}

/** Best effort: a failure to record must not hide the error that ended the release. */
export async function finishRelease(ctx: AwsContext, release: Release, outcome: ReleaseOutcome, extra: Partial<Release> = {}): Promise<Release> {
  const done: Release = {...release, ...extra, outcome, finishedAt: extra.finishedAt ?? new Date().toISOString()}
  await saveRelease(ctx, done)
  return done
}
