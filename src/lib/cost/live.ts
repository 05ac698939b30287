// `cost --live`: refresh the price table through the AWS Pricing API (GetProducts, served
// from us-east-1 whatever region is priced). Prices the API does not give back keep
// their table value; when the API cannot be used at all (no credentials, access denied,
// unreachable) the whole table is used and the caller prints the notice.
import {GetProductsCommand, PricingClient} from '@aws-sdk/client-pricing'

import {type ClientConfig} from '../aws/context.js'
import {mapError} from '../errors.js'
import {MWAA_CLASSES, type Price, type PriceTable, mwaaKey, rdsKey} from './prices.js'

export const PRICING_API_REGION = 'us-east-1'
const MAX_PAGES = 20

type Attributes = Record<string, string>

interface Rule {
  key: string
  match: (attributes: Attributes) => boolean
  /** Multiplier from the API's unit to the table's (per request → per 1,000). */
  scale?: number
  unit?: string
}

export interface PriceQuery {
  serviceCode: string
  filters: Record<string, string>
  rules: Rule[]
}

const usage =
  (pattern: RegExp) =>
  (a: Attributes): boolean =>
    pattern.test(a.usagetype ?? '')

const SIZE: Record<string, RegExp> = {
  'mw1.micro': /(^|[^a-z])micro/i,
  'mw1.small': /(^|[^a-z])small/i,
  'mw1.medium': /(^|[^a-z])medium/i,
  'mw1.large': /(^|[^a-wyz])large/i, // not XLarge
}

/** What to ask the Pricing API for, for one region and database class. */
export function priceQueries(region: string, dbInstanceClass: string): PriceQuery[] {
  const r = {regionCode: region}
  const mwaaRules: Rule[] = MWAA_CLASSES.flatMap((cls) => {
    const size = SIZE[cls]
    const text = (a: Attributes): string => `${a.usagetype ?? ''} ${a.environmentSize ?? ''} ${a.size ?? ''}`
    const nonXl = (a: Attributes): boolean => !/xlarge/i.test(text(a)) || cls !== 'mw1.large'
    return [
      {key: mwaaKey(cls, 'environmentHour'), match: (a: Attributes) => size.test(text(a)) && nonXl(a) && /environment/i.test(text(a)) && !/storage/i.test(text(a))},
      ...(cls === 'mw1.micro'
        ? []
        : [
            {key: mwaaKey(cls, 'workerHour'), match: (a: Attributes) => size.test(text(a)) && nonXl(a) && /worker/i.test(text(a))},
            {key: mwaaKey(cls, 'schedulerHour'), match: (a: Attributes) => size.test(text(a)) && nonXl(a) && /scheduler/i.test(text(a))},
          ]),
    ]
  })
  return [
    {
      serviceCode: 'AmazonECS',
      filters: r,
      rules: [
        {key: 'fargate.vcpuHour', match: usage(/(^|-)Fargate-vCPU-Hours:perCPU$/)},
        {key: 'fargate.gbHour', match: usage(/(^|-)Fargate-GB-Hours$/)},
        {key: 'fargate.spot.vcpuHour', match: usage(/(^|-)SpotUsage-vCPU-Hours:perCPU$/)},
        {key: 'fargate.spot.gbHour', match: usage(/(^|-)SpotUsage-GB-Hours$/)},
        {key: 'fargate.arm.vcpuHour', match: usage(/(^|-)Fargate-ARM-vCPU-Hours:perCPU$/)},
        {key: 'fargate.arm.gbHour', match: usage(/(^|-)Fargate-ARM-GB-Hours$/)},
        {key: 'fargate.arm.spot.vcpuHour', match: usage(/(^|-)SpotUsage-ARM-vCPU-Hours:perCPU$/)},
        {key: 'fargate.arm.spot.gbHour', match: usage(/(^|-)SpotUsage-ARM-GB-Hours$/)},
      ],
    },
    {
      serviceCode: 'AmazonRDS',
      filters: {...r, instanceType: dbInstanceClass, databaseEngine: 'PostgreSQL', deploymentOption: 'Single-AZ'},
      rules: [{key: rdsKey(dbInstanceClass), match: (a) => a.instanceType === dbInstanceClass}],
    },
    {
      serviceCode: 'AmazonRDS',
      filters: {...r, productFamily: 'Database Storage', volumeType: 'General Purpose-GP3', databaseEngine: 'PostgreSQL', deploymentOption: 'Single-AZ'},
      rules: [{key: 'rds.gp3GbMonth', match: () => true}],
    },
    {
      serviceCode: 'AWSELB',
      filters: {...r, productFamily: 'Load Balancer-Application'},
      rules: [
        {key: 'alb.hour', match: usage(/LoadBalancerUsage$/)},
        {key: 'alb.lcuHour', match: usage(/LCUUsage$/)},
      ],
    },
    {
      serviceCode: 'AmazonEC2',
      filters: {...r, productFamily: 'NAT Gateway'},
      rules: [
        {key: 'nat.hour', match: usage(/NatGateway-Hours$/)},
        {key: 'nat.gb', match: usage(/NatGateway-Bytes$/)},
      ],
    },
    {serviceCode: 'AmazonVPC', filters: r, rules: [{key: 'vpc.publicIpv4Hour', match: usage(/PublicIPv4:InUseAddress$/)}]},
    {
      serviceCode: 'AmazonCloudWatch',
      filters: r,
      rules: [
        {key: 'logs.ingestGb', match: usage(/(^|-)DataProcessing-Bytes$/)},
        {key: 'logs.storageGbMonth', match: usage(/(^|-)TimedStorage-ByteHrs$/)},
        {key: 'cloudwatch.metricMonth', match: usage(/CW:MetricMonitorUsage$/)},
        {key: 'cloudwatch.alarmMonth', match: usage(/CW:AlarmMonitorUsage$/)},
      ],
    },
    {
      serviceCode: 'AmazonS3',
      filters: r,
      rules: [
        {key: 's3.storageGbMonth', match: (a) => /(^|-)TimedStorage-ByteHrs$/.test(a.usagetype ?? '') && (a.volumeType ?? 'Standard') === 'Standard'},
        {key: 's3.put1000', match: usage(/(^|-)Requests-Tier1$/), scale: 1000},
        {key: 's3.get1000', match: usage(/(^|-)Requests-Tier2$/), scale: 1000},
      ],
    },
    {serviceCode: 'AWSQueueService', filters: {...r, queueType: 'Standard'}, rules: [{key: 'sqs.million', match: () => true, scale: 1_000_000}]},
    {serviceCode: 'AWSSecretsManager', filters: r, rules: [{key: 'secrets.secretMonth', match: usage(/Secrets?$/)}]},
    {serviceCode: 'AmazonECR', filters: r, rules: [{key: 'ecr.storageGbMonth', match: usage(/TimedStorage-ByteHrs$/)}]},
    {
      serviceCode: 'AmazonMWAA',
      filters: r,
      rules: [...mwaaRules, {key: 'mwaa.metaDbGbMonth', match: (a) => /storage/i.test(`${a.usagetype ?? ''} ${a.productFamily ?? ''}`)}],
    },
  ]
}

interface Product {
  product?: {sku?: string; productFamily?: string; attributes?: Attributes}
  terms?: {OnDemand?: Record<string, {priceDimensions?: Record<string, {unit?: string; beginRange?: string; pricePerUnit?: {USD?: string}}>}>}
}

/** The on-demand USD price of a product: the first non-zero tier (free tiers skipped). */
export function onDemandUsd(product: Product): {usd: number; unit?: string} | undefined {
  const dimensions = Object.values(product.terms?.OnDemand ?? {}).flatMap((term) => Object.values(term.priceDimensions ?? {}))
  const priced = dimensions
    .map((d) => ({usd: Number(d.pricePerUnit?.USD), unit: d.unit, begin: Number(d.beginRange ?? 0)}))
    .filter((d) => Number.isFinite(d.usd) && d.usd > 0)
    .sort((a, b) => a.begin - b.begin)
  return priced[0] ? {usd: priced[0].usd, unit: priced[0].unit} : undefined
}

export interface LivePrices {
  prices: PriceTable
  source: 'live' | 'table'
  /** Keys refreshed from the API. */
  refreshed: string[]
  /** What to tell the user (fallback, partial refresh); undefined when everything came back. */
  notice?: string
}

const FATAL = new Set(['ACCESS_DENIED', 'NO_CREDENTIALS', 'EXPIRED_CREDENTIALS', 'UNREACHABLE', 'NO_REGION'])

/** Refreshes `table` through the Pricing API; never throws for an API failure. */
export async function livePrices(
  table: PriceTable,
  region: string,
  dbInstanceClass: string,
  config: Partial<ClientConfig> & Record<string, unknown>,
  today = new Date().toISOString().slice(0, 10),
): Promise<LivePrices> {
  const client = new PricingClient({...config, region: PRICING_API_REGION})
  const prices: PriceTable = {...table}
  const refreshed: string[] = []
  const queries = priceQueries(region, dbInstanceClass)
  const wanted = queries.reduce((n, q) => n + q.rules.length, 0)
  let failure: string | undefined
  try {
    for (const query of queries) {
      const open = new Set(query.rules.map((rule) => rule.key))
      let token: string | undefined
      try {
        for (let page = 0; page < MAX_PAGES && open.size > 0; page++) {
          const out = await client.send(
            new GetProductsCommand({
              ServiceCode: query.serviceCode,
              FormatVersion: 'aws_v1',
              MaxResults: 100,
              NextToken: token,
              Filters: Object.entries(query.filters).map(([Field, Value]) => ({Type: 'TERM_MATCH', Field, Value})),
            }),
          )
          for (const text of out.PriceList ?? []) {
            const product = (typeof text === 'string' ? JSON.parse(text) : text) as Product
            const attributes: Attributes = {...product.product?.attributes, ...(product.product?.productFamily ? {productFamily: product.product.productFamily} : {})}
            for (const rule of query.rules) {
              if (!open.has(rule.key) || !rule.match(attributes)) continue
              const found = onDemandUsd(product)
              if (!found) continue
              const old: Price | undefined = table[rule.key]
              prices[rule.key] = {
                usd: found.usd * (rule.scale ?? 1),
                unit: old?.unit ?? rule.unit ?? found.unit ?? 'unit',
                source: `AWS Pricing API GetProducts ${query.serviceCode} sku ${product.product?.sku ?? '?'} (${attributes.usagetype ?? 'no usagetype'})`,
                date: today,
              }
              open.delete(rule.key)
              refreshed.push(rule.key)
            }
          }
          token = out.NextToken
          if (!token) break
        }
      } catch (error) {
        const mapped = mapError(error)
        const status = (error as {$metadata?: {httpStatusCode?: number}}).$metadata?.httpStatusCode
        failure ??= mapped.code === 'UNEXPECTED' && status ? `the endpoint answered HTTP ${status}, not the Pricing API` : mapped.message
        if (FATAL.has(mapped.code)) throw mapped
      }
    }
  } catch (error) {
    const mapped = mapError(error)
    return {
      prices: {...table},
      source: 'table',
      refreshed: [],
      notice: `Could not refresh prices through the AWS Pricing API (${mapped.message.replace(/\.$/, '')}): using the embedded table instead.`,
    }
  }
  if (refreshed.length === 0) {
    return {
      prices: {...table},
      source: 'table',
      refreshed,
      notice: `The AWS Pricing API returned no usable price${failure ? ` (${failure.replace(/\.$/, '')})` : ''}: using the embedded table instead.`,
    }
  }
  return {
    prices,
    source: 'live',
    refreshed,
    notice:
      refreshed.length < wanted
        ? `Refreshed ${refreshed.length} of ${wanted} prices through the AWS Pricing API; the others come from the embedded table.`
        : undefined,
  }
}
