// The embedded price table: AWS public on-demand list prices, USD, per region.
//
// HONESTY NOTE: these prices were transcribed on 2026-11-24 by hand, without internet
// access, from the AWS public list prices for us-east-1 as they stood in 2025 (the
// pages named in each `source`). AWS changes prices, and Fargate Spot prices move all
// the time. Treat every figure as an estimate, and refresh them with `airflow-ecs cost
// --live` (the AWS Pricing API) before you decide anything on them. Taxes, the free
// tier, Savings Plans, Reserved Instances and data transfer out are not modelled.
//
// Keys are flat strings ('fargate.vcpuHour', 'rds.instance.db.t4g.micro', ...) so the
// live refresh (./live.ts) can replace any single price.

export interface Price {
  /** USD per `unit`. */
  usd: number
  unit: string
  /** Where the figure comes from (the public pricing page). */
  source: string
  /** When it was transcribed (table) or fetched (live), ISO date. */
  date: string
  note?: string
}

export type PriceTable = Record<string, Price>

export const TABLE_DATE = '2026-11-24'
export const HOURS_PER_MONTH = 730

const FARGATE = 'https://aws.amazon.com/fargate/pricing/'
const RDS = 'https://aws.amazon.com/rds/postgresql/pricing/'
const ELB = 'https://aws.amazon.com/elasticloadbalancing/pricing/'
const VPC = 'https://aws.amazon.com/vpc/pricing/'
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/'
const S3 = 'https://aws.amazon.com/s3/pricing/'
const SQS = 'https://aws.amazon.com/sqs/pricing/'
const SECRETS = 'https://aws.amazon.com/secrets-manager/pricing/'
const ECR = 'https://aws.amazon.com/ecr/pricing/'
const MWAA = 'https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/'

const p = (usd: number, unit: string, source: string, note?: string): Price => ({usd, unit, source, date: TABLE_DATE, ...(note ? {note} : {})})

export const MWAA_CLASSES = ['mw1.micro', 'mw1.small', 'mw1.medium', 'mw1.large'] as const
export type MwaaClass = (typeof MWAA_CLASSES)[number]

/**
 * What one MWAA environment class gives you (the MWAA pricing and "environment class"
 * documentation): the worker size, its default task concurrency
 * (celery.worker_autoscale), how many schedulers the environment price includes, and
 * the most workers it can have.
 */
export const MWAA_SPECS: Record<MwaaClass, {workerVcpu: number; workerMemoryGb: number; concurrency: number; includedSchedulers: number; maxWorkers: number}> = {
  'mw1.micro': {workerVcpu: 1, workerMemoryGb: 3, concurrency: 3, includedSchedulers: 1, maxWorkers: 1},
  'mw1.small': {workerVcpu: 1, workerMemoryGb: 2, concurrency: 5, includedSchedulers: 2, maxWorkers: 25},
  'mw1.medium': {workerVcpu: 2, workerMemoryGb: 4, concurrency: 10, includedSchedulers: 2, maxWorkers: 25},
  'mw1.large': {workerVcpu: 4, workerMemoryGb: 8, concurrency: 20, includedSchedulers: 2, maxWorkers: 25},
}

/** us-east-1 (US East, N. Virginia), Linux, on-demand, transcribed 2026-11-24 from 2025 list prices. */
const US_EAST_1: PriceTable = {
  // Fargate, Linux/X86_64 (cpu_architecture = "X86_64").
  'fargate.vcpuHour': p(0.04048, 'vCPU-hour', FARGATE),
  'fargate.gbHour': p(0.004445, 'GB-hour', FARGATE),
  // Fargate Spot: the price moves with spare capacity; about 70% below on-demand in us-east-1 in 2025.
  'fargate.spot.vcpuHour': p(0.012144, 'vCPU-hour', FARGATE, 'Fargate Spot prices vary over time; ~70% below on-demand'),
  'fargate.spot.gbHour': p(0.0013335, 'GB-hour', FARGATE, 'Fargate Spot prices vary over time; ~70% below on-demand'),
  // Fargate, Linux/ARM64 (Graviton; infra-terraform's default cpu_architecture): about 20% below x86.
  'fargate.arm.vcpuHour': p(0.03238, 'vCPU-hour', FARGATE),
  'fargate.arm.gbHour': p(0.00356, 'GB-hour', FARGATE),
  // Fargate Spot on ARM64 (platform 1.4.0+): NOT transcribed, estimated 70% below the ARM on-demand
  // price as x86 Spot is; `cost --live` replaces them with the Pricing API's (SpotUsage-ARM-*).
  'fargate.arm.spot.vcpuHour': p(0.009714, 'vCPU-hour', FARGATE, 'Estimate: 70% below ARM on-demand; Spot prices vary, refresh with --live'),
  'fargate.arm.spot.gbHour': p(0.001068, 'GB-hour', FARGATE, 'Estimate: 70% below ARM on-demand; Spot prices vary, refresh with --live'),
  // Public IPv4 addresses (charged since 2024-02-01): every task with a public IP, the ALB's nodes, the NAT gateway's EIP.
  'vpc.publicIpv4Hour': p(0.005, 'IP-hour', VPC),
  // RDS for PostgreSQL, Single-AZ on-demand instance hours (Multi-AZ: twice).
  'rds.instance.db.t4g.micro': p(0.016, 'instance-hour', RDS),
  'rds.instance.db.t4g.small': p(0.032, 'instance-hour', RDS),
  'rds.instance.db.t4g.medium': p(0.065, 'instance-hour', RDS),
  'rds.instance.db.t4g.large': p(0.129, 'instance-hour', RDS),
  'rds.instance.db.t3.micro': p(0.018, 'instance-hour', RDS),
  'rds.instance.db.t3.small': p(0.036, 'instance-hour', RDS),
  'rds.instance.db.t3.medium': p(0.072, 'instance-hour', RDS),
  'rds.instance.db.t3.large': p(0.145, 'instance-hour', RDS),
  'rds.instance.db.m6g.large': p(0.159, 'instance-hour', RDS),
  'rds.instance.db.m5.large': p(0.178, 'instance-hour', RDS),
  // gp3 storage, Single-AZ (Multi-AZ: twice).
  'rds.gp3GbMonth': p(0.115, 'GB-month', RDS),
  // Manual DB snapshots (backup storage beyond the automated backups' free allowance).
  'rds.snapshotGbMonth': p(0.095, 'GB-month', RDS, 'Backup storage'),
  // Application Load Balancer.
  'alb.hour': p(0.0225, 'ALB-hour', ELB),
  'alb.lcuHour': p(0.008, 'LCU-hour', ELB),
  // NAT gateway.
  'nat.hour': p(0.045, 'NAT-hour', VPC),
  'nat.gb': p(0.045, 'GB processed', VPC),
  // CloudWatch.
  'logs.ingestGb': p(0.5, 'GB ingested', CLOUDWATCH, 'Standard log class, first tier'),
  'logs.storageGbMonth': p(0.03, 'GB-month', CLOUDWATCH),
  'cloudwatch.metricMonth': p(0.3, 'metric-month', CLOUDWATCH, 'Custom metrics, first 10,000'),
  'cloudwatch.alarmMonth': p(0.1, 'alarm-month', CLOUDWATCH, 'Standard resolution alarm'),
  // S3 Standard.
  's3.storageGbMonth': p(0.023, 'GB-month', S3, 'First 50 TB'),
  's3.put1000': p(0.005, '1,000 PUT/LIST requests', S3),
  's3.get1000': p(0.0004, '1,000 GET requests', S3),
  // SQS standard queue (the Celery broker); the first million requests a month are free tier, not applied here.
  'sqs.million': p(0.4, 'million requests', SQS),
  'secrets.secretMonth': p(0.4, 'secret-month', SECRETS),
  'ecr.storageGbMonth': p(0.1, 'GB-month', ECR),
  // Amazon MWAA: environment hour (includes its schedulers, one worker, the web server(s)),
  // additional workers and schedulers, metadata database storage.
  'mwaa.mw1.micro.environmentHour': p(0.24, 'environment-hour', MWAA),
  'mwaa.mw1.small.environmentHour': p(0.49, 'environment-hour', MWAA),
  'mwaa.mw1.medium.environmentHour': p(0.74, 'environment-hour', MWAA),
  'mwaa.mw1.large.environmentHour': p(0.99, 'environment-hour', MWAA),
  'mwaa.mw1.small.workerHour': p(0.055, 'worker-hour', MWAA),
  'mwaa.mw1.medium.workerHour': p(0.11, 'worker-hour', MWAA),
  'mwaa.mw1.large.workerHour': p(0.22, 'worker-hour', MWAA),
  'mwaa.mw1.small.schedulerHour': p(0.055, 'scheduler-hour', MWAA),
  'mwaa.mw1.medium.schedulerHour': p(0.11, 'scheduler-hour', MWAA),
  'mwaa.mw1.large.schedulerHour': p(0.22, 'scheduler-hour', MWAA),
  'mwaa.metaDbGbMonth': p(0.1, 'GB-month', MWAA),
}

export const PRICE_TABLES: Record<string, PriceTable> = {
  'us-east-1': US_EAST_1,
}

export const TABLE_REGION = 'us-east-1'

/** The embedded table for a region, or us-east-1's with `fallback` set when there is none. */
export function tableFor(region: string): {prices: PriceTable; region: string; fallback: boolean} {
  const own = PRICE_TABLES[region]
  return own ? {prices: {...own}, region, fallback: false} : {prices: {...PRICE_TABLES[TABLE_REGION]}, region: TABLE_REGION, fallback: true}
}

/** The Fargate price key of an architecture, on-demand or Spot. */
export const fargateKey = (arch: 'ARM64' | 'X86_64', spot: boolean, what: 'gbHour' | 'vcpuHour'): string =>
  `fargate.${arch === 'ARM64' ? 'arm.' : ''}${spot ? 'spot.' : ''}${what}`

export const rdsKey = (instanceClass: string): string => `rds.instance.${instanceClass}`
export const mwaaKey = (cls: MwaaClass, what: 'environmentHour' | 'schedulerHour' | 'workerHour'): string => `mwaa.${cls}.${what}`
