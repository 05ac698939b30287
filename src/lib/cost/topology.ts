// What the estimate prices: the deployment's shape, from the Terraform outputs or, when
// nothing is deployed, from infra-terraform's variable defaults. Pure data, no I/O.
import {type CapacityProviderShare, type Deployment} from '../config/deployment.js'
import {SERVICE_COMPONENTS, type ServiceComponentName} from '../components.js'

export interface ServiceShape {
  /** CPU units (1024 = 1 vCPU). */
  cpu: number
  /** MiB. */
  memory: number
  desiredCount: number
  strategy: CapacityProviderShare[]
}

export interface Topology {
  region: string
  services: Record<ServiceComponentName, ServiceShape>
  tasksPerWorker: number
  schedules: {enabled: boolean; scaleDownCron?: string; scaleUpCron?: string; timezone?: string}
  /** The services the scale-to-zero schedule acts on (infra-terraform/autoscaling.tf). */
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

/** infra-terraform's defaults (variables.tf, outputs.tf, worker.tf, autoscaling.tf, secrets.tf). Keep in step with them. */
export function defaultTopology(region = 'us-east-1'): Topology {
  return {
    region,
    services: {
      'api-server': {cpu: 1024, memory: 2048, desiredCount: 1, strategy: ON_DEMAND},
      scheduler: {cpu: 512, memory: 1024, desiredCount: 1, strategy: ON_DEMAND},
      'dag-processor': {cpu: 512, memory: 1024, desiredCount: 1, strategy: ON_DEMAND},
      triggerer: {cpu: 512, memory: 1024, desiredCount: 1, strategy: ON_DEMAND},
      // min_workers = 0: desired 0; the estimate uses the average worker count instead.
      worker: {
        cpu: 1024,
        memory: 4096,
        desiredCount: 0,
        strategy: [
          {capacityProvider: 'FARGATE_SPOT', weight: 4, base: 0},
          {capacityProvider: 'FARGATE', weight: 1, base: 0},
        ],
      },
      metrics: {cpu: 256, memory: 512, desiredCount: 1, strategy: ON_DEMAND},
    },
    tasksPerWorker: 16,
    schedules: {enabled: false, scaleDownCron: 'cron(0 20 ? * MON-FRI *)', scaleUpCron: 'cron(0 7 ? * MON-FRI *)', timezone: 'UTC'},
    scheduledComponents: ['api-server', 'scheduler'],
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
}

/** The deployment's shape; anything the outputs leave out comes from the defaults. */
export function topologyFromDeployment(deployment: Deployment, region: string): Topology {
  const base = defaultTopology(region)
  const services = Object.fromEntries(
    SERVICE_COMPONENTS.map((name) => {
      const c = deployment.components[name]
      const d = base.services[name]
      const shape: ServiceShape = {
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
    services,
    tasksPerWorker: deployment.workerAutoscaling?.tasksPerWorker ?? base.tasksPerWorker,
    schedules: {
      enabled: s.enabled ?? false,
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
