import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class VariablesGet extends BaseCommand {
  static override summary = 'Show a variable: its size, kind and last change; the value only with --reveal.'
  static override description = `Without --reveal the value is never printed: you see whether it is there, how long it is and whether it parses as JSON. With --reveal the value alone goes to stdout, exactly as Airflow's Variable.get returns it (so it can be piped), or into "value" with --json.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> variables get environment', '<%= config.bin %> variables get limits --reveal', '<%= config.bin %> variables get limits --reveal --json']
  static override args = {
    key: Args.string({description: 'The variable key.', required: true}),
  }
  static override flags = {
    reveal: Flags.boolean({description: 'Print the value.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(VariablesGet)
    const {checkId, describeValue} = await import('../../lib/secrets/kinds.js')
    const key = checkId('variable', args.key)
    const [{openStore}, {fields}, {MASK}] = await Promise.all([
      import('../../lib/secrets/verbs.js'),
      import('../../lib/secrets/render.js'),
      import('../../lib/secrets/connection.js'),
    ])
    const store = await openStore(flags, 'variable')
    const {value, lastChanged} = await store.read(key)
    const {length, json} = describeValue(value)
    if (flags.reveal) {
      this.log(value)
    } else {
      const what = `${MASK} (${length} character${length === 1 ? '' : 's'}${json ? `, JSON ${json}` : ''}; --reveal shows it)`
      this.log(fields([['key', key], ['value', what], ['changed', lastChanged], ['secret', store.nameOf(key)]]))
    }
    return {key, secretName: store.nameOf(key), lastChanged, length, json: json ?? null, revealed: Boolean(flags.reveal), value: flags.reveal ? value : MASK}
  }
}
