import {BaseCommand} from '../../lib/command.js'

export default class DagsVersions extends BaseCommand {
  static override summary = 'List the published versions of the DAG bundle, newest (live) first.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> dags versions', '<%= config.bin %> dags versions --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(DagsVersions)
    const [{awsContext}, {listVersions}, {table}] = await Promise.all([import('../../lib/aws/context.js'), import('../../lib/dags/bundle.js'), import('../../lib/ui/output.js')])
    const rows = await listVersions(await awsContext(flags))
    this.log(
      rows.length === 0
        ? 'No DAG bundle version published yet: `airflow-ecs dags deploy` publishes one.'
        : table(rows, [
            {header: 'version', get: (r) => `${r.version}${r.live ? ' (live)' : ''}`},
            {header: 'published', get: (r) => r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')},
            {header: 'author', get: (r) => r.author},
            {header: 'commit', get: (r) => r.gitCommit?.slice(0, 10) ?? '-'},
            {header: 'files', get: (r) => String(r.files)},
            {header: 'message', get: (r) => r.message ?? ''},
          ]),
    )
    return rows
  }
}
