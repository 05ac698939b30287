// The Terraform state in the account: one bucket per account and region (created once, never
// destroyed), one object per environment, Terraform's S3 backend with S3-native locking.
//   - Where: "state" in airflow-ecs.json names a bucket/key/region, else the CLI's own bucket
//     airflow-ecs-state-<account>-<region> and the key <project>/terraform.tfstate. The place is
//     cached per environment (keyed by profile, region and endpoint), so a day-2 command asks STS
//     once per checkout.
//   - The bucket: versioning, default encryption, public access blocked, non-TLS refused. An
//     existing one is checked (its region, its versioning), never changed.
//   - The backend: airflow-ecs.backend.tf, written by the CLI into the Terraform folder.
//   - Reading: outputs come from the state object itself (GetObject), cached by its ETag, so
//     url/logs/exec/status make one HeadObject and start no terraform.
//   - Moving a local state there, and what a deploy or destroy prepares: ./prepare.ts.
//   - Locking: ./lock.ts.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {S3Client} from '@aws-sdk/client-s3'

import {clientConfig, s3Config} from '../aws/context.js'
import {
  type OutputCache,
  type Settings,
  ensureCacheDir,
  readOutputCache,
  stateWhere,
  workspace,
  writeOutputCache,
  writePrivate,
} from '../config/resolver.js'
import {CliError, httpStatus, isNotFoundError, oneLine} from '../errors.js'

export interface StateLocation {
  bucket: string
  /** The key airflow-ecs.json gives (the backend's "key"). */
  key: string
  /** The object Terraform reads and writes: the key, under env:/<workspace>/ for a workspace other than default. */
  objectKey: string
  region: string
  /** The CLI's own bucket (created by it when missing), not one named in airflow-ecs.json. */
  own: boolean
}


type Json = Record<string, unknown>

/** How a message names the environment. */
export function described(settings: Pick<Settings, 'env' | 'project'>): string {
  return settings.env ? `environment "${settings.env}" (${settings.project})` : `project ${settings.project}`
}

/** The flag that names the environment again in a suggested command. */
export function envFlag(settings: Pick<Settings, 'env'>): string {
  return settings.env ? ` --env ${settings.env}` : ''
}

export const s3Uri = (loc: Pick<StateLocation, 'bucket' | 'objectKey'>): string => `s3://${loc.bucket}/${loc.objectKey}`

export async function s3Client(settings: Settings, region: string): Promise<S3Client> {
  const {S3Client} = await import('@aws-sdk/client-s3')
  return new S3Client(s3Config(clientConfig(settings, region)))
}

// ---------------------------------------------------------------------------
// Where the state is.

interface LocationCache {
  for: string
  location: StateLocation
}

/** What the cached place depends on: who asks, where, and what airflow-ecs.json says. */
function locationKey(settings: Settings): string {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? ''
  return JSON.stringify({profile: settings.profile ?? process.env.AWS_PROFILE ?? '', region: settings.region ?? '', endpoint, state: settings.state, ws: workspace(settings.terraformDir)})
}

/** The bucket's ARN partition for a region (aws, aws-cn, aws-us-gov). */
export function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
}

/** Caches are kept in a project only: a folder without airflow-ecs.json (or a module) gets no .airflow-ecs/. */
const inProject = (settings: Settings): boolean => Boolean(settings.projectFile) || settings.infra === 'project'

/** The CLI's own state bucket of an account and region. */
export function defaultStateBucket(account: string, region: string): string {
  return `airflow-ecs-state-${account}-${region}`
}

/** The environment's state location: from airflow-ecs.json, or the CLI's bucket (one STS call, then cached). */
export async function stateLocation(settings: Settings): Promise<StateLocation> {
  if (settings.state.backend !== 's3') throw new Error('stateLocation: the state is local')
  const cacheFile = join(settings.cacheDir, 'state-location.json')
  const key = locationKey(settings)
  try {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as LocationCache
    if (cached.for === key && cached.location?.bucket) return cached.location
  } catch {
    // No cache, or a damaged one: asked again below.
  }
  const {state} = settings
  let region = state.region ?? settings.region
  let bucket = state.bucket
  if (!bucket || !region) {
    const {GetCallerIdentityCommand, STSClient} = await import('@aws-sdk/client-sts')
    const sts = new STSClient(clientConfig(settings))
    region ??= await sts.config.region().catch(() => undefined)
    if (!region) {
      throw new CliError('No AWS region: the state bucket is per region.', {code: 'NO_REGION', hint: 'Pass --region, set AWS_REGION, or set "region" in airflow-ecs.json (`airflow-ecs init` asks).'})
    }
    if (!bucket) {
      const {Account} = await sts.send(new GetCallerIdentityCommand({}))
      bucket = defaultStateBucket(Account!, region)
    }
  }
  const ws = workspace(settings.terraformDir)
  const location: StateLocation = {bucket, key: state.key, objectKey: ws === 'default' ? state.key : `env:/${ws}/${state.key}`, region, own: !state.bucket}
  if (inProject(settings)) {
    ensureCacheDir(settings.cacheDir)
    writePrivate(cacheFile, JSON.stringify({for: key, location} satisfies LocationCache))
  }
  return location
}

/** Where the environment's state is, as status and env list show it: s3://…, a local folder, or the module's own backend. */
export async function stateAddress(settings: Settings): Promise<string> {
  const where = stateWhere(settings)
  if (where === 'local') return `local: ${settings.terraformDir}`
  if (where === 'custom') return `the module's own backend (${settings.terraformDir})`
  return s3Uri(await stateLocation(settings))
}

// ---------------------------------------------------------------------------
// Reading the state (day-2: one HeadObject when nothing changed).

function noDeployment(settings: Settings, loc: StateLocation): CliError {
  return new CliError(`No deployment found for ${described(settings)}: there is no Terraform state at ${s3Uri(loc)}.`, {
    code: 'NO_DEPLOYMENT',
    hint: `Run \`airflow-ecs deploy${envFlag(settings)}\` first${settings.environments.length > 0 && !settings.env ? ` (or pick an environment: --env ${settings.environments[0]}; \`airflow-ecs env list\` shows them)` : ''}.`,
  })
}

function corrupt(loc: StateLocation, why: string): CliError {
  return new CliError(`The Terraform state at ${s3Uri(loc)} is not a state Terraform can read (${why}); nothing was changed.`, {
    code: 'STATE_INVALID',
    hint: `The bucket keeps every version: list them (aws s3api list-object-versions --bucket ${loc.bucket} --prefix ${loc.objectKey}), copy the last good one back (aws s3api copy-object --bucket ${loc.bucket} --key ${loc.objectKey} --copy-source ${loc.bucket}/${loc.objectKey}?versionId=ID), then run the command again.`,
  })
}

/** A state document's outputs and resources; a document that is not a Terraform state is refused. */
function parseState(text: string, loc: StateLocation): {outputs: OutputCache['outputs']; resources: unknown[]} {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw corrupt(loc, `not JSON: ${oneLine((error as Error).message, 80)}`)
  }
  const state = parsed as Json
  if (!state || typeof state !== 'object' || Array.isArray(state) || typeof state.version !== 'number' || typeof state.lineage !== 'string') {
    throw corrupt(loc, 'no version or lineage')
  }
  const outputs = state.outputs
  if (outputs !== undefined && (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs))) throw corrupt(loc, 'its outputs are not an object')
  return {outputs: (outputs ?? {}) as OutputCache['outputs'], resources: Array.isArray(state.resources) ? state.resources : []}
}

/** A state document's outputs; a document that is not a Terraform state is refused. */
export function stateOutputs(text: string, loc: StateLocation): OutputCache['outputs'] {
  return parseState(text, loc).outputs
}

/** How many resources the state object holds; undefined when there is no object. */
export async function remoteResourceCount(settings: Settings, loc: StateLocation): Promise<number | undefined> {
  const client = await s3Client(settings, loc.region)
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  try {
    const got = await client.send(new GetObjectCommand({Bucket: loc.bucket, Key: loc.objectKey}))
    return parseState(await got.Body!.transformToString(), loc).resources.length
  } catch (error) {
    if (isNotFoundError(error)) return undefined
    throw error
  }
}

/** The outputs of a state in S3, from the cache while the object's ETag is the one cached. */
export async function remoteOutputs(settings: Settings, options: {refresh?: boolean} = {}): Promise<OutputCache['outputs']> {
  const loc = await stateLocation(settings)
  const client = await s3Client(settings, loc.region)
  const {GetObjectCommand, HeadObjectCommand} = await import('@aws-sdk/client-s3')
  const fingerprint = (etag?: string, version?: string): string => `s3:${loc.bucket}/${loc.objectKey}:${version ?? ''}:${etag ?? ''}`
  try {
    if (!options.refresh) {
      const head = await client.send(new HeadObjectCommand({Bucket: loc.bucket, Key: loc.objectKey}))
      const cached = readOutputCache(settings, fingerprint(head.ETag, head.VersionId))
      if (cached) return cached
    }
    const got = await client.send(new GetObjectCommand({Bucket: loc.bucket, Key: loc.objectKey}))
    const outputs = stateOutputs(await got.Body!.transformToString(), loc)
    if (!inProject(settings)) return outputs.airflow_ecs ? {airflow_ecs: outputs.airflow_ecs} : {}
    return writeOutputCache(settings, fingerprint(got.ETag, got.VersionId), outputs)
  } catch (error) {
    if (isNotFoundError(error)) throw noDeployment(settings, loc)
    throw error
  }
}

// ---------------------------------------------------------------------------
// The bucket.

function bucketPolicy(bucket: string, region: string): string {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [arn, `${arn}/*`],
        Condition: {Bool: {'aws:SecureTransport': 'false'}},
      },
    ],
  })
}

/** The state bucket as it must be: created (the CLI's own, when missing) or checked (region, versioning). */
export async function ensureStateBucket(settings: Settings, loc: StateLocation, log: (line: string) => void = () => {}): Promise<'created' | 'exists'> {
  const s3 = await import('@aws-sdk/client-s3')
  const client = await s3Client(settings, loc.region)
  const named = loc.own ? 'The state bucket' : `The state bucket ${loc.bucket} (named in airflow-ecs.json)`
  let region: string | undefined
  try {
    region = (await client.send(new s3.HeadBucketCommand({Bucket: loc.bucket}))).BucketRegion
  } catch (error) {
    const status = httpStatus(error)
    if (status === 301 || (error as {name?: string}).name === 'PermanentRedirect') {
      throw new CliError(`${named} ${loc.own ? `${loc.bucket} ` : ''}is not in ${loc.region}.`, {
        code: 'INVALID_INPUT',
        hint: `Name its region: "state": {"bucket": "${loc.bucket}", "region": "<its region>"} in airflow-ecs.json (aws s3api get-bucket-location --bucket ${loc.bucket} tells it).`,
      })
    }
    if (status === 403) {
      throw new CliError(`${named} ${loc.own ? `${loc.bucket} ` : ''}exists, and these credentials may not use it (403).`, {
        code: 'ACCESS_DENIED',
        hint: loc.own
          ? 'Give this identity s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it, or name a bucket you own in airflow-ecs.json ("state": {"bucket": "..."}).'
          : 'Give this identity s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it, or name another bucket.',
      })
    }
    if (!isNotFoundError(error)) throw error
    if (!loc.own) {
      throw new CliError(`${named} does not exist.`, {
        code: 'NOT_FOUND',
        hint: `Create it (with versioning on) in ${loc.region}, or remove "state" from airflow-ecs.json to let airflow-ecs create its own.`,
      })
    }
    await createStateBucket(client, loc, log)
    return 'created'
  }
  if (region && region !== loc.region) {
    throw new CliError(`${named} ${loc.own ? `${loc.bucket} ` : ''}is in ${region}, not in ${loc.region}.`, {
      code: 'INVALID_INPUT',
      hint: `Say so in airflow-ecs.json: "state": {"bucket": "${loc.bucket}", "region": "${region}"}.`,
    })
  }
  const versioning = await client.send(new s3.GetBucketVersioningCommand({Bucket: loc.bucket}))
  if (versioning.Status !== 'Enabled') {
    throw new CliError(`${named} ${loc.own ? `${loc.bucket} ` : ''}has no versioning: a bad write to the state could not be undone, so it is not used.`, {
      code: 'INVALID_INPUT',
      hint: `Turn versioning on (aws s3api put-bucket-versioning --bucket ${loc.bucket} --versioning-configuration Status=Enabled), then run the command again.`,
    })
  }
  log(`state bucket ${loc.bucket} (${loc.region}, versioned)`)
  return 'exists'
}

async function createStateBucket(client: S3Client, loc: StateLocation, log: (line: string) => void): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3')
  const {bucket, region} = loc
  try {
    await client.send(
      new s3.CreateBucketCommand({
        Bucket: bucket,
        ObjectOwnership: 'BucketOwnerEnforced',
        ...(region === 'us-east-1' ? {} : {CreateBucketConfiguration: {LocationConstraint: region as never}}),
      }),
    )
  } catch (error) {
    const name = (error as {name?: string}).name
    // Made a moment ago by another run of ours: set it up the same way (each setting is idempotent).
    if (name === 'BucketAlreadyOwnedByYou') return configureStateBucket(client, bucket, region, log)
    if (name === 'AccessDenied' || httpStatus(error) === 403) {
      throw new CliError(`No permission to create the state bucket ${bucket} (s3:CreateBucket was refused).`, {
        code: 'ACCESS_DENIED',
        hint: 'Ask for s3:CreateBucket (and s3:PutBucket* on that bucket) once, or name an existing versioned bucket in airflow-ecs.json ("state": {"bucket": "..."}), or keep the state on this machine with --local-state.',
      })
    }
    if (name === 'BucketAlreadyExists') {
      throw new CliError(`The state bucket name ${bucket} is taken by another account.`, {code: 'INVALID_INPUT', hint: 'Name a bucket of yours in airflow-ecs.json: "state": {"bucket": "..."}.'})
    }
    throw error
  }
  log(`created the state bucket ${bucket} in ${region}`)
  await configureStateBucket(client, bucket, region, log)
}

async function configureStateBucket(client: S3Client, bucket: string, region: string, log: (line: string) => void): Promise<void> {
  const s3 = await import('@aws-sdk/client-s3')
  await client.send(
    new s3.PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true},
    }),
  )
  await client.send(new s3.PutBucketVersioningCommand({Bucket: bucket, VersioningConfiguration: {Status: 'Enabled'}}))
  await client.send(
    new s3.PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {Rules: [{ApplyServerSideEncryptionByDefault: {SSEAlgorithm: 'AES256'}, BucketKeyEnabled: true}]},
    }),
  )
  await client.send(new s3.PutBucketPolicyCommand({Bucket: bucket, Policy: bucketPolicy(bucket, region)}))
  await client.send(new s3.PutBucketTaggingCommand({Bucket: bucket, Tagging: {TagSet: [{Key: 'managed-by', Value: 'airflow-ecs'}]}}))
  log('versioning on, encrypted (SSE-S3), public access blocked, TLS only')
}

// ---------------------------------------------------------------------------
// The backend file.

export function backendText(loc: StateLocation): string {
  const pathStyle = process.env.AIRFLOW_ECS_S3_PATH_STYLE === '1' ? '    use_path_style = true\n' : ''
  return (
    '# Written by airflow-ecs from airflow-ecs.json ("state"); do not edit: the next command writes it again.\n' +
    '# S3-native locking (use_lockfile) needs Terraform >= 1.10; no DynamoDB table.\n' +
    'terraform {\n  backend "s3" {\n' +
    `    bucket       = ${JSON.stringify(loc.bucket)}\n` +
    `    key          = ${JSON.stringify(loc.key)}\n` +
    `    region       = ${JSON.stringify(loc.region)}\n` +
    '    encrypt      = true\n' +
    '    use_lockfile = true\n' +
    pathStyle +
    '  }\n}\n'
  )
}
