// `build`: the production image, tagged with the git commit, pushed to the deployment's
// ECR repository. Login goes through the SDK's GetAuthorizationToken with the password on
// docker's stdin. Tags are immutable: an existing tag is refused, not overwritten.
import {DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand} from '@aws-sdk/client-ecr'

import {type AwsContext} from '../aws/context.js'
import {CliError, invalid} from '../errors.js'
import {run} from '../process/runner.js'

export const CONTAINERFILE = 'build/prod/Containerfile'

/** The git commit (12 characters), with -dirty when the work tree has changes. */
export async function gitTag(cwd: string): Promise<string> {
  const head = await run('git', ['rev-parse', '--short=12', 'HEAD'], {cwd, step: 'git rev-parse', hint: 'Run inside a git repository with a commit, or pass --tag.'})
  const status = await run('git', ['status', '--porcelain', '--untracked-files=no'], {cwd, step: 'git status'})
  return `${head.stdout.trim()}${status.stdout.trim() ? '-dirty' : ''}`
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
  })
}

export interface BuildOptions {
  tag: string
  platform: string
  push: boolean
  cwd: string
  onLine?: (line: string) => void
}

export async function buildImage(ctx: AwsContext, options: BuildOptions): Promise<{image: string; pushed: boolean}> {
  const repo = repository(ctx)
  const image = `${repo.url}:${options.tag}`
  if (options.push && (await tagExists(ctx, repo.name, options.tag))) {
    throw new CliError(`The tag ${options.tag} already exists in ${repo.name}, and tags are immutable.`, {
      code: 'INVALID_INPUT',
      exitCode: 1,
      hint: 'Commit your change (a new commit is a new tag), pass another --tag, or deploy the existing image with `airflow-ecs deploy --image ' + image + '`.',
    })
  }
  const registry = repo.url.split('/')[0]
  const args = ['buildx', 'build', '-f', CONTAINERFILE, '--platform', options.platform, '-t', image, '--cache-to', 'type=inline']
  if (options.push) {
    await ecrLogin(ctx, registry, options.onLine)
    const cache = await latestTag(ctx, repo.name)
    if (cache) args.push('--cache-from', `type=registry,ref=${repo.url}:${cache}`)
    args.push('--push')
  } else {
    args.push('--load')
  }
  args.push('.')
  await run('docker', args, {cwd: options.cwd, onLine: options.onLine, step: 'docker buildx build', hint: 'Fix the build error above; `airflow-ecs doctor` checks docker and buildx.'})
  return {image, pushed: options.push}
}
