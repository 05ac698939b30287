import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {loadDeployment, resolveSettings, stateFingerprint} from '../../dist/lib/config/resolver.js'

const saved = {...process.env}
let root: string
let calls: string

/** A fake `terraform` first on PATH: counts calls and prints a fixed output. */
function fakeTerraform(value: unknown): void {
  const bin = mkdtempSync(join(tmpdir(), 'tfbin-'))
  calls = join(bin, 'calls')
  writeFileSync(join(bin, 'out.json'), JSON.stringify({airflow_ecs: {sensitive: false, value}, other: {value: 'x'}}))
  writeFileSync(join(bin, 'terraform'), `#!/bin/sh\necho "$@" >> ${calls}\ncat ${join(bin, 'out.json')}\n`)
  chmodSync(join(bin, 'terraform'), 0o755)
  process.env.PATH = `${bin}:${saved.PATH}`
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'project-'))
  mkdirSync(join(root, 'infra-terraform'))
  for (const key of Object.keys(process.env)) if (key.startsWith('AIRFLOW_ECS_') || key.startsWith('AWS_') || key === 'TF_WORKSPACE') delete process.env[key]
})
afterEach(() => {
  process.env = {...saved}
})

describe('settings precedence', () => {
  it('flags > environment > airflow-ecs.json > defaults', () => {
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify({name: 'from-file', region: 'eu-west-1', profile: 'file-profile'}))
    const nested = join(root, 'dags', 'sub')
    mkdirSync(nested, {recursive: true})
    let s = resolveSettings({}, nested)
    assert.equal(s.projectRoot, root, 'found by walking up')
    assert.deepEqual([s.project, s.region, s.profile], ['from-file', 'eu-west-1', 'file-profile'])
    assert.equal(s.sources.region, 'file')
    process.env.AWS_REGION = 'us-west-2'
    process.env.AWS_PROFILE = 'env-profile'
    process.env.AIRFLOW_ECS_PROJECT = 'from-env'
    s = resolveSettings({}, root)
    assert.deepEqual([s.project, s.region, s.profile, s.sources.region], ['from-env', 'us-west-2', 'env-profile', 'env'])
    s = resolveSettings({region: 'ap-south-1', profile: 'flag-profile'}, root)
    assert.deepEqual([s.region, s.profile, s.sources.region, s.sources.profile], ['ap-south-1', 'flag-profile', 'flag', 'flag'])
    delete process.env.AIRFLOW_ECS_PROJECT
    writeFileSync(join(root, 'airflow-ecs.json'), '{}')
    assert.equal(resolveSettings({}, root).project, 'airflow', 'built-in default')
  })

  it('refuses a broken airflow-ecs.json with what to do', () => {
    writeFileSync(join(root, 'airflow-ecs.json'), '{nope')
    assert.throws(() => resolveSettings({}, root), (e: any) => e.code === 'INVALID_INPUT' && /airflow-ecs init/.test(e.hint))
  })

  it('environment overrides the subnets and cluster from the outputs', async () => {
    fakeTerraform({project: 'p', cluster: {name: 'c'}, standalone: {subnets: ['subnet-tf'], security_groups: ['sg-tf']}})
    writeFileSync(join(root, 'infra-terraform', 'terraform.tfstate'), '{"serial":1}')
    process.env.AIRFLOW_ECS_SUBNETS = 'subnet-a, subnet-b'
    process.env.AIRFLOW_ECS_CLUSTER = 'other'
    const d = await loadDeployment(resolveSettings({}, root))
    assert.deepEqual(d.standalone.subnets, ['subnet-a', 'subnet-b'])
    assert.deepEqual(d.standalone.securityGroups, ['sg-tf'])
    assert.equal(d.cluster.name, 'other')
    assert.equal(d.project, 'p')
    assert.equal(d.components['api-server'].service, 'p-api-server', 'registry defaults fill what the output leaves out')
  })
})

describe('terraform outputs cache', () => {
  it('calls terraform once per state, and again when the state changes', async () => {
    fakeTerraform({project: 'p', region: 'eu-central-1'})
    const state = join(root, 'infra-terraform', 'terraform.tfstate')
    writeFileSync(state, '{"serial":1}')
    const settings = resolveSettings({}, root)
    assert.equal((await loadDeployment(settings)).region, 'eu-central-1')
    await loadDeployment(settings)
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 1, 'second read comes from .airflow-ecs/')
    assert.match(readFileSync(calls, 'utf8'), /-chdir=.*infra-terraform output -json/)
    const cached = JSON.parse(readFileSync(join(root, '.airflow-ecs', 'outputs.json'), 'utf8'))
    assert.deepEqual(Object.keys(cached.outputs), ['airflow_ecs'], 'only the contract is cached')
    assert.equal(readFileSync(join(root, '.airflow-ecs', '.gitignore'), 'utf8'), '*\n')
    writeFileSync(state, '{"serial":2, "more": true}')
    await loadDeployment(settings)
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2)
    await loadDeployment(settings, {refresh: true})
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 3)
  })

  it('no state: no terraform call, a NO_DEPLOYMENT error', async () => {
    fakeTerraform({})
    await assert.rejects(loadDeployment(resolveSettings({}, root)), (e: any) => e.code === 'NO_DEPLOYMENT' && /airflow-ecs deploy/.test(e.hint))
    assert.throws(() => readFileSync(calls))
  })

  it('fingerprints workspaces and remote backends', () => {
    const tf = join(root, 'infra-terraform')
    assert.equal(stateFingerprint(tf), undefined)
    mkdirSync(join(tf, '.terraform'))
    writeFileSync(join(tf, '.terraform', 'terraform.tfstate'), '{"backend":{"type":"s3"}}')
    assert.match(stateFingerprint(tf, 0)!, /^remote:default:/)
    assert.notEqual(stateFingerprint(tf, 0), stateFingerprint(tf, 10 * 60 * 1000), 'remote outputs expire')
    writeFileSync(join(tf, '.terraform', 'environment'), 'staging')
    mkdirSync(join(tf, 'terraform.tfstate.d', 'staging'), {recursive: true})
    writeFileSync(join(tf, 'terraform.tfstate.d', 'staging', 'terraform.tfstate'), '{}')
    assert.match(stateFingerprint(tf)!, /^local:staging:2:/)
  })
})
