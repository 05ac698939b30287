// The tests' Python: a virtualenv with exactly the image's packages (build/requirements.txt,
// pinned by build/constraints.txt) plus moto and pytest (test/requirements.txt). Created by
// the test command itself and cached between runs, keyed by those files and the Python
// version, so a change of a pin makes a new one. Nothing preinstalled on the machine is used.
//
//   node test/harness/pyenv.mjs     # make sure it exists; prints its folder
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const INPUTS = ['build/requirements.txt', 'build/constraints.txt', 'test/requirements.txt']

function basePython() {
  const python = process.env.AIRFLOW_ECS_TEST_BASE_PYTHON ?? 'python3'
  const r = spawnSync(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])'], {encoding: 'utf8'})
  if (r.error || r.status !== 0) {
    throw new Error(`the tests need Python 3 with venv and pip (\`${python}\`): install python3 and python3-venv (Debian: apt-get install python3-venv)`)
  }
  return {python, version: r.stdout.trim()}
}

/** Where the virtualenv for the current pins lives (it may not exist yet). */
export function venvDir() {
  if (process.env.AIRFLOW_ECS_TEST_VENV) return process.env.AIRFLOW_ECS_TEST_VENV
  const {version} = basePython()
  const hash = createHash('sha256').update(version)
  for (const file of INPUTS) hash.update(readFileSync(join(repoRoot, file)))
  const cache = process.env.AIRFLOW_ECS_TEST_CACHE ?? join(homedir(), '.cache', 'airflow-ecs')
  return join(cache, `test-venv-py${version}-${hash.digest('hex').slice(0, 12)}`)
}

/** Creates the virtualenv if needed; returns its folder. Throws one line naming what is missing. */
export function ensureVenv(log = (line) => process.stderr.write(`${line}\n`)) {
  const dir = venvDir()
  const marker = join(dir, '.airflow-ecs-complete')
  if (existsSync(marker)) return dir
  const {python, version} = basePython()
  log(`Python test environment: creating ${dir} (Python ${version}; a few minutes, once per change of build/requirements.txt, build/constraints.txt or test/requirements.txt)`)
  rmSync(dir, {recursive: true, force: true})
  mkdirSync(dirname(dir), {recursive: true})
  const venv = spawnSync(python, ['-m', 'venv', dir], {encoding: 'utf8'})
  if (venv.status !== 0) throw new Error(`\`${python} -m venv\` failed: ${(venv.stderr || venv.stdout).trim().split('\n').at(-1)} (Debian: apt-get install python3-venv)`)
  const logFile = join(dir, 'pip-install.log')
  const pip = spawnSync(
    join(dir, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '-r', join(repoRoot, 'test/requirements.txt'), '-c', join(repoRoot, 'build/constraints.txt')],
    {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024},
  )
  writeFileSync(logFile, `${pip.stdout ?? ''}\n${pip.stderr ?? ''}`)
  if (pip.error || pip.status !== 0) {
    const why = `${pip.stderr ?? ''}`.split('\n').filter((l) => /^ERROR/.test(l)).at(-1) ?? pip.error?.message ?? `exit ${pip.status}`
    throw new Error(`pip could not install the tests' Python packages: ${why} (full log: ${logFile}; the package registry must be reachable)`)
  }
  writeFileSync(marker, `${new Date().toISOString()}\n`)
  // Older environments (other pins) are dead weight of a few hundred MB each.
  for (const name of readdirSync(dirname(dir))) {
    if (name.startsWith('test-venv-') && join(dirname(dir), name) !== dir) rmSync(join(dirname(dir), name), {recursive: true, force: true})
  }
  return dir
}

/** The virtualenv's python, creating the virtualenv first when needed. */
export function testPython() {
  return join(ensureVenv(), 'bin', 'python')
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(ensureVenv())
  } catch (error) {
    console.error(error.message)
    process.exit(1)
  }
}
