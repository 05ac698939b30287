// The cost arithmetic against hand-computed figures, one line item at a time, from the
// embedded us-east-1 table (Fargate ARM64 $0.03238/vCPU-h + $0.00356/GB-h, x86 $0.04048 +
// $0.004445, x86 Spot $0.012144 + $0.0013335, and so on: src/lib/cost/prices.ts).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {DEFAULT_ASSUMPTIONS, capacitySplit, chooseMwaaClass, deploymentItems, estimate, mwaaEstimate, serviceHours} from '../../dist/lib/cost/estimate.js'
import {PRICE_TABLES, tableFor} from '../../dist/lib/cost/prices.js'
import {offHours, parseCron} from '../../dist/lib/cost/schedule.js'
import {defaultTopology, topologyFromDeployment} from '../../dist/lib/cost/topology.js'
import {parseDeployment} from '../../dist/lib/config/deployment.js'

const prices = PRICE_TABLES['us-east-1']
const A = {...DEFAULT_ASSUMPTIONS}
const find = (items: Array<{item: string}>, pattern: RegExp): any => {
  const found = items.find((i) => pattern.test(i.item))
  assert.ok(found, `no line item matching ${pattern} in ${items.map((i) => i.item).join(', ')}`)
  return found
}
const items = (topology = defaultTopology(), assumptions = A) => deploymentItems(topology, assumptions, prices)
/** Every component its own service, on x86: the per-service arithmetic in the x86 prices. */
const X86_HA = () => defaultTopology('us-east-1', {layout: 'ha', architecture: 'X86_64'})

describe('Fargate services', () => {
  it('default (compact, ARM64): api-server 0.5 vCPU / 1 GB always on: 730 h × (0.5 × 0.03238 + 0.00356) = $14.42', () => {
    const line = find(items(), /^Fargate api-server$/)
    assert.equal(line.component, 'api-server')
    assert.equal(line.quantity, 730)
    assert.equal(line.unit, 'task-hour (0.5 vCPU, 1 GB, ARM64)')
    assert.equal(line.unitPrice, 0.01975)
    assert.equal(line.monthly, 14.42)
  })

  it('compact: scheduler, dag-processor, triggerer and metrics are one task, one line: 1 vCPU / 2 GB, 730 × 0.0395 = $28.84', () => {
    const list = items()
    const core = find(list, /^Fargate core \(scheduler, dag-processor, triggerer, metrics\)$/)
    assert.equal(core.component, 'core')
    assert.equal(core.monthly, 28.84)
    assert.equal(list.filter((i) => /^Fargate (scheduler|dag-processor|triggerer|metrics)/.test(i.item)).length, 0)
  })

  it('ha: every component its own line, two schedulers and two api-servers', () => {
    const list = items(defaultTopology('us-east-1', {layout: 'ha'}))
    assert.equal(find(list, /^Fargate scheduler ×2$/).quantity, 1460)
    assert.equal(find(list, /^Fargate api-server ×2$/).quantity, 1460)
    for (const c of ['dag-processor', 'triggerer', 'metrics']) find(list, new RegExp(`^Fargate ${c}$`))
  })

  it('x86: metrics, 0.25 vCPU / 0.5 GB: 730 × (0.01012 + 0.0022225) = $9.01', () => {
    assert.equal(find(items(X86_HA()), /^Fargate metrics$/).monthly, 9.01)
  })

  it('ARM64 is about 20% below x86 for the same task', () => {
    const arm = find(items(defaultTopology('us-east-1', {layout: 'ha'})), /^Fargate metrics$/).monthly
    const x86 = find(items(X86_HA()), /^Fargate metrics$/).monthly
    assert.ok(arm / x86 > 0.78 && arm / x86 < 0.82, `${arm} / ${x86}`)
  })

  it('workers: the average count split 4:1 between Spot and on-demand', () => {
    const list = items(X86_HA(), {...A, workersAvg: 2})
    const onDemand = find(list, /^Fargate worker.*on-demand$/)
    const spot = find(list, /^Fargate worker.*Spot$/)
    // 2 workers × 1/5 on-demand = 0.4 × 730 = 292 h × (0.04048 + 4 × 0.004445 = 0.05826) = 17.01192
    assert.equal(onDemand.quantity, 292)
    assert.equal(onDemand.unitPrice, 0.05826)
    assert.equal(onDemand.monthly, 17.01)
    // 2 × 4/5 = 1.6 × 730 = 1168 h × (0.012144 + 4 × 0.0013335 = 0.017478) = 20.414304
    assert.equal(spot.quantity, 1168)
    assert.equal(spot.unitPrice, 0.017478)
    assert.equal(spot.monthly, 20.41)
  })

  it('a base on FARGATE is placed first, the rest split by weight', () => {
    const strategy = [
      {capacityProvider: 'FARGATE', weight: 1, base: 1},
      {capacityProvider: 'FARGATE_SPOT', weight: 3, base: 0},
    ]
    assert.deepEqual(capacitySplit(strategy, 3), {onDemand: 1.5, spot: 1.5})
    assert.deepEqual(capacitySplit(strategy, 0.5), {onDemand: 0.5, spot: 0})
    assert.deepEqual(capacitySplit([{capacityProvider: 'FARGATE_SPOT', weight: 1, base: 0}], 2), {onDemand: 0, spot: 2})
  })

  it('an all on-demand worker has one line and no Spot line', () => {
    const t = X86_HA()
    t.services.worker = {...t.services.worker, strategy: [{capacityProvider: 'FARGATE', weight: 1, base: 0}]}
    const list = items(t)
    assert.equal(find(list, /^Fargate worker/).monthly, 42.53) // 730 × 0.05826 = 42.5298
    assert.equal(list.filter((i) => /Spot/.test(i.item)).length, 0)
  })
})

describe('scale-to-zero windows', () => {
  it('weekday nights and weekends off (20:00-07:00 MON-FRI): 261 weekdays × 13 h / 12 = 282.75 h on a month', () => {
    const off = offHours('cron(0 20 ? * MON-FRI *)', 'cron(0 7 ? * MON-FRI *)')
    assert.equal(Number(off.offHoursPerMonth.toFixed(6)), 447.25)
    const t = X86_HA()
    t.schedules.enabled = true
    assert.equal(serviceHours(t, 'api-server'), 282.75)
    assert.equal(serviceHours(t, 'dag-processor'), 282.75, 'every service sleeps')
    assert.equal(serviceHours(t, 'worker'), 282.75, 'the workers too')
    // metrics 0.25 vCPU / 0.5 GB: 282.75 × 0.01234 = 3.489
    const metrics = find(items(t), /^Fargate metrics$/)
    assert.equal(metrics.quantity, 282.75)
    assert.equal(metrics.monthly, 3.49)
  })

  it('the office-hours preset: 07:00-19:00 Monday to Friday, 261 weekdays × 12 h / 12 = 261 h on a month', () => {
    const t = defaultTopology('us-east-1', {schedule: 'office-hours'})
    assert.equal(t.schedules.enabled, true)
    assert.equal(serviceHours(t, 'scheduler'), 261)
    // core, 1 vCPU / 2 GB ARM64: 261 × 0.0395 = 10.3095
    assert.equal(find(items(t), /^Fargate core/).monthly, 10.31)
  })

  it('every night 22:00-06:00: 8 h × 365 / 12 off', () => {
    const off = offHours('cron(0 22 * * ? *)', 'cron(0 6 * * ? *)')
    assert.equal(Number(off.offHoursPerMonth.toFixed(6)), Number(((8 * 365) / 12).toFixed(6)))
  })

  it('weekends only (SAT 00:00 to MON 00:00): 104 days × 24 h / 12 = 208 h off', () => {
    assert.equal(Number(offHours('cron(0 0 ? * SAT *)', 'cron(0 0 ? * MON *)').offHoursPerMonth.toFixed(6)), 208)
  })

  it('disabled schedules cost nothing off', () => {
    assert.equal(serviceHours(defaultTopology(), 'api-server'), 730)
  })

  it('an expression it cannot model is priced as always on, with a note', () => {
    const t = defaultTopology()
    t.schedules = {enabled: true, scaleDownCron: 'cron(0 20 L * ? *)', scaleUpCron: 'cron(0 7 1 * ? *)', timezone: 'UTC'}
    const notes: string[] = []
    assert.equal(serviceHours(t, 'api-server', notes), 730)
    assert.match(notes[0], /could not be modelled/)
    assert.throws(() => parseCron('cron(0 20 * *)'), /6 fields/)
  })
})

describe('the other line items', () => {
  it('public IPv4, compact: every public task (api-server, core, 1 worker), the two ALB nodes: 5 × 730 h × $0.005 = $18.25', () => {
    const line = find(items(), /^Public IPv4/)
    assert.equal(line.quantity, 3650)
    assert.equal(line.monthly, 18.25)
  })

  it('public IPv4, ha: 2 api-servers, 2 schedulers, dag-processor, triggerer, metrics, 1 worker, 2 ALB nodes: 10 × 730 × $0.005 = $36.50', () => {
    assert.equal(find(items(defaultTopology('us-east-1', {layout: 'ha'})), /^Public IPv4/).monthly, 36.5)
  })

  it('private subnets: a NAT gateway (hours and data) and only the ALB and NAT addresses', () => {
    const t = defaultTopology()
    t.publicTaskIps = false
    t.natGateway = true
    const list = items(t)
    assert.equal(find(list, /^NAT gateway$/).monthly, 32.85) // 730 × 0.045
    assert.equal(find(list, /^NAT gateway data$/).monthly, 1.35) // 30 GB × 0.045
    assert.equal(find(list, /^Public IPv4/).monthly, 10.95) // 3 × 730 × 0.005
    assert.equal(items().filter((i) => /NAT/.test(i.item)).length, 0, 'no NAT line in public mode')
  })

  it('RDS: db.t4g.micro 730 × $0.016 = $11.68, 20 GB gp3 × $0.115 = $2.30', () => {
    const list = items()
    assert.equal(find(list, /^RDS db\.t4g\.micro$/).monthly, 11.68)
    assert.equal(find(list, /^RDS storage/).monthly, 2.3)
  })

  it('RDS Multi-AZ doubles the instance and the storage', () => {
    const t = defaultTopology()
    t.database = {instanceClass: 'db.t4g.small', allocatedStorage: 100, multiAz: true}
    const list = items(t)
    assert.equal(find(list, /^RDS db\.t4g\.small Multi-AZ$/).monthly, 46.72) // 1460 × 0.032
    assert.equal(find(list, /^RDS storage/).monthly, 23) // 200 × 0.115
  })

  it('an instance class missing from the table is left out with a note', () => {
    const t = defaultTopology()
    t.database.instanceClass = 'db.x2g.16xlarge'
    const notes: string[] = []
    const list = deploymentItems(t, A, prices, notes)
    assert.equal(list.filter((i) => /x2g/.test(i.item)).length, 0)
    assert.match(notes.join('\n'), /No price for RDS db\.x2g\.16xlarge/)
  })

  it('ALB: 730 × $0.0225 = $16.43 and 0.2 LCU × 730 × $0.008 = $1.17', () => {
    const list = items()
    assert.equal(find(list, /^Application Load Balancer$/).monthly, 16.43)
    assert.equal(find(list, /^ALB capacity units$/).monthly, 1.17)
  })

  it('CloudWatch Logs: --log-gb 10 → $5.00 ingestion, $0.30 storage', () => {
    const list = items(defaultTopology(), {...A, logGb: 10})
    assert.equal(find(list, /Logs ingestion/).monthly, 5)
    assert.equal(find(list, /Logs storage/).monthly, 0.3)
  })

  it('S3, SQS, Secrets Manager, ECR, metrics and alarms', () => {
    const list = items()
    assert.equal(find(list, /^S3 storage$/).monthly, 0.12) // 5 × 0.023 = 0.115
    assert.equal(find(list, /^S3 PUT/).monthly, 0.25) // 50 × 0.005
    assert.equal(find(list, /^S3 GET/).monthly, 0.08) // 200 × 0.0004
    assert.equal(find(list, /^SQS/).monthly, 0.4)
    assert.equal(find(list, /^Secrets Manager$/).monthly, 2.8) // 7 × 0.40
    assert.equal(find(list, /^ECR/).monthly, 0.3)
    assert.equal(find(list, /^CloudWatch metrics$/).monthly, 0.3)
    assert.equal(find(list, /^CloudWatch alarms$/).monthly, 0.1)
  })
})

describe('MWAA', () => {
  it('a light workload (5 tasks at once, 1 vCPU workers) is an mw1.small: 730 × $0.49 = $357.70', () => {
    const m = mwaaEstimate(defaultTopology(), A, prices)
    assert.equal(m.environmentClass, 'mw1.small')
    assert.equal(find(m.items, /^MWAA environment mw1\.small$/).monthly, 357.7)
    assert.equal(find(m.items, /metadata database/).monthly, 0.5)
    assert.equal(m.items.filter((i) => /additional/.test(i.item)).length, 0)
  })

  it('3 tasks at once fit an mw1.micro ($0.24 × 730 = $175.20)', () => {
    const m = mwaaEstimate(defaultTopology(), {...A, concurrency: 3}, prices)
    assert.equal(m.environmentClass, 'mw1.micro')
    assert.equal(m.items[0].monthly, 175.2)
  })

  it('12 tasks at once: mw1.small with 2 additional workers (2 × 730 × $0.055 = $80.30)', () => {
    const m = mwaaEstimate(defaultTopology(), {...A, concurrency: 12}, prices)
    assert.equal(m.environmentClass, 'mw1.small')
    assert.equal(m.workers, 3)
    assert.equal(find(m.items, /additional workers/).monthly, 80.3)
  })

  it('two schedulers (ha) are within the two mw1.small includes: no extra scheduler', () => {
    const m = mwaaEstimate(defaultTopology('us-east-1', {layout: 'ha'}), A, prices)
    assert.equal(m.environmentClass, 'mw1.small')
    assert.equal(m.extraSchedulers, 0)
  })

  it('2 vCPU workers need at least an mw1.medium ($0.74 × 730 = $540.20)', () => {
    const t = defaultTopology()
    t.services.worker = {...t.services.worker, cpu: 2048, memory: 8192}
    assert.equal(chooseMwaaClass(t, A, prices), 'mw1.medium')
    assert.equal(mwaaEstimate(t, A, prices).items[0].monthly, 540.2)
  })

  it('schedulers beyond the two included are priced (1 × 730 × $0.055 = $40.15)', () => {
    const t = defaultTopology()
    t.services.scheduler = {...t.services.scheduler, desiredCount: 3}
    assert.equal(find(mwaaEstimate(t, A, prices).items, /additional schedulers/).monthly, 40.15)
  })

  it('--mwaa-class forces the class', () => {
    assert.equal(mwaaEstimate(defaultTopology(), {...A, mwaaClass: 'mw1.large'}, prices).environmentClass, 'mw1.large')
  })

  it('the NAT gateway, logs and S3 are on both sides', () => {
    const t = defaultTopology()
    t.natGateway = true
    const m = mwaaEstimate(t, A, prices)
    for (const pattern of [/^NAT gateway$/, /Logs ingestion/, /^S3 storage$/]) find(m.items, pattern)
  })
})

describe('totals', () => {
  it('the default (compact, ARM64, always on): $115.07 a month next to $361.30 for MWAA mw1.small, ratio 0.3185 (<= 0.35)', () => {
    const e = estimate(defaultTopology(), A, prices)
    assert.equal(e.total, 115.07)
    assert.equal(e.mwaa.total, 361.3)
    assert.equal(e.mwaa.environmentClass, 'mw1.small')
    assert.equal(e.ratio, 0.3185)
    assert.ok(e.ratio <= 0.35)
    assert.equal(e.total, Number(e.items.reduce((s: number, i: any) => s + i.monthly, 0).toFixed(2)), 'the total is the sum of the lines')
  })

  it('the default with the office-hours preset: $70.61, ratio 0.1954 (<= 0.25)', () => {
    const e = estimate(defaultTopology('us-east-1', {schedule: 'office-hours'}), A, prices)
    assert.equal(e.total, 70.61)
    assert.equal(e.ratio, 0.1954)
    assert.ok(e.ratio <= 0.25)
  })

  it('ha, ARM64: $183.79 always on (0.5087), $95.17 with office hours (0.2634)', () => {
    assert.equal(estimate(defaultTopology('us-east-1', {layout: 'ha'}), A, prices).total, 183.79)
    assert.equal(estimate(defaultTopology('us-east-1', {layout: 'ha', schedule: 'office-hours'}), A, prices).total, 95.17)
  })

  it('x86 costs more than ARM64 for the same topology', () => {
    const x86 = estimate(defaultTopology('us-east-1', {architecture: 'X86_64'}), A, prices).total
    assert.ok(x86 > 115.07, String(x86))
  })

  it('a deployment without Terraform numbers falls back to the defaults field by field', () => {
    const deployment = parseDeployment(
      {
        project: 'x',
        components: {worker: {cpu: 2048, memory: 4096, capacity_provider_strategy: [{capacity_provider: 'FARGATE_SPOT', weight: 1, base: 0}]}},
        database: {instance_class: 'db.t4g.small'},
        network: {mode: 'private', nat_gateway: true},
        secrets: {a: 'arn:1', b: 'arn:2'},
      },
      'x',
    )
    const t = topologyFromDeployment(deployment, 'us-east-1')
    assert.equal(t.services.worker.cpu, 2048)
    assert.equal(t.services['api-server'].cpu, 512)
    assert.equal(t.layout, 'ha', 'outputs from before topologies: every component its own service')
    assert.equal(t.architecture, 'X86_64', 'outputs from before topologies ran x86')
    assert.equal(t.database.instanceClass, 'db.t4g.small')
    assert.equal(t.database.allocatedStorage, 20)
    assert.equal(t.natGateway, true)
    assert.equal(t.publicTaskIps, false)
    assert.equal(t.secrets, 2)
  })

  it('a region without a table uses us-east-1 and says so', () => {
    assert.equal(tableFor('us-east-1').fallback, false)
    const other = tableFor('ap-southeast-2')
    assert.equal(other.fallback, true)
    assert.equal(other.region, 'us-east-1')
  })

  it('every price in the table names its source and date', () => {
    for (const [key, price] of Object.entries(prices) as Array<[string, any]>) {
      assert.match(price.source, /^https:\/\/aws\.amazon\.com\//, key)
      assert.match(price.date, /^\d{4}-\d{2}-\d{2}$/, key)
      assert.ok(price.usd > 0, key)
    }
  })
})
