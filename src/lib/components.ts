// The one component registry: every Airflow component the CLI knows, its accepted
// names, and where its ECS service, container and logs are when the Terraform outputs
// do not say (the defaults match infra-terraform/).
import {invalid} from './errors.js'

export type ComponentName = 'api-server' | 'dag-processor' | 'metrics' | 'scheduler' | 'standalone' | 'triggerer' | 'worker'

export type ServiceComponentName = Exclude<ComponentName, 'standalone'>

export interface ComponentSpec {
  name: ComponentName
  aliases: string[]
  /** A long-running ECS service, or the standalone task template. */
  kind: 'service' | 'task'
  description: string
}

export const COMPONENTS: readonly ComponentSpec[] = [
  {name: 'api-server', aliases: ['webserver', 'web', 'api'], kind: 'service', description: 'Airflow 3 API server and UI (behind the load balancer)'},
  {name: 'scheduler', aliases: [], kind: 'service', description: 'Airflow scheduler'},
  {name: 'dag-processor', aliases: ['dagprocessor', 'dag_processor'], kind: 'service', description: 'Airflow DAG processor'},
  {name: 'triggerer', aliases: [], kind: 'service', description: 'Airflow triggerer (deferrable operators)'},
  {name: 'worker', aliases: ['workers', 'celery-worker'], kind: 'service', description: 'Celery workers (autoscaled)'},
  {name: 'metrics', aliases: ['metrics-publisher'], kind: 'service', description: 'Publishes the worker autoscaling metric'},
  {name: 'standalone', aliases: ['task'], kind: 'task', description: 'Template for one-off tasks (`airflow-ecs task`)'},
]

export const SERVICE_COMPONENTS = COMPONENTS.filter((c) => c.kind === 'service').map((c) => c.name as ServiceComponentName)

export type TopologyName = 'compact' | 'ha'
export const TOPOLOGIES: readonly TopologyName[] = ['compact', 'ha']
export type CpuArchitecture = 'ARM64' | 'X86_64'
export const ARCHITECTURES: readonly CpuArchitecture[] = ['ARM64', 'X86_64']

/**
 * Where each component runs in each topology (infra-terraform/components.tf): the
 * service (name suffix) whose task holds its container. compact puts the light
 * components in one task, the "core" service; ha gives each its own.
 */
export const LAYOUT: Record<TopologyName, Record<ServiceComponentName, string>> = {
  compact: {'api-server': 'api-server', scheduler: 'core', 'dag-processor': 'core', triggerer: 'core', metrics: 'core', worker: 'worker'},
  ha: {'api-server': 'api-server', scheduler: 'scheduler', 'dag-processor': 'dag-processor', triggerer: 'triggerer', metrics: 'metrics', worker: 'worker'},
}

/** Services that run several components (compact's core): scaled as one, by this name. */
export const SHARED_SERVICES = ['core'] as const
export type SharedServiceName = (typeof SHARED_SERVICES)[number]

export function parseTopology(input: string, source = 'topology'): TopologyName {
  const wanted = input.trim().toLowerCase()
  if ((TOPOLOGIES as readonly string[]).includes(wanted)) return wanted as TopologyName
  throw invalid(`Unknown topology "${input}" (${source}).`, 'Use "compact" (one task for scheduler, dag-processor, triggerer and metrics; the default) or "ha" (every component its own service, two schedulers).')
}

/** "arm64", "ARM64", "linux/arm64", "graviton" → ARM64; "x86_64", "amd64", "linux/amd64" → X86_64. */
export function parseArchitecture(input: string, source = 'architecture'): CpuArchitecture {
  const wanted = input.trim().toLowerCase().replace(/^linux\//, '')
  if (['arm64', 'aarch64', 'graviton'].includes(wanted)) return 'ARM64'
  if (['x86_64', 'x86-64', 'amd64', 'x64'].includes(wanted)) return 'X86_64'
  throw invalid(`Unknown CPU architecture "${input}" (${source}).`, 'Fargate runs "ARM64" (Graviton, the default) or "X86_64" (also written arm64 / amd64).')
}

/** The docker platform of an architecture. */
export const platformOf = (arch: CpuArchitecture): string => (arch === 'ARM64' ? 'linux/arm64' : 'linux/amd64')

export function componentNames(options: {includeTask?: boolean} = {}): string[] {
  return COMPONENTS.filter((c) => options.includeTask || c.kind === 'service').flatMap((c) => [c.name, ...c.aliases])
}

/** Resolves a user-typed name ("webserver", "Scheduler") or fails listing the valid ones. */
export function resolveComponent(input: string, options: {includeTask?: boolean} = {}): ComponentSpec {
  const wanted = input.trim().toLowerCase()
  const candidates = COMPONENTS.filter((c) => options.includeTask || c.kind === 'service')
  const found = candidates.find((c) => c.name === wanted || c.aliases.includes(wanted))
  if (!found) {
    const valid = candidates.map((c) => (c.aliases.length > 0 ? `${c.name} (${c.aliases[0]})` : c.name)).join(', ')
    throw invalid(`Unknown component "${input}".`, `Valid components: ${valid}.`)
  }
  return found
}

/** A long-running component (not the standalone task template). */
export function resolveService(input: string): ServiceComponentName {
  return resolveComponent(input).name as ServiceComponentName
}

export interface ComponentTarget {
  service: string
  container: string
  logGroup: string
  logStreamPrefix: string
  /** The other components in the same service's task (compact's core); empty when it has its own service. */
  sharedWith?: string[]
}

/** Where a component lives when nothing else says: the infra-terraform naming scheme. */
export function defaultTarget(project: string, name: ComponentName): ComponentTarget {
  return {
    service: `${project}-${name}`,
    container: name === 'standalone' ? 'airflow' : name,
    logGroup: `/airflow-ecs/${project}/${name}`,
    logStreamPrefix: 'ecs',
  }
}

/** The CloudWatch stream of one task's container (awslogs convention, also used by our FireLens config). */
export function logStreamName(target: Pick<ComponentTarget, 'container' | 'logStreamPrefix'>, taskId: string): string {
  return target.logStreamPrefix ? `${target.logStreamPrefix}/${target.container}/${taskId}` : taskId
}

/** The task id out of a stream name written by logStreamName. */
export function taskIdFromStream(stream: string): string {
  return stream.split('/').pop() ?? stream
}
