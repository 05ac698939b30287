// What moto cannot show: non-zero container exit codes, tasks that never stop, ECS Exec
// agent errors, and late log events. aws-sdk-client-mock stands in for AWS here only.
import assert from 'node:assert/strict'
import {afterEach, describe, it} from 'node:test'

import {CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DescribeTasksCommand, ECSClient, ExecuteCommandCommand, StopTaskCommand} from '@aws-sdk/client-ecs'
import {mockClient} from 'aws-sdk-client-mock'

import {parseDeployment} from '../../dist/lib/config/deployment.js'
import {describeStarted, waitForTask} from '../../dist/lib/ecs/standalone.js'
import {attach} from '../../dist/lib/ecs/task-runner.js'
import {openSession} from '../../dist/lib/exec/exec.js'
import {followEvents} from '../../dist/lib/logs/cloudwatch.js'

process.env.AIRFLOW_ECS_POLL_INTERVAL_MS = '5'

const ctx = {
  settings: {profile: undefined} as any,
  region: 'us-east-1',
  clientConfig: {region: 'us-east-1', retryMode: 'adaptive' as const, maxAttempts: 1, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}},
  deployment: parseDeployment(
    {project: 'airflow', region: 'us-east-1', cluster: {name: 'airflow'}, standalone: {task_definition_family: 'airflow-standalone', container: 'airflow', subnets: ['subnet-1'], security_groups: ['sg-1']}},
    'airflow',
  ),
} as any

const ecs = mockClient(ECSClient)
const logs = mockClient(CloudWatchLogsClient)
afterEach(() => {
  ecs.reset()
  logs.reset()
})

const ARN = 'arn:aws:ecs:us-east-1:1:task/airflow/abc123'
const task = (status: string, container: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  tasks: [{taskArn: ARN, lastStatus: status, containers: [{name: 'log_router', exitCode: 0}, {name: 'airflow', ...container}], ...extra}],
})

describe('standalone task outcome', () => {
  it("returns the app container's non-zero exit code and the stop reason, with its log", async () => {
    ecs.on(DescribeTasksCommand).resolvesOnce(task('RUNNING')).resolves(task('STOPPED', {exitCode: 3, reason: 'OutOfMemoryError'}, {stoppedReason: 'Essential container in task exited'}))
    logs.on(GetLogEventsCommand).resolvesOnce({events: [{timestamp: 1, message: 'migrating\n'}], nextForwardToken: 'f1'}).resolves({events: [], nextForwardToken: 'f1'})
    const lines: string[] = []
    const started = describeStarted(ctx, ARN)
    assert.equal(started.logStream, 'ecs/airflow/abc123')
    const result = await waitForTask(ctx, started, {onLog: (l: string) => lines.push(l)})
    assert.notEqual(result, 'detached')
    assert.equal((result as any).exitCode, 3)
    assert.equal((result as any).cliExitCode, 3)
    assert.equal((result as any).stoppedReason, 'Essential container in task exited')
    assert.deepEqual(lines, ['migrating'])
    const stream = logs.commandCalls(GetLogEventsCommand)[0].args[0].input
    assert.equal(stream.logStreamName, 'ecs/airflow/abc123')
  })

  it('exits 1 and says why when the container never ran (no exit code)', async () => {
    ecs.on(DescribeTasksCommand).resolves(task('STOPPED', {reason: 'CannotPullContainerError: pull access denied'}, {stoppedReason: 'Task failed to start'}))
    logs.on(GetLogEventsCommand).rejects(Object.assign(new Error('The specified log stream does not exist.'), {name: 'ResourceNotFoundException'}))
    const notes: string[] = []
    const {exitCode, report} = await attach(ctx, 'airflow-ecs', describeStarted(ctx, ARN), {line: () => {}, note: (n: string) => notes.push(n)})
    assert.equal(exitCode, 1)
    assert.equal(report.exitCode, null)
    assert.match(notes.join('\n'), /failed with exit code unknown: Task failed to start; CannotPullContainerError/)
  })

  it('stops the task and exits 124 when --timeout passes', async () => {
    ecs.on(DescribeTasksCommand).resolves(task('RUNNING'))
    ecs.on(StopTaskCommand).resolves({task: task('STOPPING').tasks[0]})
    logs.on(GetLogEventsCommand).resolves({events: [], nextForwardToken: 'x'})
    await assert.rejects(waitForTask(ctx, describeStarted(ctx, ARN), {onLog: () => {}, timeoutMs: 1}), (e: any) => e.code === 'TIMEOUT' && e.exitCode === 124)
    assert.equal(ecs.commandCalls(StopTaskCommand).length, 1)
    assert.match(ecs.commandCalls(StopTaskCommand)[0].args[0].input.reason!, /timeout/)
  })
})

describe('ECS Exec errors', () => {
  const execCtx = {
    ...ctx,
    deployment: parseDeployment({project: 'airflow', cluster: {name: 'airflow'}, components: {scheduler: {service: 'airflow-scheduler', container: 'scheduler'}}}, 'airflow'),
  }
  const running = {taskArn: ARN, taskId: 'abc123', execEnabled: true, runtimeId: 'r1'}

  for (const [name, message] of [
    ['InvalidParameterException', "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn't running. Wait and try again or run a new task with execute command enabled and try again."],
    ['TargetNotConnectedException', 'The execute command failed due to an internal error. Try again later.'],
  ]) {
    it(`explains ${name} and names the fix`, async () => {
      ecs.on(ExecuteCommandCommand).rejects(Object.assign(new Error(message), {name, $metadata: {httpStatusCode: 400}}))
      await assert.rejects(openSession(execCtx, 'scheduler', running, '/bin/bash'), (e: any) => {
        assert.equal(e.code, 'EXEC_AGENT')
        assert.match(e.hint, /update-service --cluster airflow --service airflow-scheduler --enable-execute-command --force-new-deployment/)
        return true
      })
    })
  }

  it('builds the SSM target from cluster, task and container runtime id', async () => {
    ecs.on(ExecuteCommandCommand).resolves({clusterArn: 'arn:aws:ecs:us-east-1:1:cluster/airflow', session: {sessionId: 's', streamUrl: 'wss://x', tokenValue: 't'}})
    const session = await openSession(execCtx, 'scheduler', running, '/bin/bash')
    assert.equal(session.target, 'ecs:airflow_abc123_r1')
    assert.equal(ecs.commandCalls(ExecuteCommandCommand)[0].args[0].input.interactive, true)
  })
})

describe('logs --follow', () => {
  it('prints each event once when writers deliver late, out of order, across pages', async () => {
    const ev = (id: string, ts: number, stream = 'ecs/worker/t1') => ({eventId: id, timestamp: ts, message: id, logStreamName: stream})
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({events: [ev('a', 1000), ev('b', 2000, 'ecs/worker/t2')], nextToken: 'p2'})
      .resolvesOnce({events: [ev('c', 3000)]})
      // second poll: the window is read again; 'b2' arrived late with an older timestamp
      .resolvesOnce({events: [ev('b', 2000, 'ecs/worker/t2'), ev('b2', 1500, 'ecs/worker/t3'), ev('c', 3000), ev('d', 4000)]})
      .resolves({events: [ev('d', 4000)]})
    const controller = new AbortController()
    const printed: string[] = []
    await followEvents(logs as any as CloudWatchLogsClient, {logGroup: '/g', startTime: 0}, {
      intervalMs: 1,
      signal: controller.signal,
      onEvents: (events: any[]) => {
        printed.push(...events.map((e) => e.eventId))
        if (printed.length >= 5) controller.abort()
      },
    })
    assert.deepEqual(printed, ['a', 'b', 'c', 'b2', 'd'])
    const second = logs.commandCalls(FilterLogEventsCommand)[2].args[0].input
    assert.ok(second.startTime! <= 2000, 'the next poll looks back over recent events')
  })

  it('--limit applies to what is already there: the newest N of the backlog, then every new event', async () => {
    const ev = (id: string, ts: number) => ({eventId: id, timestamp: ts, message: id, logStreamName: 'ecs/worker/t1'})
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({events: [ev('a', 1000), ev('b', 2000)], nextToken: 'p2'})
      .resolvesOnce({events: [ev('c', 3000), ev('d', 4000), ev('e', 5000)]})
      .resolves({events: [ev('d', 4000), ev('e', 5000), ev('f', 6000)]})
    const controller = new AbortController()
    const printed: string[] = []
    const backlog: any[] = []
    await followEvents(logs as any as CloudWatchLogsClient, {logGroup: '/g', startTime: 0}, {
      intervalMs: 1,
      limit: 2,
      signal: controller.signal,
      onBacklog: (r: any) => backlog.push(r),
      onEvents: (events: any[]) => {
        printed.push(...events.map((e) => e.eventId))
        if (printed.includes('f')) controller.abort()
      },
    })
    assert.deepEqual(printed, ['d', 'e', 'f'])
    assert.deepEqual(backlog, [{total: 5, shown: 2}])
  })
})
