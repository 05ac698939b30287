#!/usr/bin/env node
// `npm run bench`: start-up and hot-path timings, paired in one run on this machine.
//   airflow-ecs --version   vs  node -e 0                        (target: within 4x)
//   airflow-ecs url         vs  aws elbv2 describe-load-balancers (target: at most half)
//   airflow-ecs url --env staging, state in S3, from a fresh clone: the same target
// Both `url` and the aws CLI talk to the same moto server. Prints a Markdown table.
// Then `logs` over 1,000 to 300,000 events: wall time and peak memory (BENCH_LOGS=0 skips it),
// and a whole deploy's per-step timing (BENCH_DEPLOY=0 skips it).
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'

import {createFixture} from '../test/harness/fixture.ts'
import {startMoto} from '../test/harness/moto.ts'
import {startS3Proxy} from '../test/harness/s3-proxy.ts'

const root = new URL('..', import.meta.url).pathname
const runs = Number(process.env.BENCH_RUNS ?? 15)
const cli = join(root, 'bin', 'run.js')

function time(command, args, env) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`)
  return ms
}

/** As time(), without blocking the event loop: the S3 proxy runs in this process. */
function timeAsync(command, args, env) {
  const start = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`${command} ${args.join(' ')} failed: ${stderr}`))))
  })
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Alternates the two commands so machine noise hits both alike. */
function pair(label, a, b, target) {
  time(...a) // warm-up (disk cache)
  time(...b)
  const ta = []
  const tb = []
  for (let i = 0; i < runs; i++) {
    ta.push(time(...a))
    tb.push(time(...b))
  }
  const ratio = median(ta) / median(tb)
  return {label, a: median(ta), b: median(tb), ratio, target, ok: target(ratio)}
}

const rows = []
rows.push(
  pair('`airflow-ecs --version` / `node -e 0`', [process.execPath, [cli, '--version'], process.env], [process.execPath, ['-e', '0'], process.env], (r) => r <= 4),
)

const moto = await startMoto()
try {
  const fx = await createFixture(moto)
  const env = {...process.env, ...fx.env}
  const aws = spawnSync('aws', ['--version'], {stdio: 'ignore'})
  time(process.execPath, [cli, 'url'], env) // fills the outputs cache, as any first call does
  if (aws.status === 0) {
    rows.push(
      pair(
        '`airflow-ecs url` / `aws elbv2 describe-load-balancers`',
        [process.execPath, [cli, 'url'], env],
        ['aws', ['elbv2', 'describe-load-balancers', '--endpoint-url', moto.endpoint, '--region', 'us-east-1'], env],
        (r) => r <= 0.5,
      ),
    )
  } else {
    const ms = []
    for (let i = 0; i < runs; i++) ms.push(time(process.execPath, [cli, 'url'], env))
    rows.push({label: '`airflow-ecs url` (no aws CLI installed to compare)', a: median(ms), b: NaN, ratio: NaN, target: () => true, ok: true})
  }

  // `url --env staging` from a fresh clone (only airflow-ecs.json): the state is an object in
  // the account's state bucket; the second call reads the cached outputs after one HeadObject.
  const s3 = new S3Client({endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
  const stateBucket = 'airflow-ecs-state-123456789012-us-east-1'
  await s3.send(new CreateBucketCommand({Bucket: stateBucket}))
  await s3.send(new PutBucketVersioningCommand({Bucket: stateBucket, VersioningConfiguration: {Status: 'Enabled'}}))
  const state = {version: 4, terraform_version: '1.11.4', serial: 1, lineage: 'bench', outputs: {airflow_ecs: {value: fx.contract, type: 'object'}}, resources: []}
  await s3.send(new PutObjectCommand({Bucket: stateBucket, Key: 'airflow-staging/terraform.tfstate', Body: JSON.stringify(state)}))
  const cloneB = mkdtempSync(join(tmpdir(), 'airflow-ecs-bench-clone-'))
  writeFileSync(join(cloneB, 'airflow-ecs.json'), JSON.stringify({name: 'airflow', region: 'us-east-1', environments: {staging: {}}}))
  const remoteEnv = {...env, AIRFLOW_ECS_PROJECT_DIR: cloneB}
  time(process.execPath, [cli, 'url', '--env', 'staging'], remoteEnv) // the first call: STS, GetObject, cache
  if (aws.status === 0) {
    rows.push(
      pair(
        '`airflow-ecs url --env staging` (state in S3, a fresh clone) / `aws elbv2 describe-load-balancers`',
        [process.execPath, [cli, 'url', '--env', 'staging'], remoteEnv],
        ['aws', ['elbv2', 'describe-load-balancers', '--endpoint-url', moto.endpoint, '--region', 'us-east-1'], remoteEnv],
        (r) => r <= 0.5,
      ),
    )
  }
  rmSync(cloneB, {recursive: true, force: true})

  // `dags deploy` of a one-file change in a 200-file folder (target: <= 2 s wall, <= 3 write
  // requests to the bundle), and of no change (no write). Every S3 request counted by a proxy
  // before moto. A published version is also a release (issue 11): one more write, under
  // releases/, counted on its own.
  const proxy = await startS3Proxy(moto.endpoint)
  const dags = mkdtempSync(join(tmpdir(), 'airflow-ecs-bench-dags-'))
  try {
    await new S3Client({endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}).send(new CreateBucketCommand({Bucket: fx.contract.bucket}))
    const dag = (i, v) => `from airflow.sdk import dag, task\n\n\n@dag(schedule=None)\ndef bench_${i}():\n    @task\n    def hello():\n        print("${v}")\n\n    hello()\n\n\nbench_${i}()\n`
    for (let i = 0; i < 200; i++) writeFileSync(join(dags, `dag_${i}.py`), dag(i, 'v0'))
    const dagsEnv = {...env, AWS_ENDPOINT_URL_S3: proxy.endpoint}
    await timeAsync(process.execPath, [cli, 'dags', 'deploy', '--dir', dags], dagsEnv) // the first publish
    const one = []
    const oneWrites = []
    const releaseWrites = []
    const none = []
    const noneWrites = []
    for (let i = 0; i < Math.min(runs, 7); i++) {
      writeFileSync(join(dags, 'dag_42.py'), dag(42, `v${i + 1}`))
      proxy.reset()
      one.push(await timeAsync(process.execPath, [cli, 'dags', 'deploy', '--dir', dags], dagsEnv))
      oneWrites.push(proxy.writes().filter((w) => !w.path.includes('/releases/')).length)
      releaseWrites.push(proxy.writes().filter((w) => w.path.includes('/releases/')).length)
      proxy.reset()
      none.push(await timeAsync(process.execPath, [cli, 'dags', 'deploy', '--dir', dags], dagsEnv))
      noneWrites.push(proxy.writes().length)
    }
    const w1 = Math.max(...oneWrites)
    const w0 = Math.max(...noneWrites)
    const wr = Math.max(...releaseWrites)
    rows.push({label: `\`dags deploy\`, 1 file changed of 200 (${w1} bundle writes + ${wr} release record)`, a: median(one), b: NaN, ratio: NaN, targetText: '≤ 2000 ms, ≤ 3 bundle writes, 1 release', ok: Math.max(...one) <= 2000 && w1 <= 3 && wr <= 1})
    rows.push({label: `\`dags deploy\`, no change (${w0} write requests)`, a: median(none), b: NaN, ratio: NaN, targetText: '0 writes', ok: w0 === 0})
  } finally {
    rmSync(dags, {recursive: true, force: true})
    await proxy.stop()
  }
} finally {
  await moto.stop()
}

console.log(`Node ${process.version}, ${runs} paired runs, medians in ms\n`)
console.log('| pair | ours (ms) | reference (ms) | ratio | target | met |')
console.log('|---|---:|---:|---:|---|---|')
for (const r of rows) {
  const target = r.targetText ?? (r.label.includes('--version') ? '≤ 4x' : r.label.includes('aws') ? '≤ 0.5x' : '-')
  console.log(`| ${r.label} | ${r.a.toFixed(0)} | ${Number.isNaN(r.b) ? '-' : r.b.toFixed(0)} | ${Number.isNaN(r.ratio) ? '-' : r.ratio.toFixed(2)} | ${target} | ${r.ok ? 'yes' : 'NO'} |`)
}
if (rows.some((r) => !r.ok)) process.exitCode = 1

// `logs` over large windows: wall time and peak memory (about 2 minutes; BENCH_LOGS=0 skips it).
if (process.env.BENCH_LOGS !== '0') {
  const {benchLogs, logsTable} = await import('./bench-logs.mjs')
  const l = await benchLogs()
  console.log(`\n${logsTable(l)}`)
  if (!l.ok) process.exitCode = 1
}

// The per-step timing of a whole deploy to moto (about 3 minutes; BENCH_DEPLOY=0 skips it).
if (process.env.BENCH_DEPLOY !== '0') {
  const {benchDeploy, deployTable} = await import('./bench-deploy.mjs')
  const d = await benchDeploy()
  console.log(`\n${deployTable(d)}`)
  if (!d.ok) process.exitCode = 1
}

// The real-Airflow tier: its time and the memory of the Airflow processes (about 4 minutes;
// BENCH_AIRFLOW=0 skips it).
if (process.env.BENCH_AIRFLOW !== '0') {
  const {airflowTable, benchAirflow} = await import('./bench-airflow.mjs')
  const a = benchAirflow()
  console.log(`\n${airflowTable(a)}`)
  if (!a.ok) process.exitCode = 1
}
