import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Releases extends BaseCommand {
  static override summary = 'List the recorded releases (deploy, upgrade, dags deploy, rollback), newest first.'
  static override description = `Every deploy, upgrade, dags deploy and rollback records a release in the deployment's bucket (s3://<bucket>/releases/), so every checkout and CI see the same history: number, kind, outcome (in-progress, succeeded, failed, rolled-back), image, git commit, Airflow version, the task definition of each ECS service, the DAG bundle version, the snapshot taken before a migration, who (AWS caller and git user) and when.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> releases', '<%= config.bin %> releases --limit 5', '<%= config.bin %> releases --json']
  static override flags = {
    limit: Flags.integer({description: 'Show the newest N releases.', default: 20, min: 1}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Releases)
    const [{awsContext}, {listReleases}, {releasesTable}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/releases/store.js'),
      import('../lib/releases/render.js'),
    ])
    const rows = await listReleases(await awsContext(flags), flags.limit)
    this.log(rows.length === 0 ? 'No release recorded yet: `airflow-ecs deploy` records the first.' : releasesTable(rows))
    return rows
  }
}
