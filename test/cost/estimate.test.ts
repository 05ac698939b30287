// The cost arithmetic against hand-computed figures, one line item at a time, from the
// embedded us-east-1 table (Fargate $0.04048/vCPU-h + $0.004445/GB-h, Spot
// $0.012144 + $0.0013335, and so on: src/lib/cost/prices.ts).
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

describe('Fargate services', () => {
  it('api-server, 1 vCPU / 2 GB always on: 730 h × (0.04048 + 2 × 0.004445) = $36.04', () => {
    const line = find(items(), /^Fargate api-server$/)
    assert.equal(line.component, 'api-server')
    assert.equal(line.quantity, 730)
    assert.equal(line.unitPrice, 0.04937)
    assert.equal(line.monthly, 36.04)
  })

  it('metrics, 0.25 vCPU / 0.5 GB: 730 × (0.01012 + 0.0022225) = $9.01', () => {
    assert.equal(find(items(), /^Fargate metrics$/).monthly, 9.01)
  })

  it('workers: the average count split 4:1 between Spot and on-demand', () => {
    const list = items(defaultTopology(), {...A, workersAvg: 2})
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
    const t = defaultTopology()
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
    const t = defaultTopology()
    t.schedules.enabled = true
    assert.equal(serviceHours(t, 'api-server'), 282.75)
    assert.equal(serviceHours(t, 'dag-processor'), 730, 'only api-server and scheduler are scheduled')
    // scheduler 0.5 vCPU / 1 GB: 282.75 × 0.024685 = 6.9796875
    const scheduler = find(items(t), /^Fargate scheduler$/)
    assert.equal(scheduler.quantity, 282.75)
    assert.equal(scheduler.monthly, 6.98)
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
  it('public IPv4: every public task, the two ALB nodes: (6 tasks + 2) × 730 h × $0.005 = $29.20', () => {
    const line = find(items(), /^Public IPv4/)
    assert.equal(line.quantity, 5840)
    assert.equal(line.monthly, 29.2)
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
  it('the default topology: $185.61 a month next to $361.30 for MWAA mw1.small, ratio 0.5137', () => {
    const e = estimate(defaultTopology(), A, prices)
    assert.equal(e.total, 185.61)
    assert.equal(e.mwaa.total, 361.3)
    assert.equal(e.ratio, 0.5137)
    assert.equal(e.total, Number(e.items.reduce((s: number, i: any) => s + i.monthly, 0).toFixed(2)), 'the total is the sum of the lines')
  })

  it('docs/cost.md: scale_to_zero_enabled alone brings the default to $148.02 (41% of mw1.small)', () => {
    const t = defaultTopology()
    t.schedules.enabled = true
    assert.equal(estimate(t, A, prices).total, 148.02)
  })

  it('docs/cost.md: with dag-processor and triggerer on the schedule too, $121.47: at most 35% of mw1.small ($357.70)', () => {
    const t = defaultTopology()
    t.schedules.enabled = true
    t.scheduledComponents = ['api-server', 'scheduler', 'dag-processor', 'triggerer']
    const e = estimate(t, A, prices)
    assert.equal(e.total, 121.47)
    assert.ok(e.total <= 0.35 * 357.7, `total ${e.total} > ${0.35 * 357.7}`)
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
    assert.equal(t.services['api-server'].cpu, 1024)
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
