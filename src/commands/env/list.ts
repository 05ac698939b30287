import {BaseCommand} from '../../lib/command.js'

export default class EnvList extends BaseCommand {
  static override summary = 'List the environments of this project: region, whether each is deployed, and its URL.'
  static override description = `The default environment (the project itself, no --env) and each entry of "environments" in airflow-ecs.json, whose settings override the top-level ones. Each environment has its own project name (<name>-<env> unless the entry sets "name"), its own Terraform state and its own resources, side by side in one account.
Reads each environment's Terraform outputs the way \`url\` does (cached; one S3 HeadObject per environment whose state is in the state bucket).`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> env list', '<%= config.bin %> env list --json']
  static override flags = {}

  async run(): Promise<unknown> {
    const {flags} = await this.parse(EnvList)
    const [{listEnvironments}, {table}] = await Promise.all([import('../../lib/state/environments.js'), import('../../lib/ui/output.js')])
    const rows = await listEnvironments(flags)
    this.log(
      table(rows, [
        {header: 'env', get: (r) => r.env},
        {header: 'project', get: (r) => r.project},
        {header: 'region', get: (r) => r.region},
        {header: 'deployed', get: (r) => (r.error ? 'unknown' : r.deployed ? 'yes' : 'no')},
        {header: 'url', get: (r) => r.error ?? r.url},
      ]),
    )
    if (rows.length === 1) this.log(`\nNo named environments: add them under "environments" in airflow-ecs.json (e.g. {"staging": {}, "prod": {}}), then deploy one with \`${this.config.bin} deploy --env staging\`.`)
    return rows
  }
}
