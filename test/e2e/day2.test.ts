// The day-2 commands, run as a user runs them: the built CLI as a child process
// against moto, reading the deployment through `terraform output -json`.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, statSync} from 'node:fs'
import {spawnSync} from 'node:child_process'
import {createServer} from 'node:http'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeScalableTargetsCommand, ApplicationAutoScalingClient} from '@aws-sdk/client-application-auto-scaling'
import {CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {CreateListenerCommand, DeleteListenerCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {IAMClient, UploadServerCertificateCommand} from '@aws-sdk/client-iam'
import {DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, UpdateServiceCommand} from '@aws-sdk/client-ecs'

import {type CliResult, parseJson, repoRoot, runCli, testPath} from '../harness/cli.ts'
import {type Fixture, createFixture, sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'

let moto: Moto
let fx: Fixture
// The same day-2 commands on the compact topology: scheduler, dag-processor, triggerer and
// metrics are containers of one task (the compact-core service). The main fixture (fx) is
// the ha shape: one service per component.
let fxc: Fixture
const cli = (args: string[], env: Record<string, string | undefined> = {}, extra = {}): Promise<CliResult> =>
  runCli(args, {env: {...fx.env, ...env}, ...extra})

function assertOneLineError(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`)
  assert.match(result.stderr, pattern)
  assert.doesNotMatch(result.stderr, /\n\s+at .+\(.+:\d+:\d+\)/, 'no stack trace without DEBUG')
  assert.ok(result.stderr.trim().split('\n').length <= 3, `short error, got:\n${result.stderr}`)
}

before(async () => {
  moto = await startMoto()
  fx = await createFixture(moto)
  fxc = await createFixture(moto, 'compact', 'compact')
})
after(async () => {
  await moto?.stop()
})

describe('url', () => {
  it('prints the load balancer address, http without a 443 listener', async () => {
    const r = await cli(['url'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), `http://${fx.contract.web.alb_dns_name}`)
  })

  it('--json carries url, dnsName, https', async () => {
    const out = parseJson(await cli(['url', '--json']))
    assert.equal(out.url, `http://${fx.contract.web.alb_dns_name}`)
    assert.equal(out.dnsName, fx.contract.web.alb_dns_name)
    assert.equal(out.https, false)
    assert.equal(out.loadBalancerArn, fx.contract.web.alb_arn)
  })

  it('--open hands the url to the browser opener', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'open-')), 'open.log')
    const r = await cli(['url', '--open'], {FAKE_OPEN_LOG: log})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(readFileSync(log, 'utf8').trim(), `http://${fx.contract.web.alb_dns_name}`)
  })

  it('is https when the load balancer has a 443 listener', async () => {
    const elb = new ElasticLoadBalancingV2Client(sdkConfig(moto))
    const tg = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups![0]
    const iam = new IAMClient(sdkConfig(moto))
    const cert = (await iam.send(new UploadServerCertificateCommand({ServerCertificateName: 'web', CertificateBody: 'body', PrivateKey: 'key'}))).ServerCertificateMetadata!
    const listener = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: fx.contract.web.alb_arn,
          Protocol: 'HTTPS',
          Port: 443,
          Certificates: [{CertificateArn: cert.Arn}],
          DefaultActions: [{Type: 'forward', TargetGroupArn: tg.TargetGroupArn}],
        }),
      )
    ).Listeners![0]
    try {
      const out = parseJson(await cli(['url', '--json']))
      assert.equal(out.https, true)
      assert.equal(out.url, `https://${fx.contract.web.alb_dns_name}`)
    } finally {
      await elb.send(new DeleteListenerCommand({ListenerArn: listener.ListenerArn}))
    }
  })

  it('caches the Terraform outputs under .airflow-ecs/ and reuses them while the state is unchanged', async () => {
    const cache = join(fx.projectDir, '.airflow-ecs', 'outputs.json')
    assert.ok(existsSync(cache))
    const before = statSync(cache).mtimeMs
    // terraform is not on PATH now: the cached outputs must be enough.
    const r = await runCli(['url'], {env: {...fx.env, PATH: `${join(process.cwd(), 'test', 'harness', 'bin')}:${process.execPath.replace(/\/node$/, '')}`}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(statSync(cache).mtimeMs, before)
  })
})

describe('task', () => {
  it('without --wait prints the task id and how to follow it', async () => {
    const r = await cli(['task', 'dags list'])
    assert.equal(r.code, 0, r.stderr)
    const id = r.stdout.trim()
    assert.match(id, /^[0-9a-f-]{32,36}$/)
    assert.match(r.stderr, new RegExp(`task attach ${id}`))
    const ecs = new ECSClient(sdkConfig(moto))
    const task = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [id]}))).tasks![0]
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.command, ['dags', 'list'])
  })

  it("--wait streams the task's log and exits with the container's exit code", async () => {
    const r = await cli(['task', 'db migrate', '--wait'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /starting: db migrate/)
    assert.match(r.stdout, /^done$/m)
  })

  it('splits one quoted string as a shell would, and accepts airflow flags after --', async () => {
    const r = await cli(['task', '--json', '--', 'users', 'create', '--firstname', 'Ada L', '--role', 'Admin'])
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    const ecs = new ECSClient(sdkConfig(moto))
    const task = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [out.taskArn]}))).tasks![0]
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.command, ['users', 'create', '--firstname', 'Ada L', '--role', 'Admin'])
    const quoted = parseJson(await cli(['task', 'users create --firstname "Ada L" --role Admin', '--json']))
    const task2 = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [quoted.taskArn]}))).tasks![0]
    assert.deepEqual(task2.overrides?.containerOverrides?.[0]?.command, ['users', 'create', '--firstname', 'Ada L', '--role', 'Admin'])
  })

  it('translates db init to db migrate and says so', async () => {
    const r = await cli(['task', 'db init', '--wait', '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /`db init` no longer exists in Airflow 3: running `db migrate`/)
    const out = parseJson(r)
    assert.equal(out.status, 'STOPPED')
    assert.equal(out.exitCode, 0)
    assert.match(r.stderr, /starting: db migrate/, 'log lines go to stderr with --json')
  })

  it('sends cpu/memory, capacity provider and env overrides', async () => {
    const out = parseJson(await cli(['task', 'version', '--cpu', '1024', '--memory', '4096', '--capacity-provider', 'FARGATE_SPOT', '-e', 'A=1', '--json']))
    const ecs = new ECSClient(sdkConfig(moto))
    const task = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [out.taskArn]}))).tasks![0]
    assert.equal(task.overrides?.cpu, '1024')
    assert.equal(task.overrides?.memory, '4096')
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.environment, [{name: 'A', value: '1'}])
  })

  it('Ctrl-C while waiting detaches; `task attach` follows it to its exit code; `task stop` stops one', async () => {
    let sent = false
    const r = await runCli(['task', 'dags list', '--wait'], {
      env: {...fx.env, AIRFLOW_ECS_POLL_INTERVAL_MS: '3000'},
      onStderr: (_chunk, child) => {
        if (!sent) {
          sent = true
          setTimeout(() => child.kill('SIGINT'), 300)
        }
      },
    })
    assert.equal(r.code, 130, r.stderr)
    const id = /Started task ([0-9a-f-]+)/.exec(r.stderr)![1]
    assert.match(r.stderr, new RegExp(`Detached: task ${id} keeps running`))
    assert.match(r.stderr, new RegExp(`follow it: airflow-ecs task attach ${id}`))
    assert.match(r.stderr, new RegExp(`stop it: +airflow-ecs task stop ${id}`))
    const ecs = new ECSClient(sdkConfig(moto))
    const stillThere = (await ecs.send(new ListTasksCommand({cluster: 'airflow', desiredStatus: 'RUNNING'}))).taskArns!
    assert.ok(stillThere.some((arn) => arn.endsWith(id)), 'the task was not stopped')
    const attached = await cli(['task', 'attach', id, '--json'])
    assert.equal(attached.code, 0, attached.stderr)
    assert.equal(parseJson(attached).exitCode, 0)
    assert.match(attached.stderr, /starting: dags list/)

    const other = (await cli(['task', 'version'])).stdout.trim()
    const stopped = await cli(['task', 'stop', other, '--json'])
    assert.equal(stopped.code, 0, stopped.stderr)
    assert.equal(parseJson(stopped).taskId, other)
    const desired = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: [other]}))).tasks![0].desiredStatus
    assert.equal(desired, 'STOPPED')
  })

  it('refuses invalid Fargate sizes and env before any AWS call', async () => {
    // An unreachable endpoint proves no call is made: validation fails first.
    const env = {AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    assertOneLineError(await cli(['task', 'version', '--cpu', '256', '--memory', '4096'], env), 2, /--memory 4096 does not fit --cpu 256/)
    assertOneLineError(await cli(['task', 'version', '--cpu', '300'], env), 2, /--cpu 300 is not a Fargate size/)
    assertOneLineError(await cli(['task', 'version', '-e', '1X=2'], env), 2, /Invalid --container-env/)
    assertOneLineError(await cli(['task', 'a | b'], env), 2, /Shell syntax "\|"/)
    assertOneLineError(await cli(['task', 'users', 'create', '--firstname', 'Ada'], env), 2, /Unknown flag --firstname: if it is an airflow flag, put it after --/)
  })
})

describe('logs', () => {
  it('interleaves events of several tasks by time, with the task shown; --json too', async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const group = fx.contract.components.scheduler.log_group
    const now = Date.now()
    for (const [task, offsets] of [['aaaaaaaa1111', [0, 2]], ['bbbbbbbb2222', [1, 3]]] as const) {
      const stream = `ecs/scheduler/${task}`
      await logs.send(new CreateLogStreamCommand({logGroupName: group, logStreamName: stream}))
      await logs.send(
        new PutLogEventsCommand({logGroupName: group, logStreamName: stream, logEvents: offsets.map((o) => ({timestamp: now - 60_000 + o * 1000, message: `line ${o}`}))}),
      )
    }
    const r = await cli(['logs', 'scheduler'])
    assert.equal(r.code, 0, r.stderr)
    // The service's own (fake) container also logs here; keep the lines this test wrote.
    const lines = r.stdout.trim().split('\n').filter((l) => / line \d$/.test(l))
    assert.deepEqual(lines.map((l) => l.split(' ').at(-1)), ['0', '1', '2', '3'])
    assert.match(lines[0], /scheduler\/aaaaaaaa line 0$/)
    assert.match(lines[1], /scheduler\/bbbbbbbb line 1$/)
    const json = parseJson(await cli(['logs', 'scheduler', '--json'])).filter((e: any) => e.message.startsWith('line '))
    assert.equal(json.length, 4)
    assert.deepEqual(Object.keys(json[0]).sort(), ['component', 'message', 'stream', 'taskId', 'timestamp'])
    const only = parseJson(await cli(['logs', 'scheduler', '--task', 'bbbbbbbb2222', '--json']))
    assert.deepEqual(only.map((e: any) => e.message), ['line 1', 'line 3'])
    const recent = parseJson(await cli(['logs', 'scheduler', '--since', '10s', '--json'])).filter((e: any) => e.message.startsWith('line '))
    assert.equal(recent.length, 0, 'events older than --since are left out')
  })

  it('--follow prints new events from several writers once each', async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const group = fx.contract.components.worker.log_group
    const streams = ['ecs/worker/w1', 'ecs/worker/w2', 'ecs/worker/w3']
    for (const s of streams) await logs.send(new CreateLogStreamCommand({logGroupName: group, logStreamName: s}))
    const expected = new Set<string>()
    let written = false
    const r = await runCli(['logs', 'worker', '--follow', '--json'], {
      env: fx.env,
      timeoutMs: 30_000,
      onStdout: (_chunk, child) => {
        if (written) return
        written = true
        // Several writers at once, some with timestamps older than what was printed.
        void (async () => {
          for (let round = 0; round < 3; round++) {
            await Promise.all(
              streams.map((s, i) => {
                const message = `${s} round ${round}`
                expected.add(message)
                return logs.send(new PutLogEventsCommand({logGroupName: group, logStreamName: s, logEvents: [{timestamp: Date.now() - i * 1500, message}]}))
              }),
            )
            await new Promise((res) => setTimeout(res, 400))
          }
          await new Promise((res) => setTimeout(res, 2500))
          child.kill('SIGINT')
        })()
      },
    }).catch((e) => e)
    // The first event unblocks the writers; seed one.
    assert.ok(r.stdout !== undefined, String(r))
    const printed = r.stdout.trim().split('\n').filter(Boolean).map((l: string) => JSON.parse(l).message)
    for (const message of expected) assert.equal(printed.filter((m: string) => m === message).length, 1, `${message} printed once in:\n${printed.join('\n')}`)
  })

  it('rejects unknown components and bad --since before any AWS call', async () => {
    const env = {AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    assertOneLineError(await cli(['logs', 'nope'], env), 2, /Unknown component "nope"[\s\S]*Valid components: api-server/)
    assertOneLineError(await cli(['logs', 'worker', '--since', 'yesterday'], env), 2, /Invalid --since/)
  })
})

describe('scale', () => {
  it('scales now and keeps the autoscaling minimum consistent', async () => {
    const r = await cli(['scale', 'worker', '0', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assert.equal(out.desired, 0)
    assert.equal(out.previousDesired, 2)
    const ecs = new ECSClient(sdkConfig(moto))
    const svc = (await ecs.send(new DescribeServicesCommand({cluster: 'airflow', services: ['airflow-worker']}))).services![0]
    assert.equal(svc.desiredCount, 0)
    const aas = new ApplicationAutoScalingClient(sdkConfig(moto))
    const target = (await aas.send(new DescribeScalableTargetsCommand({ServiceNamespace: 'ecs', ResourceIds: ['service/airflow/airflow-worker']}))).ScalableTargets![0]
    assert.equal(target.MinCapacity, 0)
    assert.equal(target.MaxCapacity, 4)
  })

  it('webserver is the api-server; --at schedules a one-time action; list and cancel it', async () => {
    const r = await cli(['scale', 'webserver', '0', '--at', '+2m', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const action = parseJson(r)
    assert.match(action.schedule, /^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/)
    const at = Date.parse(`${action.schedule.slice(3, -1)}Z`)
    assert.ok(Math.abs(at - (Date.now() + 120_000)) < 30_000, `at() is about two minutes from now: ${action.schedule}`)
    assert.equal(action.component, 'api-server')
    assert.equal(action.minCapacity, 0)
    assert.equal(action.maxCapacity, 0)

    const cron = parseJson(await cli(['scale', 'scheduler', '1', '--cron', 'cron(0 7 ? * MON-FRI *)', '--name', 'morning', '--timezone', 'Europe/Berlin', '--json']))
    assert.equal(cron.schedule, 'cron(0 7 ? * MON-FRI *)')

    const list = parseJson(await cli(['scale', 'list', '--json']))
    assert.deepEqual(list.map((a: any) => a.name).sort(), [action.name, 'morning'].sort())
    const morning = list.find((a: any) => a.name === 'morning')
    assert.equal(morning.timezone, 'Europe/Berlin')
    assert.equal(morning.component, 'scheduler')
    const onlyWeb = parseJson(await cli(['scale', 'list', 'webserver', '--json']))
    assert.deepEqual(onlyWeb.map((a: any) => a.name), [action.name])
    const human = await cli(['scale', 'list'])
    assert.match(human.stdout, /NAME\s+COMPONENT\s+SCHEDULE/)
    assert.match(human.stdout, /morning\s+scheduler\s+cron\(0 7 \? \* MON-FRI \*\)/)

    const cancel = await cli(['scale', 'cancel', 'morning'])
    assert.equal(cancel.code, 0, cancel.stderr)
    const after = parseJson(await cli(['scale', 'list', '--json']))
    assert.deepEqual(after.map((a: any) => a.name), [action.name])
    assertOneLineError(await cli(['scale', 'cancel', 'morning']), 1, /No scheduled action named "morning"/)
  })

  it('refuses bad counts, past times and counts above the maximum', async () => {
    const env = {AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    assertOneLineError(await cli(['scale', 'worker', '1.5'], env), 2, /Invalid count "1.5"/)
    assertOneLineError(await cli(['scale', 'worker', '--', '-1'], env), 2, /Invalid count "-1"/)
    assertOneLineError(await cli(['scale', 'worker', '1', '--at', '2001-01-01T00:00:00Z'], env), 2, /in the past/)
    assertOneLineError(await cli(['scale', 'worker', '1', '--cron', '0 7 * * *', '--name', 'x'], env), 2, /AWS cron has 6 fields/)
    assertOneLineError(await cli(['scale', 'worker', '1', '--cron', 'cron(0 7 ? * * *)'], env), 2, /--name/)
    // The deployment's own maximum (4) is known from the outputs: refused before any call.
    assertOneLineError(await cli(['scale', 'worker', '5'], env), 2, /5 is above the maximum of 4 tasks for worker/)
  })
})

describe('exec', () => {
  it('runs one command and returns its exit code (the plugin itself exits 0)', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'plugin-')), 'plugin.log')
    const ok = await cli(['exec', 'scheduler', '--', 'echo', 'hello from $HOSTNAME'], {FAKE_PLUGIN_LOG: log})
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.stdout, 'hello from $HOSTNAME\n')
    const failed = await cli(['exec', 'scheduler', '--', 'sh', '-c', 'echo out; exit 7'], {FAKE_PLUGIN_LOG: log})
    assert.equal(failed.code, 7, failed.stderr)
    assert.equal(failed.stdout, 'out\n')
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    const [session, region, action, profile, params, endpoint] = calls[0]
    assert.equal(region, 'us-east-1')
    assert.equal(action, 'StartSession')
    assert.equal(profile, '')
    assert.equal(endpoint, moto.endpoint)
    assert.deepEqual(Object.keys(JSON.parse(session)).sort(), ['sessionId', 'streamUrl', 'tokenValue'])
    const ecs = new ECSClient(sdkConfig(moto))
    const arns = (await ecs.send(new ListTasksCommand({cluster: 'airflow', serviceName: 'airflow-scheduler'}))).taskArns!
    const task = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: arns}))).tasks![0]
    const runtimeId = task.containers!.find((c) => c.name === 'scheduler')!.runtimeId
    assert.deepEqual(JSON.parse(params), {Target: `ecs:airflow_${task.taskArn!.split('/').pop()}_${runtimeId}`})
  })

  it('opens an interactive session on the newest task when stdin is not a TTY', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'plugin-')), 'plugin.log')
    const r = await cli(['exec', 'dag-processor', '--command', '/bin/sh'], {FAKE_PLUGIN_LOG: log})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /Connecting to dag-processor task [0-9a-f-]+ \(\/bin\/sh\)/)
    assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 1)
  })

  it('asks which task on a terminal when there are several (newest first)', async () => {
    const ecs = new ECSClient(sdkConfig(moto))
    await ecs.send(new UpdateServiceCommand({cluster: 'airflow', service: 'airflow-dag-processor', desiredCount: 2}))
    const arns = (await ecs.send(new ListTasksCommand({cluster: 'airflow', serviceName: 'airflow-dag-processor'}))).taskArns!
    const tasks = (await ecs.send(new DescribeTasksCommand({cluster: 'airflow', tasks: arns}))).tasks!
    const oldest = tasks.sort((a, b) => new Date(a.startedAt!).getTime() - new Date(b.startedAt!).getTime())[0].taskArn!.split('/').pop()
    const log = join(mkdtempSync(join(tmpdir(), 'plugin-')), 'plugin.log')
    const env = {...process.env, ...fx.env, PATH: testPath(), FAKE_PLUGIN_LOG: log, NO_COLOR: '1'}
    // Arrow down to the second (older) task, then Enter.
    const r = spawnSync('python3', [join(repoRoot, 'test/harness/pty_run.py'), JSON.stringify([['Which dag-processor task', '\u001b[B'], ['❯.*' + oldest, '\r']]), '--', process.execPath, join(repoRoot, 'bin/run.js'), 'exec', 'dag-processor'], {env, encoding: 'utf8', timeout: 60_000})
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, new RegExp(`Connecting to dag-processor task ${oldest}`))
    const [, , , , params] = JSON.parse(readFileSync(log, 'utf8').trim())
    assert.match(JSON.parse(params).Target, new RegExp(`^ecs:airflow_${oldest}_`))
  })

  it('says how to install the plugin when it is missing', async () => {
    const r = await runCli(['exec', 'scheduler'], {env: {...fx.env, PATH: process.execPath.replace(/\/node$/, '')}})
    assertOneLineError(r, 1, /session-manager-plugin is not installed[\s\S]*session-manager-working-with-install-plugin/)
  })

  it('picks a task by id prefix and refuses an unknown one', async () => {
    const r = await cli(['exec', 'scheduler', '--task', 'ffff0000', '--', 'true'])
    assertOneLineError(r, 2, /No running scheduler task matches "ffff0000"/)
    // Not an id at all: refused before any call.
    assertOneLineError(await cli(['exec', 'scheduler', '--task', 'zzzz', '--', 'true'], {AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}), 2, /Invalid task id "zzzz"/)
    const ecs = new ECSClient(sdkConfig(moto))
    const arn = (await ecs.send(new ListTasksCommand({cluster: 'airflow', serviceName: 'airflow-scheduler'}))).taskArns![0]
    const id = arn.split('/').pop()!
    const picked = await cli(['exec', 'scheduler', '--task', id.slice(0, 8), '--', 'true'])
    assert.equal(picked.code, 0, picked.stderr)
  })

  it('explains a task without the exec agent and how to fix it', async () => {
    // Tasks started before exec was enabled: the service is switched off and on again.
    const ecs = new ECSClient(sdkConfig(moto))
    await ecs.send(new UpdateServiceCommand({cluster: 'airflow', service: 'airflow-triggerer', desiredCount: 0, enableExecuteCommand: false}))
    await ecs.send(new UpdateServiceCommand({cluster: 'airflow', service: 'airflow-triggerer', desiredCount: 1}))
    const r = await cli(['exec', 'triggerer', '--', 'true'])
    assertOneLineError(r, 1, /exec agent is not running[\s\S]*--enable-execute-command --force-new-deployment/)
  })
})

describe('compact topology: the same commands, by component name', () => {
  const c = (args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> => runCli(args, {env: {...fxc.env, ...env}})
  const ecs = () => new ECSClient(sdkConfig(moto))
  const coreTask = async () => {
    const arns = (await ecs().send(new ListTasksCommand({cluster: 'compact', serviceName: 'compact-core'}))).taskArns!
    return (await ecs().send(new DescribeTasksCommand({cluster: 'compact', tasks: arns}))).tasks![0]
  }

  it('logs reads each component from its own log group, though they share a task', async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const task = (await coreTask()).taskArn!.split('/').pop()!
    for (const name of ['scheduler', 'triggerer']) {
      const group = fxc.contract.components[name].log_group
      // The harness's fake container may have opened the stream already.
      await logs.send(new CreateLogStreamCommand({logGroupName: group, logStreamName: `ecs/${name}/${task}`})).catch(() => undefined)
      await logs.send(new PutLogEventsCommand({logGroupName: group, logStreamName: `ecs/${name}/${task}`, logEvents: [{timestamp: Date.now() - 1000, message: `${name} says hi`}]}))
    }
    const mine = (events: any[]) => events.filter((e) => / says hi$/.test(e.message))
    const scheduler = mine(parseJson(await c(['logs', 'scheduler', '--json'])))
    assert.deepEqual(scheduler.map((e: any) => e.message), ['scheduler says hi'])
    assert.equal(scheduler[0].taskId, task)
    const triggerer = mine(parseJson(await c(['logs', 'triggerer', '--task', task, '--json'])))
    assert.deepEqual(triggerer.map((e: any) => e.message), ['triggerer says hi'])
  })

  it('exec opens the component\'s own container in the shared task', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'plugin-')), 'plugin.log')
    const task = await coreTask()
    for (const name of ['scheduler', 'metrics']) {
      const r = await c(['exec', name, '--', 'true'], {FAKE_PLUGIN_LOG: log})
      assert.equal(r.code, 0, r.stderr)
    }
    const targets = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(JSON.parse(l)[4]).Target)
    const id = task.taskArn!.split('/').pop()
    const runtime = (name: string) => task.containers!.find((x) => x.name === name)!.runtimeId
    assert.deepEqual(targets, [`ecs:compact_${id}_${runtime('scheduler')}`, `ecs:compact_${id}_${runtime('metrics')}`])
  })

  it('status lists every component with the service it runs in', async () => {
    const out = parseJson(await c(['status', '--json']))
    const byName = Object.fromEntries(out.components.map((x: any) => [x.component, x]))
    assert.deepEqual(Object.keys(byName).sort(), ['api-server', 'dag-processor', 'metrics', 'scheduler', 'triggerer', 'worker'])
    for (const name of ['scheduler', 'dag-processor', 'triggerer', 'metrics']) {
      assert.equal(byName[name].service, 'compact-core', name)
      assert.equal(byName[name].rollout === 'MISSING', false, name)
    }
    assert.equal(byName['api-server'].service, 'compact-api-server')
    const human = await c(['status'])
    assert.match(human.stdout, /scheduler\s+compact-core\s+1\s+1/)
  })

  it('task runs the one-off task as on any topology', async () => {
    const r = await c(['task', 'dags list'])
    assert.equal(r.code, 0, r.stderr)
    const task = (await ecs().send(new DescribeTasksCommand({cluster: 'compact', tasks: [r.stdout.trim()]}))).tasks![0]
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.command, ['dags', 'list'])
    assert.match(task.taskDefinitionArn!, /task-definition\/compact-standalone:/)
  })

  it('scale: a component without its own service is refused naming the service; core scales them together', async () => {
    const refused = await c(['scale', 'scheduler', '0'])
    assertOneLineError(refused, 2, /scheduler has no service of its own \(topology compact\): it runs in compact-core with dag-processor, metrics and triggerer\.\n→ Scale them together with `airflow-ecs scale core <count>`/)
    const svc = async () => (await ecs().send(new DescribeServicesCommand({cluster: 'compact', services: ['compact-core']}))).services![0]
    assert.equal((await svc()).desiredCount, 1, 'nothing was scaled')
    const r = await c(['scale', 'core', '0'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim(), 'Scaled core (compact-core, running scheduler, dag-processor, triggerer, metrics) from 1 to 0 task(s).')
    assert.equal((await svc()).desiredCount, 0)
    assertOneLineError(await c(['scale', 'core', '2']), 2, /2 is above the maximum of 1 tasks for core/)
    const at = parseJson(await c(['scale', 'core', '1', '--at', '+5m', '--json']))
    assert.equal(at.component, 'core')
    const listed = parseJson(await c(['scale', 'list', 'scheduler', '--json']))
    assert.deepEqual(listed.map((a: any) => [a.name, a.component]), [[at.name, 'core']])
    await c(['scale', 'core', '1'])
    // The api-server and the workers keep their own services.
    const api = await c(['scale', 'api-server', '1', '--json'])
    assert.equal(parseJson(api).service, 'compact-api-server')
  })

  it('ha has no core service: scale core says to scale by component', async () => {
    assertOneLineError(await cli(['scale', 'core', '0']), 2, /This deployment \(topology ha\) has no core service[\s\S]*airflow-ecs scale scheduler 0/)
  })
})

describe('errors', () => {
  it('no deployment: says to deploy first', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'empty-'))
    const r = await runCli(['url'], {env: {...moto.env, AIRFLOW_ECS_PROJECT_DIR: empty}})
    assertOneLineError(r, 1, /No deployment found[\s\S]*airflow-ecs deploy/)
    const json = parseJson(await runCli(['url', '--json'], {env: {...moto.env, AIRFLOW_ECS_PROJECT_DIR: empty}}))
    assert.equal(json.error.code, 'NO_DEPLOYMENT')
  })

  it('unreachable endpoint: one line naming it', async () => {
    const r = await cli(['scale', 'list'], {AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AIRFLOW_ECS_MAX_ATTEMPTS: '1'})
    assertOneLineError(r, 1, /Could not reach the AWS endpoint http:\/\/127\.0\.0\.1:9/)
  })

  it('throttled: retried by the SDK (adaptive), then one line saying to wait', async () => {
    let requests = 0
    const server = createServer((req, res) => {
      requests++
      req.resume()
      res.writeHead(400, {'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException'})
      res.end(JSON.stringify({__type: 'ThrottlingException', message: 'Rate exceeded'}))
    })
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()))
    try {
      const port = (server.address() as AddressInfo).port
      const r = await cli(['scale', 'list'], {AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`, AIRFLOW_ECS_MAX_ATTEMPTS: '2'})
      assertOneLineError(r, 1, /throttling[\s\S]*Wait a minute/)
      assert.equal(requests, 2, 'the SDK retried up to the attempt limit before giving up')
    } finally {
      server.close()
    }
  })

  it('no credentials: says how to configure them', async () => {
    const r = await cli(['scale', 'list'], {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined, AWS_WEB_IDENTITY_TOKEN_FILE: undefined})
    assertOneLineError(r, 1, /No AWS credentials found[\s\S]*--profile/)
  })

  it('cluster gone: says to deploy first', async () => {
    const r = await cli(['scale', 'scheduler', '1'], {AIRFLOW_ECS_CLUSTER: 'missing-cluster'})
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /(cluster|service).*(does not exist|not exist)[\s\S]*airflow-ecs deploy/i)
  })

  it('DEBUG=1 shows the stack trace', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'empty-'))
    const r = await runCli(['url'], {env: {...moto.env, AIRFLOW_ECS_PROJECT_DIR: empty, DEBUG: '1'}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /\n\s+at .+:\d+:\d+/)
  })
})
