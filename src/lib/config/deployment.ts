// The deployment as the CLI sees it: the `airflow_ecs` Terraform output (the whole
// contract with infra-terraform/), parsed into camelCase with the registry's defaults
// filling anything the output leaves out.
import {type ComponentName, type ComponentTarget, type CpuArchitecture, SERVICE_COMPONENTS, type ServiceComponentName, type TopologyName, defaultTarget} from '../components.js'
import {CliError} from '../errors.js'

export interface CapacityProviderShare {
  capacityProvider: string
  weight: number
  base: number
}

export interface ComponentDeployment extends ComponentTarget {
  cpu?: number
  memory?: number
  desiredCount?: number
  minCount?: number
  maxCount?: number
  capacityProviderStrategy?: CapacityProviderShare[]
}

export interface StandaloneDeployment extends ComponentTarget {
  taskDefinitionFamily: string
  subnets: string[]
  securityGroups: string[]
  assignPublicIp: boolean
  capacityProvider: string
  cpu?: number
  memory?: number
}

export interface Deployment {
  project: string
  region?: string
  accountId?: string
  cluster: {name: string; arn?: string}
  /** compact or ha; absent in outputs written before topologies (every component its own service). */
  topology?: TopologyName
  cpuArchitecture?: CpuArchitecture
  components: Record<ServiceComponentName, ComponentDeployment>
  standalone: StandaloneDeployment
  web?: {url?: string; albDnsName?: string; albArn?: string; https?: boolean}
  ecr?: {repositoryUrl?: string; repositoryName?: string}
  bucket?: string
  database?: {identifier?: string; instanceClass?: string; allocatedStorage?: number; engineVersion?: string; multiAz?: boolean}
  secrets: Record<string, string>
  workerAutoscaling?: {min?: number; max?: number; tasksPerWorker?: number; metricNamespace?: string; metricName?: string; policyName?: string}
  schedules?: {enabled?: boolean; preset?: string; scaleDownCron?: string; scaleUpCron?: string; timezone?: string}
  network?: {mode?: string; vpcId?: string; natGateway?: boolean}
  /** The raw Terraform output value, for commands that need a field not modelled here. */
  raw: Record<string, unknown>
}

export interface DeploymentOverrides {
  cluster?: string
  subnets?: string[]
  securityGroups?: string[]
}

type Json = Record<string, unknown>

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : undefined)
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined)
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {})
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

function target(raw: Json, fallback: ComponentTarget): ComponentTarget {
  return {
    service: str(raw.service) ?? fallback.service,
    container: str(raw.container) ?? fallback.container,
    logGroup: str(raw.log_group) ?? fallback.logGroup,
    logStreamPrefix: typeof raw.log_stream_prefix === 'string' ? raw.log_stream_prefix : fallback.logStreamPrefix,
  }
}

export function parseDeployment(value: unknown, fallbackProject: string, overrides: DeploymentOverrides = {}): Deployment {
  const raw = obj(value)
  if (Object.keys(raw).length === 0) {
    throw new CliError('The Terraform state has no `airflow_ecs` output.', {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` to create (or update) the deployment.',
    })
  }
  const project = str(raw.project) ?? fallbackProject
  const rawComponents = obj(raw.components)
  const components = Object.fromEntries(
    SERVICE_COMPONENTS.map((name) => {
      const c = obj(rawComponents[name])
      const strategy = Array.isArray(c.capacity_provider_strategy)
        ? c.capacity_provider_strategy.map((s) => {
            const share = obj(s)
            return {capacityProvider: str(share.capacity_provider) ?? 'FARGATE', weight: num(share.weight) ?? 0, base: num(share.base) ?? 0}
          })
        : undefined
      const parsed: ComponentDeployment = {
        ...target(c, defaultTarget(project, name)),
        cpu: num(c.cpu),
        memory: num(c.memory),
        desiredCount: num(c.desired_count),
        minCount: num(c.min_count),
        maxCount: num(c.max_count),
        capacityProviderStrategy: strategy,
        sharedWith: strings(c.shared_with),
      }
      return [name, parsed]
    }),
  ) as Deployment['components']
  const s = obj(raw.standalone)
  const standaloneDefault = defaultTarget(project, 'standalone')
  const standalone: StandaloneDeployment = {
    ...target(s, standaloneDefault),
    taskDefinitionFamily: str(s.task_definition_family) ?? `${project}-standalone`,
    subnets: overrides.subnets?.length ? overrides.subnets : strings(s.subnets),
    securityGroups: overrides.securityGroups?.length ? overrides.securityGroups : strings(s.security_groups),
    assignPublicIp: bool(s.assign_public_ip) ?? false,
    capacityProvider: str(s.capacity_provider) ?? 'FARGATE',
    cpu: num(s.cpu),
    memory: num(s.memory),
  }
  const cluster = obj(raw.cluster)
  const web = obj(raw.web)
  const ecr = obj(raw.ecr)
  const db = obj(raw.database)
  const wa = obj(raw.worker_autoscaling)
  const sched = obj(raw.schedules)
  const net = obj(raw.network)
  return {
    project,
    region: str(raw.region),
    accountId: str(raw.account_id),
    cluster: {name: overrides.cluster ?? str(cluster.name) ?? project, arn: overrides.cluster ? undefined : str(cluster.arn)},
    topology: raw.topology === 'compact' || raw.topology === 'ha' ? raw.topology : undefined,
    cpuArchitecture: raw.cpu_architecture === 'ARM64' || raw.cpu_architecture === 'X86_64' ? raw.cpu_architecture : undefined,
    components,
    standalone,
    web: {url: str(web.url), albDnsName: str(web.alb_dns_name), albArn: str(web.alb_arn), https: bool(web.https)},
    ecr: {repositoryUrl: str(ecr.repository_url), repositoryName: str(ecr.repository_name)},
    bucket: str(raw.bucket),
    database: {
      identifier: str(db.identifier),
      instanceClass: str(db.instance_class),
      allocatedStorage: num(db.allocated_storage),
      engineVersion: str(db.engine_version),
      multiAz: bool(db.multi_az),
    },
    secrets: Object.fromEntries(Object.entries(obj(raw.secrets)).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
    workerAutoscaling: {
      min: num(wa.min),
      max: num(wa.max),
      tasksPerWorker: num(wa.tasks_per_worker),
      metricNamespace: str(wa.metric_namespace),
      metricName: str(wa.metric_name),
      policyName: str(wa.policy_name),
    },
    schedules: {enabled: bool(sched.enabled), preset: str(sched.preset), scaleDownCron: str(sched.scale_down_cron), scaleUpCron: str(sched.scale_up_cron), timezone: str(sched.timezone)},
    network: {mode: str(net.mode), vpcId: str(net.vpc_id), natGateway: bool(net.nat_gateway)},
    raw,
  }
}

export function componentTarget(deployment: Deployment, name: ComponentName): ComponentTarget {
  return name === 'standalone' ? deployment.standalone : deployment.components[name]
}
