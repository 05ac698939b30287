#!/usr/bin/env node
// Peak memory and wall time of `airflow-ecs logs` reading large windows from moto: 1,000,
// 100,000 and 300,000 events over 50 streams, plain (every event, streamed page by page) and
// with --limit 100 (the newest 100, read through the whole window). stdout goes to /dev/null.
// Peak RSS is the CLI process's own (process.resourceUsage().maxRSS, via scripts/peak-rss.mjs).
// Unconstrained, V8 sizes its heap to the allocation rate, so peak RSS says little about
// what is kept; the check is that 300,000 events are read and printed with the V8 old space
// capped at LOGS_HEAP_CAP_MB (32): what is live is about a page, not the window.
//
//   node scripts/bench-logs.mjs           prints a Markdown table; exits 1 when the capped run fails
//   import {benchLogs, logsTable} from './bench-logs.mjs'   (from scripts/bench.mjs)
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {CloudWatchLogsClient} from '@aws-sdk/client-cloudwatch-logs'

import {createFixture, sdkConfig} from '../test/harness/fixture.ts'
import {putEvents} from '../test/harness/logs.ts'
import {startMoto} from '../test/harness/moto.ts'

const root = new URL('..', import.meta.url).pathname
const cli = join(root, 'bin', 'run.js')
const preload = join(root, 'scripts', 'peak-rss.mjs')
export const HEAP_CAP_MB = Number(process.env.LOGS_HEAP_CAP_MB ?? 32)

function measure(args, env, nodeOptions = '') {
  const file = join(mkdtempSync(join(tmpdir(), 'rss-')), 'peak')
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, [cli, ...args], {
    env: {...env, NODE_OPTIONS: `--import=${preload} ${nodeOptions}`, PEAK_RSS_FILE: file},
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) {
    if (nodeOptions) return {ms, rssMb: NaN, failed: true}
    throw new Error(`airflow-ecs ${args.join(' ')} failed: ${r.stderr}`)
  }
  return {ms, rssMb: Number(readFileSync(file, 'utf8')) / 1024, failed: false}
}

export async function benchLogs() {
  const moto = await startMoto()
  try {
    const fx = await createFixture(moto)
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const from = Date.now() - 60 * 60_000
    const windows = [
      ['1,000', 'scheduler', 1_000, 25],
      ['100,000', 'standalone', 100_000, 25],
      ['300,000', 'triggerer', 300_000, 10],
    ]
    for (const [, component, count, spacingMs] of windows) {
      const group = component === 'standalone' ? fx.contract.standalone.log_group : fx.contract.components[component].log_group
      await putEvents(logs, group, {count, streams: 50, from, spacingMs})
    }
    const env = {...process.env, ...fx.env, NO_COLOR: '1'}
    measure(['logs', 'scheduler', '--since', '2h'], env) // warm-up, fills the outputs cache
    const rows = []
    for (const [label, component, count] of windows) {
      for (const limit of count === 100_000 ? [[], ['--limit', '100']] : [[]]) {
        const runs = (count > 100_000 ? [0] : [0, 1]).map(() => measure(['logs', component, '--since', '2h', ...limit], env))
        const best = (key) => Math.min(...runs.map((x) => x[key]))
        rows.push({label: `\`logs\` of ${label} events${limit.length ? ', `--limit 100`' : ''}`, ms: best('ms'), rssMb: best('rssMb')})
      }
    }
    const capped = measure(['logs', 'triggerer', '--since', '2h'], env, `--max-old-space-size=${HEAP_CAP_MB}`)
    rows.push({label: `\`logs\` of 300,000 events, V8 old space capped at ${HEAP_CAP_MB} MB`, ms: capped.ms, rssMb: capped.rssMb, failed: capped.failed})
    return {rows, ok: !capped.failed}
  } finally {
    await moto.stop()
  }
}

export function logsTable(result) {
  const lines = ['| logs window | wall (ms) | peak RSS (MB) |', '|---|---:|---:|']
  for (const r of result.rows) lines.push(`| ${r.label} | ${r.ms.toFixed(0)} | ${r.failed ? 'FAILED (out of memory)' : r.rssMb.toFixed(1)} |`)
  lines.push('', `300,000 events within a ${HEAP_CAP_MB} MB V8 old space: ${result.ok ? 'yes' : 'NO'}.`)
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchLogs()
  console.log(logsTable(result))
  if (!result.ok) process.exitCode = 1
}
