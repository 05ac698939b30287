// Where the installed CLI's own files are: the Terraform module (infra-terraform/), the image
// recipe (build/, airflow_ecs/, pyproject.toml), the local stack (docker-compose.yml) and the
// project template (templates/project/). Read only: nothing is ever written under it (a global
// install may be read-only, and an upgrade replaces it).
import {accessSync, chmodSync, constants, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {CliError} from '../errors.js'

/** A folder that is there (a file, a dangling link or nothing: false). */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** This CLI's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version?: string}).version ?? ''
}

let cached: string | undefined

/** The folder holding the CLI's package.json (the repository itself when run from a checkout). */
export function packageRoot(): string {
  if (cached) return cached
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as {name?: string}).name === 'airflow-ecs') return (cached = dir)
      } catch {
        // not ours; keep looking
      }
    }
    if (dirname(dir) === dir) throw new CliError('Cannot find the airflow-ecs package folder.', {code: 'UNEXPECTED', hint: 'Reinstall airflow-ecs (npm install -g airflow-ecs).'})
  }
}

/** A file or folder of the package, which must be there (a broken install otherwise). */
export function packaged(...path: string[]): string {
  const full = join(packageRoot(), ...path)
  if (!existsSync(full)) {
    throw new CliError(`The airflow-ecs package has no ${join(...path)} (looked in ${packageRoot()}).`, {
      code: 'UNEXPECTED',
      hint: 'Reinstall airflow-ecs (npm install -g airflow-ecs); a checkout needs `npm run build`.',
    })
  }
  return full
}

/** Creates a folder of the project, or says in one line that the project folder is not writable. */
export function ensureWritableDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, {recursive: true})
    accessSync(dir, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CliError(`Cannot write ${what} in ${dir} (${code}).`, {
        cause: error,
        code: 'INVALID_INPUT',
        exitCode: 1,
        hint: 'Run airflow-ecs from a project folder you can write to (check its owner and permissions).',
      })
    }
    throw error
  }
}

/** Every file under dir (relative paths), skipping what `skip` says. */
export function listFiles(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name)
      const rel = relative(dir, full)
      if (skip(rel)) continue
      if (statSync(full).isDirectory()) walk(full)
      else out.push(rel)
    }
  }
  if (existsSync(dir)) walk(dir)
  return out.sort()
}

/** Copies the files `keep` accepts from one folder to another, with the modes of the copy made writable. */
export function copyTree(from: string, to: string, keep: (rel: string) => boolean): string[] {
  const files = listFiles(from).filter(keep)
  for (const rel of files) {
    mkdirSync(dirname(join(to, rel)), {recursive: true})
    rmSync(join(to, rel), {force: true})
    cpSync(join(from, rel), join(to, rel))
    chmodSync(join(to, rel), 0o644)
  }
  return files
}

export const isInside = (parent: string, child: string): boolean => {
  const rel = relative(resolve(parent), resolve(child))
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'))
}
