// A rollout that ECS gives up on ends `deploy` at once. The local ECS agent runs the tasks
// with a fake `airflow` (no Airflow, no database needed) whose scheduler exits 3 at start;
// the agent emulates ECS's deployment circuit breaker (the services have it on), and deploy
// must stop within 10 s of it tripping, naming the component, why its tasks stopped and
// their last lines. A Ctrl-C during that wait, or during the migration task, ends deploy in
// one line with exit 130, the release recorded as failed and the state lock released.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeServicesCommand, ECSClient} from '@aws-sdk/client-ecs'
import {ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3'

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

let crashFlag: string
let slowMigrationFlag: string

/**
 * A fake `airflow`: its scheduler exits 3 at start while crashFlag exists, and runs on once it
 * is gone; `db migrate` hangs while slowMigrationFlag exists.
 */
function fakeAirflow(): string {
  const venv = mkdtempSync(join(tmpdir(), 'fake-airflow-'))
  mkdirSync(join(venv, 'bin'))
  crashFlag = join(venv, 'scheduler-crashes')
  slowMigrationFlag = join(venv, 'migration-hangs')
  writeFileSync(crashFlag, '')
  const airflow = [
    '#!/bin/bash',
    'case "$1" in',
    `  scheduler) if [ -e '${crashFlag}' ]; then echo "scheduler: cannot load the executor (simulated)"; echo "giving up"; exit 3; fi; exec sleep 600;;`,
    `  db) if [ -e '${slowMigrationFlag}' ]; then echo "migrating (slowly)"; exec sleep 600; fi; echo "fake airflow $1: ok"; exit 0;;`,
    '  users|version) echo "fake airflow $1: ok"; exit 0;;',
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
    // steadySeconds: no rollout here ever completes; one ends by the circuit breaker or a Ctrl-C.
    writeFileSync(config, JSON.stringify({venv: fakeAirflow(), workDir, postgres: null, pathMap: {}, pythonPath: [], restartDelaySeconds: 1, steadySeconds: 3600}))
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

  it('a Ctrl-C while deploy waits for the rollout: exit 130, one line, the release recorded failed, no lock left', async () => {
    rmSync(crashFlag) // the scheduler runs: the wait goes on until the Ctrl-C
    let interrupted = false
    const r = await runCli(['deploy', '--yes', '--image', `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:r2`], {
      env,
      timeoutMs: 480_000,
      onStderr(chunk, child) {
        if (!interrupted && /start\s+services stable/.test(chunk)) {
          interrupted = true
          setTimeout(() => child.kill('SIGINT'), 1500)
        }
      },
    })
    assert.ok(interrupted, `the deploy never waited for the services:\n${r.stderr.slice(-3000)}`)
    assert.equal(r.code, 130, r.stderr.slice(-3000))
    assert.match(r.stderr, /Interrupted while waiting for the services to be stable \(still waiting for .*rollfail-core.*\); ECS goes on with the rollout/)
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
    const releases = await runCli(['releases', '--json', '--limit', '1'], {env})
    assert.equal(releases.code, 0, releases.stderr)
    const [newest] = JSON.parse(releases.stdout)
    assert.equal(newest.image, `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:r2`)
    assert.equal(newest.outcome, 'failed', 'recorded, not left in progress (which would hold rollback off for an hour)')
    assert.match(newest.error, /Interrupted while waiting/)
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const keys = ((await s3.send(new ListObjectsV2Command({Bucket: 'airflow-ecs-state-123456789012-us-east-1', Prefix: `${PROJECT}/`}))).Contents ?? []).map((o) => o.Key)
    assert.deepEqual(keys, [`${PROJECT}/terraform.tfstate`], 'the state lock was released')
  })

  it('a Ctrl-C during the migration task: exit 130, how to follow the task, the release recorded failed, no lock left', async () => {
    writeFileSync(slowMigrationFlag, '')
    let interrupted = false
    const image = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:r3`
    const r = await runCli(['deploy', '--yes', '--image', image], {
      env,
      timeoutMs: 480_000,
      onStderr(chunk, child) {
        if (!interrupted && /migrating \(slowly\)/.test(chunk)) {
          interrupted = true
          child.kill('SIGINT')
        }
      },
    })
    rmSync(slowMigrationFlag)
    assert.ok(interrupted, `the migration never started:\n${r.stderr.slice(-3000)}`)
    assert.equal(r.code, 130, r.stderr.slice(-3000))
    assert.match(r.stderr, /Interrupted while waiting for `airflow db migrate`; task [0-9a-f-]+ keeps running/)
    assert.match(r.stderr, /airflow-ecs task attach [0-9a-f-]+/)
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
    const [newest] = JSON.parse((await runCli(['releases', '--json', '--limit', '1'], {env})).stdout)
    assert.deepEqual([newest.image, newest.outcome], [image, 'failed'])
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const keys = ((await s3.send(new ListObjectsV2Command({Bucket: 'airflow-ecs-state-123456789012-us-east-1', Prefix: `${PROJECT}/`}))).Contents ?? []).map((o) => o.Key)
    assert.deepEqual(keys, [`${PROJECT}/terraform.tfstate`], 'the state lock was released')
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
