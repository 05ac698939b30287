// `destroy`: empty what Terraform cannot delete while it has content (the ECR repository,
// the bucket), then terraform destroy. Secrets Manager keeps deleted secrets for their
// recovery window: the result says which and how to purge them.
import {BatchDeleteImageCommand, ECRClient, ListImagesCommand} from '@aws-sdk/client-ecr'
import {DeleteObjectsCommand, ListObjectVersionsCommand, S3Client} from '@aws-sdk/client-s3'

import {type AwsContext, s3Config} from '../aws/context.js'
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

export async function destroy(ctx: AwsContext, interactive: boolean): Promise<DestroyResult> {
  const steps = new Steps(interactive)
  const deletedImages = await steps.run('empty the ECR repository', () => emptyRepository(ctx))
  const deletedObjects = await steps.run('empty the bucket', () => emptyBucket(ctx))
  await steps.run('terraform destroy', (log) => new Terraform(ctx.settings, log).destroy())
  const secretsInRecovery = Object.values(ctx.deployment.secrets)
  const region = ctx.region ? ` --region ${ctx.region}` : ''
  return {
    project: ctx.deployment.project,
    deletedImages,
    deletedObjects,
    secretsInRecovery,
    purgeCommands: secretsInRecovery.map((arn) => `aws secretsmanager delete-secret --secret-id ${arn} --force-delete-without-recovery${region}`),
    steps: steps.timings,
  }
}
