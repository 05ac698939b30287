import {BaseCommand} from '../../lib/command.js'

export default class VariablesList extends BaseCommand {
  static override summary = 'List the variables stored for the deployment: keys and last change; never values.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> variables list', '<%= config.bin %> variables list --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(VariablesList)
    const [{openStore}, {table}] = await Promise.all([import('../../lib/secrets/verbs.js'), import('../../lib/ui/output.js')])
    const store = await openStore(flags, 'variable')
    const variables = await store.list()
    this.log(
      variables.length === 0
        ? `No variables under ${store.prefix}/.`
        : table(variables, [
            {header: 'key', get: (v) => v.id},
            {header: 'changed', get: (v) => v.lastChanged},
          ]),
    )
    return variables.map(({id, lastChanged, name}) => ({key: id, lastChanged, secretName: name}))
  }
}
