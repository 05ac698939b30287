// `destroy` after a deploy that stopped early: the state holds only the ECR repository (with
// an image) and the bucket (with objects), and there is no `airflow_ecs` output yet. destroy
// finds both in the state's resources, empties them, and terraform destroy removes them:
// nothing is left and it exits 0. (force_destroy is off, as by default: Terraform alone
// cannot delete either while it holds anything.)
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {after, before, describe, it} from 'node:test'

import {DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, PutImageCommand} from '@aws-sdk/client-ecr'
import {ListBucketsCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client} from '@aws-sdk/client-s3'

import {runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

let moto: Moto

before(async () => {
  moto = await startMoto()
})
after(async () => {
  await moto?.stop()
})

const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {mediaType: 'application/vnd.docker.container.image.v1+json', size: 7023, digest: `sha256:${'a'.repeat(64)}`},
  layers: [{mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 32654, digest: `sha256:${'b'.repeat(64)}`}],
})

describe('destroy after a deploy interrupted early', {timeout: 600_000}, () => {
  it('empties the repository and the bucket found in the state, destroys them, exits 0', async () => {
    const {projectDir, terraformDir} = copyInfra()
    const env = {...process.env, ...moto.env, ...terraformEnv()} as Record<string, string>
    const terraform = (...args: string[]) => {
      const r = spawnSync('terraform', [`-chdir=${terraformDir}`, ...args], {env, encoding: 'utf8'})
      assert.equal(r.status, 0, `terraform ${args[0]}: ${r.stderr || r.stdout}`.slice(0, 4000))
      return r.stdout
    }
    // What a deploy leaves when it stops right after its first apply: two resources, no outputs.
    terraform('init', '-input=false', '-no-color')
    terraform('apply', '-auto-approve', '-input=false', '-no-color', '-target=aws_ecr_repository.airflow', '-target=aws_s3_bucket.airflow')
    assert.deepEqual(terraform('state', 'list').trim().split('\n').sort(), ['aws_ecr_repository.airflow', 'aws_s3_bucket.airflow'])
    assert.equal(terraform('output', '-json').trim(), '{}', 'no airflow_ecs output yet')

    const ecr = new ECRClient(sdkConfig(moto))
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    await ecr.send(new PutImageCommand({repositoryName: 'airflow-airflow', imageTag: 'v1', imageManifest: MANIFEST}))
    const bucket = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).find((b) => b.Name?.startsWith('airflow-airflow-'))!.Name!
    // Versioned, with an old version and a deleted key: ListObjectVersions is what empties it.
    await s3.send(new PutBucketVersioningCommand({Bucket: bucket, VersioningConfiguration: {Status: 'Enabled'}}))
    for (const key of ['logs/a.log', 'logs/a.log', 'dags/b.py', 'admin-created']) await s3.send(new PutObjectCommand({Bucket: bucket, Key: key, Body: 'x'}))

    const r = await runCli(['destroy', '--yes'], {env: {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir}, timeoutMs: 300_000})
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.match(r.stdout, /Destroyed airflow \(emptied first: 1 images, 4 objects\)/)
    assert.doesNotMatch(r.stderr, /skip/i, 'nothing was skipped')

    assert.equal(terraform('state', 'list').trim(), '', 'the state is empty')
    assert.deepEqual((await ecr.send(new DescribeRepositoriesCommand({}))).repositories ?? [], [])
    // Only the Terraform state bucket stays: destroy never deletes it.
    assert.deepEqual(((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name), ['airflow-ecs-state-123456789012-us-east-1'])
    await assert.rejects(ecr.send(new DescribeImagesCommand({repositoryName: 'airflow-airflow'})), /RepositoryNotFound/)
  })
})
