import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DevLogs extends BaseCommand {
  static override summary = 'Logs of the local stack: every service, or one component.'
  static override examples = ['<%= config.bin %> dev logs', '<%= config.bin %> dev logs scheduler --follow']
  static override args = {
    component: Args.string({description: 'api-server, scheduler, dag-processor, triggerer, worker, init, postgres or elasticmq (default: all).'}),
  }

  static override flags = {
    follow: Flags.boolean({char: 'f', description: 'Keep printing new lines until Ctrl-C.'}),
    tail: Flags.integer({description: 'Lines from the end of each log.', default: 200}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(DevLogs)
    const [{resolveSettings}, dev] = await Promise.all([import('../../lib/config/resolver.js'), import('../../lib/dev/compose.js')])
    const stack = dev.stageDev(resolveSettings())
    await dev.requireEngine()
    const service = args.component ? [dev.serviceName(args.component)] : []
    await dev.compose(stack, ['logs', '--tail', String(flags.tail), ...(flags.follow ? ['--follow'] : []), ...service], (line) => this.log(line))
  }
}
