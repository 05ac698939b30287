// `init --ci github`: a GitHub Actions workflow that deploys one environment on every push to a
// branch, with AWS credentials from OpenID Connect (no AWS key in GitHub), and the opt-in
// Terraform module of the role it assumes (ci/github-deploy-role/, copied from the package).
// Everything is checked and computed before anything is written: a refused workflow leaves
// the project as it was.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {dirname, join, relative} from 'node:path'

import {ENV_NAME, environmentName, readProjectFile} from '../config/resolver.js'
import {checkName, checkRegion, shown} from '../config/validate.js'
import {CliError, invalid} from '../errors.js'
import {copyTree, ensureWritableDir, packaged} from '../project/package.js'

export const CI_PROVIDERS = ['github'] as const
export const ROLE_VARIABLE = 'AIRFLOW_ECS_DEPLOY_ROLE_ARN'
export const MODULE_DIR = join('ci', 'github-deploy-role')
/** Terraform on the runner: S3-native state locking (use_lockfile) needs 1.10 or newer. */
export const RUNNER_TERRAFORM = '1.11.4'
export const RUNNER_NODE = '22'

// A branch name git accepts and YAML needs no escaping for (it is quoted anyway).
const BRANCH = /^[A-Za-z0-9._/-]{1,200}$/

export type FileStatus = 'created' | 'kept' | 'replaced'

export interface CiOptions {
  /** The airflow-ecs project name (airflow-ecs.json "name"); the environment's is NAME-ENV. */
  name: string
  env: string
  branch: string
  region: string
  /** This CLI's version: the workflow installs exactly it. */
  version: string
  force: boolean
}

export interface CiPlan {
  env: string
  branch: string
  region: string
  projectName: string
  repository?: string
  workflow: {path: string; text: string; status: FileStatus}
  module: {path: string; status: 'created' | 'kept'}
  tfvars: {path: string; text: string; status: 'created' | 'kept'}
}

export interface CiResult {
  provider: 'github'
  env: string
  branch: string
  region: string
  projectName: string
  workflow: {path: string; status: FileStatus}
  module: {path: string; status: 'created' | 'kept'; files: string[]}
  tfvars: {path: string; status: 'created' | 'kept'}
  /** What to run once, and what to set in GitHub. */
  next: string[]
}

export function checkEnvName(env: string | undefined, name: string, projectOf: (env: string) => string = (e) => `${name}-${e}`): string {
  if (env === undefined || env === '') {
    throw invalid('--ci github needs --env NAME: the environment the workflow deploys.', 'e.g. `airflow-ecs init --ci github --env production`; its resources are named NAME-ENV, apart from the deployment you run without --env.')
  }
  if (!ENV_NAME.test(env)) throw invalid(`Invalid environment name ${shown(env)}.`, "1-16 lower-case letters, digits or '-', starting with a letter (e.g. staging, production).")
  const project = projectOf(env)
  checkName(project, project === `${name}-${env}` ? `the environment's project name (${project}: project name, '-', environment)` : `"environments.${env}.name"`)
  return env
}

/** The environment's project name as the resolver gives it: its entry's "name", else NAME-ENV. */
function environmentProject(root: string, name: string, env: string): string {
  return environmentName(name, env, readProjectFile(root).environments?.[env])
}

export function checkBranch(branch: string): string {
  if (!BRANCH.test(branch) || /(^[-/.]|\.\.|\/\/|\/$|\.lock$|@\{)/.test(branch)) {
    throw invalid(`Invalid branch name ${shown(branch)}.`, "A git branch such as main or release/v2 (letters, digits, '.', '_', '-', '/').")
  }
  return branch
}

/** The workflow file of an environment, relative to the project root. */
export const workflowPath = (env: string): string => join('.github', 'workflows', `airflow-ecs-${env}.yml`)

/** The GitHub Actions workflow: YAML written by hand, every value from a checked set of characters. */
export function workflowText(o: {env: string; branch: string; region: string; version: string}): string {
  const {env, branch, region, version} = o
  return `# Written by \`airflow-ecs init --ci github --env ${env}\` (airflow-ecs ${version}).
# Deploys the "${env}" environment on every push to ${branch}, and on demand (Actions > Run workflow).
# AWS credentials come from OpenID Connect: the job assumes the role whose ARN is the GitHub
# variable ${ROLE_VARIABLE} (a repository or "${env}" environment variable, not a secret:
# the role_arn output of ci/github-deploy-role). No AWS key is stored in GitHub.
name: airflow-ecs deploy (${env})

on:
  push:
    branches: ["${branch}"]
  workflow_dispatch:

permissions:
  id-token: write # the OIDC token the deploy role trusts
  contents: read

# One deploy of the environment at a time; a deploy is never cut short by the next push.
concurrency:
  group: airflow-ecs-${env}
  cancel-in-progress: false

jobs:
  deploy:
    name: Deploy ${env}
    runs-on: ubuntu-latest
    # The GitHub environment: its protection rules (reviewers, deployment branches) apply.
    environment: ${env}
    timeout-minutes: 120
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the deployed commit too: a push that changes only dags/ ships just the DAG bundle
      - uses: actions/setup-node@v4
        with:
          node-version: ${RUNNER_NODE}
      - uses: hashicorp/setup-terraform@v3
        with:
          terraform_version: ${RUNNER_TERRAFORM}
          terraform_wrapper: false # airflow-ecs reads terraform's own output
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: \${{ vars.${ROLE_VARIABLE} }}
          role-session-name: airflow-ecs-${env}
          role-duration-seconds: 7200
          aws-region: ${region}
      # The image is built for linux/arm64 by default (Graviton): QEMU emulates it on the x86 runner.
      - uses: docker/setup-qemu-action@v3
      - uses: docker/setup-buildx-action@v3
      - name: Install airflow-ecs ${version}
        run: npm install -g airflow-ecs@${version}
      # The Terraform state is in S3: this fresh clone finds the deployment.
      - name: Deploy
        run: airflow-ecs deploy --yes --env ${env}
`
}

/** The module's variables for this environment: terraform -var-file=ENV.tfvars. */
export function tfvarsText(o: {env: string; branch: string; region: string; projectName: string; repository?: string; providerExists: boolean}): string {
  const repo = o.repository
    ? `github_repository = "${o.repository}"\n`
    : '# github_repository = "OWNER/NAME" # or pass -var github_repository=OWNER/NAME\n'
  return `# The deploy role of the "${o.env}" environment (written by airflow-ecs init --ci github --env ${o.env}).
${repo}project_name = "${o.projectName}"
region       = "${o.region}"
branch       = "${o.branch}"
environments = ["${o.env}"]
# The account has one GitHub OIDC provider: the first role creates it, the next ones find it
# (false when another environment's role was set up from this folder).
create_oidc_provider = ${o.providerExists ? 'false' : 'true'}
`
}

/** OWNER/NAME of the project's git remote "origin", when it is on github.com. */
export function githubRepository(root: string): string | undefined {
  const out = spawnSync('git', ['config', '--get', 'remote.origin.url'], {cwd: root, encoding: 'utf8', timeout: 5000})
  if (out.status !== 0 || typeof out.stdout !== 'string') return undefined
  const match = /github\.com[:/]([A-Za-z0-9-]{1,39})\/([A-Za-z0-9._-]{1,100}?)(?:\.git)?\/?$/.exec(out.stdout.trim())
  return match ? `${match[1]}/${match[2]}` : undefined
}

/** Checks everything and decides what to write; writes nothing. Throws when the workflow differs and --force is not given. */
export function planCi(root: string, o: CiOptions): CiPlan {
  const env = checkEnvName(o.env, o.name, (e) => environmentProject(root, o.name, e))
  const branch = checkBranch(o.branch)
  const region = checkRegion(o.region, '--region / airflow-ecs.json')
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(o.version)) throw new CliError(`This CLI's version ${shown(o.version)} cannot be pinned.`, {code: 'UNEXPECTED'})
  const projectName = environmentProject(root, o.name, env)
  const repository = githubRepository(root)

  const workflow = join(root, workflowPath(env))
  const text = workflowText({env, branch, region, version: o.version})
  let status: FileStatus = 'created'
  if (existsSync(workflow)) {
    const current = readFileSync(workflow, 'utf8')
    if (current === text) status = 'kept'
    else if (o.force) status = 'replaced'
    else {
      throw invalid(`${relative(root, workflow)} exists and differs from what init writes; nothing was changed (--force replaces it).`)
    }
  }
  const moduleDir = join(root, MODULE_DIR)
  const tfvars = join(moduleDir, `${env}.tfvars`)
  // Another environment's role set up from this folder created the account's OIDC provider.
  const providerExists = existsSync(moduleDir) && readdirSync(moduleDir).some((f) => f.endsWith('.tfvars') && f !== `${env}.tfvars`)
  return {
    env,
    branch,
    region,
    projectName,
    repository,
    workflow: {path: workflow, text, status},
    module: {path: moduleDir, status: existsSync(moduleDir) ? 'kept' : 'created'},
    tfvars: {path: tfvars, text: tfvarsText({env, branch, region, projectName, repository, providerExists}), status: existsSync(tfvars) ? 'kept' : 'created'},
  }
}

/**
 * Adds an empty entry for the environment to "environments" in airflow-ecs.json when it has
 * none (the workflow's `deploy --env` selects it; an entry overrides nothing until edited).
 * Says whether it added one.
 */
export function ensureEnvironment(projectFile: string, env: string): boolean {
  const file = JSON.parse(readFileSync(projectFile, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>
  const environments = file.environments ?? {}
  if (typeof environments !== 'object' || environments === null || Array.isArray(environments)) return false
  if (Object.hasOwn(environments, env)) return false
  file.environments = {...(environments as Record<string, unknown>), [env]: {}}
  writeFileSync(projectFile, `${JSON.stringify(file, null, 2)}\n`)
  return true
}

/** The module's files in the package (its Terraform and README, no state). */
const moduleFile = (rel: string): boolean => rel.endsWith('.tf') || rel === 'README.md'

/** Writes what the plan says: the workflow, the module (only when missing) and the environment's tfvars (only when missing). */
export function writeCi(root: string, plan: CiPlan): CiResult {
  if (plan.workflow.status !== 'kept') {
    ensureWritableDir(dirname(plan.workflow.path), 'the workflow')
    writeFileSync(plan.workflow.path, plan.workflow.text)
  }
  let files: string[] = []
  if (plan.module.status === 'created') {
    ensureWritableDir(plan.module.path, 'the deploy-role module')
    files = copyTree(packaged(MODULE_DIR), plan.module.path, moduleFile)
    // The module's local state holds no secret and is needed to change the role later: only
    // Terraform's provider cache stays out of git.
    writeFileSync(join(plan.module.path, '.gitignore'), '.terraform/\n')
    files.push('.gitignore')
  }
  if (plan.tfvars.status === 'created') {
    mkdirSync(dirname(plan.tfvars.path), {recursive: true})
    writeFileSync(plan.tfvars.path, plan.tfvars.text)
  }
  const dir = MODULE_DIR.split('\\').join('/')
  const repo = plan.repository ? '' : ' -var github_repository=OWNER/REPO'
  const next = [
    `Once, with credentials that may create IAM roles: terraform -chdir=${dir} init && terraform -chdir=${dir} workspace select -or-create ${plan.env} && terraform -chdir=${dir} apply -var-file=${plan.env}.tfvars${repo}`,
    `Then in GitHub (Settings > Secrets and variables > Actions > Variables): set ${ROLE_VARIABLE} to the role_arn output, and give the "${plan.env}" environment a deployment branch rule for ${plan.branch}.`,
    `Commit ${workflowPath(plan.env).split('\\').join('/')}, ${dir}/ and airflow-ecs.json: the next push to ${plan.branch} deploys ${plan.env}.`,
  ]
  return {
    provider: 'github',
    env: plan.env,
    branch: plan.branch,
    region: plan.region,
    projectName: plan.projectName,
    workflow: {path: plan.workflow.path, status: plan.workflow.status},
    module: {path: plan.module.path, status: plan.module.status, files},
    tfvars: {path: plan.tfvars.path, status: plan.tfvars.status},
    next,
  }
}
