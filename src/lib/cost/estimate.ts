// The monthly estimate: topology × usage assumptions × price table, one line per item,
// next to the Amazon MWAA environment that does the same work. Pure arithmetic: no I/O.
import {type CapacityProviderShare} from '../config/deployment.js'
import {type ServiceComponentName, SERVICE_COMPONENTS} from '../components.js'
import {HOURS_PER_MONTH, MWAA_CLASSES, MWAA_SPECS, type MwaaClass, type PriceTable, fargateKey, mwaaKey, rdsKey} from './prices.js'
import {offHours} from './schedule.js'
import {type Topology} from './topology.js'

export interface LineItem {
  item: string
  component?: string
  quantity: number
  unit: string
  unitPrice: number
  monthly: number
}

export interface Assumptions {
  /** Average number of Celery workers running over the month. */
  workersAvg: number
  /** Average number of task instances running at once: the work MWAA must do too. */
  concurrency: number
  /** CloudWatch Logs ingested per month, GB. */
  logGb: number
  /** Average ALB capacity units in use (a light UI uses a fraction of one). */
  albLcu: number
  /** GB a month through the NAT gateway (image pulls, API calls), when there is one. */
  natGb: number
  s3Gb: number
  /** Thousands of S3 PUT/LIST and GET requests a month (remote task logs, DAG sync). */
  s3PutThousands: number
  s3GetThousands: number
  /** Millions of SQS requests a month (Celery long-polls every 20 s, plus sends and deletes). */
  sqsMillions: number
  ecrGb: number
  /** MWAA metadata database storage, GB. */
  mwaaMetaDbGb: number
  /** Force the MWAA environment class instead of choosing it. */
  mwaaClass?: MwaaClass
}

/** A light workload: about five task instances at once on average, one worker. */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  workersAvg: 1,
  concurrency: 5,
  logGb: 5,
  albLcu: 0.2,
  natGb: 30,
  s3Gb: 5,
  s3PutThousands: 50,
  s3GetThousands: 200,
  sqsMillions: 1,
  ecrGb: 3,
  mwaaMetaDbGb: 5,
}

export interface MwaaEstimate {
  environmentClass: MwaaClass
  workers: number
  extraSchedulers: number
  items: LineItem[]
  total: number
}

export interface Estimate {
  region: string
  currency: 'USD'
  items: LineItem[]
  total: number
  mwaa: MwaaEstimate
  ratio: number
  /** Things the user should know (missing prices, unmodelled schedules). */
  notes: string[]
}

const round = (n: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round((n + Number.EPSILON) * f) / f
}

function line(item: string, quantity: number, unit: string, unitPrice: number, component?: string): LineItem {
  return {item, ...(component ? {component} : {}), quantity: round(quantity, 4), unit, unitPrice: round(unitPrice, 6), monthly: round(quantity * unitPrice)}
}

const sum = (items: LineItem[]): number => round(items.reduce((total, i) => total + i.monthly, 0))

/** How `count` tasks split between FARGATE and FARGATE_SPOT under a capacity provider strategy. */
export function capacitySplit(strategy: CapacityProviderShare[], count: number): {onDemand: number; spot: number} {
  if (count <= 0 || strategy.length === 0) return {onDemand: Math.max(0, count), spot: 0}
  const isSpot = (s: CapacityProviderShare): boolean => s.capacityProvider.toUpperCase().includes('SPOT')
  let remaining = count
  let spot = 0
  let onDemand = 0
  // The base is placed first (ECS allows a base on one provider only).
  for (const s of strategy) {
    const placed = Math.min(remaining, Math.max(0, s.base))
    if (isSpot(s)) spot += placed
    else onDemand += placed
    remaining -= placed
  }
  const weights = strategy.reduce((total, s) => total + Math.max(0, s.weight), 0)
  if (remaining > 0) {
    if (weights <= 0) onDemand += remaining
    else {
      const spotWeight = strategy.filter(isSpot).reduce((total, s) => total + Math.max(0, s.weight), 0)
      spot += (remaining * spotWeight) / weights
      onDemand += (remaining * (weights - spotWeight)) / weights
    }
  }
  return {onDemand, spot}
}

const vcpu = (cpu: number): number => cpu / 1024
const gb = (memory: number): number => memory / 1024
const sizeLabel = (cpu: number, memory: number): string => `${+vcpu(cpu).toFixed(3)} vCPU, ${+gb(memory).toFixed(3)} GB`

/** Hours a month a service runs per task: 730, less its scale-to-zero windows. */
export function serviceHours(topology: Topology, component: ServiceComponentName, notes: string[] = []): number {
  const s = topology.schedules
  if (!s.enabled || !topology.scheduledComponents.includes(component) || !s.scaleDownCron || !s.scaleUpCron) return HOURS_PER_MONTH
  try {
    return HOURS_PER_MONTH - offHours(s.scaleDownCron, s.scaleUpCron).offHoursPerMonth
  } catch (error) {
    const note = `The scale-to-zero schedule (${s.scaleDownCron} / ${s.scaleUpCron}) could not be modelled (${(error as Error).message}): priced as always on.`
    if (!notes.includes(note)) notes.push(note)
    return HOURS_PER_MONTH
  }
}

function price(prices: PriceTable, key: string, notes: string[], what: string): number | undefined {
  const found = prices[key]
  if (found) return found.usd
  notes.push(`No price for ${what} in the table: left out of the total (try --live).`)
  return undefined
}

/** Every line of the ECS deployment's monthly cost. */
export function deploymentItems(topology: Topology, a: Assumptions, prices: PriceTable, notes: string[] = []): LineItem[] {
  const items: LineItem[] = []
  const need = (key: string): number => price(prices, key, notes, key) ?? 0
  let taskHours = 0
  const arch = topology.architecture
  // One line (or two, on-demand and Spot) per ECS service: compact's light components share one.
  const seen = new Set<string>()
  for (const component of SERVICE_COMPONENTS) {
    const shape = topology.services[component]
    if (seen.has(shape.service)) continue
    seen.add(shape.service)
    const members = SERVICE_COMPONENTS.filter((c) => topology.services[c].service === shape.service)
    const count = component === 'worker' ? a.workersAvg : shape.desiredCount
    const hours = serviceHours(topology, component, notes)
    const split = capacitySplit(shape.strategy, count)
    const size = `${sizeLabel(shape.cpu, shape.memory)}, ${arch}`
    const onDemandRate = vcpu(shape.cpu) * need(fargateKey(arch, false, 'vcpuHour')) + gb(shape.memory) * need(fargateKey(arch, false, 'gbHour'))
    const spotRate = vcpu(shape.cpu) * need(fargateKey(arch, true, 'vcpuHour')) + gb(shape.memory) * need(fargateKey(arch, true, 'gbHour'))
    const name = members.length > 1 ? `${shape.service} (${members.join(', ')})` : component
    const label =
      component === 'worker' ? `Fargate ${component} (avg ${+a.workersAvg.toFixed(2)})` : `Fargate ${name}${count === 1 ? '' : ` ×${+count.toFixed(2)}`}`
    const key = members.length > 1 ? shape.service : component
    if (split.onDemand > 0) items.push(line(split.spot > 0 ? `${label}, on-demand` : label, split.onDemand * hours, `task-hour (${size})`, onDemandRate, key))
    if (split.spot > 0) items.push(line(`${label}, Spot`, split.spot * hours, `task-hour (${size}, Spot)`, spotRate, key))
    taskHours += count * hours
  }

  const ipHours = (topology.publicTaskIps ? taskHours : 0) + (topology.albPublicIps + (topology.natGateway ? 1 : 0)) * HOURS_PER_MONTH
  items.push(line('Public IPv4 addresses', ipHours, 'IP-hour', need('vpc.publicIpv4Hour')))

  const db = topology.database
  const copies = db.multiAz ? 2 : 1
  const dbPrice = price(prices, rdsKey(db.instanceClass), notes, `RDS ${db.instanceClass}`)
  if (dbPrice !== undefined) items.push(line(`RDS ${db.instanceClass}${db.multiAz ? ' Multi-AZ' : ''}`, copies * HOURS_PER_MONTH, 'instance-hour', dbPrice))
  items.push(line('RDS storage (gp3)', copies * db.allocatedStorage, 'GB-month', need('rds.gp3GbMonth')))

  items.push(line('Application Load Balancer', HOURS_PER_MONTH, 'ALB-hour', need('alb.hour')))
  items.push(line('ALB capacity units', a.albLcu * HOURS_PER_MONTH, 'LCU-hour', need('alb.lcuHour')))

  items.push(...sharedItems(topology, a, prices, notes))

  items.push(line('SQS requests (Celery broker)', a.sqsMillions, 'million requests', need('sqs.million')))
  items.push(line('Secrets Manager', topology.secrets, 'secret-month', need('secrets.secretMonth')))
  items.push(line('ECR image storage', a.ecrGb, 'GB-month', need('ecr.storageGbMonth')))
  items.push(line('CloudWatch metrics', topology.customMetrics, 'metric-month', need('cloudwatch.metricMonth')))
  items.push(line('CloudWatch alarms', topology.alarms, 'alarm-month', need('cloudwatch.alarmMonth')))
  return items
}

/** What both a self-managed deployment and MWAA pay the same way: logs, S3, the NAT gateway. */
function sharedItems(topology: Topology, a: Assumptions, prices: PriceTable, notes: string[]): LineItem[] {
  const need = (key: string): number => price(prices, key, notes, key) ?? 0
  const items: LineItem[] = []
  if (topology.natGateway) {
    items.push(line('NAT gateway', HOURS_PER_MONTH, 'NAT-hour', need('nat.hour')))
    items.push(line('NAT gateway data', a.natGb, 'GB processed', need('nat.gb')))
  }
  // Retention keeps about one month of logs (log_retention_days = 30).
  items.push(line('CloudWatch Logs ingestion', a.logGb, 'GB ingested', need('logs.ingestGb')))
  items.push(line('CloudWatch Logs storage', a.logGb, 'GB-month', need('logs.storageGbMonth')))
  items.push(line('S3 storage', a.s3Gb, 'GB-month', need('s3.storageGbMonth')))
  items.push(line('S3 PUT/LIST requests', a.s3PutThousands, 'thousand requests', need('s3.put1000')))
  items.push(line('S3 GET requests', a.s3GetThousands, 'thousand requests', need('s3.get1000')))
  return items
}

/** MWAA workers needed for `concurrency` task instances at once. */
export function mwaaWorkers(cls: MwaaClass, concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / MWAA_SPECS[cls].concurrency))
}

/**
 * The MWAA class doing the same work: among the classes whose worker has at least the
 * vCPU of ours (worker size) and that can run the concurrency with their workers, the
 * cheapest per hour, environment plus extra workers and schedulers.
 */
export function chooseMwaaClass(topology: Topology, a: Assumptions, prices: PriceTable): MwaaClass {
  if (a.mwaaClass) return a.mwaaClass
  const workerVcpu = vcpu(topology.services.worker.cpu)
  let best: {cls: MwaaClass; hourly: number} | undefined
  for (const cls of MWAA_CLASSES) {
    const spec = MWAA_SPECS[cls]
    const workers = mwaaWorkers(cls, a.concurrency)
    if (spec.workerVcpu < workerVcpu || workers > spec.maxWorkers) continue
    const hourly = mwaaHourly(topology, cls, workers, prices)
    if (hourly !== undefined && (!best || hourly < best.hourly)) best = {cls, hourly}
  }
  return best?.cls ?? 'mw1.large'
}

function extraSchedulers(topology: Topology, cls: MwaaClass): number {
  return Math.max(0, topology.services.scheduler.desiredCount - MWAA_SPECS[cls].includedSchedulers)
}

function mwaaHourly(topology: Topology, cls: MwaaClass, workers: number, prices: PriceTable): number | undefined {
  const env = prices[mwaaKey(cls, 'environmentHour')]?.usd
  if (env === undefined) return undefined
  const worker = prices[mwaaKey(cls, 'workerHour')]?.usd ?? 0
  const scheduler = prices[mwaaKey(cls, 'schedulerHour')]?.usd ?? 0
  return env + (workers - 1) * worker + extraSchedulers(topology, cls) * scheduler
}

export function mwaaEstimate(topology: Topology, a: Assumptions, prices: PriceTable, notes: string[] = []): MwaaEstimate {
  const cls = chooseMwaaClass(topology, a, prices)
  const need = (key: string, what = key): number => price(prices, key, notes, what) ?? 0
  const workers = Math.min(mwaaWorkers(cls, a.concurrency), MWAA_SPECS[cls].maxWorkers)
  const schedulers = extraSchedulers(topology, cls)
  const items: LineItem[] = [line(`MWAA environment ${cls}`, HOURS_PER_MONTH, 'environment-hour', need(mwaaKey(cls, 'environmentHour'), `MWAA ${cls}`))]
  if (workers > 1) items.push(line(`MWAA additional workers (${workers - 1})`, (workers - 1) * HOURS_PER_MONTH, 'worker-hour', need(mwaaKey(cls, 'workerHour'))))
  if (schedulers > 0) items.push(line(`MWAA additional schedulers (${schedulers})`, schedulers * HOURS_PER_MONTH, 'scheduler-hour', need(mwaaKey(cls, 'schedulerHour'))))
  items.push(line('MWAA metadata database storage', a.mwaaMetaDbGb, 'GB-month', need('mwaa.metaDbGbMonth')))
  items.push(...sharedItems(topology, a, prices, notes))
  return {environmentClass: cls, workers, extraSchedulers: schedulers, items, total: sum(items)}
}

export function estimate(topology: Topology, assumptions: Assumptions, prices: PriceTable): Estimate {
  const notes: string[] = []
  const items = deploymentItems(topology, assumptions, prices, notes)
  const mwaa = mwaaEstimate(topology, assumptions, prices, notes)
  const total = sum(items)
  return {
    region: topology.region,
    currency: 'USD',
    items,
    total,
    mwaa,
    ratio: mwaa.total > 0 ? round(total / mwaa.total, 4) : 0,
    notes: [...new Set(notes)],
  }
}
