// `build`: the production image, tagged with the git commit, pushed to the deployment's
// ECR repository. Login goes through the SDK's GetAuthorizationToken with the password on
// docker's stdin. Tags are immutable: an existing tag is refused, not overwritten.
// Build cache: the repository's tags are immutable, so there is no mutable "cache" tag to
// export to; each image carries its cache inline (--cache-to type=inline) and the newest
// image in the repository is the --cache-from of the next build.
import {join} from 'node:path'

import {DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand} from '@aws-sdk/client-ecr'

import {type AwsContext} from '../aws/context.js'
import {CliError, invalid} from '../errors.js'
import {run} from '../process/runner.js'
import {prepareRecipe} from './recipe.js'

/** Where a failed docker run's whole output goes: the project's .airflow-ecs/logs/. */
const logDir = (ctx: AwsContext): string => join(ctx.settings.cacheDir, 'logs')

/** The git commit (12 characters), with -dirty when the work tree has changes. */
export async function gitTag(cwd: string): Promise<string> {
  const head = await run('git', ['rev-parse', '--short=12', 'HEAD'], {cwd, step: 'git rev-parse', hint: 'Run inside a git repository with a commit, or pass --tag.'})
  const status = await run('git', ['status', '--porcelain', '--untracked-files=no'], {cwd, step: 'git status'})
  return `${head.stdout.trim()}${status.stdout.trim() ? '-dirty' : ''}`
}

/** Why a docker command failed, when its output says so: the daemon, buildx, an existing tag. */
export function explainDocker(output: string): {message: string; hint: string; code?: 'MISSING_TOOL'} | undefined {
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|docker daemon is not running/i.test(output)) {
    return {message: 'the Docker daemon is not running', hint: 'Start Docker (Docker Desktop, colima, or `sudo systemctl start docker`) and try again.', code: 'MISSING_TOOL'}
  }
  if (/'buildx' is not a docker command|unknown command:? "?buildx|buildx: command not found/i.test(output)) {
    return {message: 'docker buildx is not installed', hint: 'Install the buildx plugin: https://docs.docker.com/build/install-buildx/', code: 'MISSING_TOOL'}
  }
  if (/ImageTagAlreadyExistsException|tag invalid|cannot be overwritten because the (repository|tag) is immutable/i.test(output)) {
    return {message: 'the tag already exists in ECR and tags are immutable', hint: 'Commit your change (a new commit is a new tag) or pass another --tag.'}
  }
  return undefined
}

/** A prebuilt image reference for deploy --image: registry/repository[:tag|@digest]. */
export function checkImageRef(ref: string): string {
  if (!/^[a-z0-9][\w.\-/:]*(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})$/i.test(ref) || /\s/.test(ref)) {
    throw invalid(`Invalid image reference "${ref}".`, 'Give the full reference with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:3f2a9c1d0b7e.')
  }
  return ref
}

export function checkTag(tag: string): string {
  if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw invalid(`Invalid image tag "${tag}".`, 'Letters, digits, _, . and -, up to 128 characters.')
  return tag
}

function repository(ctx: AwsContext): {url: string; name: string} {
  const {repositoryUrl, repositoryName} = ctx.deployment.ecr ?? {}
  if (!repositoryUrl || !repositoryName) {
    throw new CliError('The deployment has no ECR repository yet.', {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` (it creates the repository first).'})
  }
  return {url: repositoryUrl, name: repositoryName}
}

export async function tagExists(ctx: AwsContext, repositoryName: string, tag: string): Promise<boolean> {
  try {
    const found = await new ECRClient(ctx.clientConfig).send(new DescribeImagesCommand({repositoryName, imageIds: [{imageTag: tag}]}))
    return (found.imageDetails ?? []).length > 0
  } catch (error) {
    if ((error as Error).name === 'ImageNotFoundException') return false
    throw error
  }
}

/** The most recently pushed tag, used as the registry build cache. */
export async function latestTag(ctx: AwsContext, repositoryName: string): Promise<string | undefined> {
  const found = await new ECRClient(ctx.clientConfig).send(new DescribeImagesCommand({repositoryName, filter: {tagStatus: 'TAGGED'}}))
  const newest = (found.imageDetails ?? []).sort((a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0))[0]
  return newest?.imageTags?.[0]
}

export async function ecrLogin(ctx: AwsContext, registry: string, onLine?: (line: string) => void): Promise<void> {
  const auth = await new ECRClient(ctx.clientConfig).send(new GetAuthorizationTokenCommand({}))
  const token = auth.authorizationData?.[0]?.authorizationToken
  if (!token) throw new CliError('ECR returned no authorization token.', {code: 'UNEXPECTED', hint: 'Check the ecr:GetAuthorizationToken permission.'})
  const [user, password] = Buffer.from(token, 'base64').toString().split(':')
  await run('docker', ['login', '--username', user, '--password-stdin', registry], {
    input: password,
    onLine,
    step: 'docker login',
    hint: 'Is the Docker daemon running? `airflow-ecs doctor` checks.',
    explain: explainDocker,
    logDir: logDir(ctx),
  })
}

export interface BuildOptions {
  tag: string
  platform: string
  push: boolean
  onLine?: (line: string) => void
  /** --build-arg NAME=VALUE (AIRFLOW_VERSION when airflow-ecs.json sets "airflowVersion"). */
  buildArgs?: Record<string, string>
}

export async function buildImage(ctx: AwsContext, options: BuildOptions): Promise<{image: string; pushed: boolean; recipe: string}> {
  const repo = repository(ctx)
  // Before any call: the context to build, and the project's requirements checked against the constraints.
  const recipe = prepareRecipe(ctx.settings)
  const image = `${repo.url}:${options.tag}`
  if (options.push && (await tagExists(ctx, repo.name, options.tag))) {
    throw new CliError(`The tag ${options.tag} already exists in ${repo.name}, and tags are immutable.`, {
      code: 'INVALID_INPUT',
      exitCode: 1,
      hint: 'Commit your change (a new commit is a new tag), pass another --tag, or deploy the existing image with `airflow-ecs deploy --image ' + image + '`.',
    })
  }
  const registry = repo.url.split('/')[0]
  const args = ['buildx', 'build', '-f', recipe.containerfile, '--platform', options.platform, '-t', image, '--cache-to', 'type=inline']
  if (options.push) {
    await ecrLogin(ctx, registry)
    const cache = await latestTag(ctx, repo.name)
    if (cache) args.push('--cache-from', `type=registry,ref=${repo.url}:${cache}`)
    args.push('--push')
  } else {
    args.push('--load')
  }
  for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`)
  args.push('.')
  options.onLine?.(`building with ${recipe.source === 'package' ? "the package's Containerfile" : recipe.source === 'override' ? "the project's Containerfile (it replaces the package's)" : `the project's ${recipe.containerfile}`}, context ${recipe.cwd}`)
  await run('docker', args, {cwd: recipe.cwd, onLine: options.onLine, step: 'docker buildx build', hint: 'Fix the build error it reports; `airflow-ecs doctor` checks docker and buildx.', explain: explainDocker, logDir: logDir(ctx)})
  return {image, pushed: options.push, recipe: recipe.source}
}
