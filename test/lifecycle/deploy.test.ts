// The whole lifecycle as a user runs it, against moto with the real infra-terraform, from a
// fresh copy of the project: deploy --yes --image (db migrate and the admin user before any
// service exists), deploy again (converges), url,
// status --json, task --wait, a deploy that builds (fake docker) while Terraform applies
// what does not need the image and moves to another Airflow version (a DB snapshot before the
// migration), releases and rollback (refused below the schema, then with the database
// downgrade on a terminal), upgrade's checks and dry run, destroy --yes (a final snapshot),
// and a deploy that creates the database from that snapshot. No secret value from Secrets
// Manager may appear in any output of the run.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeClustersCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListServicesCommand, ListTasksCommand, type Task} from '@aws-sdk/client-ecs'
import {DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient} from '@aws-sdk/client-rds'
import {GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, S3Client} from '@aws-sdk/client-s3'
import {GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {type CliResult, parseJson, repoRoot, runCli, testPath} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

let moto: Moto
let env: Record<string, string>
let projectDir: string
const outputs: Array<{args: string; text: string}> = []
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:prebuilt-1'
const IMAGE_NEXT = '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:prebuilt-2'
let finalSnapshot = ''
/** What each service ran after the first deploy (DescribeServices), for the rollback. */
let firstTaskDefinitions: Record<string, string> = {}

async function serviceTaskDefinitions(cluster: string): Promise<Record<string, string>> {
  const ecs = new ECSClient(sdkConfig(moto))
  const arns = (await ecs.send(new ListServicesCommand({cluster}))).serviceArns ?? []
  const services = (await ecs.send(new DescribeServicesCommand({cluster, services: arns}))).services ?? []
  return Object.fromEntries(services.map((s) => [s.serviceName!, s.taskDefinition!]))
}

async function cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  const r = await runCli(args, {env: {...env, ...extraEnv}, timeoutMs})
  outputs.push({args: args.join(' '), text: r.stdout}, {args: args.join(' '), text: r.stderr})
  return r
}

/** Runs the CLI on a pseudo-terminal (answering prompts per script); its screen, ANSI codes removed. */
function onTerminal(args: string[], script: Array<[string, string]> = [], timeoutS = 300): {code: number | null; screen: string} {
  const r = spawnSync(
    'python3',
    [join(repoRoot, 'test/harness/pty_run.py'), JSON.stringify(script), '--', process.execPath, join(repoRoot, 'bin/run.js'), ...args],
    {env: {...process.env, ...env, PATH: testPath(), AIRFLOW_ECS_POLL_INTERVAL_MS: '150', NO_COLOR: '1', PTY_RUN_TIMEOUT: String(timeoutS)}, encoding: 'utf8', timeout: (timeoutS + 30) * 1000},
  )
  // eslint-disable-next-line no-control-regex
  return {code: r.status, screen: r.stdout.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '')}
}

const stepStatus = (out: any): Record<string, string> => Object.fromEntries(out.steps.map((s: any) => [s.step, s.status]))

/** Every task moto knows in the cluster, running or stopped. */
async function clusterTasks(cluster: string): Promise<Task[]> {
  const ecs = new ECSClient(sdkConfig(moto))
  const arns = new Set<string>()
  for (const desiredStatus of [undefined, 'STOPPED'] as const) {
    for (const arn of (await ecs.send(new ListTasksCommand({cluster, desiredStatus}))).taskArns ?? []) arns.add(arn)
  }
  const tasks: Task[] = []
  const all = [...arns]
  for (let i = 0; i < all.length; i += 100) tasks.push(...((await ecs.send(new DescribeTasksCommand({cluster, tasks: all.slice(i, i + 100)}))).tasks ?? []))
  return tasks
}

/** When each service of the cluster was created (its first deployment, where moto keeps it). */
async function serviceCreations(cluster: string): Promise<Array<{name: string; createdAt: number}>> {
  const ecs = new ECSClient(sdkConfig(moto))
  const arns = (await ecs.send(new ListServicesCommand({cluster}))).serviceArns ?? []
  if (arns.length === 0) return []
  const services = (await ecs.send(new DescribeServicesCommand({cluster, services: arns}))).services ?? []
  return services.map((s) => {
    const times = [s.createdAt, ...(s.deployments ?? []).map((d) => d.createdAt)].filter((t): t is Date => t instanceof Date).map((t) => t.getTime())
    assert.ok(times.length > 0, `no creation time for ${s.serviceName}`)
    return {name: s.serviceName!, createdAt: Math.min(...times)}
  })
}

describe('deploy, operate, destroy', {timeout: 900_000}, () => {
  before(async () => {
    moto = await startMoto()
    ;({projectDir} = copyInfra())
    env = {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir}
  })
  after(async () => {
    await moto?.stop()
  })

  it('refuses to deploy without --yes off a terminal, before touching anything', async () => {
    const r = await cli(['deploy'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Pass --yes/)
    assert.ok(!existsSync(join(projectDir, 'infra-terraform', '.terraform')), 'terraform init did not run')
  })

  it('deploys from nothing with a prebuilt image', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], {}, 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.image, IMAGE)
    assert.equal(out.firstDeploy, true)
    assert.ok(out.plan.add > 50, `planned ${out.plan.add} resources`)
    assert.match(out.url, /^http:\/\//)
    const steps = out.steps.map((s: any) => `${s.step}:${s.status}`)
    assert.deepEqual(steps, [
      'preflight:done',
      'state:done',
      'terraform init:done',
      'ECR repository:done',
      'build and push:skipped',
      'terraform plan:done',
      'terraform apply (infrastructure):done',
      'terraform plan (services):done',
      'release:done',
      'db snapshot:skipped',
      'db migrate:done',
      'admin user:done',
      'DAG bundle:skipped',
      'terraform apply (services):done',
      'services stable:done',
    ])
    // No Airflow component starts on an empty schema: db migrate, then the admin user, both ran
    // before any ECS service existed, and so before any service task.
    const tasks = await clusterTasks('airflow')
    const oneOff = (command: RegExp) => tasks.filter((t) => t.startedBy === 'airflow-ecs' && command.test((t.overrides?.containerOverrides?.[0]?.command ?? []).join(' ')))
    const [migrate, ...moreMigrates] = oneOff(/^db migrate$/)
    const [admin, ...moreAdmins] = oneOff(/airflow users create/)
    assert.ok(migrate?.startedAt && admin?.startedAt, 'moto has the db migrate and users create tasks')
    assert.deepEqual([moreMigrates.length, moreAdmins.length], [0, 0])
    assert.ok(migrate.startedAt < admin.startedAt, 'db migrate before the admin user')
    const services = await serviceCreations('airflow')
    assert.equal(services.length, 3, 'compact: api-server, core, worker')
    for (const s of services) {
      assert.ok(admin.startedAt.getTime() < s.createdAt, `${s.name} was created at ${new Date(s.createdAt).toISOString()}, before the admin user (${admin.startedAt.toISOString()})`)
    }
    const serviceTasks = tasks.filter((t) => t.group?.startsWith('service:'))
    assert.ok(serviceTasks.length >= 2, `${serviceTasks.length} service tasks`)
    for (const t of serviceTasks) assert.ok(t.startedAt! > admin.startedAt, `${t.group} started a task before the admin user was created`)
    assert.match(r.stderr, /\[\d\d:\d\d:\d\d\] start terraform init/, 'plain timestamped progress off a terminal')
    assert.match(r.stderr, /\[\d\d:\d\d:\d\d\] done  db migrate \(\d+\.\d+s\)/)
    assert.match(r.stderr, /Read complete after \w+ \[id=\(redacted\)\]/, 'the random-password data source id is hidden')
    assert.ok(out.timing.cliCpuSeconds < 2, `the CLI's own time was ${out.timing.cliCpuSeconds}s`)
    const tfvars = JSON.parse(readFileSync(join(projectDir, 'infra-terraform', 'airflow-ecs.auto.tfvars.json'), 'utf8'))
    assert.deepEqual(tfvars, {project_name: 'airflow', image: IMAGE})
    assert.equal(out.release, 1)
    firstTaskDefinitions = await serviceTaskDefinitions('airflow')
    assert.equal(Object.keys(firstTaskDefinitions).length, 3)
  })

  it('a second deploy converges: nothing to change, ECR and the admin user kept', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE])
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    // The human form: a per-step timing table and the URL.
    assert.match(r.stdout, /STEP\s+STATUS\s+SECONDS\s+NOTE/)
    assert.match(r.stdout, /terraform plan\s+done\s+\d+\.\d\s+\+0 ~0 -0/)
    assert.match(r.stdout, /terraform apply \(infrastructure\)\s+skipped\s+no changes/)
    assert.match(r.stdout, /terraform plan \(services\)\s+skipped\s+nothing applied since terraform plan/)
    assert.match(r.stdout, /db migrate\s+done/, 'migrations run on every deploy')
    assert.match(r.stdout, /terraform apply \(services\)\s+skipped\s+no changes/)
    assert.match(r.stdout, /ECR repository\s+skipped\s+exists/)
    assert.match(r.stdout, /admin user\s+skipped\s+created by an earlier deploy/)
    assert.match(r.stdout, /Airflow is at http:\/\//)
    assert.doesNotMatch(r.stdout, /Sign in as/, 'not the first deploy')
  })

  it('operates it: url, status --json, task --wait, admin-password refuses a pipe', async () => {
    const url = await cli(['url'])
    assert.equal(url.code, 0, url.stderr)
    assert.match(url.stdout, /^http:\/\//)
    const status = await cli(['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    const s = parseJson(status)
    assert.deepEqual(
      s.components.map((c: any) => c.component),
      ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'metrics'],
    )
    const scheduler = s.components.find((c: any) => c.component === 'scheduler')
    assert.deepEqual([scheduler.desired, scheduler.running, scheduler.rollout], [1, 1, 'COMPLETED'])
    assert.equal(s.workerAutoscaling.max, 10)
    assert.match(s.workerAutoscaling.metric, /\//)
    assert.ok(Array.isArray(s.failedTasks) && Array.isArray(s.targets) && Array.isArray(s.schedules))
    const human = await cli(['status'])
    assert.match(human.stdout, /COMPONENT\s+SERVICE\s+DESIRED\s+RUNNING\s+PENDING\s+ROLLOUT/)
    assert.match(human.stdout, /scheduler\s+airflow-core\s+1\s+1\s+0\s+COMPLETED/)
    assert.match(human.stdout, /Worker autoscaling: follows /)
    const task = await cli(['task', 'db migrate', '--wait'])
    assert.equal(task.code, 0, task.stderr)
    assert.match(task.stdout, /starting: db migrate/)
    const password = await cli(['admin-password'])
    assert.equal(password.code, 2)
    assert.match(password.stderr, /--reveal/)
    // On a terminal it prints the password Secrets Manager generated (this output is not
    // collected for the no-secret check at the end, on purpose).
    const sm = new SecretsManagerClient(sdkConfig(moto))
    const admin = ((await sm.send(new ListSecretsCommand({}))).SecretList ?? []).find((x) => x.Name?.startsWith('airflow/admin-password-'))
    const value = (await sm.send(new GetSecretValueCommand({SecretId: admin!.ARN}))).SecretString!
    const shown = onTerminal(['admin-password'])
    assert.equal(shown.code, 0, shown.screen)
    assert.ok(shown.screen.includes(value), 'admin-password shows the admin secret on a terminal')
  })

  it('on a terminal: a task list, no question when nothing changes, no password after the first deploy', () => {
    const r = onTerminal(['deploy', '--image', IMAGE])
    assert.equal(r.code, 0, r.screen.slice(-3000))
    assert.match(r.screen, /✔ terraform plan/)
    assert.match(r.screen, /↓ terraform apply \(services\) \[skipped: no changes\]/)
    assert.doesNotMatch(r.screen, /Apply\?/)
    assert.match(r.screen, /Airflow is at http:\/\//)
    assert.doesNotMatch(r.screen, /Sign in as/)
  })

  it('builds and pushes while Terraform applies what does not need the image', async () => {
    // The project as a git repository: the tag is the commit, -dirty with a changed file.
    const git = (...args: string[]) => spawnSync('git', ['-C', projectDir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {encoding: 'utf8'})
    writeFileSync(join(projectDir, '.gitignore'), '.terraform/\n*.tfstate*\n.airflow-ecs/\n*.auto.tfvars.json\n')
    writeFileSync(join(projectDir, 'airflow-ecs.json'), '{}\n')
    assert.equal(git('init', '-q').status, 0)
    git('add', '-A')
    assert.equal(git('commit', '-qm', 'init').status, 0)
    const sha = git('rev-parse', '--short=12', 'HEAD').stdout.trim()
    // A setting that changes resources that do not run the image (the log groups), and another
    // Airflow version: the database is snapshotted before the migration.
    writeFileSync(join(projectDir, 'airflow-ecs.json'), JSON.stringify({terraformVars: {log_retention_days: 14}, airflowVersion: '3.3.3'}))
    const dockerLog = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
    const r = await cli(['deploy', '--yes', '--json'], {FAKE_DOCKER_LOG: dockerLog}, 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.image, `123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:${sha}-dirty`)
    const steps = stepStatus(out)
    assert.equal(steps['build and push'], 'done')
    assert.equal(steps['terraform apply (infrastructure)'], 'done')
    assert.equal(steps['terraform plan (services)'], 'done')
    assert.equal(steps['db migrate'], 'done')
    assert.equal(steps['terraform apply (services)'], 'done')
    assert.match(r.stderr, /\[build and push\] /, 'the parallel steps label their lines')
    assert.match(r.stderr, /\[terraform apply \(infrastructure\)\] /)
    // The services move to the new image only once it is pushed and the schema migrated.
    const at = (pattern: RegExp): number => {
      const i = r.stderr.search(pattern)
      assert.ok(i >= 0, `${pattern} is in the progress lines`)
      return i
    }
    assert.ok(at(/done {2}build and push/) < at(/start db migrate/))
    assert.ok(at(/done {2}terraform apply \(infrastructure\)/) < at(/start db migrate/))
    assert.ok(at(/done {2}db migrate/) < at(/start terraform apply \(services\)/))
    assert.ok(at(/start terraform apply \(services\)/) < at(/aws_ecs_service\.this: Modifying/), 'no service is updated before the last apply')
    const calls = readFileSync(dockerLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const login = calls.find((c) => c.args[0] === 'login')
    assert.ok(login?.stdin, 'docker login got the password on stdin')
    const build = calls.find((c) => c.args[0] === 'buildx' && c.args[1] === 'build')
    assert.ok(build.args.includes('--push') && build.args.includes(out.image))
    assert.ok(build.args.includes('AIRFLOW_VERSION=3.3.3'), 'the image is built for the Airflow version of airflow-ecs.json')
    // The snapshot, named after the release, exists before the migration task starts.
    assert.equal(out.release, 4)
    assert.match(out.snapshot, /^airflow-release-4-\d{8}-\d{4}$/)
    assert.equal(steps['db snapshot'], 'done')
    assert.ok(at(/done {2}db snapshot/) < at(/start db migrate/))
    const snap = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBSnapshotsCommand({DBSnapshotIdentifier: out.snapshot}))).DBSnapshots![0]
    assert.equal(snap.Status, 'available')
    const migrates = (await clusterTasks('airflow')).filter((t) => (t.overrides?.containerOverrides?.[0]?.command ?? []).join(' ') === 'db migrate')
    const lastMigrate = Math.max(...migrates.map((t) => t.startedAt!.getTime()))
    assert.ok(snap.SnapshotCreateTime!.getTime() <= lastMigrate, `snapshot at ${snap.SnapshotCreateTime!.toISOString()}, migrate started at ${new Date(lastMigrate).toISOString()}`)
    assert.deepEqual(build.args.slice(build.args.indexOf('--platform'), build.args.indexOf('--platform') + 2), ['--platform', 'linux/arm64'])
  })

  it('lists the releases and rolls back: refused below the schema, then with the downgrade on a terminal', async () => {
    const list = await cli(['releases', '--json'])
    assert.equal(list.code, 0, list.stderr)
    const releases = parseJson(list)
    assert.deepEqual(releases.map((r: any) => [r.number, r.kind, r.outcome, r.airflowVersion]), [
      [4, 'deploy', 'succeeded', '3.3.3'],
      [3, 'deploy', 'succeeded', '3.3.2'],
      [2, 'deploy', 'succeeded', '3.3.2'],
      [1, 'deploy', 'succeeded', '3.3.2'],
    ])
    assert.deepEqual(Object.fromEntries(Object.entries(releases[3].services).map(([k, v]: [string, any]) => [k, v.taskDefinition])), firstTaskDefinitions)
    assert.equal(releases[3].image, IMAGE)
    assert.match(releases[0].who.arn, /^arn:aws:/)
    assert.equal(releases[0].databaseVersion, '3.3.3')
    const human = await cli(['releases', '--limit', '2'])
    assert.match(human.stdout, /#\s+KIND\s+OUTCOME\s+STARTED/)
    assert.equal(human.stdout.trim().split('\n').length, 3, 'a header and two releases')

    // Bad input: one line and what to do, nothing changed.
    const unknown = await cli(['rollback', '99', '--yes'])
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /Release 99 is not recorded/)
    const live = await cli(['rollback', '4', '--yes'])
    assert.equal(live.code, 2)
    assert.match(live.stderr, /Release 4 is already live/)
    const older = await cli(['rollback', '--yes'])
    assert.equal(older.code, 2)
    assert.match(older.stderr, /Release 3 runs Airflow 3\.3\.2, older than the database's schema \(Airflow 3\.3\.3\)/)
    assert.match(older.stderr, /airflow db downgrade --to-version 3\.3\.2/)
    const piped = await cli(['rollback', '--downgrade-database', '--yes'])
    assert.equal(piped.code, 2)
    assert.match(piped.stderr, /not a terminal/)
    for (const r of [unknown, live, older, piped]) assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
    assert.deepEqual(await serviceTaskDefinitions('airflow'), Object.fromEntries(Object.entries(releases[0].services).map(([k, v]: [string, any]) => [k, v.taskDefinition])))

    // On a terminal, typing the project name: snapshot, db downgrade, every service back on release 3's task definitions.
    const r = onTerminal(['rollback', '--downgrade-database'], [['Type the project name', 'airflow\r']])
    assert.equal(r.code, 0, r.screen.slice(-3000))
    assert.match(r.screen, /Rolled back to release 3 \(airflow-airflow:prebuilt-1\): 3 services updated/)
    assert.match(r.screen, /schema was downgraded to Airflow 3\.3\.2/)
    assert.deepEqual(await serviceTaskDefinitions('airflow'), firstTaskDefinitions)
    const downgrade = (await clusterTasks('airflow')).filter((t) => (t.overrides?.containerOverrides?.[0]?.command ?? []).join(' ') === 'db downgrade --to-version 3.3.2 --yes')
    assert.equal(downgrade.length, 1)
    const after = parseJson(await cli(['releases', '--json', '--limit', '2']))
    assert.deepEqual(after.map((x: any) => [x.number, x.kind, x.outcome, x.rollbackOf ?? null]), [
      [5, 'rollback', 'succeeded', 3],
      [4, 'deploy', 'rolled-back', null],
    ])
    assert.equal(after[0].databaseVersion, '3.3.2')
    assert.equal(after[1].rolledBackBy, 5)
    // Terraform's next plan renders the rolled-back image; the project's version follows the database.
    const tfvars = JSON.parse(readFileSync(join(projectDir, 'infra-terraform', 'airflow-ecs.auto.tfvars.json'), 'utf8'))
    assert.equal(tfvars.image, IMAGE)
    assert.equal(JSON.parse(readFileSync(join(projectDir, 'airflow-ecs.json'), 'utf8')).airflowVersion, '3.3.2')
    // The rollback held the state's lock (as a deploy does) and released it.
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const stateKeys = ((await s3.send(new ListObjectsV2Command({Bucket: 'airflow-ecs-state-123456789012-us-east-1', Prefix: 'airflow/'}))).Contents ?? []).map((o) => o.Key)
    assert.deepEqual(stateKeys, ['airflow/terraform.tfstate'], 'no lock left beside the state')
  })

  it('upgrade: refuses an older or malformed version, and --dry-run only shows the SQL', async () => {
    const older = await cli(['upgrade', '--to', '3.2.0', '--yes'])
    assert.equal(older.code, 2)
    assert.match(older.stderr, /--to 3\.2\.0 is older than the deployed Airflow 3\.3\.2/)
    const bad = await cli(['upgrade', '--to', '4.x', '--yes'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /"4\.x" is not an Airflow 3 release number/)
    const settingsBefore = readFileSync(join(projectDir, 'airflow-ecs.json'), 'utf8')
    const servicesBefore = await serviceTaskDefinitions('airflow')
    const dry = await cli(['upgrade', '--to', '3.3.3', '--dry-run', '--image', IMAGE_NEXT])
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /Dry run: the SQL above is what upgrading from Airflow 3\.3\.2 to 3\.3\.3 runs/)
    const task = (await clusterTasks('airflow')).find((t) => (t.overrides?.containerOverrides?.[0]?.command ?? []).join(' ') === 'db migrate --show-sql-only')
    assert.ok(task, 'a one-off task ran airflow db migrate --show-sql-only')
    assert.match(task.taskDefinitionArn!, /airflow-standalone-upgrade-dry-run:1$/)
    assert.equal(readFileSync(join(projectDir, 'airflow-ecs.json'), 'utf8'), settingsBefore, 'the settings are unchanged')
    assert.deepEqual(await serviceTaskDefinitions('airflow'), servicesBefore)
    assert.equal(parseJson(await cli(['releases', '--json', '--limit', '1']))[0].number, 5, 'no release recorded')
  })

  it('only DAG files changed since the deployed commit: no build, no rollout, the bundle ships them', async () => {
    const git = (...args: string[]) => spawnSync('git', ['-C', projectDir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {encoding: 'utf8'})
    const dag = (text: string) => `from airflow.sdk import dag\n\n\n@dag(schedule=None)\ndef hello():\n    print(${JSON.stringify(text)})\n\n\nhello()\n`
    mkdirSync(join(projectDir, 'dags'), {recursive: true})
    writeFileSync(join(projectDir, 'dags', 'hello.py'), dag('one'))
    git('add', '-A')
    assert.equal(git('commit', '-qm', 'a DAG').status, 0)
    // A clean commit deployed (the image of that commit, prebuilt): the base of the shortcut.
    const base = `123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:${git('rev-parse', '--short=12', 'HEAD').stdout.trim()}`
    const first = await cli(['deploy', '--yes', '--image', base, '--json'], {}, 600_000)
    assert.equal(first.code, 0, first.stderr.slice(-3000))
    assert.equal(stepStatus(parseJson(first))['DAG bundle'], 'done')
    const ecs = new ECSClient(sdkConfig(moto))
    const services = async () => {
      const arns = (await ecs.send(new ListServicesCommand({cluster: 'airflow'}))).serviceArns ?? []
      const described = (await ecs.send(new DescribeServicesCommand({cluster: 'airflow', services: arns}))).services ?? []
      return Object.fromEntries(described.map((x) => [x.serviceName, {taskDefinition: x.taskDefinition, deployments: x.deployments?.length}]))
    }
    const before = await services()

    writeFileSync(join(projectDir, 'dags', 'hello.py'), dag('two'))
    git('commit', '-qam', 'a DAG change')
    const dockerLog = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
    const r = await cli(['deploy', '--yes', '--json'], {FAKE_DOCKER_LOG: dockerLog}, 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.image, base, 'the deployed image stays')
    const build = out.steps.find((x: any) => x.step === 'build and push')
    assert.equal(build.status, 'skipped')
    assert.match(build.note, new RegExp(`only DAG files changed since ${base.split(':').at(-1)}.*no image build or service rollout`))
    assert.equal(stepStatus(out)['terraform apply (services)'], 'skipped')
    assert.match(out.steps.find((x: any) => x.step === 'DAG bundle').note, /changed 1 \(hello\.py\)/)
    const calls = existsSync(dockerLog) ? readFileSync(dockerLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).args.slice(0, 2).join(' ')) : []
    assert.deepEqual(calls.filter((c) => /^(login|push|build|buildx build)( |$)/.test(c)), [], `no docker build, login or push: ${calls.join('; ')}`)
    assert.deepEqual(await services(), before, 'every service keeps its task definition, no new deployment')
    // The bundle has the change: the live prefix holds the committed bytes.
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const bucket = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name!).find((n) => n.startsWith('airflow-airflow-'))
    const live = await s3.send(new GetObjectCommand({Bucket: bucket, Key: 'dags/live/hello.py'}))
    assert.equal(await live.Body!.transformToString(), dag('two'))
  })

  it('destroys it all, and no secret value was ever printed', async () => {
    const sm = new SecretsManagerClient(sdkConfig(moto))
    const secrets = (await sm.send(new ListSecretsCommand({}))).SecretList ?? []
    const values: Array<{name: string; value: string}> = []
    for (const secret of secrets) values.push({name: secret.Name!, value: (await sm.send(new GetSecretValueCommand({SecretId: secret.ARN}))).SecretString!})
    assert.ok(values.length >= 7)

    const r = await cli(['destroy', '--yes'], {}, 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.match(r.stdout, /Destroyed airflow/)
    assert.match(r.stdout, /recovery window[\s\S]*force-delete-without-recovery/)
    // The data stays: a final snapshot, its restore command and what it costs.
    const kept = /The database is kept as the RDS snapshot (airflow-default-final-\d{8}-\d{4}): at most \$1\.90 a month \(20 GB/.exec(r.stdout)
    assert.ok(kept, r.stdout)
    finalSnapshot = kept[1]
    assert.match(r.stdout, new RegExp(`deploy --restore-snapshot ${finalSnapshot}`))
    const snaps = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBSnapshotsCommand({DBSnapshotIdentifier: finalSnapshot}))).DBSnapshots ?? []
    assert.equal(snaps[0]?.Status, 'available')
    const clusters = (await new ECSClient(sdkConfig(moto)).send(new DescribeClustersCommand({clusters: ['airflow']}))).clusters!.filter((c) => c.status === 'ACTIVE')
    assert.deepEqual(clusters, [])
    assert.deepEqual((await new ElasticLoadBalancingV2Client(sdkConfig(moto)).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [], [])
    assert.deepEqual((await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({}))).DBInstances ?? [], [])
    const again = await cli(['destroy', '--yes'])
    assert.equal(again.code, 0, again.stderr)

    for (const {name, value} of values) {
      for (const {args, text} of outputs) {
        const at = text.indexOf(value)
        assert.ok(at < 0, `the value of ${name} appeared in the output of \`${args}\`: …${text.slice(Math.max(0, at - 80), at)}<secret>…`)
      }
    }
  })

  it('deploy --restore-snapshot creates the new database from the final snapshot', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--restore-snapshot', finalSnapshot, '--json'], {}, 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.release, 1, 'the new deployment starts its own history')
    assert.match(readFileSync(moto.logFile, 'utf8'), new RegExp(`RestoreDBInstanceFromDBSnapshot ${finalSnapshot} -> airflow-`))
    const dbs = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
    assert.equal(dbs.length, 1)
    const again = await cli(['deploy', '--yes', '--image', IMAGE, '--restore-snapshot', finalSnapshot])
    assert.equal(again.code, 2)
    assert.match(again.stderr, /this deployment already has one; nothing was changed/)
  })
})
