// What `connections set` and `variables set` were given, turned into the text to store:
// one input form each, all checked before any AWS call. stdin is read only when asked
// for ("-") or, for a variable, when nothing else gives the value and it is a pipe.
import {invalid} from '../errors.js'
import {readLimited} from '../read-limited.js'
import {type AirflowConnection, type ConnectionFlags, fromFlags, fromJson, fromUri, serialize} from './connection.js'
import {MAX_SECRET_BYTES, checkId, checkJsonValue, checkSize} from './kinds.js'

/** More than Secrets Manager keeps is never read (a connection's stored JSON can differ a little from its input). */
const tooLarge = (what: string) => (max: number) => `${what} is larger than ${Math.round(max / 1024)} KiB; Secrets Manager keeps at most 64 KiB.`

export interface ConnectionInput extends ConnectionFlags {
  /** The positional definition: a URI, or a connection JSON (it starts with "{", as the backend decides); "-" reads stdin. */
  definition?: string
  uri?: string
  'conn-json'?: string
}

export interface Prepared {
  id: string
  stored: string
  notes: string[]
}

function readStdin(what: string): string {
  if (process.stdin.isTTY) throw invalid(`${what}: "-" reads stdin, which is a terminal here.`, 'Pipe the value in, e.g. < file, or give it directly.')
  const text = readLimited(0, 2 * MAX_SECRET_BYTES, tooLarge(`${what} (stdin)`))
  // `echo value | …` adds a newline that is not part of the value.
  return text.replace(/\r?\n$/, '')
}

const FIELD_FLAGS = ['type', 'host', 'login', 'password', 'port', 'schema'] as const

/** Exactly one of: the positional definition, --uri, --conn-json, or --type with the field flags (--extra goes with --uri or the fields). */
export function prepareConnection(id: string, input: ConnectionInput): Prepared {
  checkId('connection', id)
  const fields = FIELD_FLAGS.filter((f) => input[f] !== undefined)
  const forms = [input.definition !== undefined && 'the definition argument', input.uri !== undefined && '--uri', input['conn-json'] !== undefined && '--conn-json', fields.length > 0 && `--${fields[0]}`].filter(Boolean)
  if (forms.length === 0) {
    throw invalid(`No definition for connection ${id}.`, "Give a URI (--uri postgres://…), Airflow's connection JSON (--conn-json '{…}'), or --type with --host/--login/--password/--port/--schema.")
  }
  if (forms.length > 1) throw invalid(`Connection ${id}: ${forms.join(' and ')} are two definitions; give one.`)
  if (input.extra !== undefined && input['conn-json'] !== undefined) throw invalid('--extra does not go with --conn-json: put "extra" in the JSON.')
  const notes: string[] = []
  let connection: AirflowConnection
  const text = input.definition === '-' ? readStdin(`Connection ${id}`) : (input.definition ?? input.uri ?? input['conn-json'])
  if (text === undefined) {
    connection = fromFlags(id, input)
  } else if (input['conn-json'] !== undefined || (input.uri === undefined && text.trim().startsWith('{'))) {
    if (input.extra !== undefined) throw invalid('--extra does not go with a connection JSON: put "extra" in the JSON.')
    const parsed = fromJson(id, text)
    connection = parsed.connection
    if (parsed.description) notes.push('The description is not stored: the Secrets Manager backend does not read descriptions.')
  } else {
    // As `airflow connections add --conn-uri … --conn-extra …`: --extra replaces the URI's extras.
    connection = fromUri(id, text)
    if (input.extra !== undefined) connection = fromJson(id, {...connection, extra: input.extra}).connection
  }
  return {id, stored: checkSize('connection', id, serialize(connection)), notes}
}

export interface VariableInput {
  value?: string
  file?: string
  'json-value'?: boolean
}

/** The value, --file (its content exactly), or stdin ("-", or a pipe when neither is given). */
export function prepareVariable(key: string, input: VariableInput): Prepared {
  checkId('variable', key)
  if (input.value !== undefined && input.file !== undefined) throw invalid(`Variable ${key}: a value and --file are two values; give one.`)
  let value: string
  if (input.file !== undefined) {
    value = readLimited(input.file, MAX_SECRET_BYTES, tooLarge(`Variable ${key} (${input.file})`))
  } else if (input.value !== undefined && input.value !== '-') {
    value = input.value
  } else {
    if (input.value === undefined && process.stdin.isTTY) {
      throw invalid(`No value for variable ${key}.`, 'Give it after the key, with --file PATH, or on stdin ("-").')
    }
    value = readStdin(`Variable ${key}`)
    if (input.value === undefined && value === '') throw invalid(`No value for variable ${key} (stdin was empty).`, 'Give it after the key, or with --file PATH.')
  }
  if (input['json-value']) checkJsonValue(key, value)
  return {id: key, stored: checkSize('variable', key, value), notes: []}
}
