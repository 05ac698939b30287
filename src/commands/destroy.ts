import {Flags} from '@oclif/core'

import {BaseCommand, stateFlags} from '../lib/command.js'

export default class Destroy extends BaseCommand {
  static override summary = 'Delete the whole deployment (empties the ECR repository and the bucket first).'
  static override description = `On a terminal you type the project name to confirm; --yes skips that (CI).
The database is kept as a final RDS snapshot named <project>-<workspace>-final-<YYYYMMDD-HHMM>: the output prints its name, \`deploy --restore-snapshot NAME\` (which creates a new deployment's database from it) and what it costs a month; --skip-final-snapshot deletes the data instead.
Only this environment goes (--env): the Terraform state bucket, and every other environment, stay. The ECR repository and the bucket are emptied first so Terraform can delete them (found in the Terraform state when a deploy stopped before its outputs existed), then terraform destroy runs. Secrets Manager keeps the deleted secrets for their recovery window (7 days by default); the output lists them and how to purge them at once.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> destroy', '<%= config.bin %> destroy --yes', '<%= config.bin %> destroy --skip-final-snapshot']
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Do not ask (needed when not on a terminal).'}),
    'skip-final-snapshot': Flags.boolean({description: 'Delete the database without the final snapshot destroy otherwise keeps (its data is gone for good).'}),
    ...stateFlags,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Destroy)
    const [{resolveSettings, loadDeployment, stateExists}, {contextFor}, {stdinIsTTY, stdoutIsTTY}, {CliError, invalid}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/aws/context.js'),
      import('../lib/ui/output.js'),
      import('../lib/errors.js'),
    ])
    const interactive = stdinIsTTY() && stdoutIsTTY()
    if (!interactive && !flags.yes) throw invalid('destroy asks for confirmation, and this is not a terminal.', 'Pass --yes to destroy without asking.')
    const settings = resolveSettings(flags)
    const [{requireTerraformDir}, {prepareInfra}] = await Promise.all([import('../lib/terraform/terraform.js'), import('../lib/project/infra.js')])
    // Nothing deployed (no state, neither here nor in S3): nothing to prepare or destroy.
    if (!(await stateExists(settings))) {
      this.log(`Nothing to destroy: there is no Terraform state for ${settings.env ? `environment "${settings.env}" (${settings.project})` : settings.project}.`)
      return {project: settings.project, destroyed: false}
    }
    prepareInfra(settings)
    requireTerraformDir(settings)
    // A deploy that stopped early may have no airflow_ecs output yet: destroy what the state holds.
    const deployment = await loadDeployment(settings, {refresh: true}).catch((error: {code?: string}) => {
      if (error.code === 'NO_DEPLOYMENT') return undefined
      throw error
    })
    const ctx = deployment ? contextFor(settings, deployment) : undefined
    const project = deployment?.project ?? settings.project
    if (!flags.yes) {
      const {input} = await import('@inquirer/prompts')
      const what = flags['skip-final-snapshot'] ? 'its database included, with NO final snapshot' : 'its database included (a final snapshot is kept)'
      const typed = await input({message: `This deletes every resource of "${project}", ${what}. Type the project name to confirm:`})
      if (typed.trim() !== project) throw new CliError('Not confirmed; nothing was deleted.', {code: 'CANCELLED', hint: `Type "${project}" exactly, or pass --yes.`})
    }
    const {destroy} = await import('../lib/lifecycle/destroy.js')
    const result = await destroy(ctx, settings, interactive && !this.jsonEnabled(), {skipFinalSnapshot: Boolean(flags['skip-final-snapshot'])})
    this.log(`Destroyed ${settings.env ? `environment "${settings.env}" (${project})` : project} (emptied first: ${result.deletedImages} images, ${result.deletedObjects} objects).`)
    if (result.finalSnapshot) {
      const s = result.finalSnapshot
      this.log(`The database is kept as the RDS snapshot ${s.name}: at most $${s.monthlyUsd.toFixed(2)} a month (${s.allocatedGb} GB of snapshot storage) until you delete it.`)
      this.log(`  Restore it into a new deployment: ${this.config.bin} deploy --restore-snapshot ${s.name}`)
      this.log(`  Delete it: aws rds delete-db-snapshot --db-snapshot-identifier ${s.name}`)
    }
    if (result.secretsInRecovery.length > 0) {
      this.log(
        `Secrets Manager keeps ${result.secretsInRecovery.length} deleted secrets for their recovery window (secret_recovery_window_days, 7 days by default); a new deploy makes new ones, so nothing blocks it. To purge them now:`,
      )
      for (const command of result.purgeCommands) this.log(`  ${command}`)
    }
    return {...result, destroyed: true}
  }
}
