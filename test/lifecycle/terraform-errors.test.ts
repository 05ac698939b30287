// A failed terraform run, as `deploy` reports it: one line with Terraform's FIRST Error
// diagnostic (its summary, the resource address or the file and line, the start of the
// detail), never the trailing "terraform providers." of its help text; the whole output in
// a log file under .airflow-ecs/logs/ (mode 0600) whose path the message gives.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type CliResult, parseJson, runCli} from '../harness/cli.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:prebuilt-1'
let moto: Moto

before(async () => {
  moto = await startMoto()
})
after(async () => {
  await moto?.stop()
})

function deploy(projectDir: string, extra: Record<string, string> = {}, json = false): Promise<CliResult> {
  const env = {...moto.env, ...terraformEnv(), AIRFLOW_ECS_PROJECT_DIR: projectDir, ...extra}
  return runCli(['deploy', '--yes', '--image', IMAGE, ...(json ? ['--json'] : [])], {env, timeoutMs: 300_000})
}

/** The error line (the last two lines of stderr are the error and its hint) and the log file it names. */
function failure(r: CliResult, projectDir: string, json = false): {line: string; hint: string; log: string; logText: string} {
  assert.equal(r.code, 1, r.stderr.slice(-3000))
  let line: string
  let hint: string
  if (json) {
    const {error} = parseJson(r)
    assert.equal(error.code, 'PROCESS_FAILED')
    line = `Error: ${error.message}`
    hint = error.hint
  } else {
    const lines = r.stderr.trimEnd().split('\n')
    line = lines.at(-2)!
    assert.match(line, /^Error: /, r.stderr.slice(-3000))
    hint = lines.at(-1)!.replace(/^→ /, '')
  }
  assert.ok(hint && !hint.includes('\n'), 'one line of what to do')
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace')
  const log = /Full output: (\S+)$/.exec(line)?.[1]
  assert.ok(log, `the message gives the log file: ${line}`)
  assert.ok(log.startsWith(join(projectDir, '.airflow-ecs', 'logs') + '/'), `the log is in the project's cache dir: ${log}`)
  assert.equal(statSync(log).mode & 0o777, 0o600, 'only its owner reads the log')
  return {line, hint, log, logText: readFileSync(log, 'utf8')}
}

describe('terraform failures name the first Error', {timeout: 600_000}, () => {
  it('init with an unreachable provider registry', async () => {
    const {projectDir} = copyInfra()
    // Only the registry as a source, through a proxy that refuses every connection: nothing leaves the machine.
    const rc = join(mkdtempSync(join(tmpdir(), 'tfrc-')), 'terraformrc')
    writeFileSync(rc, 'provider_installation {\n  direct {}\n}\n')
    const r = await deploy(projectDir, {TF_CLI_CONFIG_FILE: rc, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost'})
    const {line, logText} = failure(r, projectDir)
    assert.match(line, /^Error: terraform init failed \(exit 1\): Failed to query available provider packages: Could not retrieve the list of available versions for provider hashicorp\/aws: could not connect to registry\.terraform\.io/)
    assert.doesNotMatch(line, /terraform providers/, 'not the trailing help text')
    assert.match(logText, /Initializing provider plugins/)
    assert.match(logText, /To see which modules are currently depending on hashicorp\/aws[\s\S]*terraform providers/, 'the log holds the whole output')
  })

  it('init with a broken .tf file: the error under the "problems during initialisation" announcement, with file and line', async () => {
    const {projectDir, terraformDir} = copyInfra()
    writeFileSync(join(terraformDir, 'broken.tf'), 'resource "aws_s3_bucket" "extra" {\n  bucket = \n}\n')
    const r = await deploy(projectDir)
    const {line, hint, logText} = failure(r, projectDir)
    assert.equal(hint, `Fix broken.tf, line 2 in ${terraformDir}, then run the same command again.`)
    assert.match(line, /^Error: terraform init failed \(exit 1\): Invalid expression \(broken\.tf line 2\): Expected the start of an expression/)
    assert.match(logText, /Terraform encountered problems during initiali[sz]ation/)
  })

  it('a bad setting: the resource address of the first Error, in the --json error too', async () => {
    const {projectDir} = copyInfra()
    writeFileSync(join(projectDir, 'airflow-ecs.json'), JSON.stringify({terraformVars: {log_retention_days: 13}}))
    const r = await deploy(projectDir, {}, true)
    const {line, logText} = failure(r, projectDir, true)
    assert.match(line, /^Error: terraform (plan|apply)[^:]* failed \(exit 1\): expected retention_in_days to be one of \[[\d ]+\], got 13 \(with [\w.[\]"-]*aws_cloudwatch_log_group\.[\w[\]"-]+\)\./)
    assert.match(logText, /Error: expected retention_in_days/)
  })
})
