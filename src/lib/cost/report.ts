// `airflow-ecs cost`: the I/O around the pure estimate. Reads the topology from the
// Terraform outputs (or infra-terraform's defaults when nothing is deployed), picks the
// price table (or refreshes it live), and shapes the result for --json and for humans.
import {clientConfig} from '../aws/context.js'
import {type GlobalFlags, loadDeployment, resolveSettings, stateWhere} from '../config/resolver.js'
import {CliError, invalid, mapError} from '../errors.js'
import {paint, table} from '../ui/output.js'
import {type Assumptions, DEFAULT_ASSUMPTIONS, type LineItem, estimate} from './estimate.js'
import {MWAA_CLASSES, type MwaaClass} from './prices.js'
import {TABLE_DATE, tableFor} from './prices.js'
import {type CpuArchitecture, type TopologyName} from '../components.js'
import {SCHEDULE_PRESETS, type SchedulePreset, type Topology, defaultTopology, topologyFromDeployment, variant} from './topology.js'

export const DEFAULT_REGION = 'us-east-1'

export interface CostReport {
  region: string
  currency: 'USD'
  source: 'live' | 'table'
  topology: TopologyName
  architecture: CpuArchitecture
  /** The scale-to-zero schedule priced: "always" (on around the clock), "office-hours", or "custom". */
  schedule: string
  items: LineItem[]
  total: number
  mwaa: {environmentClass: string; items: LineItem[]; total: number}
  ratio: number
  /** cost --compare: compact and HA, around the clock and office hours, against the same MWAA. */
  compare?: CompareRow[]
}

export interface CompareRow {
  topology: TopologyName
  schedule: SchedulePreset
  total: number
  ratio: number
}

export interface CostResult {
  report: CostReport
  notes: string[]
  topology: Topology
  assumptions: Assumptions
  usedDefaults: boolean
}

export interface CostOptions {
  live?: boolean
  workersAvg?: number
  concurrency?: number
  logGb?: number
  mwaaClass?: MwaaClass
  topology?: TopologyName
  architecture?: CpuArchitecture
  schedule?: SchedulePreset
  compare?: boolean
}

export function parseSchedulePreset(value: string | undefined): SchedulePreset | undefined {
  if (value === undefined) return undefined
  const wanted = value.trim().toLowerCase()
  if ((SCHEDULE_PRESETS as readonly string[]).includes(wanted)) return wanted as SchedulePreset
  throw invalid(`Unknown schedule "${value}".`, `Use one of ${SCHEDULE_PRESETS.join(', ')} (office-hours: 07:00-19:00 Monday to Friday).`)
}

const scheduleName = (t: Topology): string => (!t.schedules.enabled ? 'always' : (t.schedules.preset ?? 'custom'))

/** Reads a non-negative number flag; fails before any AWS call. */
export function parseAmount(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw invalid(`--${flag} must be a number of 0 or more, got "${value}".`, `Example: --${flag} 2`)
  return n
}

export function parseMwaaClass(value: string | undefined): MwaaClass | undefined {
  if (value === undefined) return undefined
  if (!(MWAA_CLASSES as readonly string[]).includes(value)) throw invalid(`Unknown MWAA class "${value}".`, `Use one of ${MWAA_CLASSES.join(', ')}.`)
  return value as MwaaClass
}

/** The usage assumptions: flags, else the light-workload defaults; the average worker count follows the concurrency. */
export function assumptionsFor(topology: Topology, options: CostOptions): Assumptions {
  const concurrency = options.concurrency ?? DEFAULT_ASSUMPTIONS.concurrency
  const workersAvg = options.workersAvg ?? (options.concurrency === undefined ? DEFAULT_ASSUMPTIONS.workersAvg : Math.ceil(concurrency / Math.max(1, topology.tasksPerWorker)))
  return {
    ...DEFAULT_ASSUMPTIONS,
    concurrency,
    workersAvg,
    logGb: options.logGb ?? DEFAULT_ASSUMPTIONS.logGb,
    ...(options.mwaaClass ? {mwaaClass: options.mwaaClass} : {}),
  }
}

export async function costReport(flags: GlobalFlags, options: CostOptions = {}): Promise<CostResult> {
  const settings = resolveSettings(flags)
  const notes: string[] = []
  let topology: Topology
  let usedDefaults = false
  try {
    const deployment = await loadDeployment(settings)
    topology = topologyFromDeployment(deployment, settings.region ?? deployment.region ?? DEFAULT_REGION)
  } catch (error) {
    // A state in S3 that cannot be read (no credentials yet, offline) does not stop an estimate.
    const unread = !(error instanceof CliError && error.code === 'NO_DEPLOYMENT') && stateWhere(settings) === 's3'
    if (!unread && (!(error instanceof CliError) || error.code !== 'NO_DEPLOYMENT')) throw error
    usedDefaults = true
    topology = defaultTopology(settings.region ?? DEFAULT_REGION)
    const why = unread ? `The deployment's state could not be read (${mapError(error).message.replace(/[.]$/, '')})` : 'No deployment found'
    notes.push(`${why}: pricing the infra-terraform defaults (compact topology on ARM64, public subnets, no NAT gateway, db.t4g.micro, workers 80% on Spot).`)
  }

  const picked = tableFor(topology.region)
  let prices = picked.prices
  let source: CostReport['source'] = 'table'
  if (options.live) {
    const {livePrices} = await import('./live.js')
    const live = await livePrices(prices, topology.region, topology.database.instanceClass, {...clientConfig(settings, topology.region)})
    prices = live.prices
    source = live.source
    if (live.notice) notes.push(live.notice)
  }
  if (picked.fallback && source === 'table') {
    notes.push(`The price table has no ${topology.region} prices: using us-east-1's (run with --live for ${topology.region}'s).`)
  }

  topology = variant(topology, {layout: options.topology, architecture: options.architecture, schedule: options.schedule})
  const assumptions = assumptionsFor(topology, options)
  const result = estimate(topology, assumptions, prices)
  notes.push(...result.notes)
  const compare = options.compare
    ? (['compact', 'ha'] as const).flatMap((layout) =>
        SCHEDULE_PRESETS.map((schedule) => {
          const e = estimate(variant(topology, {layout, schedule}), {...assumptions, mwaaClass: assumptions.mwaaClass ?? result.mwaa.environmentClass}, prices)
          return {topology: layout, schedule, total: e.total, ratio: e.ratio}
        }),
      )
    : undefined
  return {
    report: {
      region: topology.region,
      currency: 'USD',
      source,
      topology: topology.layout,
      architecture: topology.architecture,
      schedule: scheduleName(topology),
      items: result.items,
      total: result.total,
      mwaa: {environmentClass: result.mwaa.environmentClass, items: result.mwaa.items, total: result.mwaa.total},
      ratio: result.ratio,
      ...(compare ? {compare} : {}),
    },
    notes,
    topology,
    assumptions,
    usedDefaults,
  }
}

const money = (n: number): string => `$${n.toFixed(2)}`
const unitMoney = (n: number): string => {
  const text = String(+n.toPrecision(4))
  const decimals = text.split('.')[1]?.length ?? 0
  return `$${decimals < 2 ? n.toFixed(2) : text}`
}
const qty = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2))

function section(items: LineItem[], total: number): string {
  const rows = [...items.map((i) => ({...i, q: `${qty(i.quantity)} ${i.unit}`})), {item: 'Total', q: '', unitPrice: undefined, monthly: total}]
  return table(rows, [
    {header: 'Item', get: (r) => r.item},
    {header: 'Quantity', get: (r) => r.q || ' '},
    {header: 'Unit price', get: (r) => (r.unitPrice === undefined ? ' ' : unitMoney(r.unitPrice)), align: 'right'},
    {header: 'Monthly', get: (r) => money(r.monthly), align: 'right'},
  ])
}

/** The human-readable report: the deployment, MWAA, and the comparison. */
export function renderReport(report: CostReport, assumptions: Assumptions): string {
  const priced = report.source === 'live' ? 'AWS Pricing API (live)' : `embedded table transcribed ${TABLE_DATE} (refresh with --live)`
  const ratio = Math.round(report.ratio * 100)
  const schedule = report.schedule === 'always' ? 'on around the clock' : report.schedule === 'office-hours' ? 'office hours (07:00-19:00 Monday to Friday, asleep otherwise)' : 'a custom scale-to-zero schedule'
  const compare = report.compare
    ? [
        '',
        paint('bold', `Side by side, the same workload (${report.architecture}), against MWAA ${report.mwaa.environmentClass} at ${money(report.mwaa.total)} around the clock`),
        table(report.compare, [
          {header: 'Topology', get: (r) => r.topology},
          {header: 'Schedule', get: (r) => r.schedule},
          {header: 'Monthly', get: (r) => money(r.total), align: 'right'},
          {header: 'Of MWAA', get: (r) => `${(r.ratio * 100).toFixed(1)}%`, align: 'right'},
        ]),
      ]
    : []
  return [
    paint('bold', `Airflow on ECS Fargate, ${report.region}, ${report.topology} topology on ${report.architecture}, ${schedule}: monthly estimate in ${report.currency}, prices from the ${priced}`),
    section(report.items, report.total),
    '',
    paint('bold', `Amazon MWAA ${report.mwaa.environmentClass} doing the same work (about ${assumptions.concurrency} task(s) at once)`),
    section(report.mwaa.items, report.mwaa.total),
    '',
    `This deployment: ${money(report.total)} a month, ${ratio}% of MWAA ${report.mwaa.environmentClass} (${money(report.mwaa.total)}).`,
    ...compare,
    paint('dim', 'List prices, no free tier, taxes, savings plans or data transfer out; an estimate, not a bill.'),
  ].join('\n')
}
