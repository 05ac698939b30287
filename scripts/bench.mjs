#!/usr/bin/env node
// `npm run bench`: start-up and hot-path timings, paired in one run on this machine.
//   airflow-ecs --version   vs  node -e 0                        (target: within 4x)
//   airflow-ecs url         vs  aws elbv2 describe-load-balancers (target: at most half)
// Both `url` and the aws CLI talk to the same moto server. Prints a Markdown table.
// Then `logs` over 1,000 to 300,000 events: wall time and peak memory (BENCH_LOGS=0 skips it),
// and a whole deploy's per-step timing (BENCH_DEPLOY=0 skips it).
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'

import {createFixture} from '../test/harness/fixture.ts'
import {startMoto} from '../test/harness/moto.ts'

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
} finally {
  await moto.stop()
}

console.log(`Node ${process.version}, ${runs} paired runs, medians in ms\n`)
console.log('| pair | ours (ms) | reference (ms) | ratio | target | met |')
console.log('|---|---:|---:|---:|---|---|')
for (const r of rows) {
  const target = r.label.includes('--version') ? '≤ 4x' : r.label.includes('aws') ? '≤ 0.5x' : '-'
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
