// What a new user does: the package as npm ships it (`npm pack`), installed into a temporary
// global prefix, run in an empty folder outside the repository: init, deploy against moto with a
// prebuilt image, url, status, logs, destroy. The project gets no Terraform and no Containerfile,
// its state lives in .airflow-ecs/terraform/, and the installed package folder is byte-for-byte
// the same afterwards (no state, no .terraform, no cache written into it).
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, relative} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type CliResult, fakeBin, parseJson, repoRoot, requireBuild} from '../harness/cli.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'

const PROJECT = 'pkguser'
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:prebuilt-1`

let moto: Moto
let env: Record<string, string>
let prefix: string
let packageDir: string
let projectDir: string
let packedFiles: string[]
let hashesBefore: Map<string, string>

/** Every file under dir, with its content hash and mode (symlinks by target). */
function hashTree(dir: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name)
      const s = statSync(full, {throwIfNoEntry: false})
      if (!s) continue
      if (s.isDirectory()) walk(full)
      else out.set(relative(dir, full), `${s.mode.toString(8)}:${createHash('sha256').update(readFileSync(full)).digest('hex')}`)
    }
  }
  walk(dir)
  return out
}

/** The installed `airflow-ecs` on PATH, run in the project folder as a user types it there. */
function cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(prefix, 'bin', 'airflow-ecs'), args, {
      cwd: projectDir,
      env: {
        ...process.env,
        ...env,
        NO_COLOR: '1',
        PATH: [join(prefix, 'bin'), fakeBin, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
        AIRFLOW_ECS_POLL_INTERVAL_MS: '150',
        AIRFLOW_ECS_FOLLOW_INTERVAL_MS: '300',
      },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.stdin.end()
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`airflow-ecs ${args.join(' ')} timed out\n${stderr.slice(-3000)}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code, stdout, stderr})
    })
  })
}

describe('installed from npm, in an empty folder', {timeout: 900_000}, () => {
  before(async () => {
    requireBuild()
    const work = mkdtempSync(join(tmpdir(), 'airflow-ecs-npm-'))
    const npm = (args: string[], cwd: string) => {
      const r = spawnSync('npm', args, {cwd, encoding: 'utf8', env: {...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`}})
      assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`)
      return r.stdout
    }
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], repoRoot)) as Array<{filename: string; files: Array<{path: string}>}>
    packedFiles = packed[0].files.map((f) => f.path)
    prefix = join(work, 'prefix')
    npm(['install', '-g', join(work, packed[0].filename), '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline'], work)
    packageDir = join(prefix, 'lib', 'node_modules', 'airflow-ecs')
    hashesBefore = hashTree(packageDir)
    moto = await startMoto()
    env = {...moto.env, ...terraformEnv()}
    projectDir = join(mkdtempSync(join(tmpdir(), 'airflow-ecs-new-user-')), PROJECT)
    mkdirSync(projectDir)
  })
  after(async () => {
    await moto?.stop()
  })

  it('the tarball ships the module, the image recipe, the local stack and the template, and no tests', () => {
    for (const f of [
      'infra-terraform/versions.tf',
      'infra-terraform/outputs.tf',
      'infra-terraform/modules/airflow-service/main.tf',
      'build/prod/Containerfile',
      'build/requirements.txt',
      'build/constraints.txt',
      'airflow_ecs/celery_config.py',
      'pyproject.toml',
      'docker-compose.yml',
      'build/dev/Containerfile',
      'templates/project/dags/example_dag.py',
      'oclif.manifest.json',
    ]) {
      assert.ok(packedFiles.includes(f), `the package has ${f}`)
    }
    assert.deepEqual(packedFiles.filter((f) => f.startsWith('test/') || f.includes('tfstate') || f.includes('.terraform/')), [])
  })

  it('init scaffolds the project, and keeps what is there when run again', async () => {
    const r = await cli(['init', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(readFileSync(join(projectDir, 'airflow-ecs.json'), 'utf8')).name, PROJECT)
    for (const f of ['dags/example_dag.py', 'plugins', 'requirements.txt', '.airflowignore', '.gitignore']) assert.ok(existsSync(join(projectDir, f)), f)
    assert.match(readFileSync(join(projectDir, '.gitignore'), 'utf8'), /^\.airflow-ecs\/$/m)
    assert.ok(!existsSync(join(projectDir, 'infra-terraform')) && !existsSync(join(projectDir, 'Containerfile')), 'no Terraform, no Containerfile in the project')
    const again = await cli(['init', '--yes'])
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /Kept what was there: dags\/, plugins\/, requirements\.txt, \.airflowignore, \.gitignore/)
  })

  it('deploy runs the packaged module from .airflow-ecs/terraform/', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.project, PROJECT)
    assert.ok(out.plan.add > 50, `planned ${out.plan.add} resources`)
    assert.match(r.stderr, /the packaged module in .*\.airflow-ecs\/terraform \(created\)/)
    const tf = join(projectDir, '.airflow-ecs', 'terraform')
    // The state is in the account's state bucket (so any clean checkout finds it), not in the folder.
    assert.equal(out.state.location, `s3://airflow-ecs-state-123456789012-us-east-1/${PROJECT}/terraform.tfstate`)
    assert.ok(!existsSync(join(tf, 'terraform.tfstate')), 'no local state')
    assert.match(readFileSync(join(tf, 'airflow-ecs.backend.tf'), 'utf8'), /backend "s3"/)
    assert.ok(existsSync(join(tf, '.terraform')), '.terraform is in the project')
    assert.equal(JSON.parse(readFileSync(join(tf, 'airflow-ecs.auto.tfvars.json'), 'utf8')).image, IMAGE)
  })

  it('url, status --json and logs read the deployment', async () => {
    const url = await cli(['url'])
    assert.equal(url.code, 0, url.stderr)
    assert.match(url.stdout, /^https?:\/\/\S+/)
    const status = await cli(['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    const s = parseJson(status)
    assert.equal(s.project, PROJECT)
    assert.deepEqual(s.infra, {
      source: 'package',
      terraformDir: join(projectDir, '.airflow-ecs', 'terraform'),
      state: `s3://airflow-ecs-state-123456789012-us-east-1/${PROJECT}/terraform.tfstate`,
    })
    const logs = await cli(['logs', 'scheduler'])
    assert.equal(logs.code, 0, logs.stderr)
  })

  it('destroy removes it all', async () => {
    const r = await cli(['destroy', '--yes'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.match(r.stdout, new RegExp(`Destroyed ${PROJECT}`))
  })

  it('the installed package folder is byte-for-byte unchanged', () => {
    const after = hashTree(packageDir)
    const changed = [...new Set([...hashesBefore.keys(), ...after.keys()])].filter((f) => hashesBefore.get(f) !== after.get(f))
    assert.deepEqual(changed, [], 'files written, changed or removed in the package folder')
  })
})
