// An Airflow connection as the amazon provider's SecretsManagerBackend reads it. One
// stored form, written by every verb: a JSON object with exactly the keys the backend's
// _standardize_secret_keys keeps (conn_type, host, login, password, schema, port, extra),
// extra as an object. Connection.from_json (core and Task SDK alike) turns it into the
// connection, so the URI parsing differences between the two never apply. No SDK here.
import {invalid} from '../errors.js'
import {type ConnectionParts, UriError, normalizeConnType, parseAirflowUri} from './uri.js'

export interface AirflowConnection extends ConnectionParts {
  extra?: Record<string, unknown>
}

export type ConnectionField = keyof AirflowConnection
const FIELDS: ConnectionField[] = ['conn_type', 'host', 'login', 'password', 'schema', 'port', 'extra']
const TEXT_FIELDS = ['conn_type', 'host', 'login', 'password', 'schema'] as const

/** What a JSON connection may name: Airflow's from_json keys; an import entry may add conn_id, uri and extra_dejson. */
export const JSON_KEYS = new Set(['conn_type', 'description', 'host', 'login', 'password', 'schema', 'port', 'extra'])
export const FILE_KEYS = new Set([...JSON_KEYS, 'conn_id', 'uri', 'extra_dejson'])

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function parsePort(id: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const text = String(value).trim()
  if ((typeof value !== 'number' && typeof value !== 'string') || !/^\d+$/.test(text) || Number(text) > 65_535) {
    throw invalid(`Connection ${id}: port must be a whole number from 0 to 65535.`)
  }
  return Number(text)
}

/** Connection._validate_extra: a JSON object, or text that parses as one. */
function parseExtra(id: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined
  let parsed = value
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value)
    } catch {
      throw invalid(`Connection ${id}: extra is not valid JSON.`, 'extra must be a JSON object, e.g. {"region_name": "eu-west-1"}.')
    }
  }
  if (!isObject(parsed)) throw invalid(`Connection ${id}: extra must be a JSON object, not ${Array.isArray(parsed) ? 'an array' : typeof parsed}.`)
  return parsed
}

/** The stored shape: no empty field, conn_type normalised, keys in one order. */
function canonical(id: string, fields: Record<string, unknown>): AirflowConnection {
  for (const key of TEXT_FIELDS) {
    const v = fields[key]
    if (v !== undefined && v !== null && typeof v !== 'string') throw invalid(`Connection ${id}: ${key} must be a string.`)
  }
  const connType = typeof fields.conn_type === 'string' ? normalizeConnType(fields.conn_type.trim()) : ''
  if (!connType) throw invalid(`Connection ${id} has no conn_type.`, 'Give its type: --type, "conn_type" in JSON, or the URI scheme (postgres://…).')
  const conn: AirflowConnection = {conn_type: connType}
  for (const key of ['host', 'login', 'password', 'schema'] as const) {
    const v = fields[key]
    if (typeof v === 'string' && v !== '') conn[key] = v
  }
  const port = parsePort(id, fields.port)
  if (port !== undefined) conn.port = port
  const extra = parseExtra(id, fields.extra)
  if (extra && Object.keys(extra).length > 0) conn.extra = extra
  return conn
}

/** A connection URI, as `airflow connections add --conn-uri` reads it. */
export function fromUri(id: string, uri: string): AirflowConnection {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri.trim())) {
    throw invalid(`Connection ${id}: the URI does not start with <conn-type>://.`, 'Example: postgres://user:pass@host:5432/db (percent-encode special characters).')
  }
  try {
    return canonical(id, {...parseAirflowUri(uri.trim())})
  } catch (error) {
    if (error instanceof UriError) throw invalid(`Connection ${id}: Airflow cannot parse the URI: ${error.message}.`, 'Percent-encode special characters in the login, password and host.')
    throw error
  }
}

/**
 * Airflow's connection JSON (`--conn-json`, or an import entry with `fileKeys`). Unknown
 * keys are refused, naming them; description is returned apart (the backend does not read it).
 */
export function fromJson(id: string, value: unknown, allowed = JSON_KEYS): {connection: AirflowConnection; description?: string} {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      throw invalid(`Connection ${id}: the connection JSON does not parse.`, 'Give a JSON object, e.g. {"conn_type": "postgres", "host": "db"}.')
    }
  }
  if (!isObject(value)) throw invalid(`Connection ${id}: a connection must be a URI or a JSON object.`)
  const unknown = Object.keys(value).filter((k) => !allowed.has(k))
  if (unknown.length > 0) {
    throw invalid(`Connection ${id}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}.`, `Airflow's connection fields: ${[...allowed].join(', ')}.`)
  }
  if (value.conn_id !== undefined && value.conn_id !== id) throw invalid(`Connection ${id}: its conn_id field says ${String(value.conn_id)}.`)
  if (value.extra !== undefined && value.extra !== null && value.extra_dejson !== undefined) {
    throw invalid(`Connection ${id}: extra and extra_dejson are mutually exclusive.`)
  }
  const description = typeof value.description === 'string' && value.description !== '' ? value.description : undefined
  if (typeof value.uri === 'string' && value.uri !== '') {
    const mixed = FIELDS.filter((k) => value[k] !== undefined && value[k] !== null)
    if (mixed.length > 0) throw invalid(`Connection ${id}: uri cannot be mixed with ${mixed.join(', ')}.`)
    return {connection: fromUri(id, value.uri), description}
  }
  return {connection: canonical(id, {...value, extra: value.extra ?? value.extra_dejson}), description}
}

export interface ConnectionFlags {
  type?: string
  host?: string
  login?: string
  password?: string
  port?: string | number
  schema?: string
  extra?: string
}

/** `--type --host --login --password --port --schema --extra`. */
export function fromFlags(id: string, flags: ConnectionFlags): AirflowConnection {
  return canonical(id, {conn_type: flags.type, host: flags.host, login: flags.login, password: flags.password, port: flags.port, schema: flags.schema, extra: flags.extra})
}

/** The text written to Secrets Manager. */
export function serialize(conn: AirflowConnection): string {
  return JSON.stringify(Object.fromEntries(FIELDS.filter((k) => conn[k] !== undefined).map((k) => [k, conn[k]])))
}

// SecretsManagerBackend._standardize_secret_keys: the first key (in the secret's order) of each list wins.
const ALIASES: Record<ConnectionField, string[]> = {
  login: ['login', 'user', 'username', 'user_name'],
  password: ['password', 'pass', 'key'],
  host: ['host', 'remote_host', 'server'],
  port: ['port'],
  schema: ['database', 'schema'],
  conn_type: ['conn_type', 'conn_id', 'connection_type', 'engine'],
  extra: ['extra'],
}

/**
 * A stored value read as the backend reads it: JSON (with the backend's key aliases) when
 * it starts with "{", else a URI. Throws when Airflow could not read it either.
 */
export function parseStored(id: string, value: string): AirflowConnection {
  const text = value.trim()
  if (!text.startsWith('{')) {
    try {
      return canonical(id, {...parseAirflowUri(text)})
    } catch (error) {
      if (error instanceof UriError) throw invalid(`Connection ${id}: the stored URI does not parse: ${error.message}.`)
      throw error
    }
  }
  let secret: unknown
  try {
    secret = JSON.parse(text)
  } catch {
    throw invalid(`Connection ${id}: the stored value starts with "{" but is not valid JSON.`)
  }
  if (!isObject(secret)) throw invalid(`Connection ${id}: the stored JSON is not an object.`)
  const fields = Object.fromEntries(FIELDS.map((f) => [f, Object.entries(secret).find(([k]) => ALIASES[f].includes(k))?.[1]]))
  return canonical(id, fields)
}

// Airflow's DEFAULT_SENSITIVE_FIELDS (secrets_masker): a key is secret-looking when its
// lower-cased, \W→_ form contains one of these.
const SENSITIVE = ['access_key', 'access_token', 'api_key', 'apikey', 'auth_header', 'authorization', 'bearer', 'connection_string', 'dsn', 'passphrase', 'passwd', 'password', 'private_key', 'proxy', 'proxies', 'secret', 'service_account', 'service_key', 'token', 'keyfile_dict', 'webhook_url']
export const MASK = '***'

export function isSensitiveKey(name: string): boolean {
  const normalized = name.trim().toLowerCase().replace(/\W+/g, '_')
  return SENSITIVE.some((s) => normalized.includes(s))
}

function maskValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => maskValue(v))
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSensitiveKey(k) ? MASK : maskValue(v)]))
  return value
}

/** The connection for display: password and secret-looking extras (at any depth) as ***. */
export function masked(conn: AirflowConnection): AirflowConnection {
  return {
    ...conn,
    ...(conn.password !== undefined ? {password: MASK} : {}),
    ...(conn.extra ? {extra: maskValue(conn.extra) as Record<string, unknown>} : {}),
  }
}

/** The names (never the values) of what differs: fields, and extra.<key> for extras. */
export function changedFields(current: AirflowConnection, desired: AirflowConnection): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)
  const changed: string[] = FIELDS.filter((f) => f !== 'extra' && current[f] !== desired[f])
  const a = current.extra ?? {}
  const b = desired.extra ?? {}
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) if (!same(a[key], b[key])) changed.push(`extra.${key}`)
  return changed
}
