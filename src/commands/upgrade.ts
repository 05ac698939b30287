import {Flags} from '@oclif/core'

import {BaseCommand, stateFlags} from '../lib/command.js'

export default class Upgrade extends BaseCommand {
  static override summary = 'Move the deployment to another Airflow version, safely: snapshot, migrate, then roll the services.'
  static override description = `Sets "airflowVersion" in airflow-ecs.json to --to and deploys. Because the version changes, deploy first takes an RDS snapshot named after the release (<project>-release-<n>-<time>) and waits until it is available, then runs \`airflow db migrate\` as a one-off task, and only when that succeeds rolls the services. If the migration fails, the services keep the old version and the error names the snapshot and how to restore it. Pre-migration snapshots beyond the newest 5 ("snapshots": {"keep": N}) are deleted; the newest never is.
--to must be an Airflow 3 release number (3.MINOR.PATCH), newer than the deployed one. Build the image for it (the Containerfile's AIRFLOW_VERSION and the constraints) or pass --image.
--dry-run changes nothing: it runs \`airflow db migrate --show-sql-only\` with the new image (--image) in a one-off task and prints the SQL the upgrade would run.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> upgrade --to 3.3.3 --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:3f2a9c1d0b7e --dry-run', '<%= config.bin %> upgrade --to 3.3.3 --yes']
  static override flags = {
    ...stateFlags,
    to: Flags.string({description: 'The Airflow version to move to, e.g. 3.3.3.', required: true}),
    'dry-run': Flags.boolean({description: 'Only show the migration SQL (airflow db migrate --show-sql-only, in a one-off task); change nothing.'}),
    image: Flags.string({description: 'A prebuilt image of the new version instead of building one.', exclusive: ['tag']}),
    tag: Flags.string({description: 'Tag for the image deploy builds (default: the git commit).'}),
    platform: Flags.string({description: 'Image platform to build for (default: "platform" in airflow-ecs.json, else linux/amd64).'}),
    yes: Flags.boolean({char: 'y', description: 'Apply without asking (needed when not on a terminal).'}),
    'stable-timeout': Flags.string({description: 'How long to wait for the services to be stable.', default: '15m'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Upgrade)
    const [{resolveSettings}, {parseDuration}, {stdinIsTTY, stdoutIsTTY}, {invalid}, {checkAirflowVersion}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/time.js'),
      import('../lib/ui/output.js'),
      import('../lib/errors.js'),
      import('../lib/releases/version.js'),
    ])
    checkAirflowVersion(flags.to, '--to')
    const stableTimeoutMs = parseDuration(flags['stable-timeout'], '--stable-timeout')
    const interactive = stdinIsTTY() && stdoutIsTTY() && !this.jsonEnabled()
    if (!flags['dry-run'] && !interactive && !flags.yes) throw invalid('upgrade asks before applying, and this is not a terminal.', 'Pass --yes to apply without asking (CI), or --dry-run to only see the SQL.')
    if (flags.image) (await import('../lib/docker/build.js')).checkImageRef(flags.image)
    if (flags.tag) (await import('../lib/docker/build.js')).checkTag(flags.tag)
    const settings = resolveSettings(flags)
    const {upgrade} = await import('../lib/lifecycle/upgrade.js')
    const result = await upgrade(settings, {
      to: flags.to,
      dryRun: flags['dry-run'],
      image: flags.image,
      tag: flags.tag,
      platform: flags.platform ?? settings.file.platform ?? 'linux/amd64',
      yes: flags.yes,
      fancy: stdoutIsTTY() && !this.jsonEnabled(),
      bin: this.config.bin,
      stableTimeoutMs,
      onLine: (line) => this.streamLine(line),
      async confirm(plan) {
        const {confirm} = await import('@inquirer/prompts')
        return confirm({message: `Upgrade to Airflow ${flags.to}: Terraform will add ${plan.add}, change ${plan.change} and destroy ${plan.destroy} resources. Apply?`, default: plan.destroy === 0})
      },
    })
    if (result.dryRun) {
      this.log(`Dry run: the SQL above is what upgrading from Airflow ${result.from} to ${result.to} runs (task ${result.taskId}); nothing was changed.`)
    } else {
      this.log(`Upgraded from Airflow ${result.from} to ${result.to}: release ${result.release ?? '-'}${result.snapshot ? `, database snapshot ${result.snapshot} taken before the migration` : ''}.`)
      this.log(`Airflow is at ${result.url}`)
    }
    return result
  }
}
