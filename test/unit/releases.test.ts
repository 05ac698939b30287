// Releases, snapshots and versions without AWS: numbering, the live release and the database
// version, rollback's choice and refusals, snapshot names and retention, version checks.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {checkReleaseArg, chooseTarget} from '../../dist/lib/releases/rollback.js'
import {checkSnapshotName, finalSnapshotName, releaseSnapshotName, snapshotMonthlyUsd, snapshotRetention, snapshotsToDelete} from '../../dist/lib/releases/snapshots.js'
import {compareVersions, databaseVersion, defaultRollbackTarget, liveRelease, lockHolder, nextNumber, releaseNumbers} from '../../dist/lib/releases/store.js'
import {checkAirflowVersion, checkUpgradeTarget} from '../../dist/lib/releases/version.js'

const services = (rev: number) => ({
  'airflow-scheduler': {service: 'airflow-scheduler', taskDefinition: `arn:aws:ecs:us-east-1:1:task-definition/airflow-scheduler:${rev}`, revision: rev},
  'airflow-worker': {service: 'airflow-worker', taskDefinition: `arn:aws:ecs:us-east-1:1:task-definition/airflow-worker:${rev}`, revision: rev},
})

const release = (number: number, extra: Record<string, unknown> = {}) => ({
  number,
  kind: 'deploy',
  outcome: 'succeeded',
  services: services(number),
  airflowVersion: '3.3.2',
  who: {gitUser: 'ann'},
  startedAt: '2026-12-01T10:00:00Z',
  ...extra,
})

describe('release numbers', () => {
  it('reads numbers from the keys and takes the next one', () => {
    assert.deepEqual(releaseNumbers(['releases/00000002.json', 'releases/00000010.json', 'releases/00000001.json', 'releases/junk.json', 'dags/x']), [1, 2, 10])
    assert.equal(nextNumber([]), 1)
    assert.equal(nextNumber([1, 2, 10]), 11)
  })

  it('the live release is the newest that succeeded; the database version is the newest finished one', () => {
    const history = [release(1), release(2, {airflowVersion: '3.3.3', databaseVersion: '3.3.3'}), release(3, {outcome: 'failed', databaseVersion: '3.3.3'}), release(4, {outcome: 'in-progress', services: {}})]
    assert.equal(liveRelease(history)?.number, 2)
    assert.equal(databaseVersion(history), '3.3.3')
    assert.equal(databaseVersion([release(1)]), '3.3.2', 'an old record without databaseVersion: its Airflow version')
  })

  it('an in-progress release holds the lock for an hour', () => {
    const now = Date.parse('2026-12-01T10:30:00Z')
    assert.equal(lockHolder([release(1), release(2, {outcome: 'in-progress'})], now)?.number, 2)
    assert.equal(lockHolder([release(2, {outcome: 'in-progress'})], now + 3_600_000), undefined)
  })
})

describe('rollback target', () => {
  const history = [release(3), release(2, {services: services(1)}), release(1)].map((r) => ({...r}))
  it('defaults to the newest good release with other task definitions', () => {
    assert.equal(defaultRollbackTarget(history, services(3))?.number, 2)
    assert.equal(chooseTarget(history, services(3)).number, 2)
    assert.equal(defaultRollbackTarget([release(1)], services(1)), undefined)
  })

  it('refuses, with the reason: unknown, already live, not succeeded, locked', () => {
    assert.throws(() => chooseTarget(history, services(3), 9), /Release 9 is not recorded/)
    assert.throws(() => chooseTarget(history, services(3), 3), /Release 3 is already live/)
    assert.throws(() => chooseTarget([...history, release(4, {outcome: 'failed'})], services(3), 4), /Release 4 failed/)
    const locked = [release(5, {outcome: 'in-progress', startedAt: new Date().toISOString()}), ...history]
    assert.throws(() => chooseTarget(locked, services(3), 1), /Release 5 \(deploy, started .* by ann\) is still in progress/)
    assert.throws(() => checkReleaseArg('two'), /"two" is not a release number/)
    assert.equal(checkReleaseArg('12'), 12)
  })
})

describe('snapshots', () => {
  const at = new Date('2026-12-02T13:05:09Z')
  it('are named after the release, or the project, workspace and time', () => {
    assert.equal(releaseSnapshotName('airflow', 7, at), 'airflow-release-7-20261202-1305')
    assert.equal(finalSnapshotName('airflow', 'default', at), 'airflow-default-final-20261202-1305')
    assert.equal(finalSnapshotName('airflow', 'stage_2', at), 'airflow-stage-2-final-20261202-1305')
    assert.equal(checkSnapshotName('airflow-default-final-20261202-1305', '--restore-snapshot'), 'airflow-default-final-20261202-1305')
    assert.throws(() => checkSnapshotName('1abc', '--restore-snapshot'), /not an RDS snapshot name/)
    assert.throws(() => checkSnapshotName('a--b', '--restore-snapshot'), /not an RDS snapshot name/)
  })

  it('keeps the newest N (5 by default, never fewer than 1)', () => {
    const snaps = [1, 5, 3, 2, 4, 6].map((n) => ({id: `s${n}`, createdAt: n}))
    assert.deepEqual(snapshotsToDelete(snaps, 5), ['s1'])
    assert.deepEqual(snapshotsToDelete(snaps, 2).sort(), ['s1', 's2', 's3', 's4'])
    assert.deepEqual(snapshotsToDelete(snaps, 0).includes('s6'), false, 'the newest is never deleted')
    assert.deepEqual(snapshotsToDelete([], 5), [])
    assert.equal(snapshotRetention({}), 5)
    assert.equal(snapshotRetention({snapshots: {keep: 2}}), 2)
    assert.equal(snapshotRetention({snapshots: {keep: 0}}), 5)
  })

  it('costs the snapshot storage price times the allocated storage', () => {
    assert.equal(snapshotMonthlyUsd(20, 'us-east-1'), 1.9)
  })
})

describe('Airflow versions', () => {
  it('compares numerically', () => {
    assert.ok(compareVersions('3.10.0', '3.9.9') > 0)
    assert.ok(compareVersions('3.3.2', '3.3.10') < 0)
    assert.equal(compareVersions('3.3.2', '3.3.2'), 0)
  })

  it('upgrade --to: a release number newer than the deployed one', () => {
    assert.equal(checkUpgradeTarget('3.3.3', '3.3.2'), '3.3.3')
    assert.throws(() => checkUpgradeTarget('3.2.0', '3.3.2'), /--to 3\.2\.0 is older than the deployed Airflow 3\.3\.2/)
    assert.throws(() => checkUpgradeTarget('3.3.2', '3.3.2'), /already deployed/)
    // Nothing deployed: compared with the version the project would deploy, and said so.
    assert.throws(() => checkUpgradeTarget('3.2.0', '3.3.2', false), (e: any) => /older than Airflow 3\.3\.2, the version this project deploys; nothing is deployed yet/.test(e.message) && !/deployed Airflow/.test(e.message))
    assert.throws(() => checkUpgradeTarget('3.3.2', '3.3.2', false), (e: any) => /already the version this project deploys/.test(e.message) && /airflow-ecs deploy/.test(e.hint))
    assert.equal(checkUpgradeTarget('3.3.3', '3.3.2', false), '3.3.3')
    assert.throws(() => checkAirflowVersion('3.4', '--to'), /not an Airflow 3 release number/)
    assert.throws(() => checkAirflowVersion('3.4.0rc1', '--to'), /not an Airflow 3 release number/)
    assert.throws(() => checkAirflowVersion('2.10.5', '--to'), /not an Airflow 3 release number/)
  })
})

// What moto cannot show: a snapshot quota or a permission refusal, and two deploys racing for
// a release number. aws-sdk-client-mock stands in for AWS here only.
describe('with AWS mocked', () => {
  const mocked = async () => {
    const [{mockClient}, rds, s3, sts, {parseDeployment}] = await Promise.all([
      import('aws-sdk-client-mock'),
      import('@aws-sdk/client-rds'),
      import('@aws-sdk/client-s3'),
      import('@aws-sdk/client-sts'),
      import('../../dist/lib/config/deployment.js'),
    ])
    const ctx = {
      settings: {profile: undefined, projectRoot: '/nonexistent'} as any,
      region: 'us-east-1',
      clientConfig: {region: 'us-east-1', retryMode: 'adaptive' as const, maxAttempts: 1, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}},
      deployment: parseDeployment({project: 'airflow', cluster: {name: 'airflow'}, bucket: 'airflow-bucket', database: {identifier: 'airflow-db'}}, 'airflow'),
    } as any
    return {mockClient, rds, s3, sts, ctx}
  }

  it('a refused snapshot is one line and what to do', async () => {
    const {mockClient, rds, ctx} = await mocked()
    const {createSnapshot} = await import('../../dist/lib/releases/snapshots.js')
    const client = mockClient(rds.RDSClient)
    try {
      client.on(rds.CreateDBSnapshotCommand).rejects(Object.assign(new Error('Cannot create more than 100 manual snapshots'), {name: 'SnapshotQuotaExceededFault'}))
      await assert.rejects(createSnapshot(ctx, 'airflow-release-3-20261202-1305', () => undefined), (e: any) => {
        assert.match(e.message, /RDS refused the snapshot airflow-release-3-20261202-1305 of airflow-db: the account is at its RDS snapshot quota\. Nothing was migrated or rolled out\./)
        assert.match(e.hint, /Delete old manual snapshots/)
        return true
      })
      client.on(rds.CreateDBSnapshotCommand).rejects(Object.assign(new Error('User: x is not authorized to perform: rds:CreateDBSnapshot'), {name: 'AccessDenied', $metadata: {httpStatusCode: 403}}))
      await assert.rejects(createSnapshot(ctx, 'airflow-release-3-20261202-1305', () => undefined), (e: any) => e.code === 'ACCESS_DENIED' && /rds:CreateDBSnapshot/.test(e.hint))
    } finally {
      client.restore()
    }
  })

  it('retention deletes only the CLI release snapshots beyond the newest N', async () => {
    const {mockClient, rds, ctx} = await mocked()
    const {pruneSnapshots} = await import('../../dist/lib/releases/snapshots.js')
    const client = mockClient(rds.RDSClient)
    try {
      const snap = (id: string, day: number) => ({DBSnapshotIdentifier: id, Status: 'available', SnapshotCreateTime: new Date(Date.UTC(2026, 11, day))})
      client.on(rds.DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [snap('airflow-release-1-x', 1), snap('airflow-release-2-x', 2), snap('airflow-release-3-x', 3), snap('airflow-default-final-x', 1), snap('other-release-1-x', 1)],
      })
      client.on(rds.DeleteDBSnapshotCommand).resolves({})
      assert.deepEqual(await pruneSnapshots(ctx, 2), ['airflow-release-1-x'])
      assert.deepEqual(client.commandCalls(rds.DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier), ['airflow-release-1-x'])
    } finally {
      client.restore()
    }
  })

  it('two deploys racing for a number: the conditional put makes the loser take the next', async () => {
    const {mockClient, s3, sts, ctx} = await mocked()
    const {claimRelease} = await import('../../dist/lib/releases/store.js')
    const s3m = mockClient(s3.S3Client)
    const stsm = mockClient(sts.STSClient)
    try {
      s3m.on(s3.ListObjectsV2Command).resolves({Contents: [{Key: 'releases/00000001.json'}]})
      s3m.on(s3.PutObjectCommand).rejectsOnce(Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {name: 'PreconditionFailed', $metadata: {httpStatusCode: 412}})).resolves({})
      const r = await claimRelease(ctx, {kind: 'deploy', outcome: 'in-progress', services: {}, who: {}, startedAt: new Date().toISOString()})
      assert.equal(r.number, 3)
      const puts = s3m.commandCalls(s3.PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.IfNoneMatch])
      assert.deepEqual(puts, [['releases/00000002.json', '*'], ['releases/00000003.json', '*']])
    } finally {
      s3m.restore()
      stsm.restore()
    }
  })

  it('a deploy reads the newest 50 releases, not the whole history, unless none of them succeeded', async () => {
    const {mockClient, s3, ctx} = await mocked()
    const {recentReleases} = await import('../../dist/lib/releases/store.js')
    const s3m = mockClient(s3.S3Client)
    try {
      const keys = Array.from({length: 120}, (_, i) => ({Key: `releases/${String(i + 1).padStart(8, '0')}.json`}))
      s3m.on(s3.ListObjectsV2Command).resolves({Contents: keys})
      let outcome = 'succeeded'
      s3m.on(s3.GetObjectCommand).callsFake(async (input: any) => {
        const n = Number(/(\d+)\.json$/.exec(input.Key)![1])
        return {Body: {transformToString: async () => JSON.stringify(release(n, {outcome: n <= 10 ? 'succeeded' : outcome}))}}
      })
      const window = await recentReleases(ctx)
      assert.equal(window.length, 50)
      assert.equal(window[0].number, 120)
      assert.equal(s3m.commandCalls(s3.GetObjectCommand).length, 50)
      s3m.resetHistory()
      outcome = 'failed'
      const all = await recentReleases(ctx)
      assert.equal(all.length, 120, 'no success among the newest 50: the whole history is read')
      assert.equal(liveRelease(all)?.number, 10)
    } finally {
      s3m.restore()
    }
  })
})
