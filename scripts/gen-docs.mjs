#!/usr/bin/env node
// The command reference, docs/commands.md, generated from the built commands with
// `oclif readme` (no network). Run after `npm run build`:
//   node scripts/gen-docs.mjs           write docs/commands.md
//   node scripts/gen-docs.mjs --check   exit 1 when docs/commands.md (or the file given after --check) is stale
//   node scripts/gen-docs.mjs --stdout  print what it would write
// The reference is rendered into a temporary copy of the template, so a failed run never
// leaves docs/commands.md half-written. Help is wrapped at 120 columns whatever the
// terminal, so the output is the same on every machine.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const target = join(root, 'docs', 'commands.md')

const TEMPLATE = `# Command reference

Generated from the commands by \`npm run docs\` (\`scripts/gen-docs.mjs\`, which runs \`oclif readme\`
on the build). Do not edit by hand: \`test/cost/docs.test.ts\` fails when this file is stale.

<!-- commands -->
<!-- commandsstop -->
`

export function generate() {
  if (!existsSync(join(root, 'dist', 'commands')) || !existsSync(join(root, 'oclif.manifest.json'))) {
    throw new Error('The CLI is not built: run `npm run build` first (dist/ or oclif.manifest.json is missing).')
  }
  const require = createRequire(join(root, 'package.json'))
  const oclifBin = join(dirname(require.resolve('oclif/package.json')), 'bin', 'run.js')
  const dir = mkdtempSync(join(tmpdir(), 'airflow-ecs-docs-'))
  try {
    const file = join(dir, 'commands.md')
    writeFileSync(file, TEMPLATE)
    const result = spawnSync(process.execPath, [oclifBin, 'readme', '--readme-path', file, '--no-aliases', '--plugin-directory', root], {
      cwd: root,
      encoding: 'utf8',
      env: {...process.env, COLUMNS: '120', OCLIF_COLUMNS: '120', NO_COLOR: '1'},
    })
    if (result.error || result.status !== 0) {
      throw new Error(`oclif readme failed: ${result.error?.message ?? result.stderr.trim()}`)
    }
    const text = readFileSync(file, 'utf8')
    if (!text.includes('<!-- commandsstop -->') || text === TEMPLATE) throw new Error('oclif readme did not fill in the commands.')
    return text.replace(/[ \t]+$/gm, '')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const mode = process.argv[2]
  try {
    const text = generate()
    if (mode === '--stdout') process.stdout.write(text)
    else if (mode === '--check') {
      const file = process.argv[3] ?? target
      const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
      if (current !== text) {
        console.error(`${file === target ? 'docs/commands.md' : file} is stale: run \`npm run build && npm run docs\` and commit it.`)
        process.exit(1)
      }
      console.log('docs/commands.md is up to date.')
    } else {
      writeFileSync(target, text)
      console.log(`Wrote ${target}.`)
    }
  } catch (error) {
    console.error(error.message)
    process.exit(1)
  }
}
