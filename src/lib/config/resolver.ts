// The one configuration resolver. Precedence, highest first:
//   flags > environment (AIRFLOW_ECS_*, AWS_PROFILE, AWS_REGION) > airflow-ecs.json
//   > the Terraform outputs > built-in defaults.
// The Terraform folder is the project's own module (infra-terraform/, or AIRFLOW_ECS_TERRAFORM_DIR /
// "terraformDir") when there is one, else .airflow-ecs/terraform/, where the module shipped in the
// package is copied and run (src/lib/project/infra.ts).
// Terraform outputs are read once with `terraform output -json` and cached under
// .airflow-ecs/ keyed by the state file, so day-2 commands make no terraform call.
import {execFile} from 'node:child_process'
import {chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, resolve} from 'node:path'

import {type CpuArchitecture, parseArchitecture, platformOf} from '../components.js'
import {CliError, invalid, mapError, oneLine} from '../errors.js'
import {terraformSummary} from '../terraform/diagnostics.js'
import {type Deployment, type DeploymentOverrides, parseDeployment} from './deployment.js'
import {checkCluster, checkName, checkProfile, checkProjectFile, checkRegion, checkSecurityGroups, checkSubnets, checkWorkspace} from './validate.js'

export const PROJECT_FILE = 'airflow-ecs.json'
export const CACHE_DIR = '.airflow-ecs'
export const DEFAULT_PROJECT = 'airflow'
const REMOTE_STATE_TTL_MS = 5 * 60 * 1000

export interface GlobalFlags {
  profile?: string
  region?: string
  /** An entry of "environments" in airflow-ecs.json. */
  env?: string
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
  [key: string]: unknown
}

export type Source = 'default' | 'env' | 'file' | 'flag' | 'terraform'

export interface Settings {
  projectRoot: string
  projectFile?: string
  file: ProjectFile
  project: string
  region?: string
  profile?: string
  terraformDir: string
  /** Whose Terraform module runs: the project's own (ejected, or this repository's) or the package's. */
  infra: 'package' | 'project'
  cacheDir: string
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
  if (forced) return resolve(forced)
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
  return parsed as ProjectFile
}

const list = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)

export function resolveSettings(flags: GlobalFlags = {}, cwd = process.cwd()): Settings {
  const projectRoot = findProjectRoot(cwd)
  const file = readProjectFile(projectRoot)
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
  const [project, projectSource] = pick<string>([env('AIRFLOW_ECS_PROJECT'), 'env'], [file.name, 'file'])
  const [tfDir, tfSource] = pick<string>([env('AIRFLOW_ECS_TERRAFORM_DIR'), 'env'], [file.terraformDir, 'file'])
  const ejected = join(projectRoot, 'infra-terraform')
  const own = tfDir ? (isAbsolute(tfDir) ? tfDir : resolve(projectRoot, tfDir)) : existsSync(ejected) ? ejected : undefined
  const terraformDir = own ?? join(projectRoot, CACHE_DIR, 'terraform')
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
  return {
    projectRoot,
    projectFile: existsSync(join(projectRoot, PROJECT_FILE)) ? join(projectRoot, PROJECT_FILE) : undefined,
    file,
    project: project ?? DEFAULT_PROJECT,
    region,
    profile,
    terraformDir,
    infra: own ? 'project' : 'package',
    cacheDir: join(projectRoot, CACHE_DIR),
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

/**
 * What identifies the current state: the local state file's size and mtime, or for a
 * remote backend the backend config plus a short time-to-live. Undefined: no state.
 */
export function stateFingerprint(terraformDir: string, now = Date.now()): string | undefined {
  const ws = workspace(terraformDir)
  const local =
    ws === 'default' ? join(terraformDir, 'terraform.tfstate') : join(terraformDir, 'terraform.tfstate.d', ws, 'terraform.tfstate')
  if (existsSync(local)) {
    const s = statSync(local)
    if (s.size > 0) return `local:${ws}:${s.size}:${s.mtimeMs}`
  }
  const backend = join(terraformDir, '.terraform', 'terraform.tfstate')
  if (existsSync(backend)) {
    const s = statSync(backend)
    return `remote:${ws}:${s.mtimeMs}:${Math.floor(now / REMOTE_STATE_TTL_MS)}`
  }
  return undefined
}

interface OutputCache {
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

/** Every Terraform output (name → {value}), from the cache when the state has not changed. */
export async function terraformOutputs(settings: Settings, options: {refresh?: boolean} = {}): Promise<OutputCache['outputs']> {
  const fingerprint = stateFingerprint(settings.terraformDir)
  if (!fingerprint) {
    throw new CliError(`No deployment found: there is no Terraform state in ${settings.terraformDir}.`, {
      code: 'NO_DEPLOYMENT',
      hint: 'Run `airflow-ecs deploy` first (from the project folder, the one with airflow-ecs.json), or set AIRFLOW_ECS_TERRAFORM_DIR to the folder that holds your Terraform state.',
    })
  }
  const path = cachePath(settings)
  ensureCacheDir(settings.cacheDir)
  if (!options.refresh) {
    // A cache that is damaged or for another state is rebuilt below.
    const cached = readCache(path, fingerprint, settings.terraformDir)
    if (cached) return cached
  }
  const outputs = JSON.parse(await runTerraformOutput(settings)) as OutputCache['outputs']
  writeFileSync(join(settings.cacheDir, '.gitignore'), '*\n')
  // Only the contract is cached: it carries ARNs, never secret values; still, only its owner reads it.
  const kept: OutputCache['outputs'] = outputs?.airflow_ecs ? {airflow_ecs: outputs.airflow_ecs} : {}
  writePrivate(path, JSON.stringify({fingerprint, terraformDir: settings.terraformDir, outputs: kept} satisfies OutputCache))
  return kept
}

export async function loadDeployment(settings: Settings, options: {refresh?: boolean} = {}): Promise<Deployment> {
  const outputs = await terraformOutputs(settings, options)
  return parseDeployment(outputs.airflow_ecs?.value, settings.project, settings.overrides)
}
