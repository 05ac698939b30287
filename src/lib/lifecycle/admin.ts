// The Airflow admin user: created once, on the first deploy, with the password that
// Secrets Manager generated. The password reaches the container as a secret env var
// (AIRFLOW_ECS_ADMIN_PASSWORD in the standalone task definition) and is read by its
// shell, so it is never on a command line, in DescribeTasks or in a log.
import {HeadObjectCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {GetSecretValueCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type AwsContext, s3Config} from '../aws/context.js'
import {CliError} from '../errors.js'

export const ADMIN_USER = 'admin'

export const ADMIN_COMMAND = [
  'bash',
  '-c',
  `airflow users create --username ${ADMIN_USER} --firstname Airflow --lastname Admin --role Admin --email admin@example.com --password "$AIRFLOW_ECS_ADMIN_PASSWORD"`,
]

function secretArn(ctx: AwsContext): string {
  const arn = ctx.deployment.secrets.admin_password
  if (!arn) throw new CliError('The deployment has no admin password secret.', {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` to create it.'})
  return arn
}

// The marker lives in the deployment's bucket, not as a tag on the (Terraform-managed)
// secret: the next apply would remove a tag it does not know.
const MARKER_KEY = 'airflow-ecs/admin-user-created'

function bucket(ctx: AwsContext): string {
  if (!ctx.deployment.bucket) throw new CliError('The deployment has no bucket.', {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` to create it.'})
  return ctx.deployment.bucket
}

/** Whether an earlier deploy already created the admin user. */
export async function adminCreated(ctx: AwsContext): Promise<boolean> {
  try {
    await new S3Client(s3Config(ctx.clientConfig)).send(new HeadObjectCommand({Bucket: bucket(ctx), Key: MARKER_KEY}))
    return true
  } catch (error) {
    if ((error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return false
    throw error
  }
}

export async function markAdminCreated(ctx: AwsContext): Promise<void> {
  await new S3Client(s3Config(ctx.clientConfig)).send(
    new PutObjectCommand({Bucket: bucket(ctx), Key: MARKER_KEY, Body: `admin user "${ADMIN_USER}" created ${new Date().toISOString()}\n`}),
  )
}

export async function adminPassword(ctx: AwsContext): Promise<string> {
  const value = await new SecretsManagerClient(ctx.clientConfig).send(new GetSecretValueCommand({SecretId: secretArn(ctx)}))
  if (!value.SecretString) throw new CliError('The admin password secret is empty.', {code: 'NOT_FOUND', hint: 'Run `airflow-ecs deploy` again.'})
  return value.SecretString
}
