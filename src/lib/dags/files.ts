// The local side of a DAG bundle: which files of the dags folder are published (honouring
// .airflowignore the way Airflow's default "glob" syntax reads it, never caches, VCS or
// editor files), their hashes, and a syntax check of every .py file before anything leaves
// the machine. No AWS here.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync} from 'node:fs'
import {join, relative, sep} from 'node:path'

import {CliError, invalid} from '../errors.js'

/** A file bigger than this is refused: a DAG folder is code, not data. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024

/** Never published: Python caches, VCS folders, editor and OS litter. */
const NEVER_DIRS = new Set(['__pycache__', '.git', '.hg', '.svn', '.idea', '.vscode', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'node_modules'])
const NEVER_FILE = [/\.py[co]$/, /~$/, /^\.#/, /^#.*#$/, /\.sw[a-p]$/, /^\.DS_Store$/, /^Thumbs\.db$/, /\.orig$/, /\.rej$/]

export interface LocalFile {
  /** Path inside the bundle, with forward slashes. */
  path: string
  size: number
  sha256: string
  md5: string
  body: Buffer
}

interface Rule {
  re: RegExp
  negate: boolean
  dirOnly: boolean
  /** The folder (bundle-relative, '' for the root) whose .airflowignore defined it. */
  base: string
}

/** One gitignore-style (gitwildmatch) pattern as a regular expression over a path relative to `base`. */
function compileRule(line: string, base: string): Rule | undefined {
  let pattern = line.replace(/(?<!\\)\s+$/, '')
  if (pattern === '' || pattern.startsWith('#') || pattern.trim() === '/') return undefined
  let negate = false
  if (pattern.startsWith('!')) {
    negate = true
    pattern = pattern.slice(1)
  }
  const dirOnly = pattern.endsWith('/')
  pattern = pattern.replace(/\/+$/, '')
  const anchored = pattern.includes('/')
  pattern = pattern.replace(/^\//, '')
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*' && pattern[i + 1] === '*') {
      const atStart = i === 0 || pattern[i - 1] === '/'
      const atEnd = i + 2 === pattern.length || pattern[i + 2] === '/'
      if (atStart && atEnd) {
        if (i + 2 === pattern.length) re += '.*'
        else {
          re += '(?:.*/)?'
          i++
        }
        i++
        continue
      }
      re += '[^/]*'
      i++
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end === -1) re += '\\['
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&')
  }
  // A match of a folder covers everything under it.
  return {re: new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`), negate, dirOnly, base}
}

function ignored(path: string, isDir: boolean, rules: Rule[]): boolean {
  let matched = false
  for (const rule of rules) {
    if (rule.base && !path.startsWith(`${rule.base}/`)) continue
    const rel = rule.base ? path.slice(rule.base.length + 1) : path
    if (rule.dirOnly && !isDir && !rel.includes('/')) continue
    if (rule.re.test(rel)) matched = !rule.negate
  }
  return matched
}

/**
 * The files of `dir` that make the bundle, sorted by path. Refuses a missing or empty
 * folder, a file over MAX_FILE_BYTES and a symlink that leads out of the folder.
 */
export function collectFiles(dir: string): LocalFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw invalid(`No DAG folder at ${dir}.`, 'Create it and put your DAG files in it, or point --dir at the folder that holds them.')
  }
  const root = realpathSync(dir)
  const files: LocalFile[] = []
  const walk = (abs: string, rel: string, inherited: Rule[]): void => {
    const rules = [...inherited]
    const ignoreFile = join(abs, '.airflowignore')
    if (existsSync(ignoreFile)) {
      for (const line of readFileSync(ignoreFile, 'utf8').split(/\r?\n/)) {
        const rule = compileRule(line, rel)
        if (rule) rules.push(rule)
      }
    }
    for (const name of readdirSync(abs).sort()) {
      const childAbs = join(abs, name)
      const childRel = rel ? `${rel}/${name}` : name
      let stat = lstatSync(childAbs)
      if (stat.isSymbolicLink()) {
        let target: string
        try {
          target = realpathSync(childAbs)
        } catch {
          throw invalid(`${childRel} is a broken symlink.`, 'Remove it, or make it point at a file inside the DAG folder.')
        }
        if (target !== root && !target.startsWith(root + sep)) {
          throw invalid(`${childRel} is a symlink that leads out of the DAG folder (to ${target}).`, 'Copy what it points at into the folder, or list it in .airflowignore.')
        }
        stat = statSync(childAbs)
      }
      const isDir = stat.isDirectory()
      if (isDir ? NEVER_DIRS.has(name) : NEVER_FILE.some((re) => re.test(name))) continue
      if (ignored(childRel, isDir, rules)) continue
      if (isDir) {
        walk(childAbs, childRel, rules)
        continue
      }
      if (!stat.isFile()) continue
      if (stat.size > MAX_FILE_BYTES) {
        throw invalid(
          `${childRel} is ${(stat.size / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit for a file of the DAG bundle.`,
          'Keep data out of the DAG folder (put it in S3 and read it from a task), or list the file in .airflowignore.',
        )
      }
      const body = readFileSync(childAbs)
      files.push({
        path: childRel,
        size: body.length,
        sha256: createHash('sha256').update(body).digest('hex'),
        md5: createHash('md5').update(body).digest('hex'),
        body,
      })
    }
  }
  walk(root, '', [])
  if (!files.some((f) => f.path.endsWith('.py'))) {
    throw invalid(`${dir} holds no DAG file (no .py file that .airflowignore leaves in).`, 'Put your DAG files in it, or point --dir at the folder that holds them.')
  }
  return files
}

/** Compiles each source like `python3 -m py_compile`, without writing any .pyc into the folder. */
const CHECK_SCRIPT = `
import json, sys
problems = []
for path in json.load(sys.stdin):
    try:
        with open(path, "rb") as f:
            compile(f.read(), path, "exec", dont_inherit=True)
    except SyntaxError as e:
        problems.append({"path": path, "line": e.lineno, "message": e.msg})
    except ValueError as e:
        problems.append({"path": path, "line": None, "message": str(e)})
print(json.dumps(problems))
`

export interface SyntaxCheck {
  checked: number
  /** The Python that compiled the files, or undefined when there is none on this machine. */
  python?: string
}

/** Every .py file compiled by the machine's python3; the first error fails with file and line. */
export function checkSyntax(dir: string, files: LocalFile[]): SyntaxCheck {
  const py = files.filter((f) => f.path.endsWith('.py'))
  const python = process.env.AIRFLOW_ECS_PYTHON || 'python3'
  const r = spawnSync(python, ['-c', CHECK_SCRIPT], {input: JSON.stringify(py.map((f) => join(dir, f.path))), encoding: 'utf8', maxBuffer: 16 * 1024 * 1024})
  if (r.error) return {checked: 0}
  if (r.status !== 0) {
    throw new CliError(`The syntax check (${python}) failed: ${(r.stderr || '').trim().split('\n').pop()}`, {code: 'PROCESS_FAILED', hint: 'Set AIRFLOW_ECS_PYTHON to a working Python 3.'})
  }
  const problems = JSON.parse(r.stdout) as Array<{path: string; line: number | null; message: string}>
  if (problems.length > 0) {
    const first = problems[0]
    const where = `${relative(dir, first.path).split(sep).join('/')}${first.line ? `:${first.line}` : ''}`
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more file${problems.length > 2 ? 's' : ''}: ${problems.slice(1, 4).map((p) => relative(dir, p.path)).join(', ')})` : ''
    throw invalid(`Syntax error in ${where}: ${first.message}${more}. Nothing was uploaded.`, 'Fix the file and run `airflow-ecs dags deploy` again.')
  }
  return {checked: py.length, python}
}
