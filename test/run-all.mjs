#!/usr/bin/env node
// `npm test`: the tests' Python virtualenv (created once, cached), then every Node test file
// (unit, end-to-end against moto, Terraform on moto, real Airflow on the local ECS agent),
// then the Python tests. Fails when either fails, or when a runner finds no tests.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

import {ensureVenv} from './harness/pyenv.mjs'

const root = new URL('..', import.meta.url).pathname
const [major] = process.versions.node.split('.').map(Number)
if (major < 22) {
  console.error(`Node ${process.versions.node} is too old: the tests need Node >= 22 (24 recommended).`)
  process.exit(1)
}
if (!existsSync(join(root, 'dist', 'commands')) || !existsSync(join(root, 'oclif.manifest.json'))) {
  console.error('The CLI is not built: run `npm run build` first.')
  process.exit(1)
}

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'python' || name === 'harness' ? [] : testFiles(path)
    return name.endsWith('.test.ts') ? [relative(root, path)] : []
  })
}

// The tests' Python (moto, pytest, Airflow and the image's packages) before any test runs:
// created once and cached; a missing Python, venv or package fails here in one line.
let venv
try {
  venv = ensureVenv()
} catch (error) {
  console.error(`npm test: ${error.message}`)
  process.exit(1)
}
process.env.AIRFLOW_ECS_TEST_VENV = venv
console.log(`Python test environment: ${venv}`)

const only = process.argv.slice(2)
// The longest files first (measured on the 2-core machine), so no long one starts last and runs alone.
const LONGEST = [
  'test/lifecycle/deploy.test.ts',
  'test/lifecycle/environments.test.ts',
  'test/airflow/airflow.test.ts',
  'test/package/npm-install.test.ts',
  'test/infra/infra.test.ts',
  'test/lifecycle/first-deploy.test.ts',
  'test/lifecycle/rollout-failure.test.ts',
]
const rank = (file) => (LONGEST.includes(file) ? LONGEST.indexOf(file) : LONGEST.length)
const files = only.length > 0 ? only : testFiles(join(root, 'test')).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
if (files.length === 0) {
  console.error('No test files found under test/.')
  process.exit(1)
}
// Three files at once on two cores: the heavy files spend much of their time waiting (the AWS
// provider's fixed RDS waits of 60-80 s, rollouts, Airflow start-up), not computing. On the
// 2-core machine the whole run went from 17 to 12 minutes; TEST_CONCURRENCY overrides.
const concurrency = process.env.TEST_CONCURRENCY ?? '3'
console.log(`node --test: ${files.length} files, concurrency ${concurrency}`)
const node = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {cwd: root, stdio: 'inherit'})

let python = {status: 0}
if (only.length === 0) {
  console.log('\npytest: test/python')
  python = spawnSync(join(venv, 'bin', 'python'), ['-m', 'pytest', '-q'], {cwd: root, stdio: 'inherit'})
  if (python.error) console.error(`the tests' virtualenv has no working python: ${python.error.message}`)
  if (python.status === 5) console.error('pytest collected no tests: that is a failure here.')
}
process.exit(node.status === 0 && python.status === 0 ? 0 : 1)
