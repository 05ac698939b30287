// The whole lifecycle as a user runs it, against moto with the real infra-terraform:
// deploy --yes --image, url, status --json, task --wait, destroy --yes. No secret value
// from Secrets Manager may appear in any output of the run.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {DescribeClustersCommand, ECSClient} from '@aws-sdk/client-ecs'
import {DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBInstancesCommand, RDSClient} from '@aws-sdk/client-rds'
import {ListSecretsCommand, GetSecretValueCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type CliResult, parseJson, runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

let moto: Moto
let env: Record<string, string>
const outputs: string[] = []
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:prebuilt-1'

async function cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  const r = await runCli(args, {env, timeoutMs})
  outputs.push(r.stdout, r.stderr)
  return r
}

describe('deploy, operate, destroy', {timeout: 900_000}, () => {
  before(async () => {
    moto = await startMoto()
    const {projectDir} = copyInfra()
    env = {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir, AIRFLOW_ECS_S3_PATH_STYLE: '1'}
  })
  after(async () => {
    await moto?.stop()
  })

  it('refuses to deploy without --yes off a terminal, before touching anything', async () => {
    const r = await cli(['deploy'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Pass --yes/)
  })

  it('deploys from nothing with a prebuilt image', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.image, IMAGE)
    assert.equal(out.firstDeploy, true)
    assert.ok(out.plan.add > 50, `planned ${out.plan.add} resources`)
    assert.match(out.url, /^http:\/\//)
    const steps = out.steps.map((s: any) => `${s.step}:${s.status}`)
    for (const expected of ['preflight:done', 'terraform init:done', 'ECR repository:done', 'build and push:skipped', 'terraform plan:done', 'db migrate:done', 'admin user:done', 'services stable:done']) {
      assert.ok(steps.includes(expected), `${expected} in ${steps.join(', ')}`)
    }
    assert.match(r.stderr, /\[\d\d:\d\d:\d\d\] start terraform init/, 'plain timestamped progress off a terminal')
  })

  it('a second deploy converges: ECR exists, admin user kept', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.firstDeploy, false)
    const steps = Object.fromEntries(out.steps.map((s: any) => [s.step, s.status]))
    assert.equal(steps['ECR repository'], 'skipped')
    assert.equal(steps['admin user'], 'skipped')
  })

  it('operates it: url, status --json, task --wait', async () => {
    const url = await cli(['url'])
    assert.equal(url.code, 0, url.stderr)
    const status = await cli(['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    const s = parseJson(status)
    assert.deepEqual(s.components.map((c: any) => c.component), ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'metrics'])
    const scheduler = s.components.find((c: any) => c.component === 'scheduler')
    assert.equal(scheduler.desired, 1)
    assert.equal(scheduler.running, 1)
    assert.equal(s.workerAutoscaling.max, 10)
    assert.ok(Array.isArray(s.failedTasks) && Array.isArray(s.targets) && Array.isArray(s.schedules))
    const human = await cli(['status'])
    assert.match(human.stdout, /COMPONENT\s+DESIRED\s+RUNNING\s+PENDING\s+ROLLOUT/)
    const task = await cli(['task', 'db migrate', '--wait'])
    assert.equal(task.code, 0, task.stderr)
    assert.match(task.stdout, /starting: db migrate/)
  })

  it('destroys it all', async () => {
    const sm = new SecretsManagerClient(sdkConfig(moto))
    const secrets = (await sm.send(new ListSecretsCommand({}))).SecretList ?? []
    const values: string[] = []
    for (const secret of secrets) values.push((await sm.send(new GetSecretValueCommand({SecretId: secret.ARN}))).SecretString!)
    assert.ok(values.length >= 7)

    const r = await cli(['destroy', '--yes'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.match(r.stdout, /force-delete-without-recovery/)
    const clusters = (await new ECSClient(sdkConfig(moto)).send(new DescribeClustersCommand({clusters: ['airflow']}))).clusters!.filter((c) => c.status === 'ACTIVE')
    assert.deepEqual(clusters, [])
    assert.deepEqual((await new ElasticLoadBalancingV2Client(sdkConfig(moto)).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [], [])
    assert.deepEqual((await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [], [])

    for (const value of values) {
      for (const text of outputs) {
        const at = text.indexOf(value)
        assert.ok(at === -1, `a secret value appeared in the output of the run: …${text.slice(Math.max(0, at - 120), at).replaceAll(value, '***')}***`)
      }
    }
  })
})
