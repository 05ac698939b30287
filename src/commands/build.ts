import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Build extends BaseCommand {
  static override summary = 'Build the Airflow image and push it to the deployment\'s ECR repository.'
  static override description = 'The recipe is the package\'s Containerfile and airflow_ecs package with the project\'s dags/, plugins/ and requirements.txt (checked against Airflow\'s constraints first); a Containerfile at the project root replaces the package\'s. Tagged with the git commit (-dirty when the tree has changes). ECR login uses GetAuthorizationToken with the password on docker\'s stdin. Tags are immutable: an existing tag is refused. The newest image in the repository is the build cache.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> build', '<%= config.bin %> build --tag 2026-11-24 --platform linux/arm64,linux/amd64', '<%= config.bin %> build --no-push']
  static override flags = {
    tag: Flags.string({description: 'Image tag (default: the git commit).'}),
    platform: Flags.string({description: 'Target platform(s): linux/arm64, linux/amd64, or both comma-separated for a multi-arch image. [default: the deployment\'s architecture, linux/arm64 unless set]'}),
    push: Flags.boolean({description: 'Push to ECR (--no-push: load into the local docker).', default: true, allowNo: true}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Build)
    const [{awsContext}, build, {stdoutIsTTY}, {checkPlatform}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/docker/build.js'),
      import('../lib/ui/output.js'),
      import('../lib/config/validate.js'),
    ])
    if (flags.tag) build.checkTag(flags.tag)
    if (flags.platform) checkPlatform(flags.platform, '--platform')
    const ctx = await awsContext(flags)
    const {buildPlatform} = await import('../lib/config/resolver.js')
    const platform = buildPlatform(ctx.settings, flags.platform, ctx.deployment.cpuArchitecture)
    if (!flags.push && platform.includes(',')) {
      const {invalid} = await import('../lib/errors.js')
      throw invalid('A multi-arch image cannot be loaded into the local docker (--no-push).', 'Push it (drop --no-push), or build one platform.')
    }
    const tag = flags.tag ?? (await build.gitTag(ctx.settings.projectRoot))
    const quiet = this.jsonEnabled() || !stdoutIsTTY()
    const result = await build.buildImage(ctx, {
      tag,
      platform,
      push: flags.push,
      onLine: (line) => (quiet ? process.stderr.write(`${line}\n`) : this.log(line)),
    })
    this.log(result.pushed ? `Pushed ${result.image}` : `Built ${result.image} (not pushed)`)
    return {...result, tag, platform}
  }
}
