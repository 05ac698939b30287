// `dags deploy`, `dags versions`, `dags rollback` as a user runs them: the built CLI against
// moto, every S3 request it makes counted by a proxy (test/harness/s3-proxy.ts).
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3'

import {type CliResult, parseJson, runCli} from '../harness/cli.ts'
import {type Fixture, createFixture, sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {type S3Proxy, startS3Proxy} from '../harness/s3-proxy.ts'

let moto: Moto
let fx: Fixture
let proxy: S3Proxy
let s3: S3Client
let dags: string
const BUCKET = 'airflow-bucket' // the fixture's contract names it

const cli = (args: string[]): Promise<CliResult> => runCli(args, {env: {...fx.env, AWS_ENDPOINT_URL_S3: proxy.endpoint}})

const dagSource = (i: number, extra = '') => `from airflow.sdk import dag, task


@dag(schedule=None)
def generated_${i}():
    @task
    def hello():
        print("hello ${i}${extra}")

    hello()


generated_${i}()
`

function assertOneLineError(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, `exit code; stdout: ${r.stdout}`)
  assert.match(r.stderr, pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace without DEBUG')
  assert.ok(r.stderr.trim().split('\n').length <= 2, `one line and a hint, got:\n${r.stderr}`)
  assert.match(r.stderr, /→ /, 'says what to do')
}

async function liveKeys(): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({Bucket: BUCKET, Prefix: 'dags/live/'}))
  return (r.Contents ?? []).map((o) => o.Key!.slice('dags/live/'.length)).sort()
}
async function liveBody(path: string): Promise<string> {
  const r = await s3.send(new GetObjectCommand({Bucket: BUCKET, Key: `dags/live/${path}`}))
  return r.Body!.transformToString()
}

before(async () => {
  moto = await startMoto()
  fx = await createFixture(moto)
  proxy = await startS3Proxy(moto.endpoint)
  s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
  dags = mkdtempSync(join(tmpdir(), 'airflow-ecs-dags-'))
  for (let i = 0; i < 197; i++) writeFileSync(join(dags, `dag_${String(i).padStart(3, '0')}.py`), dagSource(i))
  mkdirSync(join(dags, 'lib'))
  writeFileSync(join(dags, 'lib', 'helpers.py'), 'GREETING = "hi"\n')
  writeFileSync(join(dags, 'lib', 'sql.txt'), 'select 1\n')
  writeFileSync(join(dags, 'README.md'), '# dags\n')
  // What is never published.
  mkdirSync(join(dags, '__pycache__'))
  writeFileSync(join(dags, '__pycache__', 'dag_000.cpython-311.pyc'), 'bytecode')
  mkdirSync(join(dags, '.git'))
  writeFileSync(join(dags, '.git', 'config'), '[core]\n')
  writeFileSync(join(dags, 'dag_001.py~'), 'editor backup')
  writeFileSync(join(dags, '.dag_002.py.swp'), 'vim swap')
  writeFileSync(join(dags, '.airflowignore'), '# scratch work\nscratch_*.py\nnotebooks/\n')
  writeFileSync(join(dags, 'scratch_try.py'), 'this is not even python (\n')
  mkdirSync(join(dags, 'notebooks'))
  writeFileSync(join(dags, 'notebooks', 'explore.py'), 'x = (\n')
})
after(async () => {
  await proxy?.stop()
  await moto?.stop()
  if (dags) rmSync(dags, {recursive: true, force: true})
})

describe('dags deploy / versions / rollback against moto', {timeout: 300_000}, () => {
  it('no bucket (nothing deployed): one line and what to do, nothing written', async () => {
    proxy.reset()
    const r = await cli(['dags', 'deploy', '--dir', dags])
    assertOneLineError(r, /bucket airflow-bucket does not exist.*\n.*airflow-ecs deploy/)
    assert.deepEqual(proxy.writes(), [])
    await s3.send(new CreateBucketCommand({Bucket: BUCKET}))
  })

  it('first publish: 201 files, .airflowignore honoured, no cache/VCS/editor files', async () => {
    proxy.reset()
    const r = await cli(['dags', 'deploy', '--dir', dags, '--message', 'first', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assert.equal(out.published, true)
    assert.equal(out.files, 201)
    assert.equal(out.change.added.length, 201)
    assert.equal(out.syntaxChecked, 198, 'every .py file left in was compiled')
    const keys = await liveKeys()
    assert.equal(keys.length, 201)
    assert.ok(keys.includes('.airflowignore') && keys.includes('lib/helpers.py') && keys.includes('README.md'))
    for (const never of ['__pycache__/dag_000.cpython-311.pyc', '.git/config', 'dag_001.py~', '.dag_002.py.swp', 'scratch_try.py', 'notebooks/explore.py']) {
      assert.ok(!keys.includes(never), `${never} is not published`)
    }
    // 201 contents + 201 live files + 1 manifest + the release record.
    assert.equal(proxy.writes().length, 404)
  })

  it('a run with no change makes no write request', async () => {
    proxy.reset()
    const r = await cli(['dags', 'deploy', '--dir', dags])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /No change in 201 files: version \S+ stays live, nothing written/)
    assert.deepEqual(proxy.writes(), [])
  })

  it('one edited DAG in a 200-file folder: exactly one object PUT to the live prefix, a new version', async () => {
    writeFileSync(join(dags, 'dag_042.py'), dagSource(42, ' again'))
    proxy.reset()
    const r = await cli(['dags', 'deploy', '--dir', dags, '-m', 'say it again'])
    assert.equal(r.code, 0, r.stderr)
    const livePuts = proxy.writes().filter((w) => w.path.includes('/dags/live/'))
    assert.deepEqual(livePuts.map((w) => `${w.method} ${w.path.replace(/^\/[^/]+\//, '').replace(/\?.*/, '')}`), ['PUT dags/live/dag_042.py'])
    // The content once under its hash, the live file, the manifest, the release record.
    assert.equal(proxy.writes().length, 4, JSON.stringify(proxy.writes()))
    assert.match(r.stdout, /added 0, changed 1 \(dag_042\.py\), removed 0/)
    assert.match(r.stdout, /parsed within about \d+ s/)
    assert.match(await liveBody('dag_042.py'), /hello 42 again/)
  })

  it('a deleted file is removed from the live prefix', async () => {
    rmSync(join(dags, 'README.md'))
    const r = await cli(['dags', 'deploy', '--dir', dags, '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(parseJson(r).change, {added: [], changed: [], removed: ['README.md']})
    assert.ok(!(await liveKeys()).includes('README.md'))
  })

  it('`dags versions` lists every version, newest live, with message and hashes', async () => {
    const r = await cli(['dags', 'versions', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const rows = parseJson(r)
    assert.equal(rows.length, 3)
    assert.deepEqual(rows.map((v: any) => v.live), [true, false, false])
    assert.deepEqual(rows.map((v: any) => v.message), [undefined, 'say it again', 'first'])
    assert.deepEqual(rows.map((v: any) => v.files), [200, 201, 201])
    const table = await cli(['dags', 'versions'])
    assert.match(table.stdout, /version\s+published\s+author\s+commit\s+files\s+message/i)
    assert.match(table.stdout, /\(live\)/)
  })

  it('`dags rollback` (twice back) restores the previous bytes, checked through the S3 API', async () => {
    const versions = parseJson(await cli(['dags', 'versions', '--json']))
    const first = versions[2].version
    const r = await cli(['dags', 'rollback', first, '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assert.equal(out.target, first)
    assert.deepEqual(out.change, {added: ['README.md'], changed: ['dag_042.py'], removed: []})
    assert.equal(typeof out.release, 'number', 'the restored version is recorded as a release')
    const [newest] = parseJson(await cli(['releases', '--json', '--limit', '1']))
    assert.deepEqual([newest.number, newest.kind, newest.dagBundleVersion], [out.release, 'dags', out.version])
    assert.equal(await liveBody('dag_042.py'), dagSource(42))
    assert.equal(await liveBody('README.md'), '# dags\n')
    assert.equal((await liveKeys()).length, 201)
    const after = parseJson(await cli(['dags', 'versions', '--json']))
    assert.equal(after[0].rollbackOf, first)
    // Rollback with no argument: the version before the live one (the removal of README.md).
    const back = await cli(['dags', 'rollback'])
    assert.equal(back.code, 0, back.stderr)
    assert.match(back.stdout, new RegExp(`Rolled back to ${after[1].version}`))
    assert.ok(!(await liveKeys()).includes('README.md'))
    assert.equal(await liveBody('dag_042.py'), dagSource(42, ' again'))
  })

  it('a syntax error: nothing is uploaded (no S3 request at all), file and line named, non-zero exit', async () => {
    writeFileSync(join(dags, 'dag_007.py'), 'from airflow.sdk import dag\n\n\ndef broken(:\n    pass\n')
    proxy.reset()
    const r = await cli(['dags', 'deploy', '--dir', dags])
    assertOneLineError(r, /Syntax error in dag_007\.py:4: .*Nothing was uploaded/)
    assert.equal(r.code, 2)
    assert.deepEqual(proxy.requests, [])
    writeFileSync(join(dags, 'dag_007.py'), dagSource(7))
  })

  it('bad folders: missing, empty, a symlink leaving it, a file over the size limit: one line each, nothing written', async () => {
    proxy.reset()
    assertOneLineError(await cli(['dags', 'deploy', '--dir', join(dags, 'nope')]), /No DAG folder at .*nope/)
    const empty = mkdtempSync(join(tmpdir(), 'airflow-ecs-empty-'))
    assertOneLineError(await cli(['dags', 'deploy', '--dir', empty]), /holds no DAG file/)
    const outside = mkdtempSync(join(tmpdir(), 'airflow-ecs-outside-'))
    writeFileSync(join(outside, 'secret.py'), 'x = 1\n')
    const linked = mkdtempSync(join(tmpdir(), 'airflow-ecs-linked-'))
    writeFileSync(join(linked, 'ok.py'), 'x = 1\n')
    symlinkSync(join(outside, 'secret.py'), join(linked, 'escape.py'))
    assertOneLineError(await cli(['dags', 'deploy', '--dir', linked]), /escape\.py is a symlink that leads out of the DAG folder/)
    const big = mkdtempSync(join(tmpdir(), 'airflow-ecs-big-'))
    writeFileSync(join(big, 'ok.py'), 'x = 1\n')
    writeFileSync(join(big, 'data.csv'), Buffer.alloc(11 * 1024 * 1024, 'a'))
    assertOneLineError(await cli(['dags', 'deploy', '--dir', big]), /data\.csv is 11\.0 MiB, over the 10 MiB limit/)
    assert.deepEqual(proxy.writes(), [])
    for (const d of [empty, outside, linked, big]) rmSync(d, {recursive: true, force: true})
  })

  it('a failed upload midway leaves the previous version live and complete, and no new version', async () => {
    const before = parseJson(await cli(['dags', 'versions', '--json']))
    const liveBefore = await liveBody('dag_010.py')
    for (const i of [10, 11, 12, 13]) writeFileSync(join(dags, `dag_${String(i).padStart(3, '0')}.py`), dagSource(i, ' v2'))
    proxy.reset()
    let seen = 0
    proxy.deny = (req) => req.method === 'PUT' && req.path.includes('/dags/live/dag_') && ++seen === 3
    const r = await cli(['dags', 'deploy', '--dir', dags])
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /failed after \d of 4 files .*what was live before \(version \S+\) is live again\. No new version was recorded/)
    assert.equal(await liveBody('dag_010.py'), liveBefore)
    for (const i of [11, 12, 13]) assert.doesNotMatch(await liveBody(`dag_0${i}.py`), / v2/)
    assert.deepEqual(parseJson(await cli(['dags', 'versions', '--json'])), before)
    // Once the cause is gone, the same command publishes.
    proxy.reset()
    const again = await cli(['dags', 'deploy', '--dir', dags])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /changed 4/)
  })

  it('no permission on the bucket: one line and what to do', async () => {
    writeFileSync(join(dags, 'dag_020.py'), dagSource(20, ' v3'))
    proxy.reset()
    proxy.deny = () => true
    const r = await cli(['dags', 'deploy', '--dir', dags])
    assertOneLineError(r, /Access denied publishing the DAG bundle to s3:\/\/airflow-bucket\/dags\/\.\n.*s3:PutObject/)
  })
})
