import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsSet extends BaseCommand {
  static override summary = 'Create or replace a connection, where the deployed Airflow reads it.'
  static override description = `Stored as one Secrets Manager secret, <project>/connections/<conn_id>, in the JSON form the amazon provider's SecretsManagerBackend reads (conn_type, host, login, password, schema, port, extra), tagged with the project. One write: a new secret, or a new value of the existing one.
The definition is a URI (parsed as \`airflow connections add --conn-uri\` parses it), Airflow's connection JSON, or the field flags. "-" reads the definition from stdin, which keeps a password out of the shell history. Nothing is written when the input is wrong.`
  static override enableJsonFlag = true
  static override examples = [
    "<%= config.bin %> connections set my_db 'postgres://ada:s3cret@db.example.com:5432/analytics?sslmode=require'",
    '<%= config.bin %> connections set my_db - < my_db.uri',
    `<%= config.bin %> connections set my_api --conn-json '{"conn_type": "http", "host": "api.example.com", "password": "…"}'`,
    `<%= config.bin %> connections set aws_eu --type aws --extra '{"region_name": "eu-west-1"}'`,
  ]
  static override args = {
    conn_id: Args.string({description: 'The connection id (letters, digits, _ - . /).', required: true}),
    definition: Args.string({description: 'A URI or Airflow\'s connection JSON (detected as the backend does: JSON when it starts with "{"); "-" reads stdin.'}),
  }
  static override flags = {
    uri: Flags.string({description: 'The connection as a URI: <type>://<login>:<password>@<host>:<port>/<schema>?<extra>.'}),
    'conn-json': Flags.string({description: "Airflow's connection JSON (as `airflow connections add --conn-json`)."}),
    type: Flags.string({description: 'The connection type (conn_type), e.g. postgres, http, aws.'}),
    host: Flags.string({description: 'Host.'}),
    login: Flags.string({description: 'Login.'}),
    password: Flags.string({description: 'Password (visible in your shell history: prefer "-" and stdin).'}),
    port: Flags.string({description: 'Port.'}),
    schema: Flags.string({description: 'Schema.'}),
    extra: Flags.string({description: 'Extra, a JSON object (with --uri it replaces the URI\'s extras).'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConnectionsSet)
    const {prepareConnection} = await import('../../lib/secrets/input.js')
    const prepared = prepareConnection(args.conn_id, {...flags, definition: args.definition})
    for (const note of prepared.notes) this.note(note)
    const {setEntry} = await import('../../lib/secrets/verbs.js')
    const {data, text} = await setEntry(flags, 'connection', prepared)
    this.log(text)
    return {connId: data.id, secretName: data.secretName, action: data.action}
  }
}
