// The two kinds of entry the deployment's SecretsManagerBackend reads, where they live,
// which ids map onto a secret name, and the checks every write passes before any call.
// No SDK here.
import {invalid} from '../errors.js'

export type Kind = 'connection' | 'variable'

export interface KindInfo {
  /** The folder under the project: infra-terraform/airflow.tf's connections_prefix / variables_prefix. */
  folder: 'connections' | 'variables'
  noun: Kind
  plural: 'connections' | 'variables'
  /** What Airflow calls the id. */
  idName: 'conn_id' | 'key'
  /** Env var prefix of the local convention (EnvironmentVariablesBackend). */
  envPrefix: 'AIRFLOW_CONN_' | 'AIRFLOW_VAR_'
}

export const KINDS: Record<Kind, KindInfo> = {
  connection: {folder: 'connections', noun: 'connection', plural: 'connections', idName: 'conn_id', envPrefix: 'AIRFLOW_CONN_'},
  variable: {folder: 'variables', noun: 'variable', plural: 'variables', idName: 'key', envPrefix: 'AIRFLOW_VAR_'},
}

/** The backend's prefix: AIRFLOW__SECRETS__BACKEND_KWARGS in infra-terraform/airflow.tf is "<project>/connections" and "<project>/variables". */
export function prefixFor(project: string, kind: Kind): string {
  return `${project}/${KINDS[kind].folder}`
}

/** Secrets Manager's limit on a SecretString. */
export const MAX_SECRET_BYTES = 65_536
const MAX_ID = 250

/**
 * The backend builds the secret name "<prefix>/<id>". Secrets Manager names allow ASCII
 * letters, digits and /_+=.@-; Airflow ids allow letters, digits and _-.:/#!()\. Both:
 * letters, digits, _ - . and /. `..` is refused as Airflow refuses it (path traversal).
 */
export function checkId(kind: Kind, id: string): string {
  const {idName, noun} = KINDS[kind]
  if (!id) throw invalid(`The ${noun} ${idName} is empty.`)
  const bad = [...new Set(id.replace(/[A-Za-z0-9_./-]/g, ''))]
  if (bad.length > 0) {
    const shown = bad.map((c) => (c === ' ' ? 'space' : JSON.stringify(c))).join(', ')
    throw invalid(
      `The ${noun} ${idName} ${JSON.stringify(id)} has characters the Secrets Manager backend cannot map to a secret name: ${shown}.`,
      'Use letters, digits, "_", "-", "." and "/".',
    )
  }
  if (id.includes('..') || id.startsWith('/') || id.endsWith('/') || id.includes('//')) {
    throw invalid(`The ${noun} ${idName} ${JSON.stringify(id)} has "..", "//" or a leading or trailing "/".`, 'Airflow refuses ".." in ids; a secret name needs each "/" between two parts.')
  }
  if (id.length > MAX_ID) throw invalid(`The ${noun} ${idName} ${JSON.stringify(id.slice(0, 40))}… is longer than ${MAX_ID} characters.`)
  return id
}

/** Secrets Manager's 64 KiB limit (and its refusal of an empty value), checked before any call. */
export function checkSize(kind: Kind, id: string, stored: string): string {
  if (stored === '') throw invalid(`The ${KINDS[kind].noun} ${id} is empty: Secrets Manager does not store an empty value.`)
  const bytes = Buffer.byteLength(stored, 'utf8')
  if (bytes > MAX_SECRET_BYTES) {
    throw invalid(
      `The ${KINDS[kind].noun} ${id} is ${(bytes / 1024).toFixed(1)} KiB stored; Secrets Manager keeps at most 64 KiB.`,
      'Keep large data in S3 (the deployment bucket) and store its location instead.',
    )
  }
  return stored
}

/** `variables set --json-value`: the value must parse as JSON (what Variable.get(..., deserialize_json=True) reads). */
export function checkJsonValue(key: string, value: string): string {
  try {
    JSON.parse(value)
  } catch {
    // Not the parser's message: it quotes the value.
    throw invalid(`The variable ${key} is not valid JSON.`, 'Fix the JSON, or drop --json-value to store the text as it is.')
  }
  return value
}

/** How Airflow's `variables import` stores a file's value: text as is, anything else as json.dumps(value, indent=2). */
export function variableText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}

/** A variable for display without its value: what it is, never what it says. */
export function describeValue(value: string): {length: number; json: string | undefined} {
  let json: string | undefined
  try {
    const parsed: unknown = JSON.parse(value)
    json = parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed
  } catch {
    json = undefined
  }
  return {length: value.length, json}
}
