// The one configuration resolver. Precedence, highest first:
//   flags > environment (AIRFLOW_ECS_*, AWS_PROFILE, AWS_REGION) > airflow-ecs.json
//   > the Terraform outputs of infra-terraform/ > built-in defaults.
// Terraform outputs are read once with `terraform output -json` and cached under
// .airflow-ecs/ keyed by the state file, so day-2 commands make no terraform call.
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {dirname, isAbsolute, join, resolve} from 'node:path'

import {CliError, mapError, oneLine} from '../errors.js'
import {terraformSummary} from '../terraform/diagnostics.js'
import {type Deployment, type DeploymentOverrides, parseDeployment} from './deployment.js'

export const PROJECT_FILE = 'airflow-ecs.json'
export const CACHE_DIR = '.airflow-ecs'
export const DEFAULT_PROJECT = 'airflow'
const REMOTE_STATE_TTL_MS = 5 * 60 * 1000

export interface GlobalFlags {
  profile?: string
  region?: string
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
export function findProjectRoot(start = process.cwd()): string {
  const forced = env('AIRFLOW_ECS_PROJECT_DIR')
  if (forced) return resolve(forced)
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE)) || existsSync(join(dir, 'infra-terraform'))) return dir
    if (dirname(dir) === dir) return resolve(start)
  }
}

export function readProjectFile(root: string): ProjectFile {
  const path = join(root, PROJECT_FILE)
  if (!existsSync(path)) return {}
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object')
    return parsed as ProjectFile
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`, {
      code: 'INVALID_INPUT',
      hint: 'Fix the file, or delete it and run `airflow-ecs init`.',
    })
  }
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
  const terraformDir = tfDir ? (isAbsolute(tfDir) ? tfDir : resolve(projectRoot, tfDir)) : join(projectRoot, 'infra-terraform')
  return {
    projectRoot,
    projectFile: existsSync(join(projectRoot, PROJECT_FILE)) ? join(projectRoot, PROJECT_FILE) : undefined,
    file,
    project: project ?? DEFAULT_PROJECT,
    region,
    profile,
    terraformDir,
    cacheDir: join(projectRoot, CACHE_DIR),
    overrides: {
      cluster: env('AIRFLOW_ECS_CLUSTER') ?? file.cluster,
      subnets: list(env('AIRFLOW_ECS_SUBNETS')),
      securityGroups: list(env('AIRFLOW_ECS_SECURITY_GROUPS')),
    },
    sources: {region: regionSource, profile: profileSource, project: projectSource, terraformDir: tfDir ? tfSource : 'default'},
  }
}

// ---------------------------------------------------------------------------
// Terraform outputs, cached by state fingerprint.

function workspace(terraformDir: string): string {
  const forced = env('TF_WORKSPACE')
  if (forced) return forced
  const file = join(terraformDir, '.terraform', 'environment')
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || 'default' : 'default'
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
      [`-chdir=${settings.terraformDir}`, 'output', '-json'],
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
      hint: 'Run `airflow-ecs deploy` first (or set AIRFLOW_ECS_TERRAFORM_DIR to the folder that holds your infra-terraform state).',
    })
  }
  const path = cachePath(settings)
  if (!options.refresh && existsSync(path)) {
    try {
      const cached = JSON.parse(readFileSync(path, 'utf8')) as OutputCache
      if (cached.fingerprint === fingerprint && cached.terraformDir === settings.terraformDir) return cached.outputs
    } catch {
      // a broken cache is rebuilt below
    }
  }
  const outputs = JSON.parse(await runTerraformOutput(settings)) as OutputCache['outputs']
  mkdirSync(settings.cacheDir, {recursive: true})
  writeFileSync(join(settings.cacheDir, '.gitignore'), '*\n')
  // Only the contract is cached: it carries ARNs, never secret values.
  const kept: OutputCache['outputs'] = outputs.airflow_ecs ? {airflow_ecs: outputs.airflow_ecs} : {}
  writeFileSync(path, JSON.stringify({fingerprint, terraformDir: settings.terraformDir, outputs: kept} satisfies OutputCache))
  return kept
}

export async function loadDeployment(settings: Settings, options: {refresh?: boolean} = {}): Promise<Deployment> {
  const outputs = await terraformOutputs(settings, options)
  return parseDeployment(outputs.airflow_ecs?.value, settings.project, settings.overrides)
}
