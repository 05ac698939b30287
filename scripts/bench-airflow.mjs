#!/usr/bin/env node
// The real-Airflow tier (test/airflow/) as a benchmark: its wall time, and the peak resident
// memory of each component's processes on the local ECS agent (a container's whole process
// group, sampled every 1.5 s). Run alone: `node scripts/bench-airflow.mjs`.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ensureVenv} from '../test/harness/pyenv.mjs'

const root = new URL('..', import.meta.url).pathname

export function benchAirflow() {
  const report = join(mkdtempSync(join(tmpdir(), 'bench-airflow-')), 'report.json')
  const env = {...process.env, AIRFLOW_ECS_TEST_VENV: ensureVenv(), AIRFLOW_ECS_TIER_REPORT: report}
  const run = spawnSync(process.execPath, ['--test', '--test-reporter=dot', 'test/airflow/airflow.test.ts'], {cwd: root, env, stdio: ['ignore', 'ignore', 'inherit']})
  const result = JSON.parse(readFileSync(report, 'utf8'))
  return {...result, ok: run.status === 0}
}

export function airflowTable(r) {
  const rows = Object.entries(r.peakRssMiB).sort(([a], [b]) => a.localeCompare(b))
  const total = rows.filter(([name]) => !name.startsWith('standalone')).reduce((sum, [, mib]) => sum + mib, 0)
  return [
    `Airflow tier: ${r.seconds} s wall${r.ok ? '' : ' (the tier FAILED: see its output)'}; peak memory per component (MiB):`,
    '',
    '| component | peak RSS (MiB) |',
    '|---|---:|',
    ...rows.map(([name, mib]) => `| ${name} | ${mib.toFixed(0)} |`),
    `| all services together (sum of peaks) | ${total.toFixed(0)} |`,
  ].join('\n')
}

if (process.argv[1] && process.argv[1].endsWith('bench-airflow.mjs')) {
  const r = benchAirflow()
  console.log(airflowTable(r))
  if (!r.ok) process.exitCode = 1
}
