// Shell completion comes from @oclif/plugin-autocomplete (package.json oclif.plugins):
// `airflow-ecs autocomplete --refresh-cache` writes the bash/zsh/powershell functions,
// and bash really completes commands, topics and flags with them.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'

import {runCli} from '../harness/cli.ts'

const cache = mkdtempSync(join(tmpdir(), 'completion-cache-'))
const env = {XDG_CACHE_HOME: cache, HOME: mkdtempSync(join(tmpdir(), 'home-'))}
const bashFunctions = join(cache, 'airflow-ecs', 'autocomplete', 'functions', 'bash', 'airflow-ecs.bash')

function complete(...words: string[]): string[] {
  const script = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _airflow-ecs_autocomplete; printf '%s\\n' "\${COMPREPLY[@]}"`
  const r = spawnSync('bash', ['-c', script, 'complete', bashFunctions, 'airflow-ecs', ...words], {encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  // The plugin lists a topic once per subcommand (connections:check, connections:get, ...);
  // readline drops duplicate matches before showing them (rl_ignore_completion_duplicates), so
  // what the user sees is the distinct list.
  return [...new Set(r.stdout.split('\n').filter(Boolean))]
}

describe('shell completion', () => {
  before(async () => {
    const r = await runCli(['autocomplete', '--refresh-cache'], {env})
    assert.equal(r.code, 0, r.stderr)
  })

  it('prints set-up instructions for bash and zsh', async () => {
    for (const shell of ['bash', 'zsh']) {
      const r = await runCli(['autocomplete', shell], {env})
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, new RegExp(`airflow-ecs autocomplete script ${shell}`))
    }
  })

  it('writes completion functions for bash, zsh and powershell', () => {
    assert.ok(existsSync(bashFunctions))
    assert.ok(existsSync(join(cache, 'airflow-ecs', 'autocomplete', 'functions', 'zsh', '_airflow-ecs')))
    assert.ok(existsSync(join(cache, 'airflow-ecs', 'autocomplete', 'functions', 'powershell', 'airflow-ecs.ps1')))
    assert.match(readFileSync(bashFunctions, 'utf8'), /^cost .*--workers-avg/m)
  })

  it('bash completes commands, topic subcommands and flags', () => {
    assert.deepEqual(complete('co'), ['connections', 'cost'])
    assert.deepEqual(complete('cos'), ['cost'])
    assert.deepEqual(complete('connections', 'ch'), ['check'])
    assert.deepEqual(complete('cost', '--wo'), ['--workers-avg'])
    assert.deepEqual(complete('scale', 'l'), ['list'])
  })
})
