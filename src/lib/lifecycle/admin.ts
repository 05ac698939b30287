// The Airflow admin user: created once, on the first deploy, with the password that
// Secrets Manager generated. The password reaches the container as a secret env var
// (AIRFLOW_ECS_ADMIN_PASSWORD in the standalone task definition) and is read by its
// shell, so it is never on a command line, in DescribeTasks or in a log.
import {GetSecretValueCommand, DescribeSecretCommand, SecretsManagerClient, TagResourceCommand} from '@aws-sdk/client-secrets-manager'

import {type AwsContext} from '../aws/context.js'
import {CliError} from '../errors.js'

export const ADMIN_USER = 'admin'
const CREATED_TAG = 'airflow-ecs:admin-created'

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

/** Whether an earlier deploy already created the admin user (a tag on the secret says so). */
export async function adminCreated(ctx: AwsContext): Promise<boolean> {
  const sm = new SecretsManagerClient(ctx.clientConfig)
  const secret = await sm.send(new DescribeSecretCommand({SecretId: secretArn(ctx)}))
  return (secret.Tags ?? []).some((t) => t.Key === CREATED_TAG && t.Value === 'true')
}

export async function markAdminCreated(ctx: AwsContext): Promise<void> {
  await new SecretsManagerClient(ctx.clientConfig).send(new TagResourceCommand({SecretId: secretArn(ctx), Tags: [{Key: CREATED_TAG, Value: 'true'}]}))
}

export async function adminPassword(ctx: AwsContext): Promise<string> {
  const value = await new SecretsManagerClient(ctx.clientConfig).send(new GetSecretValueCommand({SecretId: secretArn(ctx)}))
  if (!value.SecretString) throw new CliError('The admin password secret is empty.', {code: 'NOT_FOUND', hint: 'Run `airflow-ecs deploy` again.'})
  return value.SecretString
}
