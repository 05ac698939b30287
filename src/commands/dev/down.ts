import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DevDown extends BaseCommand {
  static override summary = 'Stop the local Airflow stack (its database is kept unless --volumes).'
  static override examples = ['<%= config.bin %> dev down', '<%= config.bin %> dev down --volumes']
  static override flags = {
    volumes: Flags.boolean({description: 'Also delete the local database and the generated Fernet key.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DevDown)
    const [{resolveSettings}, dev] = await Promise.all([import('../../lib/config/resolver.js'), import('../../lib/dev/compose.js')])
    const stack = dev.stageDev(resolveSettings())
    await dev.requireEngine()
    await dev.compose(stack, ['down', ...(flags.volumes ? ['--volumes'] : [])], (line) => this.note(line))
    this.log(`Stopped the local stack ${stack.project}${flags.volumes ? ' and deleted its volumes' : ''}.`)
  }
}
