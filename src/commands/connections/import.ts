import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsImport extends BaseCommand {
  static override summary = "Import connections from a file in Airflow's export formats; idempotent, with a dry run."
  static override description = `Formats: JSON as \`airflow connections export\` writes it ({"<conn_id>": {"conn_type": …, "host": …, "extra": …}} or {"<conn_id>": "<uri>"}), the same mapping in YAML (.yaml/.yml), and .env: <conn_id>=<uri or JSON> lines, or the local convention AIRFLOW_CONN_<CONN_ID>=… (the id is the rest of the name in lower case; other keys, such as AIRFLOW_VAR_*, are ignored).
The whole file is checked first: a duplicate id, an unknown field or a value Airflow could not read stops it with nothing written. Only entries that differ from what is stored are written, so a second run changes nothing and says so. Descriptions are not stored (the backend does not read them).`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> connections import connections.json --dry-run',
    '<%= config.bin %> connections import connections.json',
    '<%= config.bin %> connections import .env',
  ]
  static override args = {
    file: Args.string({description: 'A .json or .env file.', required: true}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show what would be created or updated (field names, never values); write nothing.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConnectionsImport)
    const {importEntries} = await import('../../lib/secrets/verbs.js')
    const {data, text, notes} = await importEntries(flags, 'connection', args.file, flags['dry-run'])
    for (const note of notes) this.note(note)
    this.log(text)
    return data
  }
}
