import {BaseCommand} from '../../lib/command.js'

export default class EjectInfra extends BaseCommand {
  static override summary = 'Copy the packaged Terraform module into the project (infra-terraform/) to own it.'
  static override description = `Until then deploy, destroy and status run the module shipped with the CLI, from .airflow-ecs/terraform/ (an upgrade of the CLI shows its infrastructure change in the next deploy's plan). After eject, the project's infra-terraform/ is used as it is, the state moves there with it (the resource addresses are the same), and upgrades no longer change it; status says which module runs.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> eject infra']

  async run(): Promise<unknown> {
    await this.parse(EjectInfra)
    const [{resolveSettings}, {ejectInfra}] = await Promise.all([import('../../lib/config/resolver.js'), import('../../lib/project/infra.js')])
    // The project's module is shared by every environment: ejected from the default one.
    const result = ejectInfra(resolveSettings({env: null}))
    this.log(`Copied the Terraform module (${result.files.length} files) to ${result.terraformDir}; airflow-ecs uses it from now on.`)
    if (result.movedState.length > 0) this.log(`Moved the deployment's ${result.movedState.join(', ')} there as well.`)
    this.log('Commit it, keep the state out of git (its .gitignore does), and run deploy: the plan shows any difference.')
    return result
  }
}
