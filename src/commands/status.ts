import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class StatusCommand extends BaseCommand {
  static override summary = 'Show the deployment on one screen: services, rollouts, failures, targets, scaling.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --watch', '<%= config.bin %> status --json']
  static override flags = {
    watch: Flags.boolean({char: 'w', description: 'Refresh every few seconds until Ctrl-C.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(StatusCommand)
    const [{awsContext}, {status}, {render}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/status/status.js'),
      import('../lib/status/render.js'),
    ])
    const ctx = await awsContext(flags)
    if (!flags.watch || this.jsonEnabled()) {
      const result = await status(ctx)
      this.log(render(result))
      return result
    }
    const {sleep} = await import('../lib/time.js')
    if (process.stdout.isTTY) process.stdout.write('\u001B[2J')
    const controller = new AbortController()
    process.once('SIGINT', () => controller.abort())
    while (!controller.signal.aborted) {
      const screen = render(await status(ctx))
      // In place on a terminal: cursor home, the screen, then clear whatever the last one left below.
      const text = `${screen}\n\n(updated ${new Date().toLocaleTimeString()}; Ctrl-C to stop)`
      process.stdout.write(process.stdout.isTTY ? `\u001B[H${text.replaceAll('\n', '\u001B[K\n')}\u001B[K\u001B[J` : `${text}\n\n`)
      await sleep(5000, controller.signal)
    }
    return undefined
  }
}
