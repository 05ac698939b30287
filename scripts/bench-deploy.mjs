#!/usr/bin/env node
// Per-step timing of `airflow-ecs deploy --yes --image REF` from nothing, against moto with
// the real infra-terraform (a temp copy), then `destroy --yes`. Needs a built CLI, python3
// with moto, terraform and the provider mirror (the test harness's requirements).
//
//   node scripts/bench-deploy.mjs          prints a Markdown table, exits 1 if the CLI's own
//                                          time (CPU, everything but terraform/AWS waits) >= 2 s
//   import {benchDeploy, deployTable} from './bench-deploy.mjs'   (from scripts/bench.mjs)
import {fileURLToPath} from 'node:url'

import {parseJson, runCli} from '../test/harness/cli.ts'
import {startMoto} from '../test/harness/moto.ts'
import {terraformEnv} from '../test/harness/terraform.ts'
import {copyInfra} from '../test/infra/apply.ts'

export const CLI_BUDGET_SECONDS = 2
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:bench'

/** Deploys to a fresh moto and destroys; returns deploy's steps, its timing and destroy's wall time. */
export async function benchDeploy() {
  const moto = await startMoto()
  try {
    const {projectDir} = copyInfra()
    const env = {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir}
    const deploy = await runCli(['deploy', '--yes', '--image', IMAGE, '--json'], {env, timeoutMs: 900_000})
    if (deploy.code !== 0) throw new Error(`deploy failed (${deploy.code}):\n${deploy.stderr.slice(-3000)}`)
    const out = parseJson(deploy)
    const started = Date.now()
    const destroy = await runCli(['destroy', '--yes'], {env, timeoutMs: 900_000})
    if (destroy.code !== 0) throw new Error(`destroy failed (${destroy.code}):\n${destroy.stderr.slice(-3000)}`)
    return {steps: out.steps, timing: out.timing, destroySeconds: (Date.now() - started) / 1000, ok: out.timing.cliCpuSeconds < CLI_BUDGET_SECONDS}
  } finally {
    await moto.stop()
  }
}

/** The result as Markdown. */
export function deployTable(result) {
  const lines = ['| deploy step (moto) | status | seconds |', '|---|---|---:|']
  for (const s of result.steps) lines.push(`| ${s.step} | ${s.status} | ${s.status === 'skipped' ? '-' : s.seconds.toFixed(1)} |`)
  const t = result.timing
  lines.push(`| **total** | | ${t.totalSeconds.toFixed(1)} |`)
  lines.push(`| in terraform (child processes) | | ${t.childProcessSeconds.toFixed(1)} |`)
  lines.push(`| CLI's own time (CPU; target < ${CLI_BUDGET_SECONDS} s) | ${result.ok ? 'met' : 'NOT MET'} | ${t.cliCpuSeconds.toFixed(2)} |`)
  lines.push(`| destroy (wall) | | ${result.destroySeconds.toFixed(1)} |`)
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await benchDeploy()
  console.log(`Node ${process.version}, one deploy from nothing against moto\n`)
  console.log(deployTable(result))
  if (!result.ok) process.exitCode = 1
}
