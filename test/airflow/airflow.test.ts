// Airflow really runs. The built CLI deploys the project's own infra-terraform to moto from
// nothing; the local ECS agent (test/harness/ecs_agent.py) runs every container ECS would
// start as a real Airflow process of the tests' virtualenv (the image's exact packages),
// against a throwaway PostgreSQL. Then a DAG run goes end to end: parsed by the real
// dag-processor, scheduled by the real scheduler, queued on SQS (moto) through our
// celery_config, run by a real Celery worker, its log read through the REST API while it
// runs (the worker's log server) and after (S3), a variable and a connection read from
// Secrets Manager, the metrics publisher counting it.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CloudWatchClient, GetMetricStatisticsCommand} from '@aws-sdk/client-cloudwatch'
import {DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient} from '@aws-sdk/client-ecs'
import {DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {ListBucketsCommand, ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3'

import {AirflowApi, type AirflowWorld, eventually, startAirflowWorld} from '../harness/airflow.ts'
import {type CliResult, parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {ensureVenv} from '../harness/pyenv.mjs'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

const PROJECT = 'afe2e'
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:e2e-1`
const DAG = 'example_worker'
// The default (compact) topology: scheduler, dag-processor, triggerer and metrics are
// containers of one task, the core service.
const SERVICES = ['api-server', 'core', 'worker']

let world: AirflowWorld
let env: Record<string, string>
let projectDir: string
let api: AirflowApi
let deployedAt = 0
let runId = ''
const started = Date.now()

const cli = (args: string[], timeoutMs = 180_000): Promise<CliResult> => runCli(args, {env, timeoutMs})
const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`)

describe('Airflow really runs on the local ECS agent', {timeout: 1_200_000}, () => {
  before(async () => {
    world = await startAirflowWorld()
    ;({projectDir} = copyInfra())
    // Publish the worker metric every 5 s instead of 60, so a short DAG run is seen. One
    // worker always: moto's CloudWatch alarms and step scaling act on nothing, so the
    // scale-from-zero path (metric -> alarm -> policy) cannot bring a worker up here.
    // The bundle is synced every 10 s instead of 30, so `dags deploy --wait` waits less.
    const settings = {name: PROJECT, workers: {min: 1, max: 2}, terraformVars: {metrics_period_seconds: 5, dags_refresh_interval: 10}}
    writeFileSync(join(projectDir, 'airflow-ecs.json'), JSON.stringify(settings, null, 2))
    // The project's DAG folder: deploy publishes it to the S3 DAG bundle the components read.
    cpSync(join(repoRoot, 'dags'), join(projectDir, 'dags'), {recursive: true})
    env = {...world.moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir}
  })
  after(async () => {
    const tasks = world?.state().tasks ?? []
    await world?.stop()
    // The tier's own time and the peak memory of each component's processes (the whole
    // process group of its container), for `npm run bench` (AIRFLOW_ECS_TIER_REPORT).
    const peak: Record<string, number> = {}
    for (const t of tasks) {
      // By container: each component is one container, whichever task it shares.
      for (const c of t.containers) {
        if (c.emulated) continue
        const component = t.group.startsWith('service:') ? c.name : 'standalone (one-off tasks)'
        peak[component] = Math.max(peak[component] ?? 0, c.peakRssMiB ?? 0)
      }
    }
    const report = {seconds: Math.round((Date.now() - started) / 1000), peakRssMiB: peak}
    console.log(`# Airflow tier: ${JSON.stringify(report)}`)
    if (process.env.AIRFLOW_ECS_TIER_REPORT) writeFileSync(process.env.AIRFLOW_ECS_TIER_REPORT, JSON.stringify(report, null, 2))
  })

  it('deploys from nothing: real `db migrate`, the admin user by FAB, a healthy api-server', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], 900_000)
    ok(r, 'deploy')
    deployedAt = Date.now()
    const out = parseJson(r)
    assert.equal(out.firstDeploy, true)
    const byStep = Object.fromEntries(out.steps.map((s: any) => [s.step, s.status]))
    assert.equal(byStep['db migrate'], 'done')
    assert.equal(byStep['admin user'], 'done')
    assert.equal(byStep['DAG bundle'], 'done', 'deploy published dags/ to the S3 bundle before the services started')
    // The real migration and the real FAB command ran, in the standalone task's log.
    assert.match(r.stderr, /Database migration done!/, 'airflow db migrate ran on the PostgreSQL')
    assert.match(r.stderr, /User "admin" created with role "Admin"/, 'FAB created the admin user')
    assert.doesNotMatch(r.stderr + r.stdout, /ModuleNotFoundError/)

    // The api-server answers the target group's health-check path, with a healthy
    // metadatabase and a scheduler that heartbeats.
    const elb = new ElasticLoadBalancingV2Client(sdkConfig(world.moto))
    const groups = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []
    const path = groups.find((g) => g.Port === 8080)?.HealthCheckPath
    assert.ok(path, 'the api-server target group has a health-check path')
    const base = `http://127.0.0.1:${world.apiPort(PROJECT)}`
    const health = await eventually(
      'a healthy metadatabase and scheduler',
      async () => {
        const res = await fetch(`${base}${path}`)
        const body = (await res.json()) as any
        return res.ok && body.metadatabase?.status === 'healthy' && body.scheduler?.status === 'healthy' ? body : undefined
      },
      180_000,
    )
    assert.equal(health.metadatabase.status, 'healthy')

    const password = await cli(['admin-password', '--reveal'])
    ok(password, 'admin-password --reveal')
    api = new AirflowApi(base, 'admin', password.stdout.trim())
    await api.signIn()
    assert.equal(out.plan.destroy, 0, 'a first deploy destroys nothing')
  })

  it('no service container exited for want of a migrated schema on the first deploy', () => {
    const services = world.state().tasks.filter((t) => t.group.startsWith('service:'))
    assert.deepEqual(
      SERVICES.map((s) => services.some((t) => t.group === `service:${PROJECT}-${s}` && !t.stopped)),
      SERVICES.map(() => true),
      'every service runs a task',
    )
    const core = services.find((t) => t.group === `service:${PROJECT}-core` && !t.stopped)!
    assert.deepEqual(core.containers.map((c) => c.name).sort(), ['dag-processor', 'metrics', 'scheduler', 'triggerer'], 'compact: one task runs the light components')
    assert.ok(core.containers.every((c) => c.exitCode === null || c.exitCode === undefined), 'every container of the core task runs')
    const exited = services.filter((t) => t.stopped).map((t) => `${t.group}: ${t.reason} (exit ${t.containers.map((c) => c.exitCode).join(',')})`)
    assert.deepEqual(exited, [], 'no service task stopped')
  })

  it('every AIRFLOW__* key of every task definition exists, not deprecated, in the installed Airflow', async () => {
    const ecs = new ECSClient(sdkConfig(world.moto))
    const families = [...SERVICES, 'standalone'].map((c) => `${PROJECT}-${c}`)
    const names: string[] = []
    for (const family of families) {
      const {taskDefinition} = await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: family}))
      for (const c of taskDefinition!.containerDefinitions ?? []) {
        names.push(...(c.environment ?? []).map((e) => e.name!), ...(c.secrets ?? []).map((e) => e.name!))
      }
    }
    const r = spawnSync(join(ensureVenv(), 'bin', 'python'), [join(repoRoot, 'test/harness/airflow_config_check.py')], {input: JSON.stringify(names), encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    const result = JSON.parse(r.stdout)
    assert.ok(result.checked.length >= 15, `checked ${result.checked.join(', ')}`)
    assert.ok(result.checked.includes('AIRFLOW__CORE__EXECUTOR') && result.checked.includes('AIRFLOW__DATABASE__SQL_ALCHEMY_CONN'))
    assert.deepEqual(result.problems, [], `Airflow ${result.airflow}`)
    assert.ok(result.checked.includes('AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST'), 'the bundle configuration key is checked')
    // Every Airflow container carries the same S3 bundle configuration.
    for (const family of families) {
      const {taskDefinition} = await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: family}))
      for (const c of taskDefinition!.containerDefinitions ?? []) {
        if (!(c.environment ?? []).some((e) => e.name === 'AIRFLOW__CORE__EXECUTOR')) continue
        const value = (c.environment ?? []).find((e) => e.name === 'AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST')?.value
        assert.ok(value, `${family}/${c.name} has the bundle configuration`)
        const [bundle] = JSON.parse(value)
        assert.equal(bundle.classpath, 'airflow.providers.amazon.aws.bundles.s3.S3DagBundle')
        assert.equal(bundle.kwargs.prefix, 'dags/live')
        assert.ok(bundle.kwargs.bucket_name.startsWith(PROJECT))
      }
    }
  })

  it('the real dag-processor parses the example DAG: `task "dags list" --wait` lists it', async () => {
    await eventually(
      `${DAG} parsed`,
      async () => {
        const r = await cli(['task', 'dags list -o plain', '--wait'])
        ok(r, 'task dags list')
        return r.stdout.includes(DAG) ? true : undefined
      },
      180_000,
      5000,
    )
  })

  it('`dags deploy` of a new DAG: the real dag-processor parses it from the S3 bundle (moto)', async () => {
    const probe = `from airflow.sdk import dag, task


@dag(schedule=None)
def bundle_probe():
    @task
    def hello():
        print("from the S3 bundle")

    hello()


bundle_probe()
`
    writeFileSync(join(projectDir, 'dags', 'bundle_probe.py'), probe)
    const r = await cli(['dags', 'deploy', '--json', '--message', 'tier probe'])
    ok(r, 'dags deploy')
    const out = parseJson(r)
    assert.deepEqual(out.change, {added: ['bundle_probe.py'], changed: [], removed: []})
    assert.equal(out.writes, 3)
    await eventually(
      'bundle_probe parsed from the bundle',
      async () => {
        const list = await cli(['task', 'dags list -o plain', '--wait'])
        ok(list, 'task dags list')
        return list.stdout.includes('bundle_probe') ? true : undefined
      },
      180_000,
      5000,
    )
    const dag = await api.get('/api/v2/dags/bundle_probe')
    assert.equal(dag.bundle_name, 's3-dags')
  })

  it('`dags deploy --wait`: a missing module is reported with file and line (exit 3); the fixed version exits 0', async () => {
    const probe = (imports: string) => `from airflow.sdk import dag, task
${imports}

@dag(schedule=None)
def wait_probe():
    @task
    def hello():
        print("waited for")

    hello()


wait_probe()
`
    writeFileSync(join(projectDir, 'dags', 'wait_probe.py'), probe('import airflow_ecs_no_such_module  # line 2\n'))
    let t0 = Date.now()
    const broken = await cli(['dags', 'deploy', '--wait', '--timeout', '2m', '--json', '--message', 'broken import'])
    assert.equal(broken.code, 3, `exit 3 for import errors\n${broken.stdout}\n${broken.stderr}`)
    const out = parseJson(broken)
    assert.deepEqual(out.change, {added: ['wait_probe.py'], changed: [], removed: []})
    assert.deepEqual(out.importErrors, [{file: 'wait_probe.py', line: 2, message: "ModuleNotFoundError: No module named 'airflow_ecs_no_such_module'"}])
    assert.ok(new Date(out.parsed.syncedAt) > new Date(Date.now() - 120_000), `synced after the publish: ${out.parsed.syncedAt}`)
    assert.match(broken.stderr, /Waiting for the dag-processor to parse version/, 'progress on stderr')
    const brokenSeconds = Math.round((Date.now() - t0) / 1000)

    writeFileSync(join(projectDir, 'dags', 'wait_probe.py'), probe(''))
    t0 = Date.now()
    const fixed = await cli(['dags', 'deploy', '--wait', '--timeout', '2m', '--message', 'fixed import'])
    const fixedSeconds = Math.round((Date.now() - t0) / 1000)
    ok(fixed, 'dags deploy --wait (fixed)')
    assert.match(fixed.stdout, /changed 1 \(wait_probe\.py\)/)
    assert.match(fixed.stdout, /reports no import error/)
    assert.equal((await api.get('/api/v2/dags/wait_probe')).bundle_name, 's3-dags', 'the fixed DAG is parsed')
    console.log(`# dags deploy --wait: ${brokenSeconds} s broken, ${fixedSeconds} s fixed`)
  })

  it('a triggered run succeeds on a real Celery worker (SQS on moto), its log read while it runs and after (S3)', async () => {
    // A variable and a connection, written by the CLI where the deployment's secrets backend
    // looks for them; `connections check` shows what the deployed Airflow resolves.
    ok(await cli(['variables', 'set', 'example_greeting', 'hello from Secrets Manager']), 'variables set')
    ok(await cli(['connections', 'set', 'example_http', 'http://robot:p4ss-w0rd@ext-api.example.com:8443/v1?timeout=5']), 'connections set')
    const check = await cli(['connections', 'check', 'example_http', '--json'])
    ok(check, 'connections check')
    const resolved = parseJson(check)
    assert.equal(resolved.source, 'SecretsManagerBackend')
    assert.deepEqual([resolved.conn_type, resolved.host, resolved.port, resolved.extra_keys], ['http', 'ext-api.example.com', 8443, ['timeout']])
    assert.doesNotMatch(check.stdout + check.stderr, /p4ss-w0rd/, 'the password is never printed')

    // New DAGs start paused ([core] dags_are_paused_at_creation): unpause it, as a user would.
    const unpause = await cli(['task', `dags unpause ${DAG}`, '--wait'])
    ok(unpause, 'task dags unpause')
    assert.equal((await api.get(`/api/v2/dags/${DAG}`)).is_paused, false)
    const r = await cli(['task', '--wait', '--', 'dags', 'trigger', DAG, '--conf', '{"sleep_seconds": 25}', '-o', 'json'])
    ok(r, 'task dags trigger')
    const triggered = r.stdout.match(/"dag_run_id":\s*"([^"]+)"/)
    assert.ok(triggered, `dags trigger printed the run id:\n${r.stdout}`)
    runId = triggered[1]

    // While take_your_time runs, its log comes from the worker's log server.
    const runPath = `/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(runId)}`
    const live = await eventually(
      'take_your_time running with a live log',
      async () => {
        const ti = await api.get(`${runPath}/taskInstances/take_your_time`)
        if (ti.state !== 'running') return undefined
        const log = await api.get(`${runPath}/taskInstances/take_your_time/logs/${ti.try_number}?full_content=true`)
        const text = JSON.stringify(log.content)
        return text.includes('still working') ? text : undefined
      },
      240_000,
    )
    assert.match(live, /still working: \d+\/25 s/)

    const run = await eventually(
      `dag run ${runId} to finish`,
      async () => {
        const dr = await api.get(runPath)
        return dr.state === 'success' || dr.state === 'failed' ? dr : undefined
      },
      180_000,
    )
    const tis = await api.get(`${runPath}/taskInstances`)
    assert.equal(run.state, 'success', JSON.stringify(tis.task_instances.map((t: any) => [t.task_id, t.state])))
    assert.deepEqual(tis.task_instances.map((t: any) => t.state), tis.task_instances.map(() => 'success'))

    // After the run, the logs are in S3 (remote logging) and read back from there.
    const s3 = new S3Client({...sdkConfig(world.moto), forcePathStyle: true})
    const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? []
    const bucket = buckets.map((b) => b.Name!).find((n) => n.startsWith(PROJECT))
    assert.ok(bucket, `the deployment's bucket among ${buckets.map((b) => b.Name).join(', ')}`)
    const objects = await eventually(
      'task logs in S3',
      async () => {
        const listed = await s3.send(new ListObjectsV2Command({Bucket: bucket, Prefix: 'logs/'}))
        const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.includes(DAG))
        return keys.some((k) => k.includes('take_your_time')) ? keys : undefined
      },
      60_000,
    )
    assert.ok(objects.some((k) => k.includes('read_settings')))
    const finished = await api.get(`${runPath}/taskInstances/read_settings/logs/1?full_content=true`)
    const text = JSON.stringify(finished.content)
    assert.match(text, /variable example_greeting = 'hello from Secrets Manager'/)
    assert.match(text, /connection example_http: type=http host=ext-api\.example\.com/)
  })

  it('the metrics publisher published the real queued and running counts during the run', async () => {
    const cw = new CloudWatchClient(sdkConfig(world.moto))
    const stats = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AirflowEcs',
        MetricName: 'RunningTasks',
        Dimensions: [{Name: 'Cluster', Value: PROJECT}],
        StartTime: new Date(deployedAt - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 60,
        Statistics: ['Maximum', 'SampleCount'],
      }),
    )
    const points = stats.Datapoints ?? []
    assert.ok(points.length > 0, 'RunningTasks was published')
    assert.ok(Math.max(...points.map((p) => p.Maximum ?? 0)) >= 1, `a running task instance was counted: ${JSON.stringify(points)}`)
  })

  it('`logs scheduler` and `logs worker` print real Airflow lines', async () => {
    const scheduler = await cli(['logs', 'scheduler', '--since', '30m'])
    ok(scheduler, 'logs scheduler')
    assert.match(scheduler.stdout, /SchedulerJobRunner|Starting the scheduler|scheduler/i)
    const worker = await cli(['logs', 'worker', '--since', '30m'])
    ok(worker, 'logs worker')
    assert.match(worker.stdout, /celery@|Task .*succeeded|ready\./i)
  })

  it('`task "db check" --wait` exits 0 and a failing command returns its real exit code', async () => {
    const check = await cli(['task', 'db check', '--wait'])
    ok(check, 'task db check')
    assert.match(check.stdout + check.stderr, /Connection successful/i)
    const failing = await cli(['task', '--wait', '--', 'bash', '-c', 'echo about to fail; exit 7'])
    assert.equal(failing.code, 7, failing.stderr)
    assert.match(failing.stdout, /about to fail/)
    assert.match(failing.stderr, /exit code 7/)
    // status lists the crashed one-off task with its real exit code and its last lines.
    const status = parseJson(await cli(['status', '--json']))
    const crashed = status.failedTasks.find((t: any) => t.exitCode === 7)
    assert.ok(crashed, JSON.stringify(status.failedTasks))
    assert.equal(crashed.component, 'standalone')
    assert.ok(crashed.lastLines.includes('about to fail'), JSON.stringify(crashed))
    const human = await cli(['status'])
    assert.match(human.stdout, /Last lines of standalone task [0-9a-f-]+:\n {2}about to fail/)
  })

  it('every service is still running what it should', async () => {
    const ecs = new ECSClient(sdkConfig(world.moto))
    const services = (
      await ecs.send(new DescribeServicesCommand({cluster: PROJECT, services: SERVICES.map((s) => `${PROJECT}-${s}`)}))
    ).services!
    assert.deepEqual(
      services.map((s) => [s.serviceName, s.runningCount]),
      SERVICES.map((s) => [`${PROJECT}-${s}`, 1]),
    )
  })
})
