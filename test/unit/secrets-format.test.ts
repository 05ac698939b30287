// The formats of `connections` and `variables`, without AWS: Airflow's URI parsing
// (ported from Python), the stored JSON, the backend's key aliases, masking, ids, and the
// import files. The URI and alias readings are checked against the installed Airflow
// itself, entry by entry, when a Python with Airflow is there.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {changedFields, fromJson, fromUri, isSensitiveKey, masked, parseStored, serialize} from '../../dist/lib/secrets/connection.js'
import {readImportFile} from '../../dist/lib/secrets/files.js'
import {checkId, checkSize, variableText} from '../../dist/lib/secrets/kinds.js'
import {parseAirflowUri} from '../../dist/lib/secrets/uri.js'
import {testPython} from '../harness/pyenv.mjs'

// The tests' virtualenv: the Airflow and amazon provider the image runs.
const AIRFLOW_PYTHON = testPython()

const URIS = [
  'postgres://user:pass@host:5432/schema',
  'postgresql://u:p%40ss%2Fw@Host.Example.COM:5432/my%2Fdb?sslmode=require&connect_timeout=10',
  'mysql://root@localhost',
  'http://h/?a=1&b=true&c=%7B%22x%22%3A1%7D&d=&e=text&f=1.5&g=null',
  'aws://?region_name=eu-west-1&role_arn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx',
  'google-cloud-platform://?__extra__=%7B%22project%22%3A+%22p%22%2C+%22n%22%3A+%5B1%5D%7D',
  'http://https://example.com:443/api',
  'http://user:pw@https://example.com',
  'a://b://c://d',
  'postgres://h:70000',
  'postgres://h:12ab',
  'postgres://[::1]:5432/db',
  'postgres://[::1/db',
  'postgres://[nothex]:5432',
  'sqlite://',
  'my-conn-type://login:password@host:1234/schema?param1=val1&param2=val2',
  'postgres://user%20name:pa%20ss@host/db%20name',
  'postgres://host/db?x=1&x=2',
  'postgres://:@host',
  'postgres://user:p:a:ss@host',
  'postgres://u:p@h@host2:1',
  'spark://spark%2Fmaster:7077',
  'redis://h:6379/0?ssl=true',
  'postgres://H/Db',
  'Postgres://host',
  'http://h/path/more?x=y+z&y=%2B',
  'http://h#frag',
  'http://h?flag&other=',
  'ssh://u:%E2%82%AC%ZZ@h',
]

const STORED_JSON = [
  '{"conn_type": "postgres", "host": "h", "login": "u", "password": "p", "schema": "s", "port": 5432, "extra": {"a": 1}}',
  '{"engine": "postgres", "user": "u", "pass": "p", "server": "h", "database": "d", "port": "5433"}',
  '{"conn_id": "http", "username": "u", "key": "k", "remote_host": "h", "extra": "{\\"x\\": true}"}',
  '{"connection_type": "mysql", "user_name": "u", "password": "p", "pass": "ignored", "host": "h"}',
]

/** The installed Airflow's reading of each URI (core Connection(uri=...)) and of each stored JSON (the backend's aliases, then from_json). */
function airflowReadings(): {uris: any[]; json: any[]} {
  const script = `
import json, sys
from airflow.models.connection import Connection
from airflow.providers.amazon.aws.secrets.secrets_manager import SecretsManagerBackend
def fields(c):
    return {"conn_type": c.conn_type, "host": c.host, "login": c.login, "password": c.password, "schema": c.schema, "port": c.port, "extra": c.extra_dejson}
uris, stored = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {"uris": [], "json": []}
for uri in uris:
    try:
        out["uris"].append(fields(Connection(conn_id="x", uri=uri)))
    except Exception as e:
        out["uris"].append({"error": type(e).__name__})
backend = SecretsManagerBackend()
for s in stored:
    out["json"].append(fields(Connection.from_json(json.dumps(backend._standardize_secret_keys(json.loads(s))), conn_id="x")))
print(json.dumps(out))
`
  const r = spawnSync(AIRFLOW_PYTHON, ['-c', script, JSON.stringify(URIS), JSON.stringify(STORED_JSON)], {
    encoding: 'utf8',
    env: {...process.env, AIRFLOW_HOME: mkdtempSync(join(tmpdir(), 'airflow-home-'))},
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

/** Airflow's fields in the stored shape: no empty field, no empty extra. */
function canonical(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === '' || (k === 'extra' && Object.keys(v as object).length === 0)) continue
    out[k] = v
  }
  return out
}

function ours(read: () => unknown): unknown {
  try {
    return {...(read() as object)}
  } catch {
    return {error: true}
  }
}

describe('Airflow connection formats', () => {
  it('reads every URI and every stored JSON exactly as the installed Airflow does', () => {
    const airflow = airflowReadings()
    URIS.forEach((uri, i) => {
      const expected = airflow.uris[i].error ? {error: true} : canonical(airflow.uris[i])
      assert.deepEqual(ours(() => parseStored('x', uri)), expected, `URI #${i}: ${uri}`)
    })
    STORED_JSON.forEach((json, i) => assert.deepEqual(ours(() => parseStored('x', json)), canonical(airflow.json[i]), `stored JSON #${i}: ${json}`))
  })

  it('keeps a large integer in a query as text instead of rounding it (Python would keep the exact int)', () => {
    assert.deepEqual(parseAirflowUri('http://h?account=12345678901234567890&n=42').extra, {account: '12345678901234567890', n: 42})
  })

  it('stores one JSON form, whatever the input, and reads it back unchanged', () => {
    const fromAUri = fromUri('db', 'postgresql://ada:s%3Acret@db:5432/an?sslmode=require')
    const fromAJson = fromJson('db', {conn_type: 'postgres', host: 'db', login: 'ada', password: 's:cret', schema: 'an', port: '5432', extra: '{"sslmode": "require"}', description: 'x'})
    assert.equal(serialize(fromAUri), '{"conn_type":"postgres","host":"db","login":"ada","password":"s:cret","schema":"an","port":5432,"extra":{"sslmode":"require"}}')
    assert.equal(serialize(fromAJson.connection), serialize(fromAUri))
    assert.equal(fromAJson.description, 'x')
    assert.deepEqual(parseStored('db', serialize(fromAUri)), fromAUri)
    assert.throws(() => fromUri('db', 'db:5432'), /does not start with <conn-type>:\/\//)
    assert.throws(() => fromJson('db', {conn_type: 'http', port: 'eighty'}), /port must be a whole number/)
    assert.throws(() => fromJson('db', {uri: 'http://h', host: 'x'}, new Set(['uri', 'host'])), /uri cannot be mixed with host/)
    assert.throws(() => fromJson('db', '{"conn_type": "http", "password": "s3cr3t"'), (e: Error) => !e.message.includes('s3cr3t'))
  })

  it('masks the password and secret-looking extras at any depth, as Airflow decides what is secret', () => {
    for (const key of ['password', 'api_key', 'API-Key', 'access_token', 'private_key', 'client_secret', 'keyfile_dict', 'webhook_url', 'proxies']) assert.ok(isSensitiveKey(key), key)
    for (const key of ['region_name', 'sslmode', 'timeout', 'role_arn', 'host']) assert.ok(!isSensitiveKey(key), key)
    const shown = masked({conn_type: 'http', password: 'p', extra: {region: 'r', auth: {token: 't', user: 'u'}, list: [{secret: 's'}]}})
    assert.deepEqual(shown, {conn_type: 'http', password: '***', extra: {region: 'r', auth: {token: '***', user: 'u'}, list: [{secret: '***'}]}})
    assert.deepEqual(changedFields({conn_type: 'http', password: 'a', extra: {x: 1}}, {conn_type: 'http', password: 'b', extra: {x: 1, y: 2}}), ['password', 'extra.y'])
  })
})

describe('ids and sizes', () => {
  it('accepts what maps to a secret name, refuses the rest naming the characters', () => {
    for (const id of ['my_db', 'aws-eu.1', 'team/warehouse', 'A1']) assert.equal(checkId('connection', id), id)
    assert.throws(() => checkId('connection', 'my db#1'), /"my db#1" has characters the Secrets Manager backend cannot map to a secret name: space, "#"/)
    assert.throws(() => checkId('variable', 'é'), /cannot map/)
    assert.throws(() => checkId('variable', 'a/../b'), /"\.\."/)
    assert.throws(() => checkId('variable', '/a'), /leading or trailing/)
    assert.throws(() => checkId('connection', 'x'.repeat(251)), /longer than 250/)
    assert.equal(checkSize('variable', 'k', 'é'.repeat(32_768)), 'é'.repeat(32_768))
    assert.throws(() => checkSize('variable', 'k', ''), /The variable k is empty: Secrets Manager does not store an empty value/)
    assert.throws(() => checkSize('variable', 'k', `é${'é'.repeat(32_768)}`), /64\.0 KiB stored; Secrets Manager keeps at most 64 KiB/)
  })

  it("stores a variable's text as is and anything else as Airflow's json.dumps(indent=2)", () => {
    assert.equal(variableText('text'), 'text')
    assert.equal(variableText({a: [1, 2]}), '{\n  "a": [\n    1,\n    2\n  ]\n}')
    assert.equal(variableText(7), '7')
  })
})

describe('import files', () => {
  const write = (name: string, text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'import-')), name)
    writeFileSync(path, text)
    return path
  }

  it('reads an .env of Airflow\'s own export (<id>=<value>), with comments and quotes', () => {
    const f = readImportFile(write('c.env', '# exported\nmy_db=postgres://h:5432\n\n  \nother="mysql://h2"\n'), 'connection')
    assert.deepEqual(f.entries.map((e) => [e.id, e.connType, e.host]), [['my_db', 'postgres', 'h'], ['other', 'mysql', 'h2']])
    assert.deepEqual(f.ignored, [])
  })

  it('refuses a line without "=", an empty value, and a top-level duplicate, but not a nested one', () => {
    assert.throws(() => readImportFile(write('a.env', 'x=postgres://h\njunk\n'), 'connection'), /a\.env line 2: no "="/)
    assert.throws(() => readImportFile(write('a.env', 'x=\n'), 'variable'), /line 1: x has an empty value/)
    assert.throws(() => readImportFile(write('a.json', '{"k": 1, "k" : 2}'), 'variable'), /"k" appears twice/)
    assert.deepEqual(readImportFile(write('a.json', '{"k": {"value": {"x": 1, "x": 2}}, "l": "{\\"k\\": 1}"}'), 'variable').entries.map((e) => e.id), ['k', 'l'])
    assert.throws(() => readImportFile(write('a.txt', 'x=1'), 'variable'), /unsupported file type ".txt"/)
    assert.throws(() => readImportFile(write('a.json', '[1]'), 'variable'), /must hold one JSON object/)
    assert.throws(() => readImportFile(write('a.json', '   '), 'variable'), /is empty/)
  })
})
