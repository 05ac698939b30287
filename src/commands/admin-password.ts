import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class AdminPassword extends BaseCommand {
  static override summary = 'Print the password of the Airflow admin user (read from Secrets Manager).'
  static override description = `The password was generated inside AWS when the deployment was created; nothing stores it locally.
It is printed only to a terminal, so it does not end up in a CI log by accident; --reveal prints it anywhere (e.g. into a pipe).`
  static override examples = ['<%= config.bin %> admin-password', '<%= config.bin %> admin-password --reveal | pbcopy']
  static override flags = {
    reveal: Flags.boolean({description: 'Print it even when stdout is not a terminal.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(AdminPassword)
    if (!process.stdout.isTTY && !flags.reveal) {
      const {invalid} = await import('../lib/errors.js')
      throw invalid('Not printing a password to something that is not a terminal.', 'Run it in a terminal, or pass --reveal if you mean it.')
    }
    const [{awsContext}, {adminPassword, ADMIN_USER}] = await Promise.all([import('../lib/aws/context.js'), import('../lib/lifecycle/admin.js')])
    const password = await adminPassword(await awsContext(flags))
    if (process.stdout.isTTY) this.note(`user: ${ADMIN_USER}`)
    this.log(password)
  }
}
