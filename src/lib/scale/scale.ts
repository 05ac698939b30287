// Scaling a component now (UpdateService with the scalable target's bounds kept
// consistent) or later (Application Auto Scaling scheduled actions).
import {
  ApplicationAutoScalingClient,
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScheduledActionsCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  type ScalableTarget,
  type ScheduledAction,
} from '@aws-sdk/client-application-auto-scaling'
import {DescribeServicesCommand, ECSClient, type Service, UpdateServiceCommand} from '@aws-sdk/client-ecs'

import {type AwsContext} from '../aws/context.js'
import {SERVICE_COMPONENTS, SHARED_SERVICES, type ServiceComponentName, resolveComponent} from '../components.js'
import {type Deployment} from '../config/deployment.js'
import {shown} from '../config/validate.js'
import {CliError, invalid} from '../errors.js'

const NAMESPACE = 'ecs'
const DIMENSION = 'ecs:service:DesiredCount'

export function resourceId(cluster: string, service: string): string {
  return `service/${cluster}/${service}`
}

export function parseCount(input: string): number {
  if (!/^\d+$/.test(input.trim())) throw invalid(`Invalid count "${input}".`, 'The count is a whole number of tasks, 0 or more.')
  return Number(input)
}

/** What `scale` acts on: one service, named by a component or by a shared service (compact's core). */
export interface ScaleTarget {
  /** The name the user scales by: a component, or "core". */
  name: string
  service: string
  /** The components that run in the service (several for core). */
  components: ServiceComponentName[]
  maxCount?: number
}

const list = (names: string[]): string => (names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`)

/**
 * A component with a service of its own, or "core" on the compact topology. A component
 * that shares its service is refused, naming the service and what to scale instead:
 * scaling it alone is impossible, and scaling its neighbours silently would surprise.
 */
export function resolveScaleTarget(deployment: Deployment, input: string, options: {allowShared?: boolean} = {}): ScaleTarget {
  const wanted = input.trim().toLowerCase()
  const components = deployment.components
  if ((SHARED_SERVICES as readonly string[]).includes(wanted)) {
    const members = SERVICE_COMPONENTS.filter((c) => (components[c].sharedWith?.length ?? 0) > 0 && components[c].service.endsWith(`-${wanted}`))
    if (members.length === 0) {
      throw invalid(
        `This deployment (topology ${deployment.topology ?? 'ha'}) has no ${wanted} service: scheduler, dag-processor, triggerer and metrics each have their own.`,
        'Scale them by name, e.g. `airflow-ecs scale scheduler 0`.',
      )
    }
    return {name: wanted, service: components[members[0]].service, components: members, maxCount: components[members[0]].maxCount}
  }
  const component = resolveComponent(input).name as ServiceComponentName
  const target = components[component]
  const shared = target.sharedWith ?? []
  if (shared.length > 0 && !options.allowShared) {
    const group = SHARED_SERVICES.find((g) => target.service.endsWith(`-${g}`))
    throw invalid(
      `${component} has no service of its own (topology ${deployment.topology ?? 'compact'}): it runs in ${target.service} with ${list(shared)}.`,
      `${group ? `Scale them together with \`airflow-ecs scale ${group} <count>\`` : `Scale ${target.service}`}, or set "topology": "ha" in airflow-ecs.json and deploy to scale each on its own.`,
    )
  }
  return {name: component, service: target.service, components: [component], maxCount: target.maxCount}
}

function aas(ctx: AwsContext): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient(ctx.clientConfig)
}

export async function scalableTarget(ctx: AwsContext, service: string): Promise<ScalableTarget | undefined> {
  const result = await aas(ctx).send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: NAMESPACE,
      ScalableDimension: DIMENSION,
      ResourceIds: [resourceId(ctx.deployment.cluster.name, service)],
    }),
  )
  return result.ScalableTargets?.[0]
}

async function activeService(ctx: AwsContext, target: ScaleTarget): Promise<Service> {
  const cluster = ctx.deployment.cluster.name
  const {service, name: component} = target
  const described = await new ECSClient(ctx.clientConfig).send(new DescribeServicesCommand({cluster, services: [service]}))
  const current = described.services?.find((s) => s.status !== 'INACTIVE')
  if (!current) {
    throw new CliError(`The ${component} service (${service}) does not exist in cluster ${cluster}.`, {
      code: 'SERVICE_NOT_FOUND',
      hint: 'Run `airflow-ecs deploy` first.',
    })
  }
  return current
}

/** Refuses a count above the deployment's own maximum before any AWS call. */
export function checkCount(target: ScaleTarget, count: number): void {
  const max = target.maxCount
  if (max !== undefined && count > max) throw aboveMax(count, target.name, max)
}

function aboveMax(count: number, component: string, max: number): CliError {
  return invalid(
    `${count} is above the maximum of ${max} tasks for ${component}.`,
    component === 'worker' ? 'Raise max_workers (airflow-ecs.json "workers.max") and deploy.' : `Use a count of at most ${max}.`,
  )
}

export interface ScaleNowResult {
  component: string
  /** Every component the service runs (several for core). */
  components: ServiceComponentName[]
  service: string
  previousDesired?: number
  desired: number
  minCapacity?: number
  maxCapacity?: number
}

/** Sets the desired count now; lowers the scalable target's minimum when needed so autoscaling does not undo it. */
export async function scaleNow(ctx: AwsContext, scaleTarget: ScaleTarget, count: number): Promise<ScaleNowResult> {
  const {service, name: component} = scaleTarget
  const cluster = ctx.deployment.cluster.name
  const target = await scalableTarget(ctx, service)
  if (target && target.MaxCapacity !== undefined && count > target.MaxCapacity) throw aboveMax(count, component, target.MaxCapacity)
  const current = await activeService(ctx, scaleTarget)
  let minCapacity = target?.MinCapacity
  if (target && minCapacity !== undefined && count < minCapacity) {
    minCapacity = count
    await aas(ctx).send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: NAMESPACE,
        ScalableDimension: DIMENSION,
        ResourceId: resourceId(cluster, service),
        MinCapacity: count,
        MaxCapacity: target.MaxCapacity,
      }),
    )
  }
  await new ECSClient(ctx.clientConfig).send(new UpdateServiceCommand({cluster, service, desiredCount: count}))
  return {component, components: scaleTarget.components, service, previousDesired: current.desiredCount, desired: count, minCapacity, maxCapacity: target?.MaxCapacity}
}

export interface ScheduleRequest {
  target: ScaleTarget
  count: number
  schedule: string
  name: string
  timezone?: string
}

/** A scheduled action needs a scalable target: register one (0..max(count, desired)) when the service has none. */
async function ensureTarget(ctx: AwsContext, scaleTarget: ScaleTarget, count: number): Promise<ScalableTarget> {
  const {service, name: component} = scaleTarget
  const existing = await scalableTarget(ctx, service)
  if (existing) {
    if (existing.MaxCapacity !== undefined && count > existing.MaxCapacity) throw aboveMax(count, component, existing.MaxCapacity)
    return existing
  }
  const cluster = ctx.deployment.cluster.name
  const current = await activeService(ctx, scaleTarget)
  const max = Math.max(count, current.desiredCount ?? 0, 1)
  await aas(ctx).send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: NAMESPACE,
      ScalableDimension: DIMENSION,
      ResourceId: resourceId(cluster, service),
      MinCapacity: 0,
      MaxCapacity: max,
    }),
  )
  return {ServiceNamespace: NAMESPACE, ScalableDimension: DIMENSION, ResourceId: resourceId(cluster, service), MinCapacity: 0, MaxCapacity: max, RoleARN: undefined, CreationTime: undefined}
}

export async function schedule(ctx: AwsContext, request: ScheduleRequest): Promise<ScheduledActionView> {
  const target = await ensureTarget(ctx, request.target, request.count)
  await aas(ctx).send(
    new PutScheduledActionCommand({
      ServiceNamespace: NAMESPACE,
      ScalableDimension: DIMENSION,
      ResourceId: target.ResourceId,
      ScheduledActionName: request.name,
      Schedule: request.schedule,
      Timezone: request.timezone,
      ScalableTargetAction: {MinCapacity: request.count, MaxCapacity: request.count},
    }),
  )
  return {
    name: request.name,
    component: request.target.name,
    service: target.ResourceId?.split('/').pop() ?? '',
    schedule: request.schedule,
    timezone: request.timezone ?? 'UTC',
    minCapacity: request.count,
    maxCapacity: request.count,
  }
}

export interface ScheduledActionView {
  name: string
  component?: string
  service: string
  schedule: string
  timezone: string
  minCapacity?: number
  maxCapacity?: number
  createdAt?: string
}

/** The name a service is scaled by: its component, or the shared service's name (core). */
function componentOfService(ctx: AwsContext, service: string): string | undefined {
  const found = SERVICE_COMPONENTS.find((name) => ctx.deployment.components[name].service === service)
  if (found && (ctx.deployment.components[found].sharedWith?.length ?? 0) > 0) return SHARED_SERVICES.find((g) => service.endsWith(`-${g}`)) ?? found
  return found
}

function view(ctx: AwsContext, action: ScheduledAction): ScheduledActionView {
  const service = action.ResourceId?.split('/').pop() ?? ''
  return {
    name: action.ScheduledActionName ?? '',
    component: componentOfService(ctx, service),
    service,
    schedule: action.Schedule ?? '',
    timezone: action.Timezone ?? 'UTC',
    minCapacity: action.ScalableTargetAction?.MinCapacity,
    maxCapacity: action.ScalableTargetAction?.MaxCapacity,
    createdAt: action.CreationTime?.toISOString(),
  }
}

async function allActions(ctx: AwsContext, filter: {names?: string[]; resourceId?: string}): Promise<ScheduledAction[]> {
  const actions: ScheduledAction[] = []
  let NextToken: string | undefined
  do {
    const page = await aas(ctx).send(
      new DescribeScheduledActionsCommand({
        ServiceNamespace: NAMESPACE,
        ScheduledActionNames: filter.names,
        ResourceId: filter.resourceId,
        NextToken,
      }),
    )
    actions.push(...(page.ScheduledActions ?? []))
    NextToken = page.NextToken
  } while (NextToken)
  const prefix = `service/${ctx.deployment.cluster.name}/`
  return actions.filter((a) => a.ResourceId?.startsWith(prefix))
}

/** The scheduled actions of this deployment's services (one component's, when given). */
export async function listSchedules(ctx: AwsContext, target?: ScaleTarget): Promise<ScheduledActionView[]> {
  const resource = target ? resourceId(ctx.deployment.cluster.name, target.service) : undefined
  const actions = await allActions(ctx, {resourceId: resource})
  return actions.map((a) => view(ctx, a)).sort((a, b) => a.name.localeCompare(b.name))
}

export async function cancelSchedule(ctx: AwsContext, name: string): Promise<ScheduledActionView> {
  const [action] = await allActions(ctx, {names: [name]})
  if (!action) {
    const known = (await listSchedules(ctx)).map((a) => a.name)
    throw new CliError(`No scheduled action named "${name}" in this deployment.`, {
      code: 'NOT_FOUND',
      hint: known.length > 0 ? `Scheduled actions: ${known.join(', ')}.` : 'There are none; `airflow-ecs scale list` shows them.',
    })
  }
  await aas(ctx).send(
    new DeleteScheduledActionCommand({
      ServiceNamespace: NAMESPACE,
      ScalableDimension: action.ScalableDimension,
      ResourceId: action.ResourceId,
      ScheduledActionName: name,
    }),
  )
  return view(ctx, action)
}

/** Scheduled action names may not contain ':', '/' or '|', nor start or end with a space. */
export function actionName(input: string): string {
  if (!/^[^\s:/|][^:/|]{0,254}[^\s:/|]$|^[^\s:/|]$/.test(input)) {
    throw invalid(`Invalid action name ${shown(input)}.`, "Use letters, digits, '-', '_' or '.', up to 256 characters.")
  }
  return input
}

export function defaultActionName(component: string, count: number, at: Date): string {
  const stamp = at.toISOString().slice(0, 16).replaceAll('-', '').replace(':', '')
  return `airflow-ecs-${component}-to-${count}-${stamp}`
}
