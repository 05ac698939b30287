import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsGet extends BaseCommand {
  static override summary = 'Show a connection as the deployed Airflow reads it; the password and secret-looking extras masked.'
  static override description = `Reads <project>/connections/<conn_id> and parses it as the SecretsManagerBackend does (JSON, or a URI written by another tool). The password and extras whose key looks secret (password, token, secret, private_key, … as Airflow's own masker decides) are shown as *** unless --reveal.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connections get my_db', '<%= config.bin %> connections get my_db --json', '<%= config.bin %> connections get my_db --reveal']
  static override args = {
    conn_id: Args.string({description: 'The connection id.', required: true}),
  }
  static override flags = {
    reveal: Flags.boolean({description: 'Show the password and every extra as stored.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConnectionsGet)
    const [{checkId}, {masked, parseStored}] = await Promise.all([import('../../lib/secrets/kinds.js'), import('../../lib/secrets/connection.js')])
    const id = checkId('connection', args.conn_id)
    const [{awsContext}, {SecretStore}, {fields}] = await Promise.all([
      import('../../lib/aws/context.js'),
      import('../../lib/secrets/store.js'),
      import('../../lib/secrets/render.js'),
    ])
    const store = new SecretStore(await awsContext(flags), 'connection')
    const {value, lastChanged} = await store.read(id)
    const stored = parseStored(id, value)
    const connection = flags.reveal ? stored : masked(stored)
    this.log(
      fields([
        ['conn_id', id],
        ['conn_type', connection.conn_type],
        ['host', connection.host],
        ['port', connection.port],
        ['schema', connection.schema],
        ['login', connection.login],
        ['password', connection.password],
        ['extra', connection.extra ? JSON.stringify(connection.extra) : undefined],
        ['changed', lastChanged],
        ['secret', store.nameOf(id)],
      ]),
    )
    if (!flags.reveal && (connection.password !== undefined || JSON.stringify(connection.extra ?? {}).includes('"***"'))) {
      this.note('(*** hides a value: --reveal shows it)')
    }
    return {connId: id, secretName: store.nameOf(id), lastChanged, revealed: Boolean(flags.reveal), connection}
  }
}
