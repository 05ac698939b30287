// A team's project (no infra-terraform/ of the package's, no build/): the image recipe comes from
// the package with the project's dags/, plugins/ and requirements.txt; a root Containerfile
// overrides it; a requirements.txt that contradicts the constraints stops before docker; `dev`
// without a Docker engine says so in one line; `eject infra` copies the module and then refuses.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'


import {parseJson, runCli} from '../harness/cli.ts'
import {type Fixture, startWithEcr} from '../harness/fixture.ts'
import {type Moto} from '../harness/moto.ts'

let moto: Moto
let fx: Fixture

before(async () => {
  // Today's default deployment (compact, ARM64), as the project `init --yes` writes (linux/arm64).
  ;({moto, fx} = await startWithEcr('compact'))
  const init = await runCli(['init', '--yes'], {env: fx.env})
  assert.equal(init.code, 0, init.stderr)
})
after(async () => {
  await moto?.stop()
})

function dockerCalls(log: string): Array<{args: string[]}> {
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []
}

describe('build in a project without its own recipe', () => {
  it("stages the package's recipe with the project's dags, plugins and requirements", async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
    writeFileSync(join(fx.projectDir, 'requirements.txt'), 'apache-airflow-providers-slack\ncelery>=5.5,<5.7\n')
    const r = await runCli(['build', '--tag', 'p1', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(parseJson(r).recipe, 'package')
    const build = dockerCalls(log).find((c) => c.args[0] === 'buildx')!
    assert.deepEqual(build.args.slice(0, 4), ['buildx', 'build', '-f', 'build/prod/Containerfile'])
    const context = join(fx.projectDir, '.airflow-ecs', 'build-context')
    for (const f of ['build/prod/Containerfile', 'build/constraints.txt', 'airflow_ecs/celery_config.py', 'pyproject.toml', 'dags/example_dag.py', 'plugins']) assert.ok(existsSync(join(context, f)), f)
    assert.match(readFileSync(join(context, 'requirements.txt'), 'utf8'), /providers-slack/)
    assert.match(r.stderr, /building with the package's Containerfile/)
  })

  it('a Containerfile at the project root replaces the packaged one', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
    writeFileSync(join(fx.projectDir, 'Containerfile'), 'FROM scratch\n')
    const r = await runCli(['build', '--tag', 'p2', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(parseJson(r).recipe, 'override')
    assert.deepEqual(dockerCalls(log).find((c) => c.args[0] === 'buildx')!.args.slice(2, 4), ['-f', 'Containerfile'])
  })

  it('refuses a requirements.txt that conflicts with the constraints, before docker runs', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
    writeFileSync(join(fx.projectDir, 'requirements.txt'), 'Celery==5.7.0\n')
    const r = await runCli(['build', '--tag', 'p3'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /requirements\.txt: "Celery==5\.7\.0" conflicts with Airflow's constraints, which pin Celery==5\.6\.3\.\n→ Use Celery==5\.6\.3, or leave it unpinned/)
    assert.deepEqual(dockerCalls(log), [], 'docker was not called')
    writeFileSync(join(fx.projectDir, 'requirements.txt'), '')
  })
})

describe('dev', () => {
  it('without a Docker engine: one line, and what to do', async () => {
    const r = await runCli(['dev', 'up'], {env: {...fx.env, FAKE_DOCKER_DAEMON: 'down'}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^Error: No Docker engine: the Docker daemon does not answer; `airflow-ecs dev` runs the local stack with docker compose\.\n→ Install and start Docker/)
    assert.equal(r.stderr.trim().split('\n').length, 2)
    const compose = readFileSync(join(fx.projectDir, '.airflow-ecs', 'dev', 'docker-compose.yml'), 'utf8')
    assert.match(compose, /\$\{AIRFLOW_ECS_DAGS_DIR\}:\/opt\/airflow\/dags/, "the project's dags/ is what the stack mounts")
  })
})

describe('eject infra', () => {
  it('copies the packaged module into a project that has none, then refuses a second time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eject-'))
    const first = await runCli(['eject', 'infra'], {env: {AIRFLOW_ECS_PROJECT_DIR: dir}})
    assert.equal(first.code, 0, first.stderr)
    for (const f of ['versions.tf', 'outputs.tf', 'modules/airflow-service/main.tf', '.gitignore']) assert.ok(existsSync(join(dir, 'infra-terraform', f)), f)
    const again = await runCli(['eject', 'infra'], {env: {AIRFLOW_ECS_PROJECT_DIR: dir}})
    assert.equal(again.code, 2)
    assert.match(again.stderr, /already has its own Terraform module/)
  })
})
