// docs/commands.md is generated from the built commands (scripts/gen-docs.mjs runs
// `oclif readme`, offline). This fails when someone changes a command without
// regenerating it: run `npm run build && npm run docs`.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {repoRoot, requireBuild} from '../harness/cli.ts'
// @ts-ignore: a plain .mjs script
import {generate} from '../../scripts/gen-docs.mjs'

describe('docs/commands.md', () => {
  it('matches what the current build generates', () => {
    requireBuild()
    const fresh: string = generate()
    const committed = readFileSync(join(repoRoot, 'docs', 'commands.md'), 'utf8')
    assert.ok(fresh === committed, 'docs/commands.md is stale: run `npm run build && npm run docs` (node scripts/gen-docs.mjs) and commit it')
  })

  it('documents every command of the build, cost and autocomplete included', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8'))
    const text: string = generate()
    for (const id of [...Object.keys(manifest.commands), 'autocomplete']) {
      assert.match(text, new RegExp(`^## \`airflow-ecs ${id.replaceAll(':', ' ')}[\` ]`, 'm'), `no section for ${id}`)
    }
    assert.match(text, /--workers-avg=<value>/)
  })

  it('--check exits non-zero on a stale copy', () => {
    const script = join(repoRoot, 'scripts', 'gen-docs.mjs')
    const ok = spawnSync(process.execPath, [script, '--check'], {cwd: repoRoot, encoding: 'utf8'})
    assert.equal(ok.status, 0, ok.stderr)
    const stale = join(mkdtempSync(join(tmpdir(), 'docs-')), 'commands.md')
    writeFileSync(stale, readFileSync(join(repoRoot, 'docs', 'commands.md'), 'utf8').replace('## `airflow-ecs cost`', '## `airflow-ecs price`'))
    const bad = spawnSync(process.execPath, [script, '--check', stale], {cwd: repoRoot, encoding: 'utf8'})
    assert.equal(bad.status, 1)
    assert.match(bad.stderr, /is stale: run `npm run build && npm run docs`/)
    const out = spawnSync(process.execPath, [script, '--stdout'], {cwd: repoRoot, encoding: 'utf8', env: {...process.env, COLUMNS: '50'}})
    assert.equal(out.stdout, readFileSync(join(repoRoot, 'docs', 'commands.md'), 'utf8'), 'the terminal width does not change the output')
  })
})
