// `destroy`: empty what Terraform cannot delete while it has content (the ECR repository,
// the bucket), then terraform destroy. Secrets Manager keeps deleted secrets for their
// recovery window: the result says which and how to purge them. It works from any point: a
// deploy that stopped before the `airflow_ecs` output existed left the repository and the
// bucket in the state, and that is where they are found.
import {BatchDeleteImageCommand, ECRClient, ListImagesCommand} from '@aws-sdk/client-ecr'
import {DeleteObjectsCommand, ListObjectVersionsCommand, S3Client} from '@aws-sdk/client-s3'
import {DescribeSecretCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type AwsContext, contextFor, s3Config} from '../aws/context.js'
import {parseDeployment} from '../config/deployment.js'
import {type Settings, workspace} from '../config/resolver.js'
import {finalSnapshotName, snapshotMonthlyUsd} from '../releases/snapshots.js'
import {type PreparedState, type StateReport, prepareState, stateReport} from '../state/prepare.js'
import {ECR_REPOSITORY, type StateResource, Terraform} from '../terraform/terraform.js'
import {type StepTiming, Steps} from './steps.js'

export interface DestroyResult {
  project: string
  deletedImages: number
  deletedObjects: number
  secretsInRecovery: string[]
  purgeCommands: string[]
  /** The snapshot RDS keeps of the database (unless --skip-final-snapshot), how to restore it, what it costs. */
  finalSnapshot?: {name: string; restoreCommand: string; allocatedGb: number; monthlyUsd: number}
  /** Where the state is (it stays: the state bucket is never destroyed). */
  state: StateReport
  steps: StepTiming[]
}

export interface DestroyOptions {
  skipFinalSnapshot: boolean
}

/** The database resource of infra-terraform (database.tf). */
const DATABASE = 'aws_db_instance.metadata'

async function emptyRepository(ctx: AwsContext): Promise<number> {
  const repositoryName = ctx.deployment.ecr?.repositoryName
  if (!repositoryName) return 0
  const ecr = new ECRClient(ctx.clientConfig)
  let deleted = 0
  for (;;) {
    let page
    try {
      page = await ecr.send(new ListImagesCommand({repositoryName, maxResults: 100}))
    } catch (error) {
      if ((error as Error).name === 'RepositoryNotFoundException') return deleted
      throw error
    }
    const ids = page.imageIds ?? []
    if (ids.length === 0) return deleted
    await ecr.send(new BatchDeleteImageCommand({repositoryName, imageIds: ids}))
    deleted += ids.length
  }
}

async function emptyBucket(ctx: AwsContext): Promise<number> {
  const Bucket = ctx.deployment.bucket
  if (!Bucket) return 0
  const s3 = new S3Client(s3Config(ctx.clientConfig))
  let deleted = 0
  for (;;) {
    let page
    try {
      page = await s3.send(new ListObjectVersionsCommand({Bucket, MaxKeys: 1000}))
    } catch (error) {
      if ((error as Error).name === 'NoSuchBucket') return deleted
      throw error
    }
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({Key: v.Key!, VersionId: v.VersionId ?? undefined}))
    if (objects.length === 0) return deleted
    await s3.send(new DeleteObjectsCommand({Bucket, Delete: {Objects: objects, Quiet: true}}))
    deleted += objects.length
  }
}

/** The secrets Secrets Manager still holds, scheduled for deletion (a recovery window of 0 deletes at once). */
async function inRecovery(ctx: AwsContext, arns: string[]): Promise<string[]> {
  const sm = new SecretsManagerClient(ctx.clientConfig)
  const kept = await Promise.all(
    arns.map(async (arn) => {
      try {
        const d = await sm.send(new DescribeSecretCommand({SecretId: arn}))
        return d.DeletedDate ? arn : undefined
      } catch {
        return undefined
      }
    }),
  )
  return kept.filter((a): a is string => Boolean(a))
}

/** The bucket resource of infra-terraform (storage.tf). */
const BUCKET = 'aws_s3_bucket.airflow'

/**
 * What to empty: the repository and the bucket the outputs name, and for whatever they do
 * not name (no `airflow_ecs` output yet, after a deploy that stopped early), the ones the
 * Terraform state holds. The region comes from the settings, the outputs, or the
 * repository's ARN in the state.
 */
export async function contentsToEmpty(ctx: AwsContext | undefined, settings: Settings, readState: () => Promise<StateResource[]>): Promise<AwsContext | undefined> {
  const named = {repository: ctx?.deployment.ecr?.repositoryName, bucket: ctx?.deployment.bucket}
  if (named.repository && named.bucket) return ctx
  const state = await readState()
  const repo = state.find((r) => r.address === ECR_REPOSITORY)?.values as {name?: string; arn?: string} | undefined
  const bucket = state.find((r) => r.address === BUCKET)?.values as {bucket?: string} | undefined
  const repository = named.repository ?? repo?.name
  const bucketName = named.bucket ?? bucket?.bucket
  if (!repository && !bucketName) return ctx
  const region = ctx?.region ?? settings.region ?? repo?.arn?.split(':')[3]
  const deployment = parseDeployment(
    {...(ctx?.deployment.raw ?? {project: settings.project}), ecr: {repository_name: repository}, bucket: bucketName},
    settings.project,
    settings.overrides,
  )
  return contextFor(settings, deployment, region || undefined)
}

/**
 * Empties the repository and the bucket (named by the outputs, else found in the state),
 * then destroys. Terraform is initialised first: reading the state needs it.
 */
export async function destroy(ctx: AwsContext | undefined, settings: Settings, fancy: boolean, options: DestroyOptions = {skipFinalSnapshot: false}): Promise<DestroyResult> {
  const steps = new Steps(fancy)
  // The CLI's lock for the whole destroy (the confirmation covered moving a local state too).
  const held = await prepareState(settings, {operation: 'destroy', yes: true})
  try {
    return await destroyHeld(ctx, settings, steps, held, options)
  } finally {
    await held.release()
  }
}

async function destroyHeld(ctx: AwsContext | undefined, settings: Settings, steps: Steps, held: PreparedState, options: DestroyOptions): Promise<DestroyResult> {
  let deletedImages = 0
  let deletedObjects = 0
  await steps.run('terraform init', async (log) => {
    await new Terraform(settings, log).init(held.initArgs)
    held.afterInit()
  })
  // `terraform show` once, whoever asks first (emptying, then the final snapshot's setting).
  let state: Promise<StateResource[]> | undefined
  const readState = () => (state ??= new Terraform(settings).state())
  const target = await contentsToEmpty(ctx, settings, readState)
  if (target) {
    ;[deletedImages, deletedObjects] = await steps.parallel<number>([
      {title: 'empty the ECR repository', work: () => emptyRepository(target)},
      {title: 'empty the bucket', work: () => emptyBucket(target)},
    ])
  } else {
    steps.skip('empty the ECR repository and the bucket', 'neither is in the Terraform state')
  }
  // The final snapshot's name goes into the state first (a Terraform-only attribute: no AWS
  // change), since terraform destroy deletes with what the state holds.
  const db = (await readState()).find((r) => r.address === DATABASE)?.values as {allocated_storage?: number} | undefined
  const name = finalSnapshotName(settings.project, workspace(settings.terraformDir))
  const vars = db ? [`-var=db_skip_final_snapshot=${options.skipFinalSnapshot === true}`, ...(options.skipFinalSnapshot ? [] : [`-var=db_final_snapshot_identifier=${name}`])] : []
  // No database in the state (a deploy that stopped early): nothing to keep, no step.
  if (db) {
    await steps.run(options.skipFinalSnapshot ? 'no final snapshot' : 'final snapshot name', (log) => new Terraform(settings, log).applyTargets([DATABASE], 'terraform apply (final snapshot setting)', vars))
  }
  await steps.run('terraform destroy', (log) => new Terraform(settings, log).destroy(vars))
  const allocatedGb = db?.allocated_storage ?? ctx?.deployment.database?.allocatedStorage ?? 20
  const finalSnapshot =
    db && !options.skipFinalSnapshot
      ? {name, restoreCommand: `airflow-ecs deploy --restore-snapshot ${name}`, allocatedGb, monthlyUsd: snapshotMonthlyUsd(allocatedGb, ctx?.region ?? settings.region ?? 'us-east-1')}
      : undefined
  const secretsInRecovery = ctx ? await inRecovery(ctx, Object.values(ctx.deployment.secrets)) : []
  const region = ctx?.region ? ` --region ${ctx.region}` : ''
  return {
    project: ctx?.deployment.project ?? settings.project,
    deletedImages,
    deletedObjects,
    secretsInRecovery,
    purgeCommands: secretsInRecovery.map((arn) => `aws secretsmanager delete-secret --secret-id ${arn} --force-delete-without-recovery${region}`),
    ...(finalSnapshot ? {finalSnapshot} : {}),
    state: stateReport(held),
    steps: steps.timings,
  }
}
