import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class StateUnlock extends BaseCommand {
  static override summary = "Release the lock on an environment's Terraform state that a killed deploy or destroy left behind."
  static override description = `The ID is the one a refused deploy printed ("locked by … lock ID …"). Releases the CLI's lock or Terraform's own (the .tflock object) when it has that ID, after a confirmation on a terminal (--yes otherwise). Only do it when the run that holds the lock is gone: two runs at once can damage the state.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> state unlock 6f1c2b9e-3a4d-4f5e-8a7b-1c2d3e4f5a6b --env staging']
  static override args = {
    id: Args.string({description: 'The lock ID.', required: true}),
  }
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Do not ask (needed when not on a terminal).'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(StateUnlock)
    const [{resolveSettings}, {unlockState}, {stdinIsTTY, stdoutIsTTY}, {invalid}] = await Promise.all([
      import('../../lib/config/resolver.js'),
      import('../../lib/state/lock.js'),
      import('../../lib/ui/output.js'),
      import('../../lib/errors.js'),
    ])
    if (!/^[A-Za-z0-9-]{8,64}$/.test(args.id)) throw invalid(`Invalid lock ID ${JSON.stringify(args.id.slice(0, 70))}.`, 'Give the ID the lock message printed (a UUID such as 6f1c2b9e-3a4d-4f5e-8a7b-1c2d3e4f5a6b).')
    const interactive = stdinIsTTY() && stdoutIsTTY() && !this.jsonEnabled()
    if (!interactive && !flags.yes) throw invalid('state unlock asks for confirmation, and this is not a terminal.', 'Pass --yes to release the lock without asking.')
    const settings = resolveSettings(flags)
    const result = await unlockState(settings, args.id, async (holder, kind) => {
      if (flags.yes) return true
      const {confirm} = await import('@inquirer/prompts')
      return confirm({
        message: `Release ${kind === 'terraform' ? "Terraform's" : 'the'} lock ${holder.ID} (${holder.Operation ?? 'unknown'} by ${holder.Who ?? 'unknown'} since ${holder.Created ?? 'unknown'})? Only if that run is gone.`,
        default: false,
      })
    })
    this.log(`Released the lock ${result.id} (${result.holder.Operation ?? result.lock} by ${result.holder.Who ?? 'unknown'}).`)
    return result
  }
}
