// One-off tasks from the standalone task definition: start one with the container
// command overridden, wait for it while streaming its log, and report its exit code.
import {DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand, type Task} from '@aws-sdk/client-ecs'

import {checkTaskRef} from '../config/validate.js'
import {type AwsContext} from '../aws/context.js'
import {logStreamName} from '../components.js'
import {CliError, EXIT} from '../errors.js'
import {StreamTail, logsClient} from '../logs/cloudwatch.js'
import {sleep} from '../time.js'
import {type TaskSize} from './task-command.js'

export interface StartOptions {
  command: string[]
  size: TaskSize
  capacityProvider?: string
  environment: Array<{name: string; value: string}>
}

export interface StartedTask {
  taskArn: string
  taskId: string
  cluster: string
  container: string
  logGroup: string
  logStream: string
}

export interface TaskOutcome {
  status: string
  exitCode?: number
  stoppedReason?: string
  containerReason?: string
  /** The process exit code the CLI returns: the container's, or 1 when there is none. */
  cliExitCode: number
}

export function pollIntervalMs(fallback = 2000): number {
  const value = Number(process.env.AIRFLOW_ECS_POLL_INTERVAL_MS)
  return Number.isFinite(value) && value > 0 ? value : fallback
}

const taskIdOf = (arn: string): string => arn.split('/').pop() ?? arn

export function ecsClient(ctx: AwsContext): ECSClient {
  return new ECSClient(ctx.clientConfig)
}

export function describeStarted(ctx: AwsContext, taskRef: string): StartedTask {
  const s = ctx.deployment.standalone
  // An id, or the ARN of a task in this cluster: checked before any call.
  const taskId = checkTaskRef(taskRef, ctx.deployment.cluster.arn ?? ctx.deployment.cluster.name)
  return {
    taskArn: taskRef,
    taskId,
    cluster: ctx.deployment.cluster.name,
    container: s.container,
    logGroup: s.logGroup,
    logStream: logStreamName(s, taskId),
  }
}

export async function startTask(ctx: AwsContext, options: StartOptions): Promise<StartedTask> {
  const s = ctx.deployment.standalone
  if (s.subnets.length === 0) {
    throw new CliError('The deployment names no subnets for standalone tasks.', {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy`, or set AIRFLOW_ECS_SUBNETS and AIRFLOW_ECS_SECURITY_GROUPS.',
    })
  }
  const ecs = ecsClient(ctx)
  const {cpu, memory} = options.size
  const result = await ecs.send(
    new RunTaskCommand({
      cluster: ctx.deployment.cluster.name,
      taskDefinition: s.taskDefinitionFamily,
      count: 1,
      capacityProviderStrategy: [{capacityProvider: options.capacityProvider ?? s.capacityProvider, weight: 1}],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: s.subnets,
          securityGroups: s.securityGroups,
          assignPublicIp: s.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      enableExecuteCommand: true,
      startedBy: 'airflow-ecs',
      overrides: {
        ...(cpu ? {cpu: String(cpu)} : {}),
        ...(memory ? {memory: String(memory)} : {}),
        containerOverrides: [
          {
            name: s.container,
            command: options.command,
            ...(options.environment.length > 0 ? {environment: options.environment} : {}),
          },
        ],
      },
    }),
  )
  const task = result.tasks?.[0]
  if (!task?.taskArn) {
    const failure = result.failures?.[0]
    throw new CliError(`ECS did not start the task: ${failure?.reason ?? 'no reason given'}${failure?.detail ? ` (${failure.detail})` : ''}.`, {
      code: 'UNEXPECTED',
      hint: 'Check the cluster capacity and `airflow-ecs status`; then try again.',
    })
  }
  return describeStarted(ctx, task.taskArn)
}

export async function describeTask(ecs: ECSClient, cluster: string, taskArn: string): Promise<Task> {
  const result = await ecs.send(new DescribeTasksCommand({cluster, tasks: [taskArn]}))
  const task = result.tasks?.[0]
  if (!task) {
    throw new CliError(`Task ${taskIdOf(taskArn)} was not found in cluster ${cluster}.`, {
      code: 'NOT_FOUND',
      hint: 'ECS forgets stopped tasks after about an hour; check the id with `airflow-ecs logs standalone`.',
    })
  }
  return task
}

export function outcome(task: Task, container: string): TaskOutcome {
  const c = task.containers?.find((x) => x.name === container) ?? task.containers?.[0]
  const exitCode = c?.exitCode ?? undefined
  return {
    status: task.lastStatus ?? 'UNKNOWN',
    exitCode,
    stoppedReason: task.stoppedReason || undefined,
    containerReason: c?.reason || undefined,
    cliExitCode: exitCode ?? EXIT.failure,
  }
}

export interface WaitOptions {
  onLog: (line: string, timestamp: number) => void
  timeoutMs?: number
  signal?: AbortSignal
}

/** Polls the task until it stops (streaming its log), the timeout passes (the task is stopped), or the signal detaches. */
export async function waitForTask(ctx: AwsContext, started: StartedTask, options: WaitOptions): Promise<TaskOutcome | 'detached'> {
  const ecs = ecsClient(ctx)
  const tail = new StreamTail(logsClient(ctx.clientConfig), started.logGroup, started.logStream)
  const interval = pollIntervalMs()
  const deadline = options.timeoutMs ? Date.now() + options.timeoutMs : Number.POSITIVE_INFINITY
  const flush = async (): Promise<number> => {
    const events = await tail.read()
    for (const e of events) options.onLog(e.message, e.timestamp)
    return events.length
  }
  for (;;) {
    await flush()
    if (options.signal?.aborted) return 'detached'
    const task = await describeTask(ecs, started.cluster, started.taskArn)
    if (task.lastStatus === 'STOPPED') {
      // Log lines can land a moment after the task stops: read until the stream is quiet.
      for (let quiet = 0; quiet < 2; ) {
        await sleep(Math.min(interval, 1000))
        quiet = (await flush()) === 0 ? quiet + 1 : 0
      }
      return outcome(task, started.container)
    }
    if (Date.now() > deadline) {
      await ecs.send(new StopTaskCommand({cluster: started.cluster, task: started.taskArn, reason: 'airflow-ecs: --timeout reached'}))
      throw new CliError(`Task ${started.taskId} did not finish within the timeout; it has been asked to stop.`, {
        code: 'TIMEOUT',
        exitCode: EXIT.timeout,
        hint: 'Raise --timeout for long commands.',
      })
    }
    await sleep(interval, options.signal)
  }
}

export async function stopTask(ctx: AwsContext, taskRef: string, reason = 'Stopped with airflow-ecs task stop'): Promise<TaskOutcome> {
  const ecs = ecsClient(ctx)
  const started = describeStarted(ctx, taskRef)
  const result = await ecs.send(new StopTaskCommand({cluster: started.cluster, task: taskRef, reason}))
  if (!result.task) throw new CliError(`Task ${started.taskId} was not found.`, {code: 'NOT_FOUND'})
  return outcome(result.task, started.container)
}
