// The one error mapper: every SDK, process and validation failure becomes one line of
// what happened, one line of what to do, and a non-zero exit code. No AWS SDK import
// here: errors are recognised by name and shape, so commands stay fast to load.

export type ErrorCode =
  | 'ACCESS_DENIED'
  | 'CANCELLED'
  | 'CLUSTER_NOT_FOUND'
  | 'DAG_IMPORT_ERRORS'
  | 'EXPIRED_CREDENTIALS'
  | 'INVALID_INPUT'
  | 'MISSING_TOOL'
  | 'NO_CREDENTIALS'
  | 'NO_DEPLOYMENT'
  | 'NO_REGION'
  | 'NOT_FOUND'
  | 'NOT_AWS'
  | 'PROCESS_FAILED'
  | 'ROLLOUT_FAILED'
  | 'SERVICE_NOT_FOUND'
  | 'STATE_LOCKED'
  | 'STATE_INVALID'
  | 'THROTTLED'
  | 'TIMEOUT'
  | 'UNEXPECTED'
  | 'UNREACHABLE'
  | 'EXEC_AGENT'

export const EXIT = {
  failure: 1,
  usage: 2,
  /** `dags deploy --wait`: the version is live, and Airflow could not import some of its DAG files. */
  importErrors: 3,
  timeout: 124,
  interrupted: 130,
} as const

export class CliError extends Error {
  readonly code: ErrorCode
  readonly hint?: string
  readonly exitCode: number

  constructor(message: string, options: {cause?: unknown; code?: ErrorCode; exitCode?: number; hint?: string} = {}) {
    super(message, {cause: options.cause})
    this.name = 'CliError'
    this.code = options.code ?? 'UNEXPECTED'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? (this.code === 'INVALID_INPUT' ? EXIT.usage : EXIT.failure)
  }

  toJSON(): {code: ErrorCode; hint?: string; message: string} {
    return {code: this.code, message: this.message, ...(this.hint ? {hint: this.hint} : {})}
  }
}

/** The HTTP status of an SDK error, when it has one. */
export function httpStatus(error: unknown): number | undefined {
  return (error as ErrorLike | undefined)?.$metadata?.httpStatusCode
}

/** S3 said the object (or its bucket) is not there: HeadObject's NotFound, GetObject's NoSuchKey, NoSuchBucket, any 404. */
export function isNotFoundError(error: unknown): boolean {
  const name = (error as ErrorLike | undefined)?.name
  return name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchBucket' || httpStatus(error) === 404
}

/** A conditional write lost (If-None-Match: the object is there now; 409: a concurrent conditional write). */
export function isWriteConflict(error: unknown): boolean {
  const status = httpStatus(error)
  return status === 412 || status === 409 || (error as ErrorLike | undefined)?.name === 'PreconditionFailed'
}

/** What to do about a lock on the state someone else holds: the CLI's own and Terraform's get the same line. */
export function lockedHint(id: string, env?: string): string {
  return `Wait for it to finish, or let this command wait: --lock-timeout 5m. If that run is gone (killed, a closed laptop), release the lock: airflow-ecs state unlock ${id}${env ? ` --env ${env}` : ''}.`
}

/** A validation failure: raised before any AWS call, exit code 2. */
export function invalid(message: string, hint?: string): CliError {
  return new CliError(message, {code: 'INVALID_INPUT', hint})
}

interface ErrorLike {
  $metadata?: {httpStatusCode?: number}
  $retryable?: unknown
  Code?: string
  code?: string
  errno?: number | string
  message?: string
  name?: string
  oclif?: {exit?: number}
  path?: string
  syscall?: string
  cause?: unknown
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'LimitExceededException',
])
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'])
const BAD_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AuthFailure',
  'IncompleteSignature',
])
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException'])
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])

function networkCode(error: ErrorLike): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const c = current as ErrorLike
    if (typeof c.code === 'string' && NETWORK.has(c.code)) return c.code
    if (c.name === 'TimeoutError' && /socket|connect/i.test(c.message ?? '')) return 'ETIMEDOUT'
    current = c.cause
  }
  // AggregateError from happy-eyeballs connects
  const errors = (error as {errors?: ErrorLike[]}).errors
  if (Array.isArray(errors)) for (const e of errors) if (typeof e.code === 'string' && NETWORK.has(e.code)) return e.code
  return undefined
}

function endpointLabel(): string {
  const endpoint = process.env.AWS_ENDPOINT_URL
  return endpoint ? `the AWS endpoint ${endpoint} (from AWS_ENDPOINT_URL)` : 'AWS'
}

/** The action named in an AccessDenied message ("... is not authorized to perform: ecs:RunTask on ..."). */
function deniedAction(message: string): string | undefined {
  return /perform:?\s+([\w-]+:[\w*]+)/i.exec(message)?.[1]
}

export function mapError(error: unknown): CliError {
  if (error instanceof CliError) return error
  const e = (error ?? {}) as ErrorLike
  const name = e.name ?? e.Code ?? ''
  const message = (e.message ?? String(error)).trim()

  if (name === 'ExitPromptError' || name === 'AbortPromptError') {
    // @inquirer/prompts: Ctrl-C (or Ctrl-D) at a question.
    return new CliError('Cancelled at the prompt; nothing more was done.', {cause: error, code: 'CANCELLED', exitCode: EXIT.interrupted})
  }
  if (name === 'ProcessFailed') {
    // From src/lib/process/runner.ts: terraform, docker or git exited non-zero or was interrupted.
    const p = error as {step?: string; exitCode?: number; interrupted?: boolean; summary?: string; logFile?: string; hint?: string; toolCode?: ErrorCode}
    if (p.interrupted) {
      return new CliError(`${p.step} was interrupted.`, {
        cause: error,
        code: 'CANCELLED',
        exitCode: EXIT.interrupted,
        hint: 'Run the same command again: it continues from where it stopped.',
      })
    }
    // The first error the tool reported, on one line; its whole output is in the log file.
    const summary = p.summary ? `: ${oneLine(p.summary, 300).replace(/[.:]$/, '')}` : ''
    const log = p.logFile ? ` Full output: ${p.logFile}` : ''
    return new CliError(`${p.step} failed (exit ${p.exitCode})${summary}${summary.endsWith('…') ? '' : '.'}${log}`, {
      cause: error,
      code: p.toolCode ?? 'PROCESS_FAILED',
      hint: p.hint ?? (p.logFile ? 'Read the full output for the cause, fix it, and run the same command again.' : 'Run again with DEBUG=1 to see its whole output.'),
    })
  }

  const notAws = notAwsAnswer(error)
  if (notAws) return notAws

  const net = networkCode(e)
  if (net) {
    return new CliError(`Could not reach ${endpointLabel()} (${net}).`, {
      cause: error,
      code: 'UNREACHABLE',
      hint: process.env.AWS_ENDPOINT_URL
        ? 'Check that the endpoint is running, or unset AWS_ENDPOINT_URL to use AWS itself.'
        : 'Check your network connection, proxy settings and the region.',
    })
  }

  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError('No AWS credentials found.', {
      cause: error,
      code: 'NO_CREDENTIALS',
      hint: 'Run `aws configure` or `aws sso login`, or pass --profile NAME (or set AWS_PROFILE).',
    })
  }
  if (EXPIRED.has(name) || /token.*(expired|has expired)|sso session.*expired/i.test(message)) {
    return new CliError('Your AWS credentials have expired.', {
      cause: error,
      code: 'EXPIRED_CREDENTIALS',
      hint: 'Refresh them (e.g. `aws sso login --profile NAME`) and try again.',
    })
  }
  if (BAD_CREDENTIALS.has(name)) {
    return new CliError(`AWS rejected the credentials (${name}).`, {
      cause: error,
      code: 'NO_CREDENTIALS',
      hint: 'Check the access key, or pick another profile with --profile.',
    })
  }
  if (/region is missing|missing region/i.test(message)) {
    return new CliError('No AWS region is set.', {
      cause: error,
      code: 'NO_REGION',
      hint: 'Pass --region (e.g. --region us-east-1), set AWS_REGION, or add "region" to airflow-ecs.json.',
    })
  }
  if (DENIED.has(name) || e.$metadata?.httpStatusCode === 403) {
    const action = deniedAction(message)
    return new CliError(`Access denied${action ? ` for ${action}` : ''}.`, {
      cause: error,
      code: 'ACCESS_DENIED',
      hint: action
        ? `Ask your AWS administrator to allow ${action} for your identity, or use another --profile.`
        : 'Check the IAM permissions of your identity (`airflow-ecs doctor` shows who you are).',
    })
  }
  if (THROTTLING.has(name)) {
    return new CliError('AWS is throttling requests and the retries ran out.', {
      cause: error,
      code: 'THROTTLED',
      hint: 'Wait a minute and try again; other tools in this account may be using the same API quota.',
    })
  }
  if (name === 'ClusterNotFoundException') {
    return new CliError('The ECS cluster does not exist.', {
      cause: error,
      code: 'CLUSTER_NOT_FOUND',
      hint: 'Run `airflow-ecs deploy` first, or check --region / --profile.',
    })
  }
  if (name === 'ServiceNotFoundException' || name === 'ServiceNotActiveException') {
    return new CliError('The ECS service does not exist or is not active.', {
      cause: error,
      code: 'SERVICE_NOT_FOUND',
      hint: 'Run `airflow-ecs deploy` first, or check --region / --profile.',
    })
  }
  if (e.code === 'ENOENT' && e.syscall?.startsWith('spawn')) {
    const tool = e.path ?? 'a required program'
    return new CliError(`${tool} is not installed or not on PATH.`, {
      cause: error,
      code: 'MISSING_TOOL',
      hint: `Install ${tool} and try again (\`airflow-ecs doctor\` checks every tool).`,
    })
  }
  if (e.oclif?.exit !== undefined) {
    // Flag and argument parse errors from oclif: their message already says what is wrong.
    return new CliError(parseMessage(message), {
      cause: error,
      code: 'INVALID_INPUT',
      exitCode: e.oclif.exit || EXIT.usage,
      hint: 'See --help for usage.',
    })
  }
  if (name.endsWith('Exception') || e.$metadata) {
    return new CliError(`${name || 'AWS error'}: ${firstLine(message)}`, {cause: error, code: 'UNEXPECTED'})
  }
  return new CliError(firstLine(message) || 'Unexpected error.', {
    cause: error,
    code: 'UNEXPECTED',
    hint: 'Run again with DEBUG=1 for details.',
  })
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']

/** The AWS_ENDPOINT_URL variable (or a per-service one) that sends requests to this origin. */
function endpointVariable(origin?: string): string | undefined {
  const names = Object.keys(process.env).filter((k) => /^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(k) && process.env[k])
  if (origin) {
    const exact = names.find((k) => process.env[k]!.replace(/\/+$/, '').toLowerCase() === origin.toLowerCase())
    if (exact) return exact
  }
  return names.includes('AWS_ENDPOINT_URL') ? 'AWS_ENDPOINT_URL' : names[0]
}

/** What to check when something that is not AWS answered: the endpoint variable, proxies, the region. Names only: a proxy URL may hold a password. */
function notAwsHint(origin: string | undefined, region: string | undefined): string {
  const variable = endpointVariable(origin)
  const proxies = PROXY_VARIABLES.filter((k) => process.env[k])
  const parts = [
    variable ? `${variable} (it points there; unset it to use AWS itself)` : 'whether a proxy or a captive portal answers for AWS (AWS_ENDPOINT_URL is not set)',
    proxies.length > 0 ? `the proxy variables (${proxies.join(', ')} set)` : 'the proxy variables (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; none set)',
    `the region (${region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'none set'})`,
  ]
  return `Check ${parts[0]}, ${parts[1]} and ${parts[2]}.`
}

/**
 * An answer that is not the service's protocol: from the answer check every client has
 * (src/lib/aws/answers.ts, `NotAwsAnswer`), or the SDK's own deserialization failure
 * (a SyntaxError or TypeError carrying the raw `$response`) for a client built without it.
 */
function notAwsAnswer(error: unknown): CliError | undefined {
  const e = (error ?? {}) as ErrorLike & {
    endpoint?: string
    operation?: string
    status?: number
    what?: string
    region?: string
    $response?: {statusCode?: number; headers?: Record<string, string>; body?: unknown}
    $responseBodyText?: string
  }
  if (e.name === 'NotAwsAnswer' && e.endpoint) {
    return new CliError(`${e.endpoint} answered ${e.operation} with HTTP ${e.status} and ${e.what}, not an AWS response.`, {
      cause: error,
      code: 'NOT_AWS',
      hint: notAwsHint(e.endpoint, e.region),
    })
  }
  const deserializing = e.$response && (e.name === 'SyntaxError' || e.name === 'TypeError' || /Deserialization error/.test(e.message ?? ''))
  if (!deserializing) return undefined
  const status = e.$response?.statusCode ?? e.$metadata?.httpStatusCode
  const body = typeof e.$responseBodyText === 'string' ? e.$responseBodyText : typeof e.$response?.body === 'string' ? e.$response.body : ''
  const what = /<html|<!doctype html/i.test(body) ? 'an HTML page' : body.trim() === '' ? 'an empty or unreadable body' : 'a body the SDK could not read'
  const variable = endpointVariable()
  const where = variable ? `${process.env[variable]} (from ${variable})` : 'The AWS endpoint'
  return new CliError(`${where} answered with HTTP ${status ?? '?'} and ${what}, not an AWS response.`, {
    cause: error,
    code: 'NOT_AWS',
    hint: notAwsHint(variable ? process.env[variable] : undefined, undefined),
  })
}

/** oclif's parse errors: drop its "The following errors occurred" header and "See more help" footer, keep the reasons on one line. */
function parseMessage(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^The following errors? occurred:?$/i.test(l) && !/^See more help with --help$/i.test(l))
  return lines.join(' ') || firstLine(text)
}

/** Printable text on one line, cut at max characters (a tool's output may hold escape codes). */
export function oneLine(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max - 1).replace(/[\s.,:;]+$/, '')}…` : flat
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim())?.trim() ?? ''
}
