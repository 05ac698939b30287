import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsList extends BaseCommand {
  static override summary = 'List the connections stored for the deployment: ids, types, hosts, last change; never values.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connections list', '<%= config.bin %> connections list --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(ConnectionsList)
    const [{awsContext}, {SecretStore}, {table}] = await Promise.all([
      import('../../lib/aws/context.js'),
      import('../../lib/secrets/store.js'),
      import('../../lib/ui/output.js'),
    ])
    const store = new SecretStore(await awsContext(flags), 'connection')
    const connections = await store.listConnections()
    if (connections.length === 0) {
      this.log(`No connections under ${store.prefix}/.`)
    } else {
      this.log(
        table(connections, [
          {header: 'conn_id', get: (c) => c.id},
          {header: 'type', get: (c) => c.connType},
          {header: 'host', get: (c) => c.host},
          {header: 'changed', get: (c) => c.lastChanged},
        ]),
      )
    }
    return connections.map(({id, connType, host, lastChanged, name}) => ({connId: id, connType, host, lastChanged, secretName: name}))
  }
}
