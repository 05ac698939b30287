// A rollout that ECS gives up on ends `deploy` at once. The local ECS agent runs the tasks
// with a fake `airflow` (no Airflow, no database needed) whose scheduler exits 3 at start;
// the agent emulates ECS's deployment circuit breaker (the services have it on), and deploy
// must stop within 10 s of it tripping, naming the component, why its tasks stopped and
// their last lines.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeServicesCommand, ECSClient} from '@aws-sdk/client-ecs'

import {runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

const PROJECT = 'rollfail'
// The default (compact) topology: the scheduler is a container of the core task.
const SERVICES = ['api-server', 'core', 'worker']

let moto: Moto
let env: Record<string, string>
let workDir: string

function fakeAirflow(): string {
  const venv = mkdtempSync(join(tmpdir(), 'fake-airflow-'))
  mkdirSync(join(venv, 'bin'))
  const airflow = [
    '#!/bin/bash',
    'case "$1" in',
    '  scheduler) echo "scheduler: cannot load the executor (simulated)"; echo "giving up"; exit 3;;',
    '  db|users|version) echo "fake airflow $1: ok"; exit 0;;',
    '  *) echo "fake airflow $1 running"; exec sleep 600;;',
    'esac',
  ].join('\n')
  writeFileSync(join(venv, 'bin', 'airflow'), `${airflow}\n`)
  writeFileSync(join(venv, 'bin', 'python'), '#!/bin/bash\necho "fake python $*"\nexec sleep 600\n')
  chmodSync(join(venv, 'bin', 'airflow'), 0o755)
  chmodSync(join(venv, 'bin', 'python'), 0o755)
  return venv
}

describe('a rollout ECS gives up on', {timeout: 600_000}, () => {
  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'airflow-ecs-agent-'))
    const config = join(workDir, 'agent.json')
    writeFileSync(config, JSON.stringify({venv: fakeAirflow(), workDir, postgres: null, pathMap: {}, pythonPath: [], restartDelaySeconds: 1}))
    moto = await startMoto({env: {AIRFLOW_ECS_LOCAL_AGENT: config}, stopTimeoutMs: 15_000})
    const {projectDir} = copyInfra()
    writeFileSync(join(projectDir, 'airflow-ecs.json'), JSON.stringify({name: PROJECT, workers: {min: 1}}))
    env = {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir}
  })
  after(async () => {
    await moto?.stop()
  })

  it('ends deploy within 10 s of the circuit breaker, naming the component, its stopped tasks and last lines', async () => {
    const r = await runCli(['deploy', '--yes', '--image', `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:r1`], {env, timeoutMs: 540_000})
    const exitedAt = Date.now() / 1000
    assert.equal(r.code, 1, r.stderr.slice(-3000))
    assert.match(r.stderr, /The scheduler rollout failed: ECS deployment circuit breaker: \d+ tasks failed/)
    assert.match(r.stderr, /scheduler task [0-9a-f-]+ stopped: Essential container in task exited \(exit 3\)/)
    assert.match(r.stderr, /last lines of scheduler task [0-9a-f-]+:\n.*scheduler: cannot load the executor \(simulated\)\n.*giving up/)
    assert.match(r.stderr, /airflow-ecs logs scheduler --task [0-9a-f-]+/)
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
    const state = JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8'))
    const tripped = state.circuitBreakerTrips[`${PROJECT}-core`]
    assert.ok(tripped, 'the circuit breaker tripped for the core service, the scheduler\'s')
    assert.ok(exitedAt - tripped <= 10, `deploy ended ${(exitedAt - tripped).toFixed(1)} s after the circuit breaker`)
  })

  it('every service has the deployment circuit breaker with rollback on', async () => {
    const ecs = new ECSClient(sdkConfig(moto))
    const {services} = await ecs.send(new DescribeServicesCommand({cluster: PROJECT, services: SERVICES.map((s) => `${PROJECT}-${s}`)}))
    assert.deepEqual(
      services!.map((s) => [s.serviceName, s.deploymentConfiguration?.deploymentCircuitBreaker]),
      SERVICES.map((s) => [`${PROJECT}-${s}`, {enable: true, rollback: true}]),
    )
  })
})
