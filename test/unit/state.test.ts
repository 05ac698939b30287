// What moto cannot show of the state bucket and the locks: a refused CreateBucket, a bucket
// another account owns, exact lock races, and Terraform's own lock message. The rest is tried
// against moto in test/lifecycle/environments.test.ts.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, it} from 'node:test'

import {CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'
import {mockClient} from 'aws-sdk-client-mock'

import {acquireLock, lockServices} from '../../dist/lib/state/lock.js'
import {backendText, ensureStateBucket, stateOutputs} from '../../dist/lib/state/remote.js'
import {explainTerraform} from '../../dist/lib/terraform/diagnostics.js'

const s3 = mockClient(S3Client)
afterEach(() => s3.reset())

const dir = mkdtempSync(join(tmpdir(), 'state-unit-'))
const settings = {
  profile: undefined,
  region: 'us-east-1',
  env: 'staging',
  project: 'team-staging',
  environments: ['staging'],
  cacheDir: dir,
  terraformDir: dir,
  state: {backend: 's3', key: 'team-staging/terraform.tfstate', source: 'default'},
} as any
const loc = {bucket: 'airflow-ecs-state-123456789012-us-east-1', key: 'team-staging/terraform.tfstate', objectKey: 'team-staging/terraform.tfstate', region: 'us-east-1', own: true}

const awsError = (name: string, status: number) => Object.assign(new Error(name), {name, $metadata: {httpStatusCode: status}})
const body = (text: string) => ({Body: {transformToString: async () => text}}) as any

describe('the state bucket', () => {
  it('no permission to create it: one line, and what to do instead', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('NotFound', 404))
    s3.on(CreateBucketCommand).rejects(awsError('AccessDenied', 403))
    await assert.rejects(ensureStateBucket(settings, loc), (e: any) => {
      assert.equal(e.code, 'ACCESS_DENIED')
      assert.match(e.message, /No permission to create the state bucket airflow-ecs-state-123456789012-us-east-1/)
      assert.match(e.hint, /"state": \{"bucket"/)
      assert.match(e.hint, /--local-state/)
      return true
    })
  })

  it('a bucket of that name that these credentials may not use (another account\'s)', async () => {
    s3.on(HeadBucketCommand).rejects(awsError('Forbidden', 403))
    await assert.rejects(ensureStateBucket(settings, loc), (e: any) => e.code === 'ACCESS_DENIED' && /exists, and these credentials may not use it/.test(e.message))
    assert.equal(s3.commandCalls(CreateBucketCommand).length, 0, 'nothing created')
  })

  it('a bucket in another region than the one given', async () => {
    s3.on(HeadBucketCommand).resolves({BucketRegion: 'eu-west-1'})
    await assert.rejects(ensureStateBucket(settings, {...loc, own: false, bucket: 'team-tf'}), (e: any) => {
      assert.match(e.message, /team-tf \(named in airflow-ecs.json\) is in eu-west-1, not in us-east-1/)
      assert.match(e.hint, /"region": "eu-west-1"/)
      return true
    })
  })
})

describe('the state object', () => {
  it('a document that is not a Terraform state is refused, with how to restore a version', () => {
    for (const text of ['{"truncated": ', '[]', '{"version": 4}', '{"version": 4, "lineage": "x", "outputs": []}']) {
      assert.throws(() => stateOutputs(text, loc), (e: any) => e.code === 'STATE_INVALID' && /is not a state Terraform can read/.test(e.message) && /list-object-versions/.test(e.hint), text)
    }
    assert.deepEqual(stateOutputs('{"version": 4, "lineage": "x", "outputs": {"airflow_ecs": {"value": {"project": "p"}}}}', loc), {airflow_ecs: {value: {project: 'p'}}})
  })

  it('the backend block names the bucket, key and region, with S3-native locking', () => {
    delete process.env.AIRFLOW_ECS_S3_PATH_STYLE
    const text = backendText(loc)
    assert.match(text, /backend "s3" \{/)
    assert.match(text, /bucket\s+= "airflow-ecs-state-123456789012-us-east-1"/)
    assert.match(text, /key\s+= "team-staging\/terraform.tfstate"/)
    assert.match(text, /use_lockfile = true/)
    assert.doesNotMatch(text, /use_path_style/)
    process.env.AIRFLOW_ECS_S3_PATH_STYLE = '1'
    assert.match(backendText(loc), /use_path_style = true/)
    delete process.env.AIRFLOW_ECS_S3_PATH_STYLE
  })
})

describe('locks', () => {
  const holder = {ID: 'b5c6d7e8-0000-4000-8000-000000000001', Operation: 'deploy', Who: 'ana@build-7', Created: '2026-12-02T10:00:00.000Z'}

  it('a lock held by someone else: refused at once, naming who, since when, and how to release it', async () => {
    s3.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412))
    s3.on(GetObjectCommand).resolves(body(JSON.stringify(holder)))
    await assert.rejects(acquireLock(settings, loc, 'destroy'), (e: any) => {
      assert.equal(e.code, 'STATE_LOCKED')
      assert.equal(e.message, 'The state of environment "staging" (team-staging) is locked: deploy by ana@build-7 since 2026-12-02T10:00:00.000Z (lock ID b5c6d7e8-0000-4000-8000-000000000001).')
      assert.match(e.hint, /--lock-timeout 5m/)
      assert.match(e.hint, /airflow-ecs state unlock b5c6d7e8-0000-4000-8000-000000000001 --env staging/)
      return true
    })
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input
    assert.equal(put.IfNoneMatch, '*', 'taken only if absent')
    assert.equal(put.Key, 'team-staging/terraform.tfstate.airflow-ecs.lock')
  })

  it('with --lock-timeout it waits, and takes the lock once it is free', async () => {
    s3.on(PutObjectCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({})
    s3.on(GetObjectCommand).resolves(body(JSON.stringify(holder)))
    const lock = await acquireLock({...settings, lockTimeoutMs: 5000}, loc, 'deploy')
    assert.equal(s3.commandCalls(PutObjectCommand).length, 2)
    assert.equal(lock.info.Operation, 'deploy')
    assert.match(lock.info.Who!, /@/)
    await lock.release()
  })

  it('a lock an earlier run on this machine left (its process is gone) is taken over; one from elsewhere never', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    const mine = {...holder, Who: `${userInfo().username}@${hostname()}`, Pid: dead}
    s3.on(PutObjectCommand).rejectsOnce(awsError('PreconditionFailed', 412)).resolves({})
    s3.on(GetObjectCommand).resolves(body(JSON.stringify(mine)))
    const lock = await acquireLock(settings, loc, 'deploy')
    assert.equal(s3.commandCalls(DeleteObjectCommand).length, 1, 'the stale lock deleted')
    assert.equal(lock.info.Pid, process.pid)
    s3.reset()
    // A gone process on another host, or a live one here: refused, nothing deleted.
    for (const other of [{...mine, Who: 'ana@other-host'}, {...mine, Pid: process.ppid}]) {
      s3.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412))
      s3.on(GetObjectCommand).resolves(body(JSON.stringify(other)))
      await assert.rejects(acquireLock(settings, loc, 'deploy'), (e: any) => e.code === 'STATE_LOCKED')
      assert.equal(s3.commandCalls(DeleteObjectCommand).length, 0)
      s3.reset()
    }
  })

  it('rollback takes the same lock (named as a rollback); with a local state there is none to take', async () => {
    s3.on(PutObjectCommand).resolves({})
    const named = {...settings, state: {...settings.state, bucket: loc.bucket, region: 'us-east-1'}}
    const lock = await lockServices(named, 'rollback')
    const put = s3.commandCalls(PutObjectCommand)[0].args[0].input
    assert.equal(put.Key, 'team-staging/terraform.tfstate.airflow-ecs.lock')
    assert.equal(put.IfNoneMatch, '*')
    assert.equal(JSON.parse(put.Body as string).Operation, 'rollback')
    await lock!.release()
    s3.reset()
    assert.equal(await lockServices({...settings, state: {backend: 'local', source: 'flag'}}, 'rollback'), undefined)
    // A local state the next deploy has not moved to the bucket yet: nothing to lock there either.
    const unmoved = mkdtempSync(join(tmpdir(), 'state-unmoved-'))
    writeFileSync(join(unmoved, 'terraform.tfstate'), '{"version": 4, "resources": []}')
    assert.equal(await lockServices({...named, terraformDir: unmoved}, 'rollback'), undefined)
    assert.equal(s3.calls().length, 0, 'no S3 call for a local state')
  })

  it("Terraform's own lock message becomes the same one line", () => {
    const output = [
      'Error: Error acquiring the state lock',
      '',
      'Error message: operation error S3: PutObject, https response error StatusCode: 412',
      'Lock Info:',
      '  ID:        4f7a1c2e-aaaa-bbbb-cccc-1234567890ab',
      '  Path:      airflow-ecs-state-123456789012-us-east-1/team-staging/terraform.tfstate',
      '  Operation: OperationTypeApply',
      '  Who:       ana@build-7',
      '  Version:   1.11.4',
      '  Created:   2026-12-02 10:00:00.123 +0000 UTC',
      '  Info:      ',
      '',
      'Terraform acquires a state lock to protect the state from being written',
    ].join('\n')
    const explained = explainTerraform(output, '/tmp/tf', {env: 'staging', project: 'team-staging'})!
    assert.equal(explained.code, 'STATE_LOCKED')
    assert.equal(explained.message, 'the state is locked (terraform apply) by ana@build-7 since 2026-12-02 10:00:00.123 +0000 UTC, lock ID 4f7a1c2e-aaaa-bbbb-cccc-1234567890ab')
    assert.match(explained.hint!, /airflow-ecs state unlock 4f7a1c2e-aaaa-bbbb-cccc-1234567890ab --env staging/)
  })
})
