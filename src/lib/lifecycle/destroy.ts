// `destroy`: empty what Terraform cannot delete while it has content (the ECR repository,
// the bucket), then terraform destroy. Secrets Manager keeps deleted secrets for their
// recovery window: the result says which and how to purge them.
import {BatchDeleteImageCommand, ECRClient, ListImagesCommand} from '@aws-sdk/client-ecr'
import {DeleteObjectsCommand, ListObjectVersionsCommand, S3Client} from '@aws-sdk/client-s3'
import {DescribeSecretCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type AwsContext, s3Config} from '../aws/context.js'
import {type Settings} from '../config/resolver.js'
import {Terraform} from '../terraform/terraform.js'
import {type StepTiming, Steps} from './steps.js'

export interface DestroyResult {
  project: string
  deletedImages: number
  deletedObjects: number
  secretsInRecovery: string[]
  purgeCommands: string[]
  steps: StepTiming[]
}

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

/**
 * Empties the repository and the bucket (when the outputs name them), then destroys.
 * Without a readable `airflow_ecs` output (a deploy that stopped early) it goes straight to
 * terraform destroy, which handles whatever the state holds.
 */
export async function destroy(ctx: AwsContext | undefined, settings: Settings, fancy: boolean): Promise<DestroyResult> {
  const steps = new Steps(fancy)
  let deletedImages = 0
  let deletedObjects = 0
  if (ctx) {
    ;[deletedImages, deletedObjects] = await steps.parallel<number>([
      {title: 'empty the ECR repository', work: () => emptyRepository(ctx)},
      {title: 'empty the bucket', work: () => emptyBucket(ctx)},
    ])
  } else {
    steps.skip('empty the ECR repository and the bucket', 'the deployment has no airflow_ecs output yet')
  }
  await steps.run('terraform init', (log) => new Terraform(settings, log).init())
  await steps.run('terraform destroy', (log) => new Terraform(settings, log).destroy())
  const secretsInRecovery = ctx ? await inRecovery(ctx, Object.values(ctx.deployment.secrets)) : []
  const region = ctx?.region ? ` --region ${ctx.region}` : ''
  return {
    project: ctx?.deployment.project ?? settings.project,
    deletedImages,
    deletedObjects,
    secretsInRecovery,
    purgeCommands: secretsInRecovery.map((arn) => `aws secretsmanager delete-secret --secret-id ${arn} --force-delete-without-recovery${region}`),
    steps: steps.timings,
  }
}
