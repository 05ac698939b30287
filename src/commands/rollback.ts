import {Args, Flags} from '@oclif/core'

import {BaseCommand, stateFlags} from '../lib/command.js'

export default class Rollback extends BaseCommand {
  static override summary = 'Put every service back on the task definitions of an earlier release (no build), and wait until stable.'
  static override description = `RELEASE is a number from \`releases\`; without it, the newest successful release whose task definitions differ from the live ones. Every ECS service is updated to that release's task definition, the command waits until ECS calls the rollout complete, and records a new release (kind rollback); the release it replaced is marked rolled-back.
It refuses, changing nothing: an unknown release, one that did not succeed, the release already live, while another release is in progress, and a release whose Airflow version is older than the database's schema. Going below the schema needs \`airflow db downgrade\`: --downgrade-database does it (a snapshot first, then the downgrade as a one-off task with the current image, then the rollback), on a terminal only, after you type the project name; --yes never confirms a downgrade.
The rolled-back image is written into the Terraform settings file (airflow-ecs.auto.tfvars.json) so the next deploy plans that image rather than undoing the rollback. The DAG bundle is not changed (\`dags rollback\` does that).
It holds the state's lock as deploy does: while a deploy or destroy of the environment runs, it is refused naming who holds the lock (or waits: --lock-timeout), and a deploy started meanwhile is refused the same way.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> rollback', '<%= config.bin %> rollback 12 --yes', '<%= config.bin %> rollback 12 --downgrade-database']
  static override args = {
    release: Args.string({description: 'Release number to go back to (default: the previous good one).', required: false}),
  }
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Roll back without asking (needed when not on a terminal). Never enough for --downgrade-database.'}),
    'downgrade-database': Flags.boolean({description: 'When the target runs an older Airflow than the database: snapshot, `airflow db downgrade`, then roll back (terminal and typed confirmation only).'}),
    'stable-timeout': Flags.string({description: 'How long to wait for the services to be stable.', default: '15m'}),
    ...stateFlags,
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Rollback)
    const [{parseDuration}, {stdinIsTTY, stdoutIsTTY}, {CliError, invalid}, {checkReleaseArg}] = await Promise.all([
      import('../lib/time.js'),
      import('../lib/ui/output.js'),
      import('../lib/errors.js'),
      import('../lib/releases/rollback.js'),
    ])
    const stableTimeoutMs = parseDuration(flags['stable-timeout'], '--stable-timeout')
    if (args.release !== undefined) checkReleaseArg(args.release)
    const interactive = stdinIsTTY() && stdoutIsTTY() && !this.jsonEnabled()
    if (flags['downgrade-database'] && !interactive) {
      throw invalid('--downgrade-database asks for a typed confirmation, and this is not a terminal.', 'Run it on a terminal: a schema downgrade is never confirmed by --yes.')
    }
    if (!interactive && !flags.yes) throw invalid('rollback asks before changing the services, and this is not a terminal.', 'Pass --yes to roll back without asking.')
    const {awsContext} = await import('../lib/aws/context.js')
    const ctx = await awsContext(flags)
    const project = ctx.deployment.project
    const {rollback} = await import('../lib/releases/rollback.js')
    const {input, confirm} = await import('@inquirer/prompts')
    if (interactive && !flags.yes && !flags['downgrade-database']) {
      const ok = await confirm({message: `Roll every service of "${project}" back${args.release ? ` to release ${args.release}` : ' to the previous good release'}?`, default: false})
      if (!ok) throw new CliError('Rollback cancelled; nothing was changed.', {code: 'CANCELLED', hint: 'Run it again and answer yes, or pass --yes.'})
    }
    const result = await rollback(ctx, {
      target: args.release,
      downgradeDatabase: flags['downgrade-database'],
      stableTimeoutMs,
      fancy: stdoutIsTTY() && !this.jsonEnabled(),
      bin: this.config.bin,
      async confirmDowngrade(message) {
        const typed = await input({message: `${message} Type the project name to confirm:`})
        return typed.trim() === project
      },
    })
    const changed = Object.keys(result.services)
    this.log(`Rolled back to release ${result.target}${result.image ? ` (${result.image.split('/').pop()})` : ''}: ${changed.length} services updated${changed.length ? ` (${changed.join(', ')})` : ''}, all stable.`)
    if (result.downgraded) this.log(`The database schema was downgraded to Airflow ${result.downgraded} (snapshot ${result.snapshot} taken first).`)
    this.log(`Recorded as release ${result.release}. The next deploy keeps this image (written into airflow-ecs.auto.tfvars.json) until you deploy another.`)
    return result
  }
}
