// The Airflow admin user: created on the first deploy with the password Secrets Manager
// generated (the infra's `admin_password` secret). The standalone task definition carries
// it as the secret env var AIRFLOW_ECS_ADMIN_PASSWORD, and the container's shell expands
// it: the value is never on a command line, in RunTask/DescribeTasks, or in a log.
// FAB's `users create` leaves an existing user alone (exit 0), so running it twice is safe.
//
// "Already created" is remembered as a marker object in the deployment's bucket. Not a tag
// on the secret: Terraform owns the secret's tags (default_tags) and would remove it.
import {HeadObjectCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {GetSecretValueCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type AwsContext, s3Config} from '../aws/context.js'
import {CliError, isNotFoundError} from '../errors.js'

export const ADMIN_USER = 'admin'
export const ADMIN_MARKER_KEY = 'airflow-ecs/admin-user-created'

export const ADMIN_COMMAND = [
  'bash',
  '-c',
  `exec airflow users create --username ${ADMIN_USER} --firstname Airflow --lastname Admin --role Admin --email ${ADMIN_USER}@example.com --password "$AIRFLOW_ECS_ADMIN_PASSWORD"`,
]

function secretArn(ctx: AwsContext): string {
  const arn = ctx.deployment.secrets.admin_password
  if (!arn) {
    throw new CliError('The deployment has no admin password secret (secrets.admin_password in the airflow_ecs output).', {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` to create or update the deployment.',
    })
  }
  return arn
}

function bucket(ctx: AwsContext): string | undefined {
  return ctx.deployment.bucket
}

/** Whether an earlier deploy created the admin user. */
export async function adminCreated(ctx: AwsContext): Promise<boolean> {
  const Bucket = bucket(ctx)
  if (!Bucket) return false
  try {
    await new S3Client(s3Config(ctx.clientConfig)).send(new HeadObjectCommand({Bucket, Key: ADMIN_MARKER_KEY}))
    return true
  } catch (error) {
    if (isNotFoundError(error)) return false
    throw error
  }
}

export async function markAdminCreated(ctx: AwsContext): Promise<void> {
  const Bucket = bucket(ctx)
  if (!Bucket) return
  await new S3Client(s3Config(ctx.clientConfig)).send(
    new PutObjectCommand({Bucket, Key: ADMIN_MARKER_KEY, Body: `${JSON.stringify({user: ADMIN_USER, createdAt: new Date().toISOString()})}\n`, ContentType: 'application/json'}),
  )
}

/** The admin password, read from Secrets Manager. Callers decide whether it may be shown. */
export async function adminPassword(ctx: AwsContext): Promise<string> {
  const value = await new SecretsManagerClient(ctx.clientConfig).send(new GetSecretValueCommand({SecretId: secretArn(ctx)}))
  if (!value.SecretString) throw new CliError('The admin password secret is empty.', {code: 'NOT_FOUND', hint: 'Run `airflow-ecs deploy` again.'})
  return value.SecretString
}
