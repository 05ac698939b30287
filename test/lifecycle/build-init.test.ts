// `build` with a fake docker first on PATH (there is no Docker engine here), `init`
// without a terminal and through a pseudo-terminal, and `doctor`.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ECRClient, PutImageCommand} from '@aws-sdk/client-ecr'

import {type CliResult, parseJson, repoRoot, runCli, testPath} from '../harness/cli.ts'
import {type Fixture, sdkConfig, startWithEcr} from '../harness/fixture.ts'
import {type Moto} from '../harness/moto.ts'

let moto: Moto
let fx: Fixture

before(async () => {
  ;({moto, fx} = await startWithEcr())
})
after(async () => {
  await moto?.stop()
})

function dockerLog(): {log: string; calls: () => Array<{args: string[]; stdin: string}>} {
  const log = join(mkdtempSync(join(tmpdir(), 'docker-')), 'docker.log')
  return {log, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [])}
}

describe('build', () => {
  it('logs in through stdin, builds for the platform(s) with the tag, pushes with the registry cache', async () => {
    const {log, calls} = dockerLog()
    // The fixture deployment runs X86_64; a multi-arch image includes it.
    const r = await runCli(['build', '--tag', 'v1', '--platform', 'linux/arm64,linux/amd64', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r)
    assert.equal(out.image, '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow:v1')
    const [login, build] = calls()
    assert.deepEqual(login.args, ['login', '--username', 'AWS', '--password-stdin', '123456789012.dkr.ecr.us-east-1.amazonaws.com'])
    assert.ok(login.stdin.length > 0, 'the password came on stdin')
    for (const call of calls()) assert.ok(!call.args.some((a) => a.includes(login.stdin)), 'the password is never in argv')
    assert.ok(!r.stdout.includes(login.stdin) && !r.stderr.includes(login.stdin), 'nor in the output')
    assert.deepEqual(build.args.slice(0, 8), ['buildx', 'build', '-f', 'build/prod/Containerfile', '--platform', 'linux/arm64,linux/amd64', '-t', out.image])
    assert.equal(out.platform, 'linux/arm64,linux/amd64')
    assert.ok(build.args.includes('--push'))
    assert.ok(build.args.join(' ').includes('--cache-to type=inline'), 'the image carries its build cache')
    assert.deepEqual(build.args.slice(-1), ['.'])
  })

  it("follows the deployment's architecture, and refuses an image that would not run on it", async () => {
    const {log, calls} = dockerLog()
    const r = await runCli(['build', '--tag', 'arch-1', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 0, r.stderr)
    assert.equal(parseJson(r).platform, 'linux/amd64', 'the fixture deployment runs X86_64 tasks')
    const wrong = await runCli(['build', '--tag', 'arch-2', '--platform', 'linux/arm64'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(wrong.code, 2, wrong.stderr)
    assert.match(wrong.stderr, /^Error: An image for linux\/arm64 would not start on this deployment's X86_64 tasks\.\n→ Build for linux\/amd64/)
    const local = await runCli(['build', '--tag', 'arch-3', '--no-push', '--platform', 'linux/arm64,linux/amd64'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(local.code, 2, local.stderr)
    assert.match(local.stderr, /multi-arch image cannot be loaded into the local docker/)
    const bad = await runCli(['build', '--platform', 'linux/sparc'], {env: {...fx.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}})
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /Invalid platform "linux\/sparc" in --platform\.\n→ Fargate runs linux\/arm64/)
    assert.equal(calls().filter((c) => c.args[0] === 'buildx').length, 1, 'only the first one built')
  })

  it('refuses a tag that exists (immutable), naming it', async () => {
    await new ECRClient(sdkConfig(moto)).send(
      new PutImageCommand({repositoryName: 'airflow', imageTag: 'v2', imageManifest: JSON.stringify({schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: {digest: 'sha256:' + 'a'.repeat(64), size: 1, mediaType: 'application/vnd.docker.container.image.v1+json'}, layers: []})}),
    )
    const {log, calls} = dockerLog()
    const r = await runCli(['build', '--tag', 'v2'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /The tag v2 already exists in airflow, and tags are immutable/)
    assert.deepEqual(calls(), [], 'docker was not called')
  })

  it('tags with the git commit by default, -dirty when the tree has changes', async () => {
    // Outside a git repository: say so, with the way out.
    const outside = await runCli(['build', '--no-push'], {env: fx.env})
    assert.equal(outside.code, 1)
    assert.match(outside.stderr, /git rev-parse failed[\s\S]*--tag/)
    // The fixture project as a git repository.
    const git = (...args: string[]) => spawnSync('git', ['-C', fx.projectDir, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {encoding: 'utf8'})
    writeFileSync(join(fx.projectDir, '.gitignore'), '.terraform/\n*.tfstate*\n.airflow-ecs/\n')
    writeFileSync(join(fx.projectDir, 'airflow-ecs.json'), '{}\n')
    git('init', '-q')
    git('add', '-A')
    git('commit', '-qm', 'init')
    const sha = git('rev-parse', '--short=12', 'HEAD').stdout.trim()
    assert.match(sha, /^[0-9a-f]{12}$/)
    const {log, calls} = dockerLog()
    const clean = await runCli(['build', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(clean.code, 0, clean.stderr)
    assert.equal(parseJson(clean).tag, sha)
    assert.ok(calls().some((c) => c.args.includes(`123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow:${sha}`)))
    writeFileSync(join(fx.projectDir, 'airflow-ecs.json'), '{"platform": "linux/amd64"}\n')
    const dirty = await runCli(['build', '--no-push', '--json'], {env: {...fx.env, FAKE_DOCKER_LOG: log}})
    assert.equal(dirty.code, 0, dirty.stderr)
    assert.equal(parseJson(dirty).tag, `${sha}-dirty`)
    const noPush = calls().at(-1)!
    assert.ok(noPush.args.includes('--load') && !noPush.args.includes('--push'), '--no-push loads locally')
    assert.ok(!calls().slice(-1).some((c) => c.args[0] === 'login'), 'no login without a push')
  })

  it('says clearly when docker is missing or its daemon is down', async () => {
    const noDocker = await runCli(['build', '--tag', 'v3'], {env: {...fx.env, PATH: `${process.execPath.replace(/\/node$/, '')}`}})
    assert.equal(noDocker.code, 1)
    assert.match(noDocker.stderr, /docker is not installed or not on PATH/)
    const down = await runCli(['build', '--tag', 'v3'], {env: {...fx.env, FAKE_DOCKER_DAEMON: 'down'}})
    assert.equal(down.code, 1)
    assert.match(down.stderr, /docker login failed \(exit 1\): the Docker daemon is not running\. Full output: \S+\.log\n→ Start Docker/)
    assert.equal(down.stderr.trim().split('\n').length, 2, 'one line of what happened, one of what to do')
    const noBuildx = await runCli(['build', '--tag', 'v4'], {env: {...fx.env, FAKE_DOCKER_BUILDX: 'missing'}})
    assert.equal(noBuildx.code, 1)
    assert.match(noBuildx.stderr, /docker buildx build failed \(exit 1\): docker buildx is not installed\. Full output: \S+\.log\n→ Install the buildx plugin/)
  })

  it('refuses a malformed tag before any call', async () => {
    const r = await runCli(['build', '--tag', 'bad tag!'], {env: {...fx.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Invalid image tag/)
  })
})

describe('init', () => {
  it('without a terminal: defaults, no prompt, no hang; idempotent; no secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-'))
    const env = {AIRFLOW_ECS_PROJECT_DIR: dir, AWS_REGION: 'eu-west-1'}
    const r = await runCli(['init'], {env, timeoutMs: 15_000})
    assert.equal(r.code, 0, r.stderr)
    const file = JSON.parse(readFileSync(join(dir, 'airflow-ecs.json'), 'utf8'))
    // The project is named after its folder, like the other tools do.
    assert.deepEqual(file, {name: basename(dir).toLowerCase(), region: 'eu-west-1', allowedCidrs: [], workers: {min: 0, max: 10}, platform: 'linux/arm64'})
    assert.match(r.stdout, /closed to everyone/)
    writeFileSync(join(dir, 'airflow-ecs.json'), JSON.stringify({...file, terraformVars: {db_multi_az: true}}))
    const again = await runCli(['init', '--allowed-cidr', '203.0.113.7/32', '--yes'], {env})
    assert.equal(again.code, 0, again.stderr)
    const updated = JSON.parse(readFileSync(join(dir, 'airflow-ecs.json'), 'utf8'))
    assert.deepEqual(updated.allowedCidrs, ['203.0.113.7/32'])
    assert.deepEqual(updated.terraformVars, {db_multi_az: true}, 'keeps what it does not manage')
    assert.ok(!/password|secret|token/i.test(readFileSync(join(dir, 'airflow-ecs.json'), 'utf8')))
  })

  it('refuses bad values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-'))
    const bad = await runCli(['init', '--allowed-cidr', '0.0.0.0/0', '--yes'], {env: {AIRFLOW_ECS_PROJECT_DIR: dir}})
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /opens the UI to the whole internet/)
    const name = await runCli(['init', '--name', 'Bad_Name', '--yes'], {env: {AIRFLOW_ECS_PROJECT_DIR: dir}})
    assert.equal(name.code, 2)
    assert.ok(!existsSync(join(dir, 'airflow-ecs.json')))
  })

  it('on a terminal: asks, with defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-'))
    const script = [
      ['Project name', 'analytics\r'],
      ['AWS region', '\r'],
      ['Who may open the web UI', '198.51.100.0/24\r'],
      ['Fewest workers', '\r'],
      ['Most workers', '\u0015' + '4\r'],
      ['Image platform', '\r'],
    ]
    const r = spawnSync('python3', [join(repoRoot, 'test/harness/pty_run.py'), JSON.stringify(script), '--', process.execPath, join(repoRoot, 'bin/run.js'), 'init'], {
      env: {...process.env, PATH: testPath(), AIRFLOW_ECS_PROJECT_DIR: dir, AWS_REGION: 'us-west-2', NO_COLOR: '1'},
      encoding: 'utf8',
      timeout: 60_000,
    })
    assert.equal(r.status, 0, r.stdout)
    const file = JSON.parse(readFileSync(join(dir, 'airflow-ecs.json'), 'utf8'))
    assert.deepEqual(file, {name: 'analytics', region: 'us-west-2', allowedCidrs: ['198.51.100.0/24'], workers: {min: 0, max: 4}, platform: 'linux/arm64'})
  })
})

describe('deploy fails early, naming the step and the fix', () => {
  it('refuses a malformed --image before anything runs', async () => {
    const r = await runCli(['deploy', '--yes', '--image', 'not an image'], {env: fx.env})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /Invalid image reference/)
  })

  it('stops at preflight when terraform is missing', async () => {
    const r = await runCli(['deploy', '--yes', '--image', 'registry.example.com/airflow:1'], {env: {...fx.env, PATH: process.execPath.replace(/\/node$/, '')}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /start preflight[\s\S]*fail terraform: not found/)
    assert.match(r.stderr, /Error: preflight: terraform: not found\.\n→ Install Terraform >= 1\.10/)
  })
})

describe('doctor', () => {
  it('one line per check with --json, failing when a tool is missing', async () => {
    const r = await runCli(['doctor', '--json'], {env: fx.env})
    const out = parseJson(r)
    const byName = Object.fromEntries(out.checks.map((c: any) => [c.name, c]))
    assert.equal(byName.node.status, 'ok')
    assert.equal(byName.docker.status, 'ok', 'the fake docker answers')
    assert.equal(byName['session-manager-plugin'].status, 'ok')
    assert.equal(byName['aws credentials'].status, 'ok')
    assert.match(byName['aws credentials'].detail, /123456789012/)
    assert.equal(byName['terraform state'].status, 'ok')
    assert.equal(r.code, out.ok ? 0 : 1)
    const bare = await runCli(['doctor'], {env: {...fx.env, PATH: process.execPath.replace(/\/node$/, '')}})
    assert.equal(bare.code, 1)
    assert.match(bare.stdout, /fail\s+terraform\s+not found\n\s+→ Install Terraform/)
    assert.match(bare.stdout, /warn\s+session-manager-plugin/)
  })
})
