// What every AWS-facing command needs: the resolved settings, the deployment (from
// the cached Terraform outputs) and the SDK client configuration. The SDK honours
// AWS_ENDPOINT_URL and its per-service variants by itself. Every client built from this
// configuration checks that what answered speaks AWS (./answers.ts).
import {type Deployment} from '../config/deployment.js'
import {type GlobalFlags, type Settings, loadDeployment, resolveSettings} from '../config/resolver.js'
import {checkEndpointVariables} from '../config/validate.js'
import {type RuntimeExtension, answerCheck} from './answers.js'

export interface ClientConfig {
  region?: string
  profile?: string
  retryMode: 'adaptive'
  maxAttempts: number
  /** The SDK runtime extensions: the answer check (not set by the unit tests' mocked clients). */
  extensions?: RuntimeExtension[]
}

export interface AwsContext {
  settings: Settings
  deployment: Deployment
  region?: string
  clientConfig: ClientConfig
}

export function clientConfig(settings: Pick<Settings, 'profile' | 'region'>, region = settings.region): ClientConfig {
  // A malformed endpoint is refused here, before any client tries it.
  checkEndpointVariables()
  const attempts = Number(process.env.AIRFLOW_ECS_MAX_ATTEMPTS)
  return {
    ...(region ? {region} : {}),
    ...(settings.profile ? {profile: settings.profile} : {}),
    retryMode: 'adaptive',
    maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : 5,
    extensions: [answerCheck(region)],
  }
}

/** The context for a deployment already loaded. The region falls back to the one the deployment was made in. */
export function contextFor(settings: Settings, deployment: Deployment, region = settings.region ?? deployment.region): AwsContext {
  return {settings, deployment, region, clientConfig: clientConfig(settings, region)}
}

/** Settings plus deployment (from the cached Terraform outputs). */
export async function awsContext(flags: GlobalFlags): Promise<AwsContext> {
  const settings = resolveSettings(flags)
  return contextFor(settings, await loadDeployment(settings))
}

/**
 * S3 client options: path-style addressing when AIRFLOW_ECS_S3_PATH_STYLE=1, for
 * S3-compatible endpoints (LocalStack, MinIO, moto) that have no per-bucket host names.
 */
export function s3Config(config: ClientConfig): ClientConfig & {forcePathStyle: boolean} {
  return {...config, forcePathStyle: process.env.AIRFLOW_ECS_S3_PATH_STYLE === '1'}
}
