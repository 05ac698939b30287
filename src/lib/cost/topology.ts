// What the estimate prices: the deployment's shape, from the Terraform outputs or, when
// nothing is deployed, from infra-terraform's variable defaults. Pure data, no I/O.
import {type CapacityProviderShare, type Deployment} from '../config/deployment.js'
import {type CpuArchitecture, LAYOUT, SERVICE_COMPONENTS, type ServiceComponentName, type TopologyName} from '../components.js'

export interface ServiceShape {
  /** The service (name suffix, e.g. "core") whose task this component runs in. */
  service: string
  /** CPU units (1024 = 1 vCPU) of the service's task. */
  cpu: number
  /** MiB of the service's task. */
  memory: number
  desiredCount: number
  strategy: CapacityProviderShare[]
}

export type SchedulePreset = 'always' | 'office-hours'
export const SCHEDULE_PRESETS: readonly SchedulePreset[] = ['always', 'office-hours']

/** infra-terraform's office-hours preset (autoscaling.tf): 07:00-19:00 Monday to Friday. */
export const OFFICE_HOURS = {scaleDownCron: 'cron(0 19 ? * MON-FRI *)', scaleUpCron: 'cron(0 7 ? * MON-FRI *)'}

export interface Topology {
  region: string
  layout: TopologyName
  architecture: CpuArchitecture
  /** Per component: the shape of the service it runs in (compact's light components share "core"). */
  services: Record<ServiceComponentName, ServiceShape>
  tasksPerWorker: number
  schedules: {enabled: boolean; preset?: string; scaleDownCron?: string; scaleUpCron?: string; timezone?: string}
  /** The components the scale-to-zero schedule puts to sleep (infra-terraform/autoscaling.tf: all of them). */
  scheduledComponents: ServiceComponentName[]
  database: {instanceClass: string; allocatedStorage: number; multiAz: boolean}
  /** Tasks get public IPv4 addresses (task_subnets = "public"). */
  publicTaskIps: boolean
  natGateway: boolean
  /** Public IPv4 addresses of the internet-facing ALB: one node per AZ, two AZs. */
  albPublicIps: number
  secrets: number
  customMetrics: number
  alarms: number
}

const ON_DEMAND = [{capacityProvider: 'FARGATE', weight: 1, base: 0}]

/**
 * infra-terraform's sizes per topology (components.tf, api_server.tf, worker.tf; sources
 * in infra-terraform/README.md). Keep in step with them: test/cost checks the applied outputs.
 */
export const SERVICE_SIZES: Record<TopologyName, Record<string, {cpu: number; memory: number; count: number}>> = {
  compact: {
    'api-server': {cpu: 512, memory: 1024, count: 1},
    core: {cpu: 1024, memory: 2048, count: 1},
  },
  ha: {
    'api-server': {cpu: 512, memory: 1024, count: 2},
    scheduler: {cpu: 512, memory: 1024, count: 2},
    'dag-processor': {cpu: 512, memory: 1024, count: 1},
    triggerer: {cpu: 512, memory: 1024, count: 1},
    metrics: {cpu: 256, memory: 512, count: 1},
  },
}

const WORKER: ServiceShape = {
  service: 'worker',
  cpu: 1024,
  memory: 4096,
  // min_workers = 0: desired 0; the estimate uses the average worker count instead.
  desiredCount: 0,
  strategy: [
    {capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0},
    {capacityProvider: 'FARGATE', weight: 1, base: 0},
  ],
}

function layoutServices(layout: TopologyName, worker: ServiceShape): Topology['services'] {
  return Object.fromEntries(
    SERVICE_COMPONENTS.map((name) => {
      if (name === 'worker') return [name, worker]
      const service = LAYOUT[layout][name]
      const size = SERVICE_SIZES[layout][service]
      return [name, {service, cpu: size.cpu, memory: size.memory, desiredCount: size.count, strategy: ON_DEMAND}]
    }),
  ) as Topology['services']
}

export interface TopologyOptions {
  layout?: TopologyName
  architecture?: CpuArchitecture
  schedule?: SchedulePreset
  timezone?: string
}

/** infra-terraform's defaults (variables.tf, components.tf, outputs.tf, worker.tf, autoscaling.tf, secrets.tf). Keep in step with them. */
export function defaultTopology(region = 'us-east-1', options: TopologyOptions = {}): Topology {
  const base: Topology = {
    region,
    layout: 'compact',
    architecture: 'ARM64',
    services: layoutServices('compact', WORKER),
    tasksPerWorker: 16,
    schedules: {enabled: false, scaleDownCron: 'cron(0 20 ? * MON-FRI *)', scaleUpCron: 'cron(0 7 ? * MON-FRI *)', timezone: 'UTC'},
    scheduledComponents: [...SERVICE_COMPONENTS],
    database: {instanceClass: 'db.t4g.micro', allocatedStorage: 20, multiAz: false},
    publicTaskIps: true,
    natGateway: false,
    albPublicIps: 2,
    // fernet_key, jwt_secret, api_secret_key, admin_password, db_password, db_connection, celery_result_backend
    secrets: 7,
    // DesiredWorkers and its always-in-ALARM alarm driving the worker step policy.
    customMetrics: 1,
    alarms: 1,
  }
  return variant(base, options)
}

/** The same deployment with another topology, architecture or schedule (cost --topology/--architecture/--schedule/--compare). */
export function variant(topology: Topology, options: TopologyOptions): Topology {
  const out: Topology = {...topology, services: {...topology.services}, schedules: {...topology.schedules}}
  if (options.layout && options.layout !== topology.layout) {
    out.layout = options.layout
    out.services = layoutServices(options.layout, topology.services.worker)
  }
  if (options.architecture) out.architecture = options.architecture
  if (options.schedule === 'always') out.schedules = {...out.schedules, enabled: false, preset: undefined}
  if (options.schedule === 'office-hours') out.schedules = {...out.schedules, enabled: true, preset: 'office-hours', ...OFFICE_HOURS}
  if (options.timezone) out.schedules.timezone = options.timezone
  return out
}

/** The deployment's shape; anything the outputs leave out comes from the defaults. */
export function topologyFromDeployment(deployment: Deployment, region: string): Topology {
  // Outputs written before topologies: every component its own service, on X86_64.
  const layout: TopologyName = deployment.topology ?? (SERVICE_COMPONENTS.some((c) => (deployment.components[c].sharedWith?.length ?? 0) > 0) ? 'compact' : 'ha')
  const base = defaultTopology(region, {layout})
  const prefix = `${deployment.project}-`
  const services = Object.fromEntries(
    SERVICE_COMPONENTS.map((name) => {
      const c = deployment.components[name]
      const d = base.services[name]
      const shape: ServiceShape = {
        service: c?.service ? c.service.replace(prefix, '') : d.service,
        cpu: c?.cpu ?? d.cpu,
        memory: c?.memory ?? d.memory,
        desiredCount: c?.desiredCount ?? d.desiredCount,
        strategy: c?.capacityProviderStrategy?.length ? c.capacityProviderStrategy : d.strategy,
      }
      return [name, shape]
    }),
  ) as Topology['services']
  const s = deployment.schedules ?? {}
  const db = deployment.database ?? {}
  const net = deployment.network ?? {}
  const secretCount = Object.keys(deployment.secrets ?? {}).length
  return {
    ...base,
    layout,
    architecture: deployment.cpuArchitecture ?? (deployment.topology ? 'ARM64' : 'X86_64'),
    services,
    tasksPerWorker: deployment.workerAutoscaling?.tasksPerWorker ?? base.tasksPerWorker,
    schedules: {
      enabled: s.enabled ?? false,
      preset: s.preset,
      scaleDownCron: s.scaleDownCron ?? base.schedules.scaleDownCron,
      scaleUpCron: s.scaleUpCron ?? base.schedules.scaleUpCron,
      timezone: s.timezone ?? base.schedules.timezone,
    },
    database: {
      instanceClass: db.instanceClass ?? base.database.instanceClass,
      allocatedStorage: db.allocatedStorage ?? base.database.allocatedStorage,
      multiAz: db.multiAz ?? base.database.multiAz,
    },
    publicTaskIps: net.mode ? net.mode !== 'private' : deployment.standalone.assignPublicIp || base.publicTaskIps,
    natGateway: net.natGateway ?? net.mode === 'private',
    secrets: secretCount > 0 ? secretCount : base.secrets,
  }
}
