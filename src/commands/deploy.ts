import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Deploy extends BaseCommand {
  static override summary = 'Create or update the whole deployment: infrastructure, image, database, admin user.'
  static override description = `Runs, in order: preflight checks, terraform init, the ECR repository (only when missing), docker build and push (skipped with --image), terraform plan and apply, airflow db migrate, the admin user (first deploy only), and waits for the services. Prints the URL and how long each step took.
On a terminal it shows the plan and asks before applying; elsewhere pass --yes. Running it again continues from where it stopped.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> deploy', '<%= config.bin %> deploy --yes', '<%= config.bin %> deploy --yes --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:3f2a9c1d0b7e']
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Apply without asking (needed when not on a terminal).'}),
    image: Flags.string({description: 'Deploy this prebuilt image instead of building one.'}),
    platform: Flags.string({description: 'Image platform to build for.', default: 'linux/amd64'}),
    'stable-timeout': Flags.string({description: 'How long to wait for the services to be stable.', default: '15m'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Deploy)
    const [{resolveSettings}, {parseDuration}, {stdinIsTTY, stdoutIsTTY, table}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/time.js'),
      import('../lib/ui/output.js'),
    ])
    const stableTimeoutMs = parseDuration(flags['stable-timeout'], '--stable-timeout')
    const interactive = stdinIsTTY() && stdoutIsTTY()
    if (!interactive && !flags.yes) {
      const {invalid} = await import('../lib/errors.js')
      throw invalid('deploy asks before applying, and this is not a terminal.', 'Pass --yes to apply without asking (CI).')
    }
    const settings = resolveSettings(flags)
    const {deploy} = await import('../lib/lifecycle/deploy.js')
    const result = await deploy(settings, {
      image: flags.image,
      platform: flags.platform,
      yes: flags.yes,
      interactive,
      bin: this.config.bin,
      stableTimeoutMs,
      confirm: async (plan) => {
        const {confirm} = await import('@inquirer/prompts')
        return confirm({message: `Terraform will add ${plan.add}, change ${plan.change}, destroy ${plan.destroy}. Apply?`, default: plan.destroy === 0})
      },
    })
    this.log('')
    this.log(table(result.steps, [
      {header: 'step', get: (s) => s.step},
      {header: 'status', get: (s) => s.status},
      {header: 'seconds', get: (s) => s.seconds.toFixed(1), align: 'right'},
      {header: 'note', get: (s) => s.note ?? ''},
    ]))
    this.log('')
    this.log(`Airflow is at ${result.url}`)
    if (result.firstDeploy) {
      if (interactive) {
        const {adminPassword, ADMIN_USER} = await import('../lib/lifecycle/admin.js')
        const {awsContext} = await import('../lib/aws/context.js')
        const password = await adminPassword(await awsContext(flags))
        this.log(`Sign in as "${ADMIN_USER}" with the password ${password} (shown once; \`${this.config.bin} admin-password\` shows it again).`)
      } else {
        this.log(`Sign in as "admin"; \`${this.config.bin} admin-password\` prints the password (on a terminal).`)
      }
    }
    return result
  }
}
