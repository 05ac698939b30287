// `status`: one screen about the deployment — services and their rollout, recent task
// failures, load balancer target health, scheduled scaling, worker autoscaling.
import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand} from '@aws-sdk/client-application-auto-scaling'
import {DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type ListTasksCommandInput} from '@aws-sdk/client-ecs'
import {DescribeListenersCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'

import {CloudWatchLogsClient, GetLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'

import {type AwsContext} from '../aws/context.js'
import {type ComponentTarget, SERVICE_COMPONENTS, logStreamName} from '../components.js'
import {type ScheduledActionView, listSchedules, resourceId} from '../scale/scale.js'

export interface ComponentStatus {
  component: string
  service: string
  desired: number
  running: number
  pending: number
  rollout: string
  taskDefinition?: string
}

export interface FailedTask {
  component: string
  taskId: string
  stoppedAt?: string
  stoppedReason?: string
  exitCode?: number
  /** The last lines its container wrote (why it failed, usually). */
  lastLines: string[]
}

const LAST_LINES = 5

/** The last lines of one task's container log; none when the stream is gone or unreadable. */
export async function lastLines(logs: CloudWatchLogsClient, target: ComponentTarget, taskId: string): Promise<string[]> {
  try {
    const r = await logs.send(
      new GetLogEventsCommand({logGroupName: target.logGroup, logStreamName: logStreamName(target, taskId), startFromHead: false, limit: LAST_LINES}),
    )
    return (r.events ?? []).map((e) => (e.message ?? '').trimEnd())
  } catch {
    return []
  }
}

export interface Status {
  project: string
  cluster: string
  components: ComponentStatus[]
  failedTasks: FailedTask[]
  targets: Array<{target: string; state: string; reason?: string}>
  schedules: ScheduledActionView[]
  workerAutoscaling: {metric: string; min?: number; max?: number; current?: number}
  /** Whose Terraform module the CLI runs: the package's (versioned with the CLI) or the project's own copy. */
  /** Which module runs where, the environment, and where its state is (s3://… or a local folder). */
  infra: {source: 'package' | 'project'; terraformDir: string; env?: string; state: string}
}

/** Stopped tasks that failed: a non-zero exit, or stopped for a reason other than scaling or a rollout. */
async function failedTasks(ecs: ECSClient, ctx: AwsContext): Promise<FailedTask[]> {
  const cluster = ctx.deployment.cluster.name
  const sources: Array<{component: string; container: string; target: ComponentTarget; list: ListTasksCommandInput}> = [
    // A shared service's stopped task is listed once per component, each looking at its own container.
    ...SERVICE_COMPONENTS.map((component) => {
      const target = ctx.deployment.components[component]
      return {component: component as string, container: target.container, target, list: {cluster, serviceName: target.service, desiredStatus: 'STOPPED' as const, maxResults: 10}}
    }),
    // One-off tasks this CLI started (db migrate, users create, `task ...`).
    {
      component: 'standalone',
      container: ctx.deployment.standalone.container,
      target: ctx.deployment.standalone,
      list: {cluster, startedBy: 'airflow-ecs', desiredStatus: 'STOPPED' as const, maxResults: 10},
    },
  ]
  const lists = await Promise.all(sources.map(async (src) => ({src, arns: (await ecs.send(new ListTasksCommand(src.list))).taskArns ?? []})))
  const out: Array<FailedTask & {target: ComponentTarget}> = []
  for (const {src, arns} of lists) {
    if (arns.length === 0) continue
    for (const t of (await ecs.send(new DescribeTasksCommand({cluster, tasks: arns}))).tasks ?? []) {
      const c = t.containers?.find((x) => x.name === src.container)
      const exitCode = c?.exitCode ?? undefined
      const normalStop = /Scaling activity|deployment|Essential container in task exited|Task stopped by user|airflow-ecs/i.test(t.stoppedReason ?? '')
      const failed = (exitCode !== undefined && exitCode !== 0) || (exitCode === undefined && !normalStop)
      if (!failed) continue
      // A shared task (compact's core): the containers ECS stopped because another one exited
      // (SIGTERM 143, SIGKILL 137) did not fail; the one that exited is listed under its own name.
      const stoppedByEcs = exitCode === 143 || exitCode === 137
      if (stoppedByEcs && t.containers?.some((x) => x.name !== src.container && typeof x.exitCode === 'number' && ![0, 137, 143].includes(x.exitCode))) continue
      const taskId = t.taskArn!.split('/').pop()!
      out.push({component: src.component, taskId, stoppedAt: t.stoppedAt?.toISOString(), stoppedReason: t.stoppedReason || c?.reason, exitCode, lastLines: [], target: src.target})
    }
  }
  const newest = out.sort((a, b) => (b.stoppedAt ?? '').localeCompare(a.stoppedAt ?? '')).slice(0, 5)
  const logs = new CloudWatchLogsClient(ctx.clientConfig)
  return Promise.all(newest.map(async ({target, ...task}) => ({...task, lastLines: await lastLines(logs, target, task.taskId)})))
}

async function targetHealth(ctx: AwsContext): Promise<Status['targets']> {
  const arn = ctx.deployment.web?.albArn
  if (!arn) return []
  const elb = new ElasticLoadBalancingV2Client(ctx.clientConfig)
  const listeners = (await elb.send(new DescribeListenersCommand({LoadBalancerArn: arn}))).Listeners ?? []
  const groups = new Set(listeners.flatMap((l) => l.DefaultActions ?? []).map((a) => a.TargetGroupArn).filter((g): g is string => Boolean(g)))
  const out: Status['targets'] = []
  for (const group of groups) {
    for (const d of (await elb.send(new DescribeTargetHealthCommand({TargetGroupArn: group}))).TargetHealthDescriptions ?? []) {
      out.push({target: `${d.Target?.Id}:${d.Target?.Port}`, state: d.TargetHealth?.State ?? 'unknown', reason: d.TargetHealth?.Description})
    }
  }
  return out
}

export async function status(ctx: AwsContext): Promise<Status> {
  const ecs = new ECSClient(ctx.clientConfig)
  const cluster = ctx.deployment.cluster.name
  // compact: several components share one service; ask for each service once.
  const names = [...new Set(SERVICE_COMPONENTS.map((c) => ctx.deployment.components[c].service))]
  const described = (await ecs.send(new DescribeServicesCommand({cluster, services: names}))).services ?? []
  const components = SERVICE_COMPONENTS.map((component) => {
    const s = described.find((x) => x.serviceName === ctx.deployment.components[component].service)
    const primary = s?.deployments?.find((d) => d.status === 'PRIMARY')
    return {
      component,
      service: ctx.deployment.components[component].service,
      desired: s?.desiredCount ?? 0,
      running: s?.runningCount ?? 0,
      pending: s?.pendingCount ?? 0,
      rollout: !s ? 'MISSING' : (primary?.rolloutState ?? ((s.deployments?.length ?? 0) > 1 ? 'IN_PROGRESS' : 'COMPLETED')),
      taskDefinition: s?.taskDefinition?.split('/').pop(),
    }
  })
  const aas = new ApplicationAutoScalingClient(ctx.clientConfig)
  const workerService = ctx.deployment.components.worker.service
  const [failed, targets, schedules, scalable] = await Promise.all([
    failedTasks(ecs, ctx),
    targetHealth(ctx),
    listSchedules(ctx),
    aas.send(new DescribeScalableTargetsCommand({ServiceNamespace: 'ecs', ResourceIds: [resourceId(cluster, workerService)]})),
  ])
  const target = scalable.ScalableTargets?.[0]
  const wa = ctx.deployment.workerAutoscaling ?? {}
  return {
    project: ctx.deployment.project,
    cluster,
    components,
    failedTasks: failed,
    targets,
    schedules,
    workerAutoscaling: {
      metric: `${wa.metricNamespace ?? 'AirflowEcs'}/${wa.metricName ?? 'DesiredWorkers'}`,
      min: target?.MinCapacity,
      max: target?.MaxCapacity,
      current: components.find((c) => c.component === 'worker')?.desired,
    },
    infra: {source: ctx.settings.infra, terraformDir: ctx.settings.terraformDir, ...(ctx.settings.env ? {env: ctx.settings.env} : {}), state: await (await import('../state/remote.js')).stateAddress(ctx.settings)},
  }
}
