// The S3 DAG bundle: what `dags deploy`, `dags versions` and `dags rollback` do to the bucket.
//
// Layout under the deployment's bucket (see infra-terraform/README.md, "DAG bundle"):
//   dags/live/<path>          what Airflow's S3DagBundle syncs (the only prefix Airflow reads)
//   dags/objects/<sha256>     every published file content, written once, never changed
//   dags/versions/<id>.json   one manifest per published version, written once
// A publish stores new contents first (nothing live changes), then writes the changed files
// into dags/live/ and deletes the removed ones, and records the manifest last. The live
// prefix is diffed against S3 itself (ETag = MD5 of a single-part upload), so only what
// changed is written, and a run with no change writes nothing.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {userInfo} from 'node:os'

import {type AwsContext, s3Config} from '../aws/context.js'
import {CliError, isNotFoundError} from '../errors.js'
import {type LocalFile} from './files.js'

export interface BundleTarget {
  bucket: string
  /** dags */
  prefix: string
  /** dags/live: the prefix S3DagBundle syncs. */
  livePrefix: string
  refreshInterval: number
  /** The bundle's name in Airflow ([dag_processor] dag_bundle_config_list). */
  bundleName: string
}

export interface ManifestFile {
  sha256: string
  md5: string
  size: number
}

export interface Manifest {
  version: string
  createdAt: string
  author: string
  gitCommit?: string
  message?: string
  /** Set when this version restores an earlier one. */
  rollbackOf?: string
  files: Record<string, ManifestFile>
}

export interface Change {
  added: string[]
  changed: string[]
  removed: string[]
}

export interface PublishResult {
  version: string
  published: boolean
  bucket: string
  change: Change
  /** Requests that wrote to S3 (PUT, COPY, DELETE): the cost of this publish. */
  writes: number
  refreshInterval: number
}

const CONCURRENCY = 16

async function s3Client(ctx: AwsContext) {
  const {S3Client} = await import('@aws-sdk/client-s3')
  return new S3Client(s3Config(ctx.clientConfig))
}
type S3 = Awaited<ReturnType<typeof s3Client>>

/** Where this deployment's bundle lives; a deployment without one says what to do. */
export function bundleTarget(ctx: AwsContext): BundleTarget {
  const raw = ctx.deployment.raw.dags as Record<string, unknown> | undefined
  const bucket = (typeof raw?.bucket === 'string' && raw.bucket) || ctx.deployment.bucket
  if (raw?.source === 'image') {
    throw new CliError('This deployment reads its DAGs from the image (dags.source "image"), not from an S3 bundle.', {
      code: 'INVALID_INPUT',
      hint: 'Ship DAG changes with `airflow-ecs deploy`, or set "dags": {"source": "bundle"} in airflow-ecs.json and deploy once.',
    })
  }
  if (!bucket) {
    throw new CliError('The deployment has no bucket for the DAG bundle (nothing deployed yet?).', {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` first; it creates the bucket and publishes dags/.',
    })
  }
  const prefix = typeof raw?.prefix === 'string' && raw.prefix ? raw.prefix : 'dags'
  return {
    bucket,
    prefix,
    livePrefix: typeof raw?.live_prefix === 'string' && raw.live_prefix ? raw.live_prefix : `${prefix}/live`,
    refreshInterval: typeof raw?.refresh_interval === 'number' ? raw.refresh_interval : 300,
    bundleName: typeof raw?.bundle_name === 'string' && raw.bundle_name ? raw.bundle_name : 's3-dags',
  }
}

/** Runs `work` on every item, at most `limit` at a time; the first failure rejects after the running ones settle. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failure: unknown
  const runners = Array.from({length: Math.min(limit, items.length)}, async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]
      try {
        await work(item)
      } catch (error) {
        failure ??= error
      }
    }
  })
  await Promise.all(runners)
  if (failure !== undefined) throw failure
}

async function listKeys(s3: S3, bucket: string, prefix: string): Promise<Array<{key: string; etag: string; size: number}>> {
  const {ListObjectsV2Command} = await import('@aws-sdk/client-s3')
  const out: Array<{key: string; etag: string; size: number}> = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({Bucket: bucket, Prefix: prefix, ContinuationToken: token}))
    for (const o of page.Contents ?? []) out.push({key: o.Key!, etag: (o.ETag ?? '').replace(/"/g, ''), size: o.Size ?? 0})
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  return out
}

/** The live prefix as Airflow sees it: path -> MD5 (the ETag of a single-part upload). */
async function liveFiles(s3: S3, t: BundleTarget): Promise<Map<string, string>> {
  const keys = await listKeys(s3, t.bucket, `${t.livePrefix}/`)
  return new Map(keys.filter((k) => !k.key.endsWith('/')).map((k) => [k.key.slice(t.livePrefix.length + 1), k.etag]))
}

export async function versionIds(s3: S3, t: BundleTarget): Promise<string[]> {
  const keys = await listKeys(s3, t.bucket, `${t.prefix}/versions/`)
  return keys
    .map((k) => k.key.slice(`${t.prefix}/versions/`.length))
    .filter((k) => k.endsWith('.json') && !k.includes('/'))
    .map((k) => k.slice(0, -'.json'.length))
    .sort()
}

async function readManifest(s3: S3, t: BundleTarget, version: string): Promise<Manifest> {
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  const r = await s3.send(new GetObjectCommand({Bucket: t.bucket, Key: `${t.prefix}/versions/${version}.json`}))
  return JSON.parse(await r.Body!.transformToString()) as Manifest
}

function git(cwd: string, args: string[]): string | undefined {
  const r = spawnSync('git', args, {cwd, encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() || undefined : undefined
}

function newVersionId(files: Record<string, ManifestFile>, now: Date): string {
  // Sortable to the millisecond: the newest version is the last id.
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-')
  const digest = createHash('sha256')
  for (const [path, f] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) digest.update(`${path}\0${f.sha256}\n`)
  return `${stamp}-${digest.digest('hex').slice(0, 8)}`
}

function sameFiles(a: Record<string, ManifestFile>, b: Record<string, ManifestFile>): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => b[k]?.sha256 === a[k].sha256)
}

function diff(live: Map<string, string>, wanted: Record<string, ManifestFile>): Change {
  const added: string[] = []
  const changed: string[] = []
  for (const [path, f] of Object.entries(wanted)) {
    const etag = live.get(path)
    if (etag === undefined) added.push(path)
    else if (etag !== f.md5) changed.push(path)
  }
  const removed = [...live.keys()].filter((p) => !(p in wanted))
  return {added: added.sort(), changed: changed.sort(), removed: removed.sort()}
}

/** An access problem on the bucket, said as such. */
function bucketError(error: unknown, t: BundleTarget, doing: string): never {
  const e = error as {name?: string; $metadata?: {httpStatusCode?: number}}
  if (e.name === 'NoSuchBucket') {
    throw new CliError(`The bucket ${t.bucket} does not exist (the deployment was destroyed?).`, {code: 'NO_DEPLOYMENT', cause: error, hint: 'Run `airflow-ecs deploy` to create it.'})
  }
  if (e.name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) {
    throw new CliError(`Access denied ${doing} s3://${t.bucket}/${t.prefix}/.`, {
      code: 'ACCESS_DENIED',
      cause: error,
      hint: `Use credentials allowed s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject on ${t.prefix}/* (--profile, AWS_PROFILE).`,
    })
  }
  throw error
}

export interface Contents {
  /** Bytes of a file, by path; when absent the content is copied from dags/objects/. */
  body?: (path: string) => Buffer | undefined
}

/**
 * Makes the live prefix hold exactly `wanted` and records the manifest. Contents not yet in
 * dags/objects/ are stored first; a failure while writing the live prefix puts back what was
 * live before (from dags/objects/) and says so.
 */
async function apply(s3: S3, t: BundleTarget, wanted: Record<string, ManifestFile>, meta: Omit<Manifest, 'files' | 'version' | 'createdAt'>, contents: Contents): Promise<PublishResult> {
  const {CopyObjectCommand, DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand} = await import('@aws-sdk/client-s3')
  let writes = 0
  const [live, versions] = await Promise.all([liveFiles(s3, t), versionIds(s3, t)])
  const current = versions.length > 0 ? await readManifest(s3, t, versions.at(-1)!) : undefined
  const change = diff(live, wanted)
  const nothingToWrite = change.added.length + change.changed.length + change.removed.length === 0
  if (nothingToWrite && current && sameFiles(current.files, wanted)) {
    return {version: current.version, published: false, bucket: t.bucket, change, writes, refreshInterval: t.refreshInterval}
  }

  // 1. Contents: each new one once, under its hash. Nothing Airflow reads changes yet.
  const known = new Set(Object.values(current?.files ?? {}).map((f) => f.sha256))
  const toStore = [...new Map([...change.added, ...change.changed].map((p) => [wanted[p].sha256, p])).entries()].filter(([sha]) => !known.has(sha))
  await pool(toStore, CONCURRENCY, async ([sha, path]) => {
    const Key = `${t.prefix}/objects/${sha}`
    const body = contents.body?.(path)
    if (!body) return // a rollback: the content is there already
    try {
      await s3.send(new HeadObjectCommand({Bucket: t.bucket, Key}))
      return
    } catch (error) {
      if (!isNotFoundError(error)) throw error
    }
    writes++
    await s3.send(new PutObjectCommand({Bucket: t.bucket, Key, Body: body, ContentType: 'application/octet-stream'}))
  })

  // 2. The live prefix: new files first, then changed ones, removals last.
  const liveKey = (path: string) => `${t.livePrefix}/${path}`
  const write = async (path: string): Promise<void> => {
    const body = contents.body?.(path)
    writes++
    if (body) await s3.send(new PutObjectCommand({Bucket: t.bucket, Key: liveKey(path), Body: body, ContentType: path.endsWith('.py') ? 'text/x-python' : 'application/octet-stream'}))
    else await s3.send(new CopyObjectCommand({Bucket: t.bucket, Key: liveKey(path), CopySource: `${t.bucket}/${t.prefix}/objects/${wanted[path].sha256}`}))
  }
  const written: string[] = []
  try {
    await pool([...change.added, ...change.changed], CONCURRENCY, async (path) => {
      await write(path)
      written.push(path)
    })
    for (let i = 0; i < change.removed.length; i += 1000) {
      writes++
      await s3.send(new DeleteObjectsCommand({Bucket: t.bucket, Delete: {Objects: change.removed.slice(i, i + 1000).map((p) => ({Key: liveKey(p)})), Quiet: true}}))
    }
  } catch (error) {
    const restored = await restore(s3, t, written, current).catch(() => false)
    const e = error as {name?: string; message?: string}
    throw new CliError(
      `Upload to s3://${t.bucket}/${t.livePrefix}/ failed after ${written.length} of ${change.added.length + change.changed.length} files (${e.name ?? 'Error'}: ${e.message ?? error}); ${
        restored ? `what was live before${current ? ` (version ${current.version})` : ''} is live again` : 'the live prefix may now mix old and new files'
      }. No new version was recorded.`,
      {
        code: e.name === 'AccessDenied' ? 'ACCESS_DENIED' : 'UNEXPECTED',
        cause: error,
        hint: restored
          ? 'Fix the cause (access, network) and run `airflow-ecs dags deploy` again.'
          : `Run \`airflow-ecs dags ${current ? `rollback ${current.version}` : 'deploy'}\` once the cause is fixed.`,
      },
    )
  }

  // 3. The manifest, last: a version exists only once its files are live.
  const createdAt = new Date()
  const version = newVersionId(wanted, createdAt)
  const manifest: Manifest = {version, createdAt: createdAt.toISOString(), ...meta, files: wanted}
  writes++
  await s3.send(new PutObjectCommand({Bucket: t.bucket, Key: `${t.prefix}/versions/${version}.json`, Body: `${JSON.stringify(manifest, null, 2)}\n`, ContentType: 'application/json'}))
  return {version, published: true, bucket: t.bucket, change, writes, refreshInterval: t.refreshInterval}
}

/** Puts back, from dags/objects/, the live files a failed publish had already overwritten. */
async function restore(s3: S3, t: BundleTarget, written: string[], previous: Manifest | undefined): Promise<boolean> {
  const {CopyObjectCommand, DeleteObjectsCommand} = await import('@aws-sdk/client-s3')
  const back = written.filter((p) => previous?.files[p])
  const drop = written.filter((p) => !previous?.files[p])
  await pool(back, CONCURRENCY, async (p) => {
    await s3.send(new CopyObjectCommand({Bucket: t.bucket, Key: `${t.livePrefix}/${p}`, CopySource: `${t.bucket}/${t.prefix}/objects/${previous!.files[p].sha256}`}))
  })
  if (drop.length > 0) await s3.send(new DeleteObjectsCommand({Bucket: t.bucket, Delete: {Objects: drop.map((p) => ({Key: `${t.livePrefix}/${p}`})), Quiet: true}}))
  return true
}

export interface PublishOptions {
  dir: string
  message?: string
}

/** `dags deploy`: publishes the checked local files as a new version (or nothing, when nothing changed). */
export async function publish(ctx: AwsContext, files: LocalFile[], options: PublishOptions): Promise<PublishResult> {
  const t = bundleTarget(ctx)
  const s3 = await s3Client(ctx)
  const wanted = Object.fromEntries(files.map((f) => [f.path, {sha256: f.sha256, md5: f.md5, size: f.size}]))
  const bodies = new Map(files.map((f) => [f.path, f.body]))
  const meta = {
    author: git(options.dir, ['config', 'user.email']) ?? userInfo().username,
    gitCommit: git(options.dir, ['rev-parse', 'HEAD']),
    ...(options.message ? {message: options.message} : {}),
  }
  try {
    return await apply(s3, t, wanted, meta, {body: (p) => bodies.get(p)})
  } catch (error) {
    if (error instanceof CliError) throw error
    return bucketError(error, t, 'publishing the DAG bundle to')
  }
}

export interface VersionRow extends Omit<Manifest, 'files'> {
  files: number
  live: boolean
}

/** Every published version, newest first; the newest is the live one. */
export async function listVersions(ctx: AwsContext): Promise<VersionRow[]> {
  const t = bundleTarget(ctx)
  const s3 = await s3Client(ctx)
  try {
    const ids = await versionIds(s3, t)
    const manifests: Manifest[] = []
    await pool(ids, CONCURRENCY, async (id) => {
      manifests.push(await readManifest(s3, t, id))
    })
    manifests.sort((a, b) => b.version.localeCompare(a.version))
    return manifests.map((m, i) => ({
      version: m.version,
      createdAt: m.createdAt,
      author: m.author,
      gitCommit: m.gitCommit,
      message: m.message,
      rollbackOf: m.rollbackOf,
      files: Object.keys(m.files).length,
      live: i === 0,
    }))
  } catch (error) {
    return bucketError(error, t, 'reading the DAG bundle versions in')
  }
}

/** `dags rollback`: the live prefix becomes byte for byte what `version` held (default: the version before the live one). */
export async function rollback(ctx: AwsContext, version?: string): Promise<PublishResult & {target: string}> {
  const t = bundleTarget(ctx)
  const s3 = await s3Client(ctx)
  try {
    const ids = await versionIds(s3, t)
    if (ids.length === 0) throw new CliError('No DAG bundle version has been published yet.', {code: 'NOT_FOUND', hint: 'Publish one with `airflow-ecs dags deploy`.'})
    let target = version
    if (!target) {
      if (ids.length < 2) throw new CliError(`Only one version (${ids[0]}) has been published: there is nothing to roll back to.`, {code: 'NOT_FOUND', hint: '`airflow-ecs dags versions` lists them.'})
      target = ids.at(-2)!
    } else if (!ids.includes(target)) {
      const matches = ids.filter((id) => id.startsWith(target!) || id.endsWith(target!))
      if (matches.length !== 1) {
        throw new CliError(`No DAG bundle version ${target}${matches.length > 1 ? ' (ambiguous)' : ''}.`, {code: 'NOT_FOUND', hint: '`airflow-ecs dags versions` lists the versions.'})
      }
      target = matches[0]
    }
    const manifest = await readManifest(s3, t, target)
    const result = await apply(s3, t, manifest.files, {author: userInfo().username, rollbackOf: target, message: `rollback to ${target}`}, {})
    return {...result, target}
  } catch (error) {
    if (error instanceof CliError) throw error
    return bucketError(error, t, 'rolling back the DAG bundle in')
  }
}

/**
 * When a version was complete, by S3's clock: its manifest is written after every live file,
 * and LastModified has whole seconds, so one second is added.
 */
export async function versionCompleteAt(ctx: AwsContext, version: string): Promise<Date> {
  const t = bundleTarget(ctx)
  const s3 = await s3Client(ctx)
  const {HeadObjectCommand} = await import('@aws-sdk/client-s3')
  try {
    const head = await s3.send(new HeadObjectCommand({Bucket: t.bucket, Key: `${t.prefix}/versions/${version}.json`}))
    return new Date((head.LastModified ?? new Date()).getTime() + 1000)
  } catch (error) {
    return bucketError(error, t, 'reading the DAG bundle version in')
  }
}

/** One line: what changed, by count and name. */
export function describeChange(c: Change, limit = 10): string {
  const part = (label: string, names: string[]) => (names.length === 0 ? `${label} 0` : `${label} ${names.length} (${names.slice(0, limit).join(', ')}${names.length > limit ? ', …' : ''})`)
  return [part('added', c.added), part('changed', c.changed), part('removed', c.removed)].join(', ')
}
