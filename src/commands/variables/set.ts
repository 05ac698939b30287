import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class VariablesSet extends BaseCommand {
  static override summary = 'Create or replace a variable, where the deployed Airflow reads it.'
  static override description = `Stored as one Secrets Manager secret, <project>/variables/<key>, whose text is the variable's value (what Variable.get returns), tagged with the project. One write: a new secret, or a new value of the existing one.
The value comes from the argument, --file (its content exactly), or stdin ("-", or a pipe when neither is given; one trailing newline is dropped). --json-value refuses a value that is not valid JSON, for variables read with deserialize_json=True.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> variables set environment production',
    `<%= config.bin %> variables set limits '{"max_rows": 1000}' --json-value`,
    '<%= config.bin %> variables set ca_bundle --file ca.pem',
    'vault read -field=token secret/x | <%= config.bin %> variables set api_token',
  ]
  static override args = {
    key: Args.string({description: 'The variable key (letters, digits, _ - . /).', required: true}),
    value: Args.string({description: 'The value; "-" reads stdin.'}),
  }
  static override flags = {
    file: Flags.string({char: 'f', description: 'Read the value from this file.'}),
    'json-value': Flags.boolean({description: 'The value must be valid JSON (nothing is written otherwise).'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(VariablesSet)
    const {prepareVariable} = await import('../../lib/secrets/input.js')
    const prepared = prepareVariable(args.key, {value: args.value, file: flags.file, 'json-value': flags['json-value']})
    const {setEntry} = await import('../../lib/secrets/verbs.js')
    const {data, text} = await setEntry(flags, 'variable', prepared)
    this.log(text)
    return {key: data.id, secretName: data.secretName, action: data.action}
  }
}
