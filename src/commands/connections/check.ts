import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ConnectionsCheck extends BaseCommand {
  static override summary = 'Ask the deployed Airflow to resolve a connection, and show what it sees.'
  static override description = `Runs a one-off task of the standalone task definition (the deployment's image, task role and secrets backend settings) that resolves the connection with Airflow's own Connection.get_connection_from_secrets, without a DAG run. It prints type, host, port, schema, the extras' keys, which backend answered, and whether a login and a password are set: never the password, the login or an extra's value (the task's log is kept in CloudWatch and S3).
Exits 1 when Airflow does not find it, naming the backends it asked and any that failed (e.g. access denied). Ctrl-C stops waiting; the task finishes on its own.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connections check my_db', '<%= config.bin %> connections check my_db --json']
  static override args = {
    conn_id: Args.string({description: 'The connection id.', required: true}),
  }
  static override flags = {
    timeout: Flags.string({description: 'Stop the task if it runs longer than this.', default: '10m'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ConnectionsCheck)
    const [{checkId}, {parseDuration}] = await Promise.all([import('../../lib/secrets/kinds.js'), import('../../lib/time.js')])
    const id = checkId('connection', args.conn_id)
    const timeoutMs = parseDuration(flags.timeout, '--timeout')
    const [{awsContext}, {checkConnection}, {fields}] = await Promise.all([
      import('../../lib/aws/context.js'),
      import('../../lib/secrets/check.js'),
      import('../../lib/secrets/render.js'),
    ])
    const {result, task} = await checkConnection(await awsContext(flags), this.config.bin, id, {line: (text) => this.streamLine(text), note: (text) => this.note(text)}, timeoutMs)
    const yes = (value?: boolean): string => (value ? 'set' : 'not set')
    this.log(
      fields([
        ['conn_id', id],
        ['resolved by', result.source],
        ['conn_type', result.conn_type],
        ['host', result.host ?? undefined],
        ['port', result.port ?? undefined],
        ['schema', result.schema ?? undefined],
        ['login', yes(result.login_set)],
        ['password', yes(result.password_set)],
        ['extra keys', result.extra_keys?.length ? result.extra_keys.join(', ') : '(none)'],
      ]),
    )
    return {...result, taskId: task.taskId}
  }
}
