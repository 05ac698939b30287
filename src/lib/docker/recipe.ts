// The image recipe: what `docker buildx build` runs on, for any project.
//   - A project with its own build/prod/Containerfile (this repository) builds from its root, as is.
//   - Otherwise a build context is put together in .airflow-ecs/build-context/: the package's
//     recipe (build/prod/Containerfile, build/requirements.txt, build/constraints.txt,
//     pyproject.toml, airflow_ecs/) plus the project's inputs (dags/, plugins/, requirements.txt,
//     include/ when there is one). A Containerfile at the project root replaces the packaged one
//     (same context; the contract is in docs/image.md). The package folder is only read.
// The project's requirements.txt is checked against build/constraints.txt here, before docker:
// a pin that contradicts Airflow's constraints would otherwise fail minutes into the build.
import {cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Settings} from '../config/resolver.js'
import {CliError} from '../errors.js'
import {copyTree, ensureWritableDir, packageRoot, packaged} from '../project/package.js'

export const CONTAINERFILE = 'build/prod/Containerfile'
export const OVERRIDE = 'Containerfile'
const PACKAGE_FILES = [CONTAINERFILE, 'build/requirements.txt', 'build/constraints.txt', 'pyproject.toml']

export interface Recipe {
  /** The build context (docker runs there, with `-f <containerfile> .`). */
  cwd: string
  containerfile: string
  source: 'override' | 'package' | 'project'
}

const normalize = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '-')

/** name → version of each `name==version` line. */
export function parsePins(text: string): Map<string, string> {
  const pins = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)/.exec(raw)
    if (m) pins.set(normalize(m[1]), m[2])
  }
  return pins
}

function compare(a: string, b: string): number {
  const pa = a.split('.')
  const pb = b.split('.')
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i] ?? '0', pb[i] ?? '0']
    const [nx, ny] = [Number(x), Number(y)]
    const c = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny
    if (c !== 0) return c
  }
  return 0
}

/** Whether `version` meets one PEP 440 clause (==, ===, !=, >=, <=, >, <, ~=, with .* prefixes). */
export function satisfies(version: string, op: string, wanted: string): boolean {
  if (wanted.endsWith('.*')) {
    const prefix = wanted.slice(0, -2)
    const match = version === prefix || version.startsWith(`${prefix}.`)
    return op === '!=' ? !match : match
  }
  const c = compare(version, wanted)
  switch (op) {
    case '==':
    case '===':
      return c === 0
    case '!=':
      return c !== 0
    case '>=':
      return c >= 0
    case '<=':
      return c <= 0
    case '>':
      return c > 0
    case '<':
      return c < 0
    case '~=': {
      const parts = wanted.split('.')
      return c >= 0 && satisfies(version, '==', `${parts.slice(0, -1).join('.')}.*`)
    }
    default:
      return true
  }
}

/**
 * The lines of the project's requirements.txt that contradict a pin of the constraints; each
 * as `line` and the `pinned` version. Options (-r, --index-url, …) and packages the
 * constraints do not pin are left to pip in the build.
 */
export function conflicts(requirements: string, constraints: string): Array<{line: string; name: string; pinned: string}> {
  const pins = parsePins(constraints)
  const found: Array<{line: string; name: string; pinned: string}> = []
  for (const raw of requirements.split('\n')) {
    const line = raw.split('#', 1)[0].split(';', 1)[0].trim()
    if (!line || line.startsWith('-')) continue
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\[[^\]]*\])?\s*(.*)$/.exec(line)
    if (!m) continue
    const pinned = pins.get(normalize(m[1]))
    if (!pinned) continue
    const clauses = m[2].split(',').map((c) => /^\s*(===|==|!=|>=|<=|~=|>|<)\s*(\S+)\s*$/.exec(c)).filter((c): c is RegExpExecArray => Boolean(c))
    if (clauses.some(([, op, v]) => !satisfies(pinned, op, v))) found.push({line, name: m[1], pinned})
  }
  return found
}

/** Refuses a project requirements.txt that Airflow's constraints cannot satisfy: one line, the fix. */
export function checkRequirements(settings: Settings, constraintsFile = packaged('build', 'constraints.txt')): void {
  const file = join(settings.projectRoot, 'requirements.txt')
  if (!existsSync(file)) return
  const [first, ...rest] = conflicts(readFileSync(file, 'utf8'), readFileSync(constraintsFile, 'utf8'))
  if (!first) return
  throw new CliError(
    `requirements.txt: "${first.line}" conflicts with Airflow's constraints, which pin ${first.name}==${first.pinned}${rest.length > 0 ? ` (and ${rest.length} more: ${rest.map((c) => c.name).join(', ')})` : ''}.`,
    {code: 'INVALID_INPUT', hint: `Use ${first.name}==${first.pinned}, or leave it unpinned: the image installs requirements.txt with --constraint build/constraints.txt.`},
  )
}

/** The build context and Containerfile for this project (see the top of this file). */
export function prepareRecipe(settings: Settings): Recipe {
  const root = settings.projectRoot
  if (existsSync(join(root, CONTAINERFILE))) return {cwd: root, containerfile: CONTAINERFILE, source: 'project'}
  checkRequirements(settings)
  const context = join(settings.cacheDir, 'build-context')
  ensureWritableDir(settings.cacheDir, 'the build context')
  rmSync(context, {recursive: true, force: true})
  mkdirSync(context, {recursive: true})
  for (const file of PACKAGE_FILES) {
    mkdirSync(join(context, file, '..'), {recursive: true})
    cpSync(packaged(file), join(context, file))
  }
  const noCache = (rel: string): boolean => !/(^|\/)(__pycache__|\.pytest_cache)(\/|$)|\.pyc$/.test(rel)
  copyTree(join(packageRoot(), 'airflow_ecs'), join(context, 'airflow_ecs'), noCache)
  for (const dir of ['dags', 'plugins', 'include']) {
    if (existsSync(join(root, dir))) copyTree(join(root, dir), join(context, dir), noCache)
    else if (dir !== 'include') mkdirSync(join(context, dir))
  }
  const requirements = join(root, 'requirements.txt')
  writeFileSync(join(context, 'requirements.txt'), existsSync(requirements) ? readFileSync(requirements) : '')
  const override = join(root, OVERRIDE)
  if (existsSync(override)) {
    cpSync(override, join(context, OVERRIDE))
    return {cwd: context, containerfile: OVERRIDE, source: 'override'}
  }
  return {cwd: context, containerfile: CONTAINERFILE, source: 'package'}
}
