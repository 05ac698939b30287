// Team-ready deployments, tried the way a team would, against moto with the packaged Terraform:
// checkout A deploys environment staging (the state goes to the account's state bucket); prod
// deploys beside it with a local state, then moves it to S3 with an empty plan; a fresh clone B
// with nothing but airflow-ecs.json sees staging (url, status, env list, no terraform started)
// and deploys it with zero creates while a second deploy is refused naming the lock holder; a
// killed deploy leaves no lock; a stale one (refusing destroy and rollback) is named and
// released; bad state settings fail in one line; destroy --env staging removes staging only.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeClustersCommand, ECSClient} from '@aws-sdk/client-ecs'
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'

import {type CliResult, parseJson, repoRoot, runCli, testPath} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/team-airflow:prebuilt-1'
const BUCKET = 'airflow-ecs-state-123456789012-us-east-1'
const KEY = {staging: 'team-staging/terraform.tfstate', prod: 'team-prod/terraform.tfstate', broken: 'team-broken/terraform.tfstate'}
const PROJECT_FILE = {name: 'team', region: 'us-east-1', environments: {staging: {}, prod: {workers: {max: 3}}, broken: {}}}

let moto: Moto
let env: Record<string, string>
let dirA: string
let dirB: string
let s3: S3Client

function cli(dir: string, args: string[], timeoutMs = 120_000, extra: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {env: {...env, ...extra}, cwd: dir, timeoutMs})
}

/** One line of what happened and one of what to do: no stack trace. */
function oneLineError(r: CliResult, code: string): {message: string; hint?: string} {
  assert.doesNotMatch(r.stderr, /\n\s+at /, `a stack trace:\n${r.stderr}`)
  const out = JSON.parse(r.stdout) as {error: {code: string; message: string; hint?: string}}
  assert.equal(out.error.code, code, r.stdout)
  return out.error
}

async function clusterStatus(name: string): Promise<string | undefined> {
  const {clusters} = await new ECSClient(sdkConfig(moto)).send(new DescribeClustersCommand({clusters: [name]}))
  return clusters?.[0]?.status
}

async function exists(key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({Bucket: BUCKET, Key: key})).then(
    () => true,
    () => false,
  )
}

async function body(key: string): Promise<string> {
  return (await s3.send(new GetObjectCommand({Bucket: BUCKET, Key: key}))).Body!.transformToString()
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Every state file under a folder (not .terraform/terraform.tfstate: that is the backend's settings). */
function localStates(dir: string): string[] {
  return (readdirSync(dir, {recursive: true}) as string[]).filter((f) => /(^|\/)terraform\.tfstate$/.test(f) && !f.split('/').includes('.terraform'))
}

describe('remote state and environments', {timeout: 1_500_000}, () => {
  before(async () => {
    moto = await startMoto()
    env = {...moto.env, ...terraformEnv()}
    s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    // An installed-tool project: no infra-terraform/, the packaged module.
    dirA = mkdtempSync(join(tmpdir(), 'airflow-ecs-team-a-'))
    writeFileSync(join(dirA, 'airflow-ecs.json'), JSON.stringify(PROJECT_FILE, null, 2))
  })
  after(async () => {
    await moto?.stop()
  })

  it('an unknown environment is refused, listing the known ones', async () => {
    const r = await cli(dirA, ['url', '--env', 'qa', '--json'])
    assert.equal(r.code, 2)
    const error = oneLineError(r, 'INVALID_INPUT')
    assert.match(error.message, /Unknown environment "qa".*staging, prod, broken/)
  })

  it('checkout A deploys staging: a locked-down state bucket made once, the state in it, none on disk', async () => {
    const r = await cli(dirA, ['deploy', '--yes', '--env', 'staging', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.project, 'team-staging')
    assert.deepEqual(out.state, {backend: 's3', location: `s3://${BUCKET}/${KEY.staging}`})
    assert.equal(await clusterStatus('team-staging'), 'ACTIVE')
    assert.equal((await s3.send(new GetBucketVersioningCommand({Bucket: BUCKET}))).Status, 'Enabled')
    const sse = (await s3.send(new GetBucketEncryptionCommand({Bucket: BUCKET}))).ServerSideEncryptionConfiguration!.Rules![0]
    assert.equal(sse.ApplyServerSideEncryptionByDefault?.SSEAlgorithm, 'AES256')
    assert.deepEqual((await s3.send(new GetPublicAccessBlockCommand({Bucket: BUCKET}))).PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    })
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({Bucket: BUCKET}))).Policy!)
    assert.ok(
      policy.Statement.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
      `no TLS-only statement: ${JSON.stringify(policy)}`,
    )
    const state = JSON.parse(await body(KEY.staging))
    assert.ok(state.resources.length > 50, `${state.resources.length} resources in the remote state`)
    assert.deepEqual(localStates(dirA), [], 'no local state file')
    assert.match(readFileSync(join(dirA, '.airflow-ecs', 'env', 'staging', 'terraform', 'airflow-ecs.backend.tf'), 'utf8'), /use_lockfile = true/)
    assert.equal(await exists(`${KEY.staging}.airflow-ecs.lock`), false, 'the lock is released')
    assert.equal(await exists(`${KEY.staging}.tflock`), false, "Terraform's lock is released")
  })

  it('prod deploys beside it with a local state, then moves it to S3 with an empty plan', async () => {
    let r = await cli(dirA, ['deploy', '--yes', '--env', 'prod', '--local-state', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.equal(parseJson(r).state.backend, 'local')
    const local = join(dirA, '.airflow-ecs', 'env', 'prod', 'terraform', 'terraform.tfstate')
    assert.ok(existsSync(local))
    assert.equal(await exists(KEY.prod), false)
    assert.equal(await clusterStatus('team-prod'), 'ACTIVE')
    assert.equal(await clusterStatus('team-staging'), 'ACTIVE')

    // Without --yes and without a terminal, nothing moves.
    r = await cli(dirA, ['deploy', '--env', 'prod', '--image', IMAGE])
    assert.equal(r.code, 2)
    assert.ok(existsSync(local))

    r = await cli(dirA, ['deploy', '--yes', '--env', 'prod', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.deepEqual(out.plan, {add: 0, change: 0, destroy: 0}, 'the moved state plans nothing')
    assert.equal(out.state.location, `s3://${BUCKET}/${KEY.prod}`)
    assert.equal(out.state.movedFrom, local)
    assert.match(out.state.backup, /terraform\.tfstate\.\d{8}-\d{6}Z\.local-backup$/)
    assert.ok(existsSync(out.state.backup), 'the dated copy stays')
    assert.equal(existsSync(local), false, 'the local state is gone (its copy stays)')
    assert.ok(JSON.parse(await body(KEY.prod)).resources.length > 50)
  })

  it('a fresh clone B with only airflow-ecs.json reads staging without terraform', async () => {
    dirB = mkdtempSync(join(tmpdir(), 'airflow-ecs-team-b-'))
    writeFileSync(join(dirB, 'airflow-ecs.json'), JSON.stringify(PROJECT_FILE, null, 2))
    // A terraform that fails: url, status and env list must not start one.
    const noTerraform = mkdtempSync(join(tmpdir(), 'no-terraform-'))
    writeFileSync(join(noTerraform, 'terraform'), '#!/bin/sh\necho "terraform was started" >&2\nexit 99\n')
    chmodSync(join(noTerraform, 'terraform'), 0o755)
    const path = {PATH: testPath([noTerraform])}
    const a = await cli(dirA, ['url', '--env', 'staging'])
    const b = await cli(dirB, ['url', '--env', 'staging'], 60_000, path)
    assert.equal(b.code, 0, b.stderr)
    assert.equal(b.stdout.trim(), a.stdout.trim())
    assert.match(b.stdout, /^http:\/\/team/)
    const status = await cli(dirB, ['status', '--env', 'staging', '--json'], 60_000, path)
    assert.equal(status.code, 0, status.stderr)
    assert.equal(parseJson(status).project, 'team-staging')
    assert.deepEqual(parseJson(status).infra, {
      source: 'package',
      terraformDir: join(dirB, '.airflow-ecs', 'env', 'staging', 'terraform'),
      env: 'staging',
      state: `s3://${BUCKET}/${KEY.staging}`,
    })
    const list = await cli(dirB, ['env', 'list', '--json'], 60_000, path)
    assert.equal(list.code, 0, list.stderr)
    const rows = Object.fromEntries(parseJson(list).map((row: any) => [row.env, row]))
    assert.equal(rows.staging.deployed, true)
    assert.equal(rows.staging.url, b.stdout.trim())
    assert.equal(rows.prod.deployed, true)
    assert.equal(rows.prod.project, 'team-prod')
    assert.equal(rows.default.deployed, false)
    assert.equal(rows.staging.state, `s3://${BUCKET}/${KEY.staging}`)
    // --local-state in a fresh clone of a deployed environment would create it all again.
    const twice = await cli(dirB, ['deploy', '--yes', '--env', 'staging', '--local-state', '--image', IMAGE, '--json'], 60_000)
    assert.equal(twice.code, 2)
    assert.match(oneLineError(twice, 'INVALID_INPUT').message, /The environment "staging" \(team-staging\) is already deployed, with its state at s3:\/\//)
    // Nothing deployed for the default environment: one line naming where it looked.
    const none = await cli(dirB, ['url', '--json'], 60_000, path)
    assert.equal(none.code, 1)
    assert.match(oneLineError(none, 'NO_DEPLOYMENT').message, /no Terraform state at s3:\/\/airflow-ecs-state-123456789012-us-east-1\/team\/terraform\.tfstate/)
  })

  it('clone B deploys staging with zero creates, and a concurrent deploy from A is refused naming the holder', async () => {
    const running = cli(dirB, ['deploy', '--yes', '--env', 'staging', '--image', IMAGE, '--json'], 600_000)
    await waitFor('the lock of the deploy from B', () => exists(`${KEY.staging}.airflow-ecs.lock`))
    const holder = JSON.parse(await body(`${KEY.staging}.airflow-ecs.lock`))
    const refused = await cli(dirA, ['deploy', '--yes', '--env', 'staging', '--image', IMAGE, '--json'])
    assert.equal(refused.code, 1)
    const error = oneLineError(refused, 'STATE_LOCKED')
    assert.match(error.message, new RegExp(`locked: deploy by ${holder.Who.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since ${holder.Created}`))
    assert.ok(error.message.includes(holder.ID))
    assert.match(error.hint!, /--lock-timeout/)
    assert.match(error.hint!, new RegExp(`airflow-ecs state unlock ${holder.ID} --env staging`))
    const r = await running
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.deepEqual(parseJson(r).plan, {add: 0, change: 0, destroy: 0})
    assert.equal(await exists(`${KEY.staging}.airflow-ecs.lock`), false)
    assert.equal(await exists(`${KEY.staging}.tflock`), false)
  })

  it('a Ctrl-C during a deploy leaves no lock behind', async () => {
    let interrupted = false
    const r = await runCli(['deploy', '--yes', '--env', 'staging', '--image', IMAGE], {
      env,
      cwd: dirB,
      timeoutMs: 300_000,
      // Progress lines go to stderr when stdout is not a terminal.
      onStderr(chunk, child) {
        if (!interrupted && /start\s+terraform plan/.test(chunk)) {
          interrupted = true
          setTimeout(() => child.kill('SIGINT'), 500)
        }
      },
    })
    assert.ok(interrupted, `the deploy never reached terraform plan:\n${r.stdout}\n${r.stderr}`)
    assert.equal(r.code, 130, r.stderr.slice(-2000))
    assert.match(r.stderr, /terraform plan was interrupted/)
    assert.equal(await exists(`${KEY.staging}.airflow-ecs.lock`), false, 'the lock is released')
    assert.equal(await exists(`${KEY.staging}.tflock`), false, "Terraform's lock is released")
  })

  it('on a terminal too: Ctrl-C while terraform plans exits 130 and leaves no lock', async () => {
    // The task list owns the terminal; ^C goes through the line discipline to the whole
    // foreground process group (the CLI and terraform), as when a person presses it.
    const script = [
      ['terraform plan', ''],
      ['Reading\\.\\.\\.|Refreshing state', '\u0003'],
    ]
    const r = spawnSync(
      'python3',
      [join(repoRoot, 'test/harness/pty_run.py'), JSON.stringify(script), '--', process.execPath, join(repoRoot, 'bin/run.js'), 'deploy', '--env', 'staging', '--image', IMAGE],
      {cwd: dirB, env: {...process.env, ...env, PATH: testPath(), NO_COLOR: '1', PTY_RUN_TIMEOUT: '240'}, encoding: 'utf8', timeout: 270_000},
    )
    // eslint-disable-next-line no-control-regex
    const screen = r.stdout.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')
    assert.match(screen, /Reading\.\.\.|Refreshing state/, `terraform never planned on the terminal:\n${screen.slice(-2000)}`)
    assert.equal(r.status, 130, screen.slice(-2000))
    assert.match(screen, /terraform plan was interrupted/, screen.slice(-2000))
    assert.doesNotMatch(screen, /\n\s+at /, 'no stack trace')
    assert.equal(await exists(`${KEY.staging}.airflow-ecs.lock`), false, 'the lock is released')
    assert.equal(await exists(`${KEY.staging}.tflock`), false, "Terraform's lock is released")
  })

  it('a stale lock is named, waited for with --lock-timeout, and released with state unlock', async () => {
    const id = '0b8f7c2e-5d1a-4c3b-9e6f-2a1b3c4d5e6f'
    const stale = {ID: id, Operation: 'deploy', Who: 'ghost@lost-laptop', Version: '0.1.0', Created: '2026-12-01T09:00:00.000Z', Path: `s3://${BUCKET}/${KEY.staging}`}
    await s3.send(new PutObjectCommand({Bucket: BUCKET, Key: `${KEY.staging}.airflow-ecs.lock`, Body: JSON.stringify(stale)}))
    const refused = await cli(dirA, ['destroy', '--yes', '--env', 'staging', '--json'])
    assert.equal(refused.code, 1)
    assert.match(oneLineError(refused, 'STATE_LOCKED').message, /locked: deploy by ghost@lost-laptop since 2026-12-01T09:00:00.000Z \(lock ID 0b8f7c2e-/)
    assert.equal(await clusterStatus('team-staging'), 'ACTIVE', 'nothing was destroyed')
    // A rollback changes the services as a deploy does: refused by the same lock, before it reads any release.
    const rollback = await cli(dirA, ['rollback', '--yes', '--env', 'staging', '--json'])
    assert.equal(rollback.code, 1, rollback.stderr.slice(-2000))
    assert.match(oneLineError(rollback, 'STATE_LOCKED').message, /locked: deploy by ghost@lost-laptop since 2026-12-01T09:00:00.000Z \(lock ID 0b8f7c2e-/)

    // state unlock: asks (no terminal: --yes needed), refuses an ID that holds nothing.
    let r = await cli(dirA, ['state', 'unlock', id, '--env', 'staging'])
    assert.equal(r.code, 2)
    r = await cli(dirA, ['state', 'unlock', 'ffffffff-0000-4000-8000-000000000000', '--env', 'staging', '--yes', '--json'])
    assert.equal(r.code, 1)
    assert.match(oneLineError(r, 'NOT_FOUND').message, /No lock with ID ffffffff-.*locked by 0b8f7c2e-.*ghost@lost-laptop/)

    // A deploy that waits (--lock-timeout) goes on once the lock is released meanwhile.
    const waiting = cli(dirB, ['deploy', '--yes', '--env', 'staging', '--image', IMAGE, '--lock-timeout', '2m', '--json'], 600_000)
    await new Promise((res) => setTimeout(res, 4000))
    r = await cli(dirA, ['state', 'unlock', id, '--env', 'staging', '--yes', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(parseJson(r).holder.Who, 'ghost@lost-laptop')
    const deployed = await waiting
    assert.equal(deployed.code, 0, deployed.stderr.slice(-3000))
    assert.equal(await exists(`${KEY.staging}.airflow-ecs.lock`), false)
  })

  it('a corrupt remote state is refused in one line and never overwritten', async () => {
    const garbage = '{"this is": "not a state"'
    await s3.send(new PutObjectCommand({Bucket: BUCKET, Key: KEY.broken, Body: garbage}))
    let r = await cli(dirB, ['url', '--env', 'broken', '--json'])
    assert.equal(r.code, 1)
    const error = oneLineError(r, 'STATE_INVALID')
    assert.match(error.message, /s3:\/\/airflow-ecs-state-123456789012-us-east-1\/team-broken\/terraform\.tfstate is not a state Terraform can read/)
    assert.match(error.hint!, /list-object-versions/)
    r = await cli(dirB, ['deploy', '--yes', '--env', 'broken', '--image', IMAGE, '--json'], 300_000)
    assert.notEqual(r.code, 0)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
    assert.equal(await body(KEY.broken), garbage, 'the state object is as it was')
    assert.equal(await exists(`${KEY.broken}.airflow-ecs.lock`), false)
  })

  it('a named bucket without versioning, missing, or in another region is refused before anything runs', async () => {
    await s3.send(new CreateBucketCommand({Bucket: 'team-plain-bucket'}))
    await new S3Client({...sdkConfig(moto), region: 'eu-west-1', forcePathStyle: true}).send(
      new CreateBucketCommand({Bucket: 'team-eu-bucket', CreateBucketConfiguration: {LocationConstraint: 'eu-west-1'}}),
    )
    const project = (state: unknown) => {
      const dir = mkdtempSync(join(tmpdir(), 'airflow-ecs-team-c-'))
      writeFileSync(join(dir, 'airflow-ecs.json'), JSON.stringify({name: 'teamc', region: 'us-east-1', state}))
      return dir
    }
    let r = await cli(project({bucket: 'team-plain-bucket'}), ['deploy', '--yes', '--image', IMAGE, '--json'])
    assert.equal(r.code, 2)
    assert.match(oneLineError(r, 'INVALID_INPUT').message, /team-plain-bucket \(named in airflow-ecs.json\) has no versioning/)
    r = await cli(project({bucket: 'team-missing-bucket'}), ['deploy', '--yes', '--image', IMAGE, '--json'])
    assert.equal(r.code, 1)
    assert.match(oneLineError(r, 'NOT_FOUND').message, /team-missing-bucket \(named in airflow-ecs.json\) does not exist/)
    r = await cli(project({bucket: 'team-eu-bucket'}), ['deploy', '--yes', '--image', IMAGE, '--json'])
    assert.equal(r.code, 2)
    assert.match(oneLineError(r, 'INVALID_INPUT').message, /is in eu-west-1, not in us-east-1/)
    r = await cli(project({bucket: 'Not_A_Bucket'}), ['url', '--json'])
    assert.equal(r.code, 2)
    assert.match(oneLineError(r, 'INVALID_INPUT').message, /"state.bucket" in .* is "Not_A_Bucket", not an S3 bucket name/)
  })

  it('destroy --env staging removes staging only; the state bucket and prod stay', async () => {
    const r = await cli(dirB, ['destroy', '--yes', '--env', 'staging', '--skip-final-snapshot', '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.notEqual(await clusterStatus('team-staging'), 'ACTIVE')
    assert.equal(await clusterStatus('team-prod'), 'ACTIVE')
    assert.equal((await s3.send(new GetBucketVersioningCommand({Bucket: BUCKET}))).Status, 'Enabled', 'the state bucket stays')
    assert.equal(JSON.parse(await body(KEY.staging)).resources.length, 0, "staging's state is empty")
    assert.ok(JSON.parse(await body(KEY.prod)).resources.length > 50, "prod's state is whole")
    const list = await cli(dirA, ['env', 'list', '--json'])
    const rows = Object.fromEntries(parseJson(list).map((row: any) => [row.env, row]))
    assert.equal(rows.staging.deployed, false)
    assert.equal(rows.prod.deployed, true)
  })
})
