// Import files in Airflow's own formats (airflow/secrets/local_filesystem.py): JSON
// ({id: URI | connection object} / {key: value | {value, description}}), the same mapping in
// YAML, and .env (id=value,
// or the local convention AIRFLOW_CONN_<ID>= / AIRFLOW_VAR_<KEY>=). Every entry is checked
// and turned into its stored text before anything is written. Errors name the entry and
// never quote a value. No SDK here.
import {basename, extname} from 'node:path'

import {isMap, isScalar, parseDocument} from 'yaml'

import {invalid} from '../errors.js'
import {isFolder} from '../project/package.js'
import {readLimited} from '../read-limited.js'
import {FILE_KEYS, fromJson, fromUri, serialize} from './connection.js'
import {KINDS, type Kind, checkId, checkSize, variableText} from './kinds.js'

export interface ImportEntry {
  id: string
  /** The text to store, exactly as `set` would store it. */
  stored: string
  /** For the summary of a connection: its type and host (never secret). */
  connType?: string
  host?: string
}

export interface ImportFile {
  format: 'env' | 'json' | 'yaml'
  entries: ImportEntry[]
  /** Keys of the file that are not this kind's (an .env holding both kinds, or other settings). */
  ignored: string[]
  /** Things the backend does not keep (descriptions), said once. */
  notes: string[]
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The keys of the top-level object in their order, duplicates included (JSON.parse keeps only the last). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = []
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      if (depth === 1 && /^\s*:/.test(text.slice(j + 1, j + 40))) keys.push(JSON.parse(text.slice(i, j + 1)) as string)
      i = j
    } else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return keys
}

function lineOf(text: string, error: unknown): string {
  const position = Number(/position (\d+)/.exec((error as Error).message)?.[1])
  return Number.isFinite(position) ? ` (line ${text.slice(0, position).split('\n').length})` : ''
}

function parseJsonFile(path: string, text: string): Array<[string, unknown]> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    // Not the parser's message: it quotes the file's content.
    throw invalid(`${path} is not valid JSON${lineOf(text, error)}.`)
  }
  if (!isObject(data)) throw invalid(`${path} must hold one JSON object: {"<id>": …}.`)
  const seen = new Set<string>()
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw invalid(`${path}: ${JSON.stringify(key)} appears twice; nothing was written.`, 'Keep one entry per id.')
    seen.add(key)
  }
  return Object.entries(data)
}

function parseEnvFile(path: string, text: string, kind: Kind): {pairs: Array<[string, string]>; ignored: string[]} {
  const lines: Array<{key: string; value: string; line: number}> = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    if (raw.trim() === '' || /^\s*#/.test(raw)) continue
    const eq = raw.indexOf('=')
    const where = `${path} line ${index + 1}`
    if (eq < 0) throw invalid(`${where}: no "=" (a line is <id>=<value>).`)
    const key = raw.slice(0, eq).trim()
    let value = raw.slice(eq + 1).trim()
    // The .env convention of Docker Compose and dotenv: one pair of surrounding quotes is not part of the value.
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1)
    if (!key) throw invalid(`${where}: the key is empty.`)
    if (!value) throw invalid(`${where}: ${key} has an empty value.`)
    lines.push({key, value, line: index + 1})
  }
  const prefixes = Object.values(KINDS).map((k) => k.envPrefix)
  const convention = lines.some((l) => prefixes.some((p) => l.key.startsWith(p)))
  const own = KINDS[kind].envPrefix
  const pairs: Array<[string, string]> = []
  const ignored: string[] = []
  const seen = new Map<string, string>()
  for (const {key, value, line} of lines) {
    // AIRFLOW_CONN_MY_DB is conn_id my_db (Airflow looks up AIRFLOW_CONN_ + conn_id.upper()); without that convention, the key is the id.
    if (convention && !key.startsWith(own)) {
      ignored.push(key)
      continue
    }
    const id = convention ? key.slice(own.length).toLowerCase() : key
    if (seen.has(id)) throw invalid(`${path} line ${line}: ${KINDS[kind].noun} ${id} is already defined (${seen.get(id)}); nothing was written.`, 'Keep one entry per id.')
    seen.set(id, `line ${line}`)
    pairs.push([id, value])
  }
  return {pairs, ignored}
}

function connectionEntry(id: string, value: unknown, notes: string[]): ImportEntry {
  const fromObject = isObject(value) || (typeof value === 'string' && value.trim().startsWith('{'))
  if (!fromObject && typeof value !== 'string') throw invalid(`Connection ${id}: a connection is a URI or a JSON object.`)
  const {connection, description} = fromObject ? fromJson(id, value, FILE_KEYS) : {connection: fromUri(id, value as string), description: undefined}
  if (description) notes.push(`Connection ${id}: its description is not stored (the Secrets Manager backend does not read descriptions).`)
  return {id, stored: checkSize('connection', id, serialize(connection)), connType: connection.conn_type, host: connection.host}
}

function variableEntry(id: string, value: unknown, notes: string[]): ImportEntry {
  if (isObject(value) && 'value' in value) {
    const unknown = Object.keys(value).filter((k) => k !== 'value' && k !== 'description')
    if (unknown.length > 0) throw invalid(`Variable ${id}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} next to "value".`, 'An entry is a value, or {"value": …, "description": …}.')
    if (value.description) notes.push(`Variable ${id}: its description is not stored (the Secrets Manager backend does not read descriptions).`)
    value = value.value
  }
  if (value === null) throw invalid(`Variable ${id}: the value is null.`)
  return {id, stored: checkSize('variable', id, variableText(value))}
}
/** Airflow's YAML form (airflow/secrets/local_filesystem.py): one mapping, {<id>: URI, object or value}. */
function parseYamlFile(path: string, text: string): Array<[string, unknown]> {
  const doc = parseDocument(text, {uniqueKeys: false})
  if (doc.errors.length > 0) {
    // Not the parser's message: it quotes the file's content.
    const line = doc.errors[0].linePos?.[0]?.line
    throw invalid(`${path} is not valid YAML${line ? ` (line ${line})` : ''}.`)
  }
  if (!isMap(doc.contents)) throw invalid(`${path} must hold one YAML mapping: <id>: …`)
  const seen = new Set<string>()
  for (const item of doc.contents.items) {
    const key = String(isScalar(item.key) ? item.key.value : item.key)
    if (seen.has(key)) throw invalid(`${path}: ${JSON.stringify(key)} appears twice; nothing was written.`, 'Keep one entry per id.')
    seen.add(key)
  }
  return Object.entries(doc.toJS() as Record<string, unknown>)
}

/** Far more than any real export; a bigger file is refused before it is read. */
const MAX_IMPORT_BYTES = 16 * 1024 * 1024

/** Reads and checks a whole import file; throws on the first bad entry, before any write. */
export function readImportFile(path: string, kind: Kind): ImportFile {
  const ext = extname(path).toLowerCase()
  const name = basename(path)
  if (isFolder(path)) throw invalid(`${path} is a folder, not a file.`, 'Give the path of an import file (.json, .yaml or .env).')
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.env' || name === '.env' ? 'env' : undefined
  if (!format) throw invalid(`${path}: unsupported file type "${ext || name}".`, "Import Airflow's export formats: .json, .yaml or .env.")
  const text = readLimited(path, MAX_IMPORT_BYTES, (max) => `${path} is larger than ${max / 1024 / 1024} MiB: not an import file.`)
  if (text.trim() === '') throw invalid(`${path} is empty.`)
  const notes: string[] = []
  const {pairs, ignored} =
    format === 'json' ? {pairs: parseJsonFile(path, text), ignored: []} : format === 'yaml' ? {pairs: parseYamlFile(path, text), ignored: []} : parseEnvFile(path, text, kind)
  const entries = pairs.map(([id, value]) => {
    checkId(kind, id)
    return kind === 'connection' ? connectionEntry(id, value, notes) : variableEntry(id, value, notes)
  })
  return {format, entries, ignored, notes}
}
