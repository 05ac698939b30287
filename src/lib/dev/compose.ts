// `dev up | down | logs`: the package's docker-compose.yml (the ECS topology on one machine:
// postgres, an SQS-compatible broker, api-server, scheduler, dag-processor, triggerer, worker)
// run on the project's dags/ and plugins/, as `astro dev start` does. The compose file and what
// its image builds from are staged in .airflow-ecs/dev/ (the package folder is only read); the
// project's folders are mounted live, so an edited DAG shows without a rebuild.
import {cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {type Settings} from '../config/resolver.js'
import {CliError} from '../errors.js'
import {run} from '../process/runner.js'
import {copyTree, ensureWritableDir, packageRoot, packaged} from '../project/package.js'

const STAGED = ['docker-compose.yml', 'build/dev/Containerfile', 'build/dev/elasticmq.conf', 'build/requirements.txt', 'build/constraints.txt', 'pyproject.toml']
export const DEV_URL = 'http://localhost:8080'

export interface DevStack {
  dir: string
  project: string
  env: NodeJS.ProcessEnv
}

/** The compose project for this folder, staged; the project's dags/ and plugins/ mounted in place. */
export function stageDev(settings: Settings): DevStack {
  const dags = join(settings.projectRoot, 'dags')
  if (!existsSync(dags)) {
    throw new CliError(`No dags/ folder in ${settings.projectRoot}.`, {code: 'INVALID_INPUT', hint: 'Run `airflow-ecs init` (it writes dags/ with an example DAG), or run from the project folder.'})
  }
  const dir = join(settings.cacheDir, 'dev')
  ensureWritableDir(settings.cacheDir, 'the local stack')
  rmSync(dir, {recursive: true, force: true})
  for (const file of STAGED) {
    mkdirSync(join(dir, file, '..'), {recursive: true})
    cpSync(packaged(file), join(dir, file))
  }
  copyTree(join(packageRoot(), 'airflow_ecs'), join(dir, 'airflow_ecs'), (rel) => rel.endsWith('.py'))
  const requirements = join(settings.projectRoot, 'requirements.txt')
  writeFileSync(join(dir, 'requirements.txt'), existsSync(requirements) ? readFileSync(requirements) : '')
  const compose = join(dir, 'docker-compose.yml')
  writeFileSync(
    compose,
    readFileSync(compose, 'utf8').replaceAll('./dags:/opt/airflow/dags', '${AIRFLOW_ECS_DAGS_DIR}:/opt/airflow/dags').replaceAll('./plugins:/opt/airflow/plugins', '${AIRFLOW_ECS_PLUGINS_DIR}:/opt/airflow/plugins'),
  )
  const plugins = join(settings.projectRoot, 'plugins')
  mkdirSync(plugins, {recursive: true})
  return {dir, project: `${settings.project}-dev`, env: {...process.env, AIRFLOW_ECS_DAGS_DIR: dags, AIRFLOW_ECS_PLUGINS_DIR: plugins}}
}

/** One line when there is no Docker engine to run the stack on. */
export async function requireEngine(): Promise<void> {
  const noEngine = (detail: string, cause?: unknown) =>
    new CliError(`No Docker engine: ${detail}; \`airflow-ecs dev\` runs the local stack with docker compose.`, {
      cause,
      code: 'MISSING_TOOL',
      hint: 'Install and start Docker (Docker Desktop, colima, or `sudo systemctl start docker`); deploying to AWS with `deploy --image` needs none.',
    })
  try {
    await run('docker', ['version', '--format', '{{.Server.Version}}'], {step: 'docker version'})
  } catch (error) {
    if ((error as CliError).code === 'MISSING_TOOL') throw noEngine('docker is not installed or not on PATH', error)
    throw noEngine('the Docker daemon does not answer', error)
  }
}

export function compose(stack: DevStack, args: string[], onLine?: (line: string) => void) {
  return run('docker', ['compose', '-f', join(stack.dir, 'docker-compose.yml'), '-p', stack.project, ...args], {
    cwd: stack.dir,
    env: stack.env,
    onLine,
    step: `docker compose ${args[0]}`,
    hint: 'Fix what docker compose reports (DEBUG=1 shows its whole output); `docker compose version` checks the plugin.',
  })
}

/** The compose service of a component name (scheduler → airflow-scheduler); postgres and elasticmq as they are. */
export function serviceName(component: string): string {
  const c = component === 'webserver' ? 'api-server' : component
  return ['postgres', 'elasticmq'].includes(c) || c.startsWith('airflow-') ? c : `airflow-${c}`
}
