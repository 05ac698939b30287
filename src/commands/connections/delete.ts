import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsDelete extends BaseCommand {
  static override summary = 'Delete a connection; Secrets Manager keeps it for its recovery window unless --force.'
  static override description = `Airflow stops seeing it at once. Without --force the secret stays restorable for Secrets Manager's recovery window (30 days); the output prints the command that restores it.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connections delete my_db', '<%= config.bin %> connections delete my_db --force']
  static override args = {
    conn_id: Args.string({description: 'The connection id.', required: true}),
  }
  static override flags = {
    force: Flags.boolean({description: 'Delete at once, without a recovery window.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConnectionsDelete)
    const {deleteEntry} = await import('../../lib/secrets/verbs.js')
    const {data, text} = await deleteEntry(flags, 'connection', args.conn_id, flags.force)
    this.log(text)
    return data
  }
}
