// `airflow-ecs cost` as a user runs it: the built CLI against a deployment in moto read
// through `terraform output -json`, and with no deployment at all.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type CliResult, parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {type Fixture, createFixture} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'

let moto: Moto
let fx: Fixture
before(async () => {
  moto = await startMoto()
  fx = await createFixture(moto)
})
after(async () => {
  await moto?.stop()
})

const ITEM_KEYS = ['component', 'item', 'monthly', 'quantity', 'unit', 'unitPrice']

function assertShape(out: any): void {
  const keys = ['architecture', 'currency', 'items', 'mwaa', 'ratio', 'region', 'schedule', 'source', 'topology', 'total']
  assert.deepEqual(Object.keys(out).filter((k) => k !== 'compare').sort(), keys)
  assert.ok(['compact', 'ha'].includes(out.topology))
  assert.ok(['ARM64', 'X86_64'].includes(out.architecture))
  assert.equal(out.currency, 'USD')
  assert.ok(['table', 'live'].includes(out.source))
  for (const list of [out.items, out.mwaa.items]) {
    assert.ok(list.length > 0)
    for (const item of list) {
      for (const key of Object.keys(item)) assert.ok(ITEM_KEYS.includes(key), `unexpected key ${key}`)
      assert.equal(typeof item.item, 'string')
      assert.equal(typeof item.quantity, 'number')
      assert.equal(typeof item.unit, 'string')
      assert.equal(typeof item.unitPrice, 'number')
      assert.equal(typeof item.monthly, 'number')
    }
  }
  const sum = (items: any[]) => Number(items.reduce((s, i) => s + i.monthly, 0).toFixed(2))
  assert.equal(out.total, sum(out.items))
  assert.deepEqual(Object.keys(out.mwaa).sort(), ['environmentClass', 'items', 'total'])
  assert.equal(out.mwaa.total, sum(out.mwaa.items))
  assert.equal(out.ratio, Number((out.total / out.mwaa.total).toFixed(4)))
}

describe('cost against a deployment', () => {
  it('--json prices the deployment from the Terraform outputs', async () => {
    const r = await runCli(['cost', '--json'], {env: fx.env})
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assertShape(out)
    assert.equal(out.region, 'us-east-1')
    assert.equal(out.source, 'table')
    assert.doesNotMatch(r.stderr, /No deployment found/)
    // The fixture's services are 0.5 vCPU / 1 GB x86 on FARGATE: 730 × 0.024685 = $18.02 each.
    assert.deepEqual([out.topology, out.architecture, out.schedule], ['ha', 'X86_64', 'always'])
    const api = out.items.find((i: any) => i.component === 'api-server')
    assert.equal(api.unit, 'task-hour (0.5 vCPU, 1 GB, X86_64)')
    assert.equal(api.monthly, 18.02)
    assert.equal(out.items.filter((i: any) => /Spot/.test(i.item)).length, 0, 'the fixture worker is all on-demand')
    assert.ok(out.items.some((i: any) => i.item === 'RDS db.t4g.micro'))
    assert.equal(out.mwaa.environmentClass, 'mw1.small')
  })

  it('flags change the assumptions: --workers-avg 3 triples the worker line', async () => {
    const one = parseJson(await runCli(['cost', '--json'], {env: fx.env}))
    const three = parseJson(await runCli(['cost', '--json', '--workers-avg', '3', '--log-gb', '20'], {env: fx.env}))
    const worker = (out: any) => out.items.find((i: any) => i.component === 'worker')
    assert.equal(worker(three).quantity, 3 * worker(one).quantity)
    assert.equal(three.items.find((i: any) => /Logs ingestion/.test(i.item)).monthly, 10)
  })

  it('prints a line per item, the total and the comparison for humans', async () => {
    const r = await runCli(['cost'], {env: fx.env})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Fargate api-server\s+730 task-hour \(0\.5 vCPU, 1 GB, X86_64\)\s+\$0\.02468\s+\$18\.02/)
    assert.match(r.stdout, /^Total\s+\$\d+\.\d\d$/m)
    assert.match(r.stdout, /Amazon MWAA mw1\.small doing the same work/)
    assert.match(r.stdout, /This deployment: \$\d+\.\d\d a month, \d+% of MWAA mw1\.small/)
  })

  it('--live against an endpoint without the Pricing API falls back to the table with a notice', async () => {
    const r = await runCli(['cost', '--live', '--json'], {env: {...fx.env, AIRFLOW_ECS_MAX_ATTEMPTS: '1'}})
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assertShape(out)
    assert.equal(out.source, 'table')
    assert.match(r.stderr, /(Could not refresh prices through the AWS Pricing API|The AWS Pricing API returned no usable price).*embedded table/)
  })

  it('rejects a bad number before doing anything', async () => {
    const r: CliResult = await runCli(['cost', '--workers-avg', 'many'], {env: fx.env})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /--workers-avg must be a number/)
    assert.doesNotMatch(r.stderr, /\n\s+at /)
  })
})

describe('cost with no deployment', () => {
  it('prices infra-terraform defaults and says so in one note line', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-deployment-'))
    const r = await runCli(['cost', '--json'], {env: {AIRFLOW_ECS_PROJECT_DIR: empty, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}})
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assertShape(out)
    const notes = r.stderr.trim().split('\n')
    assert.equal(notes.length, 1, r.stderr)
    // Nothing local, and the state bucket is unreachable here (no credentials, a dead endpoint).
    assert.match(notes[0], /^The deployment's state could not be read \(.+\): pricing the infra-terraform defaults/)
    // Hand-computed in test/cost/estimate.test.ts: the default topology (compact, ARM64) and mw1.small.
    assert.deepEqual([out.topology, out.architecture, out.schedule], ['compact', 'ARM64', 'always'])
    assert.equal(out.total, 115.07)
    assert.equal(out.mwaa.total, 361.3)
    assert.equal(out.mwaa.environmentClass, 'mw1.small')
    assert.equal(out.ratio, 0.3185)
    assert.ok(out.ratio <= 0.35, 'the issue 12 target: at most 35% of mw1.small around the clock')
    assert.ok(out.items.some((i: any) => /Spot$/.test(i.item)), 'default workers are mostly on Spot')
  })

  it('--schedule office-hours: at most 25% of mw1.small; --compare puts compact, ha and MWAA side by side', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-deployment-'))
    const env = {AIRFLOW_ECS_PROJECT_DIR: empty, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    const office = parseJson(await runCli(['cost', '--json', '--schedule', 'office-hours'], {env}))
    assertShape(office)
    assert.equal(office.schedule, 'office-hours')
    assert.equal(office.total, 70.61)
    assert.equal(office.ratio, 0.1954)
    assert.ok(office.ratio <= 0.25)
    const compared = parseJson(await runCli(['cost', '--json', '--compare'], {env}))
    assert.deepEqual(
      compared.compare.map((r: any) => [r.topology, r.schedule, r.total, r.ratio]),
      [
        ['compact', 'always', 115.07, 0.3185],
        ['compact', 'office-hours', 70.61, 0.1954],
        ['ha', 'always', 183.79, 0.5087],
        ['ha', 'office-hours', 95.17, 0.2634],
      ],
    )
    const human = await runCli(['cost', '--compare'], {env})
    assert.equal(human.code, 0, human.stderr)
    assert.match(human.stdout, /This deployment: \$115\.07 a month, 32% of MWAA mw1\.small \(\$361\.30\)\./)
    // The README states the default's ratio exactly as `cost` prints it.
    const printed = human.stdout.split('\n').find((l) => l.startsWith('This deployment: '))!
    assert.ok(readFileSync(join(repoRoot, 'README.md'), 'utf8').replace(/\s+/g, ' ').includes(printed), `README.md does not say: ${printed}`)
    assert.match(human.stdout, /compact\s+office-hours\s+\$70\.61\s+19\.5%/)
    assert.match(human.stdout, /ha\s+always\s+\$183\.79\s+50\.9%/)
  })

  it('an unknown topology, architecture or schedule: one line and what to do', async () => {
    const env = {AIRFLOW_ECS_PROJECT_DIR: mkdtempSync(join(tmpdir(), 'no-deployment-')), AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    for (const [args, pattern] of [
      [['--topology', 'tiny'], /Unknown topology "tiny" \(--topology\)\.\n→ Use "compact"/],
      [['--architecture', 'sparc'], /Unknown CPU architecture "sparc" \(--architecture\)\.\n→ Fargate runs "ARM64"/],
      [['--schedule', 'never'], /Unknown schedule "never"\.\n→ Use one of always, office-hours/],
    ] as const) {
      const r = await runCli(['cost', ...args], {env})
      assert.equal(r.code, 2, r.stderr)
      assert.match(r.stderr, pattern)
      assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr)
    }
  })

  it('another region without a table says it priced us-east-1', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-deployment-'))
    const r = await runCli(['cost', '--json', '--region', 'eu-west-3'], {env: {AIRFLOW_ECS_PROJECT_DIR: empty}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(parseJson(r).region, 'eu-west-3')
    assert.match(r.stderr, /no eu-west-3 prices: using us-east-1's/)
  })
})
