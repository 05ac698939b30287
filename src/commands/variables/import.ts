import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class VariablesImport extends BaseCommand {
  static override summary = "Import variables from a file in Airflow's export formats; idempotent, with a dry run."
  static override description = `Formats: JSON as \`airflow variables export\` writes it ({"<key>": <value>} or {"<key>": {"value": …, "description": …}}; a value that is not a string is stored as JSON, as \`airflow variables import\` does), the same mapping in YAML (.yaml/.yml), and .env: <key>=<value> lines, or the local convention AIRFLOW_VAR_<KEY>=… (the key is the rest of the name in lower case; other keys, such as AIRFLOW_CONN_*, are ignored).
The whole file is checked first: a duplicate key or an unknown field stops it with nothing written. Only values that differ from what is stored are written, so a second run changes nothing and says so.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> variables import variables.json --dry-run', '<%= config.bin %> variables import variables.json', '<%= config.bin %> variables import .env']
  static override args = {
    file: Args.string({description: 'A .json or .env file.', required: true}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'Show which keys would be created or updated; write nothing.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(VariablesImport)
    const {importEntries} = await import('../../lib/secrets/verbs.js')
    const {data, text, notes} = await importEntries(flags, 'variable', args.file, flags['dry-run'])
    for (const note of notes) this.note(note)
    this.log(text)
    return data
  }
}
