// `cost --live`: the AWS Pricing API path. moto has no Pricing API, so aws-sdk-client-mock
// stands in for GetProducts here.
import assert from 'node:assert/strict'
import {afterEach, describe, it} from 'node:test'

import {GetProductsCommand, PricingClient} from '@aws-sdk/client-pricing'
import {mockClient} from 'aws-sdk-client-mock'

import {livePrices, onDemandUsd} from '../../dist/lib/cost/live.js'
import {PRICE_TABLES} from '../../dist/lib/cost/prices.js'
import {estimate} from '../../dist/lib/cost/estimate.js'
import {DEFAULT_ASSUMPTIONS} from '../../dist/lib/cost/estimate.js'
import {defaultTopology} from '../../dist/lib/cost/topology.js'

const table = PRICE_TABLES['us-east-1']
const config = {region: 'eu-west-1', retryMode: 'adaptive' as const, maxAttempts: 1, credentials: {accessKeyId: 'a', secretAccessKey: 'b'}}
const pricing = mockClient(PricingClient)
afterEach(() => pricing.reset())

/** One product as the Pricing API returns it: a JSON string. */
function product(sku: string, attributes: Record<string, string>, tiers: Array<[string, string]>, productFamily = 'Compute'): string {
  const priceDimensions = Object.fromEntries(
    tiers.map(([begin, usd], i) => [`${sku}.JRTCKXETXF.${i}`, {unit: 'Hrs', beginRange: begin, endRange: 'Inf', pricePerUnit: {USD: usd}}]),
  )
  return JSON.stringify({product: {sku, productFamily, attributes}, terms: {OnDemand: {[`${sku}.JRTCKXETXF`]: {priceDimensions}}}})
}

const awsError = (name: string, message: string, status: number) => Object.assign(new Error(message), {name, $metadata: {httpStatusCode: status}})

describe('cost --live (Pricing API)', () => {
  it('refreshes Fargate, Spot, RDS and ALB prices from GetProducts, following NextToken', async () => {
    const calls: any[] = []
    pricing.on(GetProductsCommand).callsFake((input) => {
      calls.push(input)
      const filter = (field: string) => input.Filters.find((f: any) => f.Field === field)?.Value
      if (input.ServiceCode === 'AmazonECS' && !input.NextToken) {
        return {
          PriceList: [
            product('A1', {usagetype: 'USE1-Fargate-ARM-vCPU-Hours:perCPU'}, [['0', '0.03238']]),
            product('A2', {usagetype: 'USE1-Fargate-vCPU-Hours:perCPU'}, [['0', '0.05']]),
          ],
          NextToken: 'page-2',
        }
      }
      if (input.ServiceCode === 'AmazonECS') {
        return {
          PriceList: [
            product('A3', {usagetype: 'USE1-Fargate-GB-Hours'}, [['0', '0.005']]),
            product('A4', {usagetype: 'USE1-SpotUsage-vCPU-Hours:perCPU'}, [['0', '0.015']]),
            product('A5', {usagetype: 'USE1-SpotUsage-GB-Hours'}, [['0', '0.0016']]),
          ],
        }
      }
      if (input.ServiceCode === 'AmazonRDS' && filter('instanceType') === 'db.t4g.micro') {
        return {PriceList: [product('R1', {instanceType: 'db.t4g.micro', usagetype: 'InstanceUsage:db.t4g.micro'}, [['0', '0.02']])]}
      }
      if (input.ServiceCode === 'AWSELB') {
        return {
          PriceList: [
            product('E1', {usagetype: 'USE1-LoadBalancerUsage'}, [['0', '0.03']], 'Load Balancer-Application'),
            product('E2', {usagetype: 'USE1-LCUUsage'}, [['0', '0.01']], 'Load Balancer-Application'),
          ],
        }
      }
      if (input.ServiceCode === 'AmazonS3') {
        // tiered: the free/zero tier is skipped, the first priced tier wins
        return {PriceList: [product('S1', {usagetype: 'TimedStorage-ByteHrs', volumeType: 'Standard'}, [['51200', '0.022'], ['0', '0.025']], 'Storage')]}
      }
      return {PriceList: []}
    })

    const live = await livePrices(table, 'us-east-1', 'db.t4g.micro', config, '2026-11-24')
    assert.equal(live.source, 'live')
    assert.equal(live.prices['fargate.vcpuHour'].usd, 0.05, 'x86, not the ARM product')
    assert.equal(live.prices['fargate.arm.vcpuHour'].usd, 0.03238, 'ARM64 from its own product')
    assert.equal(live.prices['fargate.gbHour'].usd, 0.005, 'found on the second page')
    assert.equal(live.prices['fargate.spot.vcpuHour'].usd, 0.015)
    assert.equal(live.prices['fargate.spot.gbHour'].usd, 0.0016)
    assert.equal(live.prices['rds.instance.db.t4g.micro'].usd, 0.02)
    assert.equal(live.prices['alb.hour'].usd, 0.03)
    assert.equal(live.prices['alb.lcuHour'].usd, 0.01)
    assert.equal(live.prices['s3.storageGbMonth'].usd, 0.025)
    assert.match(live.prices['fargate.vcpuHour'].source, /Pricing API.*AmazonECS.*A2/)
    assert.equal(live.prices['fargate.vcpuHour'].date, '2026-11-24')
    // Not returned: kept from the table, and the user is told.
    assert.equal(live.prices['nat.hour'].usd, table['nat.hour'].usd)
    assert.match(live.notice, /Refreshed 9 of \d+ prices through the AWS Pricing API/)
    // The API is asked for the priced region, with TERM_MATCH filters.
    const ecs = calls.find((c) => c.ServiceCode === 'AmazonECS')
    assert.deepEqual(ecs.Filters, [{Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1'}])
    assert.equal(calls.filter((c) => c.ServiceCode === 'AmazonECS').length, 2)
    // The Pricing API endpoint is us-east-1 whatever the profile's region.
    assert.equal(await pricing.call(0).thisValue.config.region(), 'us-east-1')

    // The live prices flow into the arithmetic: x86 metrics 730 × (0.25 × 0.05 + 0.5 × 0.005) = $10.95.
    const e = estimate(defaultTopology('us-east-1', {layout: 'ha', architecture: 'X86_64'}), DEFAULT_ASSUMPTIONS, live.prices)
    assert.equal(e.items.find((i: any) => i.item === 'Fargate metrics').monthly, 10.95)
  })

  it('falls back to the table with a notice on AccessDenied', async () => {
    pricing
      .on(GetProductsCommand)
      .rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: pricing:GetProducts', 403))
    const live = await livePrices(table, 'us-east-1', 'db.t4g.micro', config)
    assert.equal(live.source, 'table')
    assert.deepEqual(live.refreshed, [])
    assert.deepEqual(live.prices, table)
    assert.match(live.notice, /Could not refresh prices through the AWS Pricing API \(Access denied for pricing:GetProducts\): using the embedded table/)
    assert.equal(pricing.calls().length, 1, 'stops at the first access denial')
  })

  it('falls back without credentials', async () => {
    pricing.on(GetProductsCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}))
    const live = await livePrices(table, 'us-east-1', 'db.t4g.micro', config)
    assert.equal(live.source, 'table')
    assert.match(live.notice, /No AWS credentials found.*embedded table/)
  })

  it('falls back when no product matches', async () => {
    pricing.on(GetProductsCommand).resolves({PriceList: []})
    const live = await livePrices(table, 'us-east-1', 'db.t4g.micro', config)
    assert.equal(live.source, 'table')
    assert.match(live.notice, /returned no usable price/)
  })

  it('reads the first priced tier of a product', () => {
    const p = JSON.parse(product('X', {}, [['0', '0.0000000000'], ['1000000', '0.0000004']]))
    assert.deepEqual(onDemandUsd(p), {usd: 0.0000004, unit: 'Hrs'})
    assert.equal(onDemandUsd({}), undefined)
  })
})
