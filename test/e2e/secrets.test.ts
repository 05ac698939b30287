// `connections` and `variables`, run as a user runs them (the built CLI against moto, the
// deployment read through `terraform output -json`), and then read back by the real
// thing: the amazon provider's SecretsManagerBackend of the installed Airflow, configured
// with the backend kwargs of infra-terraform/airflow.tf, must return what was set.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CloudWatchLogsClient, PutLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DescribeTasksCommand, ECSClient} from '@aws-sdk/client-ecs'
import {DescribeSecretCommand, ListSecretsCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type CliResult, parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {type Fixture, createFixture, sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {testPython} from '../harness/pyenv.mjs'

// The tests' virtualenv: the Airflow and amazon provider the image runs.
const AIRFLOW_PYTHON = testPython()

let moto: Moto
let fx: Fixture
const cli = (args: string[], env: Record<string, string | undefined> = {}, extra = {}): Promise<CliResult> => runCli(args, {env: {...fx.env, ...env}, ...extra})
const offline = {AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}

/** Every output of the tests that did not ask for --reveal; no secret may be in it. */
const shown: string[] = []
async function quiet(args: string[], env: Record<string, string | undefined> = {}, extra = {}): Promise<CliResult> {
  const r = await cli(args, env, extra)
  shown.push(`$ ${args.filter((a) => !SECRETS.some((s) => a.includes(s))).join(' ')}\n${r.stdout}${r.stderr}`)
  return r
}
function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r
}
function oneLineError(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`)
  assert.match(r.stderr, pattern)
  assert.ok(r.stderr.trim().split('\n').length <= 2, `one line and a hint, got:\n${r.stderr}`)
}

const PASSWORD = 'p@ss/w0rd:Zq9'
const TOKEN = 'tok-7f3a9c2b8d'
const VAR_SECRET = 'very-private-value-42'
const SECRETS = [PASSWORD, encodeURIComponent(PASSWORD), TOKEN, VAR_SECRET, 'hunter2-x1', 'imported-pw-77', 'env-pw-99', 'stdin-pw-31']

/** The deployment's backend kwargs, from infra-terraform/airflow.tf itself. */
function backendKwargs(project: string): Record<string, string | null> {
  const tf = readFileSync(join(repoRoot, 'infra-terraform', 'airflow.tf'), 'utf8')
  const body = /AIRFLOW__SECRETS__BACKEND_KWARGS\s*=\s*jsonencode\(\{(.*)\}\)/.exec(tf)?.[1]
  assert.ok(body, 'airflow.tf sets AIRFLOW__SECRETS__BACKEND_KWARGS with jsonencode({...})')
  return Object.fromEntries(
    [...body.matchAll(/(\w+)\s*=\s*("[^"]*"|null)/g)].map(([, k, v]) => [k, v === 'null' ? null : v.slice(1, -1).replace('${var.project_name}', project)]),
  )
}

const airflowEnv = (): NodeJS.ProcessEnv => ({...process.env, ...moto.env, AIRFLOW_HOME: mkdtempSync(join(tmpdir(), 'airflow-home-'))})

/** The real SecretsManagerBackend reading these ids. */
function airflowReads(kind: 'connection' | 'variable', ids: string[]): Record<string, any> {
  const r = spawnSync(AIRFLOW_PYTHON, [join(repoRoot, 'test', 'harness', 'airflow_backend.py'), JSON.stringify(backendKwargs('airflow')), kind, ...ids], {
    encoding: 'utf8',
    env: airflowEnv(),
  })
  assert.equal(r.status, 0, r.stderr)
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!)
}

async function secretCount(): Promise<number> {
  const sm = new SecretsManagerClient(sdkConfig(moto))
  return (await sm.send(new ListSecretsCommand({IncludePlannedDeletion: true}))).SecretList?.length ?? 0
}

function file(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'import-')), name)
  writeFileSync(path, content)
  return path
}

before(async () => {
  moto = await startMoto()
  fx = await createFixture(moto)
})
after(async () => {
  await moto?.stop()
})

describe('connections set/get/list/delete', () => {
  it('a URI is stored as the JSON the backend reads, tagged with the project; get masks the password and secret-looking extras', async () => {
    const uri = `postgres://ada:${encodeURIComponent(PASSWORD)}@DB.example.com:5432/analytics?sslmode=require&api_token=${TOKEN}&timeout=30`
    const set = parseJson(ok(await quiet(['connections', 'set', 'my_db', uri, '--json'])))
    assert.deepEqual(set, {connId: 'my_db', secretName: 'airflow/connections/my_db', action: 'created'})
    const sm = new SecretsManagerClient(sdkConfig(moto))
    const described = await sm.send(new DescribeSecretCommand({SecretId: 'airflow/connections/my_db'}))
    assert.deepEqual(
      Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value])),
      {'airflow-ecs:project': 'airflow', 'airflow-ecs:kind': 'connection', 'managed-by': 'airflow-ecs'},
    )

    const text = ok(await quiet(['connections', 'get', 'my_db'])).stdout
    assert.match(text, /^conn_type\s+postgres$/m)
    assert.match(text, /^host\s+db\.example\.com$/m, 'the host is lower-cased, as Python\'s urlsplit does')
    assert.match(text, /^port\s+5432$/m)
    assert.match(text, /^login\s+ada$/m)
    assert.match(text, /^password\s+\*\*\*$/m)
    assert.match(text, /"api_token":"\*\*\*"/)
    assert.match(text, /"sslmode":"require"/)
    assert.match(text, /"timeout":30/, 'a JSON value in the query is decoded, as airflow connections add --conn-uri does')

    const masked = parseJson(ok(await quiet(['connections', 'get', 'my_db', '--json'])))
    assert.equal(masked.revealed, false)
    assert.equal(masked.connection.password, '***')
    const revealed = parseJson(ok(await cli(['connections', 'get', 'my_db', '--json', '--reveal'])))
    assert.equal(revealed.connection.password, PASSWORD)
    assert.equal(revealed.connection.extra.api_token, TOKEN)
  })

  it('from --conn-json, from the field flags, from stdin, and from --json with the JSON as the definition', async () => {
    ok(await quiet(['connections', 'set', 'api', '--conn-json', JSON.stringify({conn_type: 'http', host: 'api.example.com', password: 'hunter2-x1', extra: {verify: false}})]))
    ok(await quiet(['connections', 'set', 'aws_eu', '--type', 'aws', '--extra', '{"region_name": "eu-west-1"}']))
    ok(await quiet(['connections', 'set', 'piped', '-'], {}, {input: `mysql://root:stdin-pw-31@mysql.internal:3306/app\n`}))
    const r = parseJson(ok(await quiet(['connections', 'set', 'literal', '--json', '{"conn_type": "postgres", "host": "h", "port": "6543"}'])))
    assert.equal(r.action, 'created')

    const list = parseJson(ok(await quiet(['connections', 'list', '--json'])))
    assert.deepEqual(
      list.map((c: any) => [c.connId, c.connType, c.host ?? null]),
      [['api', 'http', 'api.example.com'], ['aws_eu', 'aws', null], ['literal', 'postgres', 'h'], ['my_db', 'postgres', 'db.example.com'], ['piped', 'mysql', 'mysql.internal']],
    )
    assert.ok(list.every((c: any) => typeof c.lastChanged === 'string'))
    const table = ok(await quiet(['connections', 'list'])).stdout
    assert.match(table, /^CONN_ID\s+TYPE\s+HOST\s+CHANGED$/m)
    assert.match(table, /^piped\s+mysql\s+mysql\.internal\s+\d{4}-/m)
  })

  it('Airflow itself reads every connection as it was set, through the core and the Task SDK Connection', () => {
    const read = airflowReads('connection', ['my_db', 'api', 'aws_eu', 'piped', 'literal', 'missing'])
    const expected = {
      my_db: {conn_type: 'postgres', host: 'db.example.com', login: 'ada', password: PASSWORD, schema: 'analytics', port: 5432, extra: {sslmode: 'require', api_token: TOKEN, timeout: 30}},
      api: {conn_type: 'http', host: 'api.example.com', login: null, password: 'hunter2-x1', schema: null, port: null, extra: {verify: false}},
      aws_eu: {conn_type: 'aws', host: null, login: null, password: null, schema: null, port: null, extra: {region_name: 'eu-west-1'}},
      piped: {conn_type: 'mysql', host: 'mysql.internal', login: 'root', password: 'stdin-pw-31', schema: 'app', port: 3306, extra: {}},
      literal: {conn_type: 'postgres', host: 'h', login: null, password: null, schema: null, port: 6543, extra: {}},
    }
    for (const [id, fields] of Object.entries(expected)) {
      assert.deepEqual(read[id].core, fields, `${id} through airflow.models.Connection`)
      assert.deepEqual(read[id].sdk, fields, `${id} through airflow.sdk.Connection`)
    }
    assert.deepEqual(read.missing, {core: null, sdk: null})
  })

  it('a second set replaces the value in one write; delete keeps the recovery window; set restores; --force deletes at once', async () => {
    assert.equal(parseJson(ok(await quiet(['connections', 'set', 'literal', 'postgres://h2:5433', '--json']))).action, 'updated')
    assert.match(ok(await quiet(['connections', 'get', 'literal'])).stdout, /^host\s+h2$/m)

    const deleted = await quiet(['connections', 'delete', 'literal'])
    ok(deleted)
    assert.match(deleted.stdout, /Scheduled connection literal \(secret airflow\/connections\/literal\) for deletion/)
    assert.match(deleted.stdout, /aws secretsmanager restore-secret --secret-id airflow\/connections\/literal/)
    oneLineError(await quiet(['connections', 'get', 'literal']), 1, /No connection literal in airflow\/connections\/ \(it is scheduled for deletion\)/)
    assert.ok(!parseJson(ok(await quiet(['connections', 'list', '--json']))).some((c: any) => c.connId === 'literal'))
    oneLineError(await quiet(['connections', 'delete', 'literal']), 2, /already scheduled for deletion[\s\S]*--force/)

    assert.equal(parseJson(ok(await quiet(['connections', 'set', 'literal', 'postgres://h3', '--json']))).action, 'restored')
    assert.match(ok(await quiet(['connections', 'get', 'literal'])).stdout, /^host\s+h3$/m)

    const forced = parseJson(ok(await quiet(['connections', 'delete', 'literal', '--force', '--json'])))
    assert.equal(forced.recoverableUntil, undefined)
    oneLineError(await quiet(['connections', 'get', 'literal']), 1, /No connection literal in airflow\/connections\/ \(there is none\)/)
    oneLineError(await quiet(['connections', 'delete', 'nothing-here']), 1, /No connection nothing-here/)
  })
})

describe('variables set/get/list/delete', () => {
  it('from a value, --file, stdin and --json-value; get shows the size, never the value, unless --reveal', async () => {
    ok(await quiet(['variables', 'set', 'environment', 'production']))
    const path = file('cert.pem', `-----BEGIN CERT-----\n${VAR_SECRET}\n-----END CERT-----\n`)
    ok(await quiet(['variables', 'set', 'ca_bundle', '--file', path]))
    ok(await quiet(['variables', 'set', 'api_token'], {}, {input: `${VAR_SECRET}\n`}))
    ok(await quiet(['variables', 'set', 'limits', '{"max_rows": 1000, "tables": ["a", "b"]}', '--json-value']))

    const text = ok(await quiet(['variables', 'get', 'limits'])).stdout
    assert.match(text, /^value\s+\*\*\* \(40 characters, JSON object; --reveal shows it\)$/m)
    const masked = parseJson(ok(await quiet(['variables', 'get', 'api_token', '--json'])))
    assert.equal(masked.value, '***')
    assert.equal(masked.length, VAR_SECRET.length, 'the trailing newline of stdin is not part of the value')
    assert.equal(ok(await cli(['variables', 'get', 'api_token', '--reveal'])).stdout, `${VAR_SECRET}\n`)
    assert.equal(parseJson(ok(await cli(['variables', 'get', 'ca_bundle', '--reveal', '--json']))).value, readFileSync(path, 'utf8'))

    const list = parseJson(ok(await quiet(['variables', 'list', '--json'])))
    assert.deepEqual(list.map((v: any) => v.key), ['api_token', 'ca_bundle', 'environment', 'limits'])
    assert.ok(list.every((v: any) => Object.keys(v).sort().join() === 'key,lastChanged,secretName'), 'keys and dates only')
  })

  it('Airflow itself reads every variable as it was set', () => {
    const read = airflowReads('variable', ['environment', 'ca_bundle', 'api_token', 'limits', 'missing'])
    assert.deepEqual(read, {
      environment: 'production',
      ca_bundle: `-----BEGIN CERT-----\n${VAR_SECRET}\n-----END CERT-----\n`,
      api_token: VAR_SECRET,
      limits: '{"max_rows": 1000, "tables": ["a", "b"]}',
      missing: null,
    })
  })

  it('delete keeps the recovery window; --force deletes at once', async () => {
    ok(await quiet(['variables', 'delete', 'environment']))
    oneLineError(await quiet(['variables', 'get', 'environment']), 1, /scheduled for deletion/)
    ok(await quiet(['variables', 'delete', 'environment', '--force']))
    oneLineError(await quiet(['variables', 'get', 'environment']), 1, /No variable environment in airflow\/variables\/ \(there is none\)/)
  })
})

describe('import', () => {
  const exported = {
    // As `airflow connections export --file-format json` writes it.
    warehouse: {conn_type: 'postgres', description: null, login: 'etl', password: 'imported-pw-77', host: 'wh.internal', port: 5439, schema: 'dw', extra: '{"sslmode": "verify-full", "private_key": "k"}'},
    slack: 'http://hooks.slack.example/?webhook_token=abc',
  }

  it('connections: a dry run shows what would change, the import writes it, a second run changes nothing and says so', async () => {
    const path = file('connections.json', JSON.stringify(exported, null, 2))
    const before = await secretCount()
    const dry = await quiet(['connections', 'import', path, '--dry-run'])
    ok(dry)
    assert.match(dry.stdout, /^\+ warehouse\s+create  \(postgres, wh\.internal\)$/m)
    assert.match(dry.stdout, /Dry run: would create 2 and update 0; 0 unchanged\. Nothing was written\./)
    assert.equal(await secretCount(), before, 'the dry run wrote nothing')

    const first = parseJson(ok(await quiet(['connections', 'import', path, '--json'])))
    assert.deepEqual([first.created, first.updated, first.unchanged], [2, 0, 0])
    const again = await quiet(['connections', 'import', path])
    ok(again)
    assert.match(again.stdout, /^= warehouse\s+unchanged  \(postgres, wh\.internal\)$/m)
    assert.match(again.stdout, /Nothing to change: what is stored matches .*connections\.json \(2 connections\)\./)

    const changed = file('connections.json', JSON.stringify({...exported, warehouse: {...exported.warehouse, password: 'imported-pw-78', port: 5440}}))
    const update = await quiet(['connections', 'import', changed, '--dry-run'])
    assert.match(update.stdout, /^~ warehouse\s+update: password, port  \(postgres, wh\.internal\)$/m, 'names what changes, never the values')
    assert.match(ok(await quiet(['connections', 'get', 'warehouse'])).stdout, /"private_key":"\*\*\*"/)
  })

  it('YAML, the form airflow connections/variables export write: the same entries as JSON, idempotent', async () => {
    const yaml = file(
      'settings.yaml',
      [
        'yaml_db: postgres://ya:yaml-pw-31@yaml-host:5433/ydb',
        'yaml_api:',
        '  conn_type: http',
        '  host: api.yaml.example',
        '  extra:',
        '    timeout: 7',
      ].join('\n'),
    )
    const first = parseJson(ok(await quiet(['connections', 'import', yaml, '--json'])))
    assert.deepEqual(first.entries.map((e: any) => [e.id, e.action]), [['yaml_db', 'create'], ['yaml_api', 'create']])
    const again = parseJson(ok(await quiet(['connections', 'import', yaml, '--json'])))
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 2])
    const api = parseJson(ok(await quiet(["connections", "get", "yaml_api", "--json"]))).connection
    assert.deepEqual([api.conn_type, api.host, api.extra], ['http', 'api.yaml.example', {timeout: 7}])
    const vars = file('vars.yml', 'yaml_flag: true\nyaml_limits:\n  max_rows: 10\n')
    ok(await quiet(['variables', 'import', vars]))
    assert.deepEqual(JSON.parse(ok(await quiet(['variables', 'get', 'yaml_limits', '--reveal'])).stdout), {max_rows: 10})
  })

  it('connections and variables from one .env of the local convention (AIRFLOW_CONN_* / AIRFLOW_VAR_*), idempotent', async () => {
    const env = file(
      '.env',
      [
        '# local settings',
        'AIRFLOW_UID=50000',
        'AIRFLOW_CONN_REPORTING_DB=postgres://rep:env-pw-99@reporting:5432/rep',
        `AIRFLOW_CONN_SEARCH='{"conn_type": "elasticsearch", "host": "search.internal", "port": 9200}'`,
        'AIRFLOW_VAR_REGION=eu-west-1',
        'AIRFLOW_VAR_FEATURE_FLAGS={"beta": true}',
      ].join('\n'),
    )
    const conns = parseJson(ok(await quiet(['connections', 'import', env, '--json'])))
    assert.deepEqual(conns.entries.map((e: any) => [e.id, e.action]), [['reporting_db', 'create'], ['search', 'create']])
    assert.deepEqual(conns.ignored, ['AIRFLOW_UID', 'AIRFLOW_VAR_REGION', 'AIRFLOW_VAR_FEATURE_FLAGS'])
    const vars = parseJson(ok(await quiet(['variables', 'import', env, '--json'])))
    assert.deepEqual(vars.entries.map((e: any) => [e.id, e.action]), [['region', 'create'], ['feature_flags', 'create']])
    assert.equal(parseJson(ok(await quiet(['connections', 'import', env, '--json']))).unchanged, 2)
    assert.match(ok(await quiet(['variables', 'import', env])).stdout, /Nothing to change/)
  })

  it("variables: Airflow's export format, values that are not strings stored as JSON, idempotent", async () => {
    // As `airflow variables export` writes it.
    const path = file('variables.json', JSON.stringify({batch_size: 500, owners: {value: ['ada', 'grace'], description: 'who to page'}, greeting: 'hello'}))
    const first = await quiet(['variables', 'import', path])
    ok(first)
    assert.match(first.stderr, /owners: its description is not stored/)
    assert.match(first.stdout, /Created 3, updated 0, 0 unchanged/)
    assert.match(ok(await quiet(['variables', 'import', path])).stdout, /Nothing to change/)
    const updated = parseJson(ok(await quiet(['variables', 'import', file('variables.json', JSON.stringify({batch_size: 501, greeting: 'hello'})), '--json'])))
    assert.deepEqual(updated.entries, [{id: 'batch_size', action: 'update', changed: ['value']}, {id: 'greeting', action: 'unchanged', changed: []}])
  })

  it('Airflow itself reads what the imports wrote', () => {
    const conns = airflowReads('connection', ['warehouse', 'slack', 'reporting_db', 'search'])
    assert.equal(conns.warehouse.core.password, 'imported-pw-77')
    assert.deepEqual(conns.warehouse.sdk.extra, {sslmode: 'verify-full', private_key: 'k'})
    assert.deepEqual(conns.slack.sdk, {conn_type: 'http', host: 'hooks.slack.example', login: null, password: null, schema: null, port: null, extra: {webhook_token: 'abc'}})
    assert.equal(conns.reporting_db.core.password, 'env-pw-99')
    assert.equal(conns.search.sdk.port, 9200)
    const vars = airflowReads('variable', ['batch_size', 'owners', 'region', 'feature_flags'])
    assert.deepEqual(vars, {batch_size: '501', owners: '[\n  "ada",\n  "grace"\n]', region: 'eu-west-1', feature_flags: '{"beta": true}'})
  })
})

describe('bad input: one line naming the entry, no value shown, nothing written, no AWS call', () => {
  it('is refused before any call', async () => {
    const before = await secretCount()
    const big = 'x'.repeat(70 * 1024)
    const cases: Array<[string[], RegExp]> = [
      [['connections', 'set', 'bad_port', `postgres://u:${encodeURIComponent(PASSWORD)}@h:12ab/db`], /Connection bad_port: Airflow cannot parse the URI: its port is not a number/],
      [['connections', 'set', 'ipv6', 'postgres://[::1/db'], /Connection ipv6: Airflow cannot parse the URI: it has an unbalanced/],
      [['connections', 'set', 'noscheme', 'db.example.com:5432'], /Connection noscheme: the URI does not start with <conn-type>:\/\//],
      [['connections', 'set', 'my conn!', 'postgres://h'], /"my conn!" has characters the Secrets Manager backend cannot map to a secret name: space, "!"/],
      [['connections', 'set', 'a:b', 'postgres://h'], /"a:b" has characters the Secrets Manager backend cannot map[^\n]*":"/],
      [['connections', 'set', 'huge', '--type', 'http', '--extra', JSON.stringify({blob: big})], /The connection huge is 70\.\d KiB stored; Secrets Manager keeps at most 64 KiB/],
      [['connections', 'set', 'j', '--conn-json', '{"conn_type": "http", "hostname": "x"}'], /Connection j: unknown field hostname/],
      [['connections', 'set', 'e', '--type', 'http', '--extra', '[1]'], /Connection e: extra must be a JSON object/],
      [['connections', 'set', 'two', 'postgres://h', '--uri', 'postgres://h'], /two definitions/],
      [['connections', 'set', 'none'], /No definition for connection none/],
      [['variables', 'set', 'bad key', 'v'], /"bad key" has characters/],
      [['variables', 'set', 'cfg', `{"password": "${VAR_SECRET}"`, '--json-value'], /The variable cfg is not valid JSON\./],
      [['variables', 'set', 'big', big], /The variable big is 70\.0 KiB stored/],
      [['variables', 'set', 'novalue'], /No value for variable novalue \(stdin was empty\)/],
      [['connections', 'import', file('dup.json', `{"a": "postgres://h", "b": "postgres://h", "a": "mysql://${PASSWORD}@h"}`)], /"a" appears twice; nothing was written/],
      [['connections', 'import', file('dup.env', 'AIRFLOW_CONN_DB=postgres://h\nAIRFLOW_CONN_db=postgres://h2\n')], /line 2: connection db is already defined \(line 1\); nothing was written/],
      [['connections', 'import', file('unknown.json', JSON.stringify({ok: 'postgres://h', w: {conn_type: 'http', pasword: PASSWORD}}))], /Connection w: unknown field pasword/],
      [['connections', 'import', file('baduri.json', JSON.stringify({ok: 'postgres://h', broken: `postgres://u:${encodeURIComponent(PASSWORD)}@h:99999`}))], /Connection broken: Airflow cannot parse the URI: its port is out of the range/],
      [['variables', 'import', file('unknown.json', JSON.stringify({k: {value: 1, descripton: 'typo'}}))], /Variable k: unknown field descripton next to "value"/],
      [['variables', 'import', file('dup.yaml', `a: 1\nb: 2\na: "${VAR_SECRET}"\n`)], /dup\.yaml: "a" appears twice; nothing was written/],
      [['connections', 'import', file('broken.yml', `db: postgres://h\n  - "${PASSWORD}": [\n`)], /broken\.yml is not valid YAML \(line \d+\)/],
      [['connections', 'import', file('list.yaml', '- postgres://h\n')], /list\.yaml must hold one YAML mapping/],
      [['variables', 'import', file('broken.json', `{"k": "${VAR_SECRET}",\n  oops}`)], /broken\.json is not valid JSON \(line 2\)/],
    ]
    for (const [args, pattern] of cases) {
      const r = await quiet(args, offline)
      assert.equal(r.code, 2, `${args.slice(0, 3).join(' ')}: ${r.stderr}`)
      oneLineError(r, 2, pattern)
    }
    assert.equal(await secretCount(), before)
  })
})

describe('connections check', () => {
  it('runs the resolver snippet as a standalone task and fails clearly when the task prints no result', async () => {
    const r = await quiet(['connections', 'check', 'my_db', '--json'])
    assert.equal(r.code, 1, r.stderr)
    assert.match(parseJson(r).error.message, /Task [0-9a-f-]+ ended \(exit 0\) without saying what Airflow resolved/)
    const id = /Started task ([0-9a-f-]+)/.exec(r.stderr)![1]
    const ecs = new ECSClient(sdkConfig(moto))
    const task = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [id]}))).tasks![0]
    const command = task.overrides?.containerOverrides?.[0]?.command
    const {CHECK_SNIPPET} = await import('../../dist/lib/secrets/check.js')
    assert.deepEqual(command, ['python', '-c', CHECK_SNIPPET, 'my_db'])
  })

  it('shows what the real Airflow resolved: the snippet run against moto, its line in the task log', async () => {
    const {CHECK_SNIPPET} = await import('../../dist/lib/secrets/check.js')
    const kwargs = backendKwargs('airflow')
    const airflow = spawnSync(AIRFLOW_PYTHON, ['-c', CHECK_SNIPPET, 'my_db'], {
      encoding: 'utf8',
      env: {
        ...airflowEnv(),
        AIRFLOW__SECRETS__BACKEND: 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend',
        AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify(kwargs),
      },
    })
    assert.equal(airflow.status, 0, airflow.stderr)
    const line = airflow.stdout.split('\n').find((l) => l.startsWith('AIRFLOW_ECS_CHECK '))!
    assert.ok(line, airflow.stdout)
    for (const secret of SECRETS) assert.ok(!line.includes(secret), 'the resolver prints no secret')
    const resolved = JSON.parse(line.slice('AIRFLOW_ECS_CHECK '.length))
    assert.equal(resolved.source, 'SecretsManagerBackend')
    assert.deepEqual(resolved.extra_keys, ['api_token', 'sslmode', 'timeout'])

    // The fake container only logs its command: put the real resolver's line in its log.
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    let injected: Promise<unknown> | undefined
    const r = await runCli(['connections', 'check', 'my_db'], {
      env: {...fx.env, AIRFLOW_ECS_POLL_INTERVAL_MS: '1000'},
      onStderr: (chunk) => {
        const id = /Started task ([0-9a-f-]+)/.exec(chunk)?.[1]
        if (id && !injected) {
          injected = logs.send(
            new PutLogEventsCommand({logGroupName: '/airflow-ecs/airflow/standalone', logStreamName: `ecs/airflow/${id}`, logEvents: [{timestamp: Date.now(), message: line}]}),
          )
        }
      },
    })
    await injected
    shown.push(r.stdout + r.stderr)
    ok(r)
    assert.match(r.stdout, /^resolved by\s+SecretsManagerBackend$/m)
    assert.match(r.stdout, /^conn_type\s+postgres$/m)
    assert.match(r.stdout, /^host\s+db\.example\.com$/m)
    assert.match(r.stdout, /^port\s+5432$/m)
    assert.match(r.stdout, /^password\s+set$/m)
    assert.match(r.stdout, /^extra keys\s+api_token, sslmode, timeout$/m)
  })

  it('says which backends Airflow asked when it does not find the connection', async () => {
    const {CHECK_SNIPPET} = await import('../../dist/lib/secrets/check.js')
    const airflow = spawnSync(AIRFLOW_PYTHON, ['-c', CHECK_SNIPPET, 'absent'], {
      encoding: 'utf8',
      env: {...airflowEnv(), AIRFLOW__SECRETS__BACKEND: 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend', AIRFLOW__SECRETS__BACKEND_KWARGS: JSON.stringify(backendKwargs('airflow'))},
    })
    const resolved = JSON.parse(airflow.stdout.split('\n').find((l) => l.startsWith('AIRFLOW_ECS_CHECK '))!.slice('AIRFLOW_ECS_CHECK '.length))
    assert.equal(resolved.found, false)
    assert.deepEqual(resolved.backends, ['SecretsManagerBackend', 'EnvironmentVariablesBackend', 'MetastoreBackend'])
  })
})

describe('no value in any output without --reveal', () => {
  it('none of the secrets set above appears in what the other commands printed', () => {
    assert.ok(shown.length > 40, `collected ${shown.length} outputs`)
    const all = shown.join('\n')
    for (const secret of SECRETS) assert.ok(!all.includes(secret), `${secret} was printed:\n${shown.find((s) => s.includes(secret))}`)
  })
})
