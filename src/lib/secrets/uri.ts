// Airflow's connection URI, parsed the way Airflow parses it: Python's urllib.parse
// (urlsplit, unquote, parse_qsl) and airflow.models.Connection._parse_from_uri, ported
// rule for rule, so `--uri` and a URI stored by someone else read here as Airflow reads
// them. Errors never quote the URI: it may hold a password.
import {isIPv6} from 'node:net'

export class UriError extends Error {}

interface Split {
  scheme: string
  netloc: string
  path: string
  query: string
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/

/** urllib.parse.urlsplit (fragments allowed). */
export function urlsplit(input: string): Split {
  // eslint-disable-next-line no-control-regex
  let url = input.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\r\n]/g, '')
  let scheme = ''
  let netloc = ''
  const colon = url.indexOf(':')
  if (colon > 0 && SCHEME.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase()
    url = url.slice(colon + 1)
  }
  if (url.startsWith('//')) {
    const rest = url.slice(2)
    const ends = ['/', '?', '#'].map((c) => rest.indexOf(c)).filter((i) => i >= 0)
    const end = ends.length > 0 ? Math.min(...ends) : rest.length
    netloc = rest.slice(0, end)
    url = rest.slice(end)
    if (netloc.includes('[') !== netloc.includes(']')) throw new UriError('it has an unbalanced [ or ] (an IPv6 host)')
    if (netloc.includes('[')) {
      const bracketed = netloc.split('[')[1].split(']')[0]
      const ok = bracketed.startsWith('v') ? /^v[a-fA-F0-9]+\..+$/.test(bracketed) : isIPv6(bracketed)
      if (!ok) throw new UriError('the host in [ ] is not an IPv6 address')
    }
  }
  const hash = url.indexOf('#')
  if (hash >= 0) url = url.slice(0, hash)
  const q = url.indexOf('?')
  const query = q >= 0 ? url.slice(q + 1) : ''
  return {scheme, netloc, path: q >= 0 ? url.slice(0, q) : url, query}
}

/** urllib.parse.unquote: %XX runs decoded as UTF-8 (invalid bytes replaced), anything else kept. */
export function unquote(text: string): string {
  if (!text.includes('%')) return text
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'))
}

/** urllib.parse.parse_qsl(query, keep_blank_values=True). */
export function parseQsl(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (const piece of query.split('&')) {
    if (!piece) continue
    const eq = piece.indexOf('=')
    const [name, value] = eq >= 0 ? [piece.slice(0, eq), piece.slice(eq + 1)] : [piece, '']
    pairs.push([unquote(name.replaceAll('+', ' ')), unquote(value.replaceAll('+', ' '))])
  }
  return pairs
}

function userinfo(netloc: string): {username?: string; password?: string} {
  const at = netloc.lastIndexOf('@')
  if (at < 0) return {}
  const info = netloc.slice(0, at)
  const colon = info.indexOf(':')
  return colon < 0 ? {username: info} : {username: info.slice(0, colon), password: info.slice(colon + 1)}
}

function hostinfo(netloc: string): {hostname: string; port?: string} {
  const hostPart = netloc.slice(netloc.lastIndexOf('@') + 1)
  const open = hostPart.indexOf('[')
  let hostname: string
  let port: string
  if (open >= 0) {
    const bracketed = hostPart.slice(open + 1)
    const close = bracketed.indexOf(']')
    hostname = close >= 0 ? bracketed.slice(0, close) : bracketed
    const after = close >= 0 ? bracketed.slice(close + 1) : ''
    port = after.includes(':') ? after.slice(after.indexOf(':') + 1) : ''
  } else {
    const colon = hostPart.indexOf(':')
    hostname = colon >= 0 ? hostPart.slice(0, colon) : hostPart
    port = colon >= 0 ? hostPart.slice(colon + 1) : ''
  }
  return {hostname, port: port || undefined}
}

/** SplitResult.hostname: lower-cased, except an IPv6 zone. */
function lowerHostname(hostname: string): string | undefined {
  if (!hostname) return undefined
  const pct = hostname.indexOf('%')
  return pct < 0 ? hostname.toLowerCase() : hostname.slice(0, pct).toLowerCase() + hostname.slice(pct)
}

function portOf(netloc: string): number | undefined {
  const {port} = hostinfo(netloc)
  if (port === undefined) return undefined
  if (!/^[0-9]+$/.test(port)) throw new UriError('its port is not a number')
  const value = Number(port)
  if (value > 65_535) throw new UriError('its port is out of the range 0-65535')
  return value
}

/** airflow.models.connection._parse_netloc_to_hostname */
function netlocHostname(netloc: string): string {
  let hostname = unquote(lowerHostname(hostinfo(netloc).hostname) ?? '')
  if (hostname.includes('/')) {
    hostname = netloc
    if (hostname.includes('@')) hostname = hostname.slice(hostname.lastIndexOf('@') + 1)
    if (hostname.includes(':')) hostname = hostname.slice(0, hostname.indexOf(':'))
    hostname = unquote(hostname)
  }
  return hostname
}

/** Connection._normalize_conn_type */
export function normalizeConnType(connType: string): string {
  return connType === 'postgresql' ? 'postgres' : connType.replaceAll('-', '_')
}

/** A connection's fields but extra. */
export interface ConnectionParts {
  conn_type: string
  host?: string
  login?: string
  password?: string
  schema?: string
  port?: number
}

export interface UriFields extends ConnectionParts {
  /** A JSON object as text (`__extra__`), or the query's pairs with JSON values decoded. */
  extra?: string | Record<string, unknown>
}

/** A query value as Airflow's core Connection reads it: JSON when it parses (numbers only when exact), else the text. */
function queryValue(value: string): unknown {
  if (!value) return value
  try {
    const parsed: unknown = JSON.parse(value)
    if (typeof parsed === 'number' && /^\s*-?\d+\s*$/.test(value) && !Number.isSafeInteger(parsed)) return value
    return parsed
  } catch {
    return value
  }
}

/** Connection(uri=...) of airflow-core. Throws UriError where Airflow raises. */
export function parseAirflowUri(uri: string): UriFields {
  const schemes = uri.split('://').length - 1
  if (schemes > 2) throw new UriError('it has more than two "://"')
  const withProtocol = schemes === 2
  const scheme = urlsplit(uri).scheme
  const rest = uri.split(`${scheme}://`).join(withProtocol ? '' : '//')
  if (withProtocol) {
    const head = rest.split('://')[0]
    if (head.includes('@') || head.includes(':')) throw new UriError('the host\'s own protocol comes after a login or port')
  }
  const parts = urlsplit(rest)
  const protocol = withProtocol ? parts.scheme : undefined
  const host = netlocHostname(parts.netloc)
  const {username, password} = userinfo(parts.netloc)
  const fields: UriFields = {
    conn_type: normalizeConnType(scheme),
    host: host && protocol ? `${protocol}://${host}` : host,
    schema: unquote(parts.path.slice(1)),
    login: username === undefined ? undefined : unquote(username),
    password: password === undefined ? undefined : unquote(password),
    port: portOf(parts.netloc),
  }
  if (parts.query) {
    const query = Object.fromEntries(parseQsl(parts.query))
    fields.extra = '__extra__' in query ? query.__extra__ : Object.fromEntries(Object.entries(query).map(([k, v]) => [k, queryValue(v)]))
  }
  return fields
}
