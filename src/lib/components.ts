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
