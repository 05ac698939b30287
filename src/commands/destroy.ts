import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Destroy extends BaseCommand {
  static override summary = 'Delete the whole deployment (empties the ECR repository and the bucket first).'
  static override description = 'On a terminal you type the project name to confirm; --yes skips that (CI). Secrets Manager keeps the deleted secrets for their recovery window (7 days by default); the output says how to purge them at once.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> destroy', '<%= config.bin %> destroy --yes']
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Do not ask (needed when not on a terminal).'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Destroy)
    const [{awsContext}, {stdinIsTTY, stdoutIsTTY}, {CliError, invalid}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/ui/output.js'),
      import('../lib/errors.js'),
    ])
    const interactive = stdinIsTTY() && stdoutIsTTY()
    if (!interactive && !flags.yes) throw invalid('destroy asks for confirmation, and this is not a terminal.', 'Pass --yes to destroy without asking.')
    const ctx = await awsContext(flags)
    const project = ctx.deployment.project
    if (!flags.yes) {
      const {input} = await import('@inquirer/prompts')
      const typed = await input({message: `This deletes every resource of "${project}", its database included. Type the project name to confirm:`})
      if (typed.trim() !== project) throw new CliError('Not confirmed; nothing was deleted.', {code: 'CANCELLED', hint: `Type "${project}" exactly, or pass --yes.`})
    }
    const {destroy} = await import('../lib/lifecycle/destroy.js')
    const result = await destroy(ctx, interactive)
    this.log(`Destroyed ${project} (${result.deletedImages} images and ${result.deletedObjects} objects emptied first).`)
    if (result.secretsInRecovery.length > 0) {
      this.log(`Secrets Manager keeps the ${result.secretsInRecovery.length} secrets for their recovery window (7 days unless secret_recovery_window_days says otherwise); a new deploy with the same name makes new ones. To purge them now:`)
      for (const command of result.purgeCommands) this.log(`  ${command}`)
    }
    return result
  }
}
