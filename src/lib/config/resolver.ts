// The one configuration resolver. Precedence, highest first:
//   flags > environment (AIRFLOW_ECS_*, AWS_PROFILE, AWS_REGION) > airflow-ecs.json
//   > the Terraform outputs > built-in defaults.
// The Terraform folder is the project's own module (infra-terraform/, or AIRFLOW_ECS_TERRAFORM_DIR /
// "terraformDir") when there is one, else .airflow-ecs/terraform/, where the module shipped in the
// package is copied and run (src/lib/project/infra.ts).
// A named environment (--env / AIRFLOW_ECS_ENV, an entry of "environments") is the top-level
// settings with the entry's on top; it has its own project name (<name>-<env> unless it says),
// its own state key and its own working folder, .airflow-ecs/env/<env>/ (the module copied into
// its terraform/ there, whichever module it is).
// Where the state lives (src/lib/state/): in the account's state bucket by default, locally with
// "state": "local" or `deploy --local-state`, or where the project's own module says.
// Terraform outputs are cached under the environment's folder keyed by the state's own version
// (the local file's size and time, the remote object's ETag), so day-2 commands start no terraform.
import {execFile} from 'node:child_process'
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, resolve} from 'node:path'

import {type CpuArchitecture, parseArchitecture, platformOf} from '../components.js'
import {CliError, invalid, mapError, oneLine} from '../errors.js'
import {terraformSummary} from '../terraform/diagnostics.js'
import {isFolder} from '../project/package.js'
import {parseDuration} from '../time.js'
import {type Deployment, type DeploymentOverrides, parseDeployment} from './deployment.js'
import {PROJECT_NAME, checkCluster, checkName, checkProfile, checkProjectFile, checkRegion, checkSecurityGroups, checkSubnets, checkWorkspace} from './validate.js'

export const PROJECT_FILE = 'airflow-ecs.json'
export const CACHE_DIR = '.airflow-ecs'
export const DEFAULT_PROJECT = 'airflow'

export interface GlobalFlags {
  profile?: string
  region?: string
  /** An entry of "environments" in airflow-ecs.json; null: the default environment, whatever AIRFLOW_ECS_ENV says. */
  env?: string | null
}

/** airflow-ecs.json: everything optional; written by `airflow-ecs init`. */
export interface ProjectFile {
  name?: string
  region?: string
  profile?: string
  terraformDir?: string
  cluster?: string
  allowedCidrs?: string[]
  workers?: {min?: number; max?: number}
  platform?: string
  /** compact (default) or ha: where the components run (infra-terraform/components.tf). */
  topology?: string
  /** ARM64 (default) or X86_64 (arm64 / amd64 accepted): every task's CPU architecture. */
  architecture?: string
  /** always (default) or office-hours: the scale-to-zero preset. */
  schedule?: string
  /** IANA time zone of the schedule (default: this machine's). */
  timezone?: string
  /** Where Terraform keeps the state: "local", or an existing bucket (default: the CLI's own, per account and region). */
  state?: 'local' | StateField
  /** Named environments: each entry's settings over the top-level ones. */
  environments?: Record<string, ProjectFile>
  [key: string]: unknown
}

export interface StateField {
  bucket?: string
  key?: string
  region?: string
}

/** The state's backend as configured: s3 (the default) or local. bucket undefined: the CLI's own bucket. */
export type StateSetting = {backend: 'local'; source: 'file' | 'flag'} | {backend: 's3'; bucket?: string; key: string; region?: string; source: 'default' | 'file'}

export type Source = 'default' | 'env' | 'file' | 'flag' | 'terraform'

export interface Settings {
  projectRoot: string
  projectFile?: string
  /** The settings in force: the top-level ones, with the environment's entry over them. */
  file: ProjectFile
  /** The named environment (undefined: the project itself, the default environment). */
  env?: string
  /** The names in "environments". */
  environments: string[]
  project: string
  region?: string
  profile?: string
  terraformDir: string
  /** Whose Terraform module runs: the project's own (ejected, or this repository's) or the package's. */
  infra: 'package' | 'project'
  /** The project's own module, when it has one (a named environment runs a copy of it). */
  ownModuleDir?: string
  /** The environment's private folder: .airflow-ecs/, or .airflow-ecs/env/<env>/. */
  cacheDir: string
  state: StateSetting
  /** How long Terraform and the CLI wait for a lock held by someone else; unset: fail at once. */
  lockTimeoutMs?: number
  overrides: DeploymentOverrides
  sources: Record<'profile' | 'project' | 'region' | 'terraformDir', Source>
}

function env(name: string): string | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}

function pick<T>(...candidates: Array<[T | undefined, Source]>): [T | undefined, Source] {
  for (const [value, source] of candidates) if (value !== undefined && value !== null && value !== '') return [value, source]
  return [undefined, 'default']
}

/** The project root: AIRFLOW_ECS_PROJECT_DIR, else the nearest folder with airflow-ecs.json or infra-terraform/, else cwd. */
/**
 * The CPU architecture the deployment's tasks run on: terraformVars.cpu_architecture,
 * else "architecture", else the single platform of "platform", else ARM64 (Graviton).
 */
export function deploymentArchitecture(settings: Pick<Settings, 'file' | 'projectFile'>): CpuArchitecture {
  const where = settings.projectFile ?? 'airflow-ecs.json'
  const vars = settings.file.terraformVars as Record<string, unknown> | undefined
  if (typeof vars?.cpu_architecture === 'string') return parseArchitecture(vars.cpu_architecture, `"terraformVars.cpu_architecture" in ${where}`)
  if (typeof settings.file.architecture === 'string') return parseArchitecture(settings.file.architecture, `"architecture" in ${where}`)
  const platform = settings.file.platform
  if (typeof platform === 'string' && !platform.includes(',')) return parseArchitecture(platform, `"platform" in ${where}`)
  return 'ARM64'
}

/**
 * The docker platform(s) to build: the flag, else "platform", else the deployment's
 * architecture. Refused when the image would not run on the deployment's tasks.
 */
export function buildPlatform(settings: Pick<Settings, 'file' | 'projectFile'>, flag?: string, deployed?: CpuArchitecture): string {
  const arch = deployed ?? deploymentArchitecture(settings)
  const platform = flag ?? (typeof settings.file.platform === 'string' ? settings.file.platform : platformOf(arch))
  if (!platform.split(',').includes(platformOf(arch))) {
    throw invalid(
      `An image for ${platform} would not start on this deployment's ${arch} tasks.`,
      `Build for ${platformOf(arch)} (or both: --platform linux/arm64,linux/amd64), or set "architecture" in airflow-ecs.json to match and deploy.`,
    )
  }
  return platform
}

export function findProjectRoot(start = process.cwd()): string {
  const forced = env('AIRFLOW_ECS_PROJECT_DIR')
  if (forced) {
    // Nothing is read from, or written into, a folder that is not there.
    if (!isFolder(resolve(forced))) throw invalid(`AIRFLOW_ECS_PROJECT_DIR ${JSON.stringify(forced.slice(0, 120))} does not exist (or is not a folder).`, 'Point it at the project folder (the one with airflow-ecs.json), or unset it to use the current folder.')
    return resolve(forced)
  }
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE)) || existsSync(join(dir, 'infra-terraform'))) return dir
    if (dirname(dir) === dir) return resolve(start)
  }
}

/** More than any real project file: a bigger one is refused before it is read. */
const MAX_PROJECT_FILE_BYTES = 1024 * 1024

export function readProjectFile(root: string): ProjectFile {
  const path = join(root, PROJECT_FILE)
  let stat
  try {
    lstatSync(path)
  } catch {
    return {}
  }
  try {
    stat = statSync(path)
  } catch {
    throw invalid(`${path} is a link to a file that does not exist.`, 'Point it at your airflow-ecs.json, or delete it and run `airflow-ecs init`.')
  }
  // A folder, a named pipe (reading it would wait for ever) or a device is not a project file.
  if (!stat.isFile()) throw invalid(`${path} is not a file.`, 'Move it away and run `airflow-ecs init` to write a new airflow-ecs.json.')
  if (stat.size > MAX_PROJECT_FILE_BYTES) throw invalid(`${path} is larger than 1 MiB (${stat.size} bytes): not a project file.`, 'Fix it, or delete it and run `airflow-ecs init`.')
  let parsed: unknown
  try {
    // An editor's byte-order mark is not part of the JSON.
    parsed = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as unknown
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object')
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${oneLine((error as Error).message, 120)}`, {
      code: 'INVALID_INPUT',
      hint: 'Fix the file, or delete it and run `airflow-ecs init`.',
    })
  }
  checkProjectFile(parsed as Record<string, unknown>, path)
  // Every environment as it will be used (its entry over the top level), not only the one asked for.
  for (const name of Object.keys((parsed as ProjectFile).environments ?? {})) environmentFile(parsed as ProjectFile, name, path)
  return parsed as ProjectFile
}

const list = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** An environment's name: part of its resource names and of a folder name. */
export const ENV_NAME = /^[a-z][a-z0-9-]{0,15}$/

/** An environment's project name: its entry's "name", else <project name>-<env>. */
export function environmentName(projectName: string, env: string, entry?: {name?: unknown}): string {
  return typeof entry?.name === 'string' ? entry.name : `${projectName}-${env}`
}

/**
 * The settings of one environment: the entry's fields over the top-level ones (objects such
 * as "workers" or "terraformVars" merged one level deep). Its name is "<name>-<env>" unless
 * the entry names itself; a "state" key written at the top level is not inherited.
 */
export function environmentFile(top: ProjectFile, envName: string, path = PROJECT_FILE): ProjectFile {
  const entries = top.environments ?? {}
  const {environments: _all, ...base} = top
  const entry = Object.hasOwn(entries, envName) ? entries[envName] : undefined
  if (!entry) {
    const known = Object.keys(entries)
    throw invalid(
      `Unknown environment ${JSON.stringify(envName)}: ${known.length > 0 ? `${path} defines ${known.join(', ')}` : `${path} defines no "environments"`}.`,
      known.length > 0
        ? `Use one of them (--env ${known[0]}), or add "${envName}" under "environments" in ${path}.`
        : `Add it: "environments": {"${envName}": {}} in ${path} (its settings override the top-level ones), or drop --env / AIRFLOW_ECS_ENV.`,
    )
  }
  const merged: ProjectFile = {...base}
  const isObject = (v: unknown): v is Record<string, unknown> => Boolean(v) && typeof v === 'object' && !Array.isArray(v)
  for (const [key, value] of Object.entries(entry)) {
    merged[key] = isObject(value) && isObject(merged[key]) && key !== 'state' ? {...(merged[key] as object), ...value} : value
  }
  if (entry.state === undefined && isObject(base.state)) {
    // The bucket and its region are shared; the key is the environment's own.
    const {key: _key, ...shared} = base.state as StateField
    merged.state = shared
  }
  // Each level was checked alone; what they say together may still clash (a top-level
  // "workers" and the entry's terraformVars.min_workers).
  checkProjectFile(merged, `${path} (environments.${envName} over the top level)`)
  merged.name = environmentName(base.name ?? DEFAULT_PROJECT, envName, entry)
  return merged
}

/** The flags of the commands that change the deployment through Terraform (deploy, destroy, upgrade). */
export interface StateFlags {
  'local-state'?: boolean
  'lock-timeout'?: string
}

export function resolveSettings(flags: GlobalFlags & StateFlags = {}, cwd = process.cwd()): Settings {
  const lockTimeoutMs = flags['lock-timeout'] === undefined ? undefined : parseDuration(flags['lock-timeout'], '--lock-timeout')
  const projectRoot = findProjectRoot(cwd)
  const top = readProjectFile(projectRoot)
  const [envName, envSource] = flags.env === null ? [undefined, 'default' as Source] : pick<string>([flags.env, 'flag'], [env('AIRFLOW_ECS_ENV'), 'env'])
  if (envName !== undefined && !ENV_NAME.test(envName)) {
    throw invalid(
      `Invalid environment name ${JSON.stringify(envName.slice(0, 40))}${envSource === 'env' ? ' in AIRFLOW_ECS_ENV' : ''}.`,
      envName.includes('=')
        ? '--env names an environment of airflow-ecs.json; a variable for a one-off task\'s container is -e NAME=value (--container-env).'
        : "1-16 lower-case letters, digits or '-', starting with a letter (e.g. staging, prod).",
    )
  }
  // AIRFLOW_ECS_PROJECT stands in for the top-level "name": an environment's name derives from it
  // ("<it>-<env>") unless the entry names itself, so two environments never share one deployment.
  const envProject = env('AIRFLOW_ECS_PROJECT')
  if (envProject !== undefined) checkName(envProject, 'AIRFLOW_ECS_PROJECT')
  const named = envProject === undefined ? top : {...top, name: envProject}
  const file = envName ? environmentFile(named, envName) : (({environments: _e, ...rest}) => rest)(named)
  const [region, regionSource] = pick<string>(
    [flags.region, 'flag'],
    [env('AIRFLOW_ECS_REGION'), 'env'],
    [env('AWS_REGION'), 'env'],
    [env('AWS_DEFAULT_REGION'), 'env'],
    [file.region, 'file'],
  )
  const [profile, profileSource] = pick<string>(
    [flags.profile, 'flag'],
    [env('AIRFLOW_ECS_PROFILE'), 'env'],
    [env('AWS_PROFILE'), 'env'],
    [file.profile, 'file'],
  )
  const project = file.name
  const entryNamed = envName !== undefined && typeof top.environments?.[envName]?.name === 'string'
  const projectSource: Source = envProject !== undefined && !entryNamed ? 'env' : project === undefined ? 'default' : 'file'
  if (envName && project !== undefined && !PROJECT_NAME.test(project)) {
    throw invalid(
      `The project name of environment "${envName}", ${JSON.stringify(project)}, is not a valid name.`,
      `Give the environment a shorter "name" under "environments" in ${PROJECT_FILE} (2-21 lower-case letters, digits or '-'), or shorten the project's name${projectSource === 'env' ? ' (AIRFLOW_ECS_PROJECT)' : ''}.`,
    )
  }
  const [tfDir, tfSource] = pick<string>([env('AIRFLOW_ECS_TERRAFORM_DIR'), 'env'], [file.terraformDir, 'file'])
  const ejected = join(projectRoot, 'infra-terraform')
  const own = tfDir ? (isAbsolute(tfDir) ? tfDir : resolve(projectRoot, tfDir)) : existsSync(ejected) ? ejected : undefined
  // A named environment runs its own copy of the module, so its .terraform/, backend and tfvars are its own.
  const cacheDir = envName ? join(projectRoot, CACHE_DIR, 'env', envName) : join(projectRoot, CACHE_DIR)
  const terraformDir = envName ? join(cacheDir, 'terraform') : (own ?? join(projectRoot, CACHE_DIR, 'terraform'))
  // Whatever the source, a value that reaches AWS, Terraform or a file name has its shape.
  const from = (source: Source, flag: string, variables: string): string =>
    ({flag, env: variables, file: PROJECT_FILE, terraform: 'the Terraform outputs', default: ''})[source]
  if (region !== undefined) checkRegion(region, from(regionSource, '--region', 'AIRFLOW_ECS_REGION / AWS_REGION / AWS_DEFAULT_REGION'))
  if (profile !== undefined) checkProfile(profile, from(profileSource, '--profile', 'AIRFLOW_ECS_PROFILE / AWS_PROFILE'))
  if (project !== undefined) checkName(project, from(projectSource, '', 'AIRFLOW_ECS_PROJECT'))
  const clusterOverride = env('AIRFLOW_ECS_CLUSTER')
  if (clusterOverride !== undefined) checkCluster(clusterOverride, 'AIRFLOW_ECS_CLUSTER')
  const subnets = list(env('AIRFLOW_ECS_SUBNETS'))
  if (subnets) checkSubnets(subnets, 'AIRFLOW_ECS_SUBNETS')
  const securityGroups = list(env('AIRFLOW_ECS_SECURITY_GROUPS'))
  if (securityGroups) checkSecurityGroups(securityGroups, 'AIRFLOW_ECS_SECURITY_GROUPS')
  const projectName = project ?? DEFAULT_PROJECT
  const stateField = file.state
  const state: StateSetting =
    flags['local-state'] || stateField === 'local'
      ? {backend: 'local', source: flags['local-state'] ? 'flag' : 'file'}
      : {
          backend: 's3',
          bucket: stateField?.bucket,
          key: stateField?.key ?? `${projectName}/terraform.tfstate`,
          region: stateField?.region,
          source: stateField ? 'file' : 'default',
        }
  return {
    projectRoot,
    projectFile: existsSync(join(projectRoot, PROJECT_FILE)) ? join(projectRoot, PROJECT_FILE) : undefined,
    file,
    env: envName,
    environments: Object.keys(top.environments ?? {}),
    project: projectName,
    region,
    profile,
    terraformDir,
    infra: own ? 'project' : 'package',
    ownModuleDir: own,
    cacheDir,
    state,
    lockTimeoutMs,
    overrides: {
      cluster: clusterOverride ?? file.cluster,
      subnets,
      securityGroups,
    },
    sources: {region: regionSource, profile: profileSource, project: projectSource, terraformDir: tfDir ? tfSource : 'default'},
  }
}

// ---------------------------------------------------------------------------
// Terraform outputs, cached by state fingerprint.

/** The Terraform workspace of the folder (TF_WORKSPACE, else .terraform/environment, else default). */
export function workspace(terraformDir: string): string {
  const forced = env('TF_WORKSPACE')
  if (forced) return checkWorkspace(forced, 'TF_WORKSPACE')
  const file = join(terraformDir, '.terraform', 'environment')
  const name = existsSync(file) ? readFileSync(file, 'utf8').trim() || 'default' : 'default'
  return checkWorkspace(name, file)
}

/** The file the CLI writes into the Terraform folder naming the S3 backend (src/lib/state/remote.ts). */
export const BACKEND_FILE = 'airflow-ecs.backend.tf'

/** The local state file of the folder's workspace. */
export function localStatePath(terraformDir: string): string {
  const ws = workspace(terraformDir)
  return ws === 'default' ? join(terraformDir, 'terraform.tfstate') : join(terraformDir, 'terraform.tfstate.d', ws, 'terraform.tfstate')
}

/** What identifies a local state: its workspace, size and mtime. Undefined: no local state. */
export function stateFingerprint(terraformDir: string): string | undefined {
  const local = localStatePath(terraformDir)
  if (!existsSync(local)) return undefined
  const s = statSync(local)
  return s.size > 0 ? `local:${workspace(terraformDir)}:${s.size}:${s.mtimeMs}` : undefined
}

/** The project's own module declares its own backend (a `backend "…"` block not written by the CLI). */
export function ownBackend(settings: Pick<Settings, 'infra' | 'ownModuleDir'>): boolean {
  const dir = settings.ownModuleDir
  if (settings.infra !== 'project' || !dir || !isFolder(dir)) return false
  return readdirSync(dir).some((f) => f.endsWith('.tf') && f !== BACKEND_FILE && /^\s*backend\s+"/m.test(readFileSync(join(dir, f), 'utf8')))
}

/**
 * Where the environment's state is now: local (asked for, or a local state not yet moved to
 * S3: deploy moves it), s3 (the default), or custom (the project's module names its own backend).
 */
export function stateWhere(settings: Settings): 'custom' | 'local' | 's3' {
  if (settings.state.backend === 'local') return 'local'
  // A module folder named in the settings that is not there: nothing was deployed from it.
  if (settings.infra === 'project' && settings.ownModuleDir && !isFolder(settings.ownModuleDir)) return 'local'
  if (ownBackend(settings)) return 'custom'
  // A local state file is there until its move to S3 has succeeded (then it is a dated backup).
  if (stateFingerprint(settings.terraformDir)) return 'local'
  return 's3'
}

export interface OutputCache {
  fingerprint: string
  terraformDir: string
  outputs: Record<string, {value: unknown; sensitive?: boolean}>
}

function cachePath(settings: Settings): string {
  return join(settings.cacheDir, 'outputs.json')
}

/**
 * .airflow-ecs/ as a private folder (0700). A file there, or a link (a repository could
 * ship one pointing anywhere), is refused rather than written through.
 */
export function ensureCacheDir(dir: string): string {
  let stat
  try {
    stat = lstatSync(dir)
  } catch {
    mkdirSync(dir, {recursive: true, mode: 0o700})
    return dir
  }
  if (stat.isSymbolicLink()) throw new CliError(`${dir} is a link; airflow-ecs keeps its cache in a plain folder.`, {code: 'INVALID_INPUT', exitCode: 1, hint: `Remove the link (rm ${dir}); airflow-ecs makes the folder again.`})
  if (!stat.isDirectory()) throw new CliError(`${dir} is not a folder; airflow-ecs keeps its cache there.`, {code: 'INVALID_INPUT', exitCode: 1, hint: `Move that file away (mv ${dir} ${dir}.bak); airflow-ecs makes the folder again.`})
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700)
  return dir
}

/** Writes a file only its owner can read (an existing file keeps its mode through writeFileSync: it is set). */
export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, {mode: 0o600})
  chmodSync(path, 0o600)
}

/** The cached outputs when they are for this state; undefined when absent, stale or damaged (then rebuilt). */
function readCache(path: string, fingerprint: string, terraformDir: string): OutputCache['outputs'] | undefined {
  let stat
  try {
    stat = lstatSync(path)
  } catch {
    return undefined
  }
  if (!stat.isFile()) throw new CliError(`${path} is not a file.`, {code: 'INVALID_INPUT', exitCode: 1, hint: `Remove it (it is only a cache): rm -r ${path}`})
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8')) as Partial<OutputCache>
    const outputs = cached?.outputs
    if (cached?.fingerprint !== fingerprint || cached.terraformDir !== terraformDir) return undefined
    if (!outputs || typeof outputs !== 'object' || Array.isArray(outputs)) return undefined
    return outputs
  } catch {
    return undefined
  }
}

export function terraformChildEnv(settings: Settings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(settings.profile ? {AWS_PROFILE: settings.profile} : {}),
    ...(settings.region ? {AWS_REGION: settings.region} : {}),
    TF_IN_AUTOMATION: '1',
  }
}

function runTerraformOutput(settings: Settings): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'terraform',
      [`-chdir=${settings.terraformDir}`, 'output', '-json', '-no-color'],
      {env: terraformChildEnv(settings), maxBuffer: 64 * 1024 * 1024},
      (error, stdout, stderr) => {
        if (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(mapError(error))
          return reject(
            new CliError(`\`terraform output\` failed: ${oneLine(terraformSummary(stderr) ?? stderr.trim().split('\n').pop() ?? error.message)}`, {
              cause: error,
              code: 'PROCESS_FAILED',
              hint: `Check the Terraform state in ${settings.terraformDir} (try \`terraform -chdir=${settings.terraformDir} output\`).`,
            }),
          )
        }
        resolvePromise(stdout)
      },
    )
  })
}

/** The outputs cached for this state, if any (the cache is rebuilt when stale or damaged). */
export function readOutputCache(settings: Settings, fingerprint: string): OutputCache['outputs'] | undefined {
  return readCache(cachePath(settings), fingerprint, settings.terraformDir)
}

/** Caches the contract output only: it carries ARNs, never secret values; still, only its owner reads it. */
export function writeOutputCache(settings: Settings, fingerprint: string, outputs: OutputCache['outputs']): OutputCache['outputs'] {
  ensureCacheDir(settings.cacheDir)
  writeFileSync(join(settings.projectRoot, CACHE_DIR, '.gitignore'), '*\n')
  const kept: OutputCache['outputs'] = outputs?.airflow_ecs ? {airflow_ecs: outputs.airflow_ecs} : {}
  writePrivate(cachePath(settings), JSON.stringify({fingerprint, terraformDir: settings.terraformDir, outputs: kept} satisfies OutputCache))
  return kept
}

/**
 * Every Terraform output (name → {value}), from the cache when the state has not changed: a
 * local state by its file, a state in S3 by one HeadObject (src/lib/state/remote.ts), a backend
 * of the project's own through `terraform output` each time.
 */
export async function terraformOutputs(settings: Settings, options: {refresh?: boolean} = {}): Promise<OutputCache['outputs']> {
  const where = stateWhere(settings)
  if (where === 's3') {
    const {remoteOutputs} = await import('../state/remote.js')
    return remoteOutputs(settings, options)
  }
  if (where === 'custom') {
    // A backend of the project's own has no version the CLI can read cheaply: it is asked each time.
    if (!existsSync(join(settings.terraformDir, '.terraform'))) {
      throw new CliError(`No deployment found: the Terraform module in ${settings.terraformDir} names its own backend, and that folder is not initialised.`, {
        code: 'NO_DEPLOYMENT',
        hint: `Run \`airflow-ecs deploy\` (or \`terraform -chdir=${settings.terraformDir} init\`) first.`,
      })
    }
    const outputs = JSON.parse(await runTerraformOutput(settings)) as OutputCache['outputs']
    return outputs?.airflow_ecs ? {airflow_ecs: outputs.airflow_ecs} : {}
  }
  const fingerprint = stateFingerprint(settings.terraformDir)
  if (!fingerprint) {
    throw new CliError(`No deployment found: there is no Terraform state in ${settings.terraformDir}.`, {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` first (from the project folder, the one with airflow-ecs.json), or set AIRFLOW_ECS_TERRAFORM_DIR to the folder that holds your Terraform state.',
    })
  }
  if (!options.refresh) {
    const cached = readOutputCache(settings, fingerprint)
    if (cached) return cached
  }
  return writeOutputCache(settings, fingerprint, JSON.parse(await runTerraformOutput(settings)) as OutputCache['outputs'])
}

/** Whether the environment has a Terraform state at all (a deploy that stopped early has one without outputs). */
export async function stateExists(settings: Settings): Promise<boolean> {
  const where = stateWhere(settings)
  if (where === 'local') return Boolean(stateFingerprint(settings.terraformDir))
  if (where === 'custom') return true
  try {
    // Whether the object is there: one HeadObject when the cached outputs are its version.
    await terraformOutputs(settings)
    return true
  } catch (error) {
    if ((error as CliError).code === 'NO_DEPLOYMENT') return false
    throw error
  }
}

export async function loadDeployment(settings: Settings, options: {refresh?: boolean} = {}): Promise<Deployment> {
  const outputs = await terraformOutputs(settings, options)
  return parseDeployment(outputs.airflow_ecs?.value, settings.project, settings.overrides)
}
