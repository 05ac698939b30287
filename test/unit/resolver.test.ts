import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, it} from 'node:test'

import {loadDeployment, resolveSettings, stateFingerprint, stateWhere} from '../../dist/lib/config/resolver.js'
import {writeProjectSetting} from '../../dist/lib/project/settings.js'

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

  it('no local state with "state": "local": no terraform call, a NO_DEPLOYMENT error', async () => {
    fakeTerraform({})
    await assert.rejects(loadDeployment(resolveSettings({'local-state': true}, root)), (e: any) => e.code === 'NO_DEPLOYMENT' && /airflow-ecs deploy/.test(e.hint))
    assert.throws(() => readFileSync(calls))
  })

  it("fingerprints workspaces; a local state is read locally until it is moved, a backend of the module's own through terraform", async () => {
    const tf = join(root, 'infra-terraform')
    assert.equal(stateFingerprint(tf), undefined)
    assert.equal(stateWhere(resolveSettings({}, root)), 's3', 'no local state: the state bucket')
    writeFileSync(join(tf, 'terraform.tfstate'), '{"serial":1}')
    assert.equal(stateWhere(resolveSettings({}, root)), 'local', 'a local state not moved yet')
    writeFileSync(join(tf, 'backend.tf'), 'terraform {\n  backend "gcs" {}\n}\n')
    assert.equal(stateWhere(resolveSettings({}, root)), 'custom')
    // A backend of the module's own has no version the CLI reads: terraform output every time.
    mkdirSync(join(tf, '.terraform'))
    fakeTerraform({project: 'x'})
    const settings = resolveSettings({}, root)
    await loadDeployment(settings)
    await loadDeployment(settings)
    assert.equal(readFileSync(calls, 'utf8').trim().split('\n').length, 2)
    writeFileSync(join(tf, '.terraform', 'environment'), 'staging')
    mkdirSync(join(tf, 'terraform.tfstate.d', 'staging'), {recursive: true})
    writeFileSync(join(tf, 'terraform.tfstate.d', 'staging', 'terraform.tfstate'), '{}')
    assert.match(stateFingerprint(tf)!, /^local:staging:2:/)
  })
})

describe('environments', () => {
  const file = {
    name: 'team',
    region: 'us-east-1',
    workers: {min: 1, max: 4},
    terraformVars: {db_multi_az: false, db_instance_class: 'db.t4g.micro'},
    state: {bucket: 'team-tf-state', key: 'team/terraform.tfstate'},
    environments: {staging: {}, prod: {region: 'eu-west-1', workers: {max: 20}, terraformVars: {db_multi_az: true}}, named: {name: 'analytics'}},
  }

  it('an entry overrides the top level; objects merge one level; each has its own name, state key and folder', () => {
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify(file))
    const top = resolveSettings({}, root)
    assert.equal(top.env, undefined)
    assert.deepEqual(top.environments, ['staging', 'prod', 'named'])
    assert.deepEqual(top.state, {backend: 's3', bucket: 'team-tf-state', key: 'team/terraform.tfstate', region: undefined, source: 'file'})
    assert.equal(top.terraformDir, join(root, 'infra-terraform'))
    const prod = resolveSettings({env: 'prod'}, root)
    assert.equal(prod.project, 'team-prod')
    assert.equal(prod.region, 'eu-west-1')
    assert.deepEqual(prod.file.workers, {min: 1, max: 20})
    assert.deepEqual(prod.file.terraformVars, {db_multi_az: true, db_instance_class: 'db.t4g.micro'})
    assert.equal(prod.file.environments, undefined)
    // The bucket is shared, the key is the environment's own.
    assert.deepEqual(prod.state, {backend: 's3', bucket: 'team-tf-state', key: 'team-prod/terraform.tfstate', region: undefined, source: 'file'})
    assert.equal(prod.cacheDir, join(root, '.airflow-ecs', 'env', 'prod'))
    assert.equal(prod.terraformDir, join(root, '.airflow-ecs', 'env', 'prod', 'terraform'), 'its own copy of the module')
    assert.equal(prod.ownModuleDir, join(root, 'infra-terraform'))
    assert.equal(resolveSettings({env: 'named'}, root).project, 'analytics')
    process.env.AIRFLOW_ECS_ENV = 'staging'
    assert.equal(resolveSettings({}, root).project, 'team-staging')
    assert.equal(resolveSettings({env: null}, root).project, 'team', 'null: the default environment whatever AIRFLOW_ECS_ENV says')
    assert.equal(resolveSettings({'local-state': true, env: 'prod'}, root).state.backend, 'local')
  })

  it('AIRFLOW_ECS_PROJECT stands in for the top-level name: environments still get their own', () => {
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify(file))
    process.env.AIRFLOW_ECS_PROJECT = 'ci'
    try {
      const [top, staging, prod, named] = [null, 'staging', 'prod', 'named'].map((env) => resolveSettings({env}, root))
      assert.deepEqual([top.project, staging.project, prod.project, named.project], ['ci', 'ci-staging', 'ci-prod', 'analytics'])
      assert.equal(prod.state.key, 'ci-prod/terraform.tfstate', 'never the state of another environment')
      assert.deepEqual([top.sources.project, prod.sources.project, named.sources.project], ['env', 'env', 'file'])
      process.env.AIRFLOW_ECS_PROJECT = 'Bad Name'
      assert.throws(() => resolveSettings({env: 'prod'}, root), (e: any) => e.code === 'INVALID_INPUT' && /Invalid project name "Bad Name" in AIRFLOW_ECS_PROJECT/.test(e.message))
      process.env.AIRFLOW_ECS_PROJECT = 'a-very-long-team-name'
      assert.throws(() => resolveSettings({env: 'staging'}, root), (e: any) => /"a-very-long-team-name-staging", is not a valid name/.test(e.message) && /AIRFLOW_ECS_PROJECT/.test(e.hint))
    } finally {
      delete process.env.AIRFLOW_ECS_PROJECT
    }
  })

  it('refuses an unknown environment, listing the known ones, and a bad name', () => {
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify(file))
    assert.throws(() => resolveSettings({env: 'qa'}, root), (e: any) => e.code === 'INVALID_INPUT' && /Unknown environment "qa".*staging, prod, named/.test(e.message) && /--env staging/.test(e.hint))
    assert.throws(() => resolveSettings({env: 'Prod!'}, root), (e: any) => e.code === 'INVALID_INPUT' && /Invalid environment name/.test(e.message))
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify({name: 'team'}))
    assert.throws(() => resolveSettings({env: 'qa'}, root), (e: any) => /defines no "environments"/.test(e.message))
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify({name: 'a-very-long-team-name', environments: {production: {}}}))
    assert.throws(() => resolveSettings({env: 'production'}, root), (e: any) => /environment "production".*"a-very-long-team-name-production", is not a valid name/.test(e.message))
  })

  it("upgrade's airflowVersion goes into the environment's entry, leaving the others alone", () => {
    writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify(file))
    writeProjectSetting({projectRoot: root, env: 'staging'}, 'airflowVersion', '3.3.2')
    const written = JSON.parse(readFileSync(join(root, 'airflow-ecs.json'), 'utf8'))
    assert.deepEqual(written.environments.staging, {airflowVersion: '3.3.2'})
    assert.equal(written.airflowVersion, undefined)
    assert.equal(resolveSettings({env: 'staging'}, root).file.airflowVersion, '3.3.2')
    assert.equal(resolveSettings({env: 'prod'}, root).file.airflowVersion, undefined)
    writeProjectSetting({projectRoot: root}, 'airflowVersion', '3.3.1')
    assert.equal(resolveSettings({env: 'prod'}, root).file.airflowVersion, '3.3.1', 'the top level is inherited')
    assert.equal(resolveSettings({env: 'staging'}, root).file.airflowVersion, '3.3.2', 'the entry wins')
  })

  it('checks each entry like the top level, and the state setting', () => {
    const bad = [
      [{environments: {staging: {workers: {min: -1}}}}, /"workers.min" in .*environments.staging/],
      [{environments: {Staging: {}}}, /names "Staging", not an environment name/],
      [{environments: {staging: {environments: {}}}}, /do not nest/],
      [{environments: []}, /"environments" in .* must be an object/],
      [{state: 'remote'}, /"state" in .* must be "local" or an object/],
      [{state: {bucket: 'ok-bucket', table: 'locks'}}, /has "table"/],
      [{state: {key: '/abs'}}, /"state.key" .* not an S3 object key/],
      [{state: {region: 'mars'}}, /Invalid region "mars"/],
      // Each level is fine alone; together they set the same variable twice.
      [{workers: {min: 1}, environments: {prod: {terraformVars: {max_workers: 20}}}}, /sets max_workers and "workers" in .*environments.prod over the top level/],
    ] as const
    for (const [content, message] of bad) {
      writeFileSync(join(root, 'airflow-ecs.json'), JSON.stringify(content))
      assert.throws(() => resolveSettings({}, root), (e: any) => e.code === 'INVALID_INPUT' && message.test(e.message), JSON.stringify(content))
    }
  })
})
