import {Flags} from '@oclif/core'

import {BaseCommand, stateFlags} from '../lib/command.js'

export default class Deploy extends BaseCommand {
  static override summary = 'Create or update the whole deployment: infrastructure, image, database, admin user.'
  static override description = `In order: preflight checks, terraform init, the Terraform settings file (written before any apply), the ECR repository (only when missing), terraform plan, docker build and push (skipped with --image) while Terraform applies everything but the services (task definitions included), airflow db migrate (a standalone task), the admin user (first deploy only), terraform apply of the services, and a wait until every service is stable. Prints the URL and how long each step took.
On a terminal it shows the plan (to add / change / destroy) and asks before applying; --yes skips the question (needed in CI). Running it again continues from where it stopped.
Settings reach Terraform through infra-terraform/airflow-ecs.auto.tfvars.json, written from airflow-ecs.json (no secrets).
The Terraform state lives in the account: the first deploy creates the state bucket airflow-ecs-state-<account>-<region> (versioned, encrypted, public access blocked, TLS only; destroy never deletes it), so any clean checkout (a teammate, CI) deploys the same environment. A project with a local state is moved there once, after a question (--yes in CI); the local file stays as a dated copy. --local-state keeps a local file instead. While a deploy runs, another deploy or destroy of the same environment is refused, naming who holds the lock (or waits: --lock-timeout).
The admin password is generated in Secrets Manager; the first deploy shows it once on a terminal, and \`admin-password\` shows it again.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> deploy',
    '<%= config.bin %> deploy --yes',
    '<%= config.bin %> deploy --yes --env staging',
    '<%= config.bin %> deploy --yes --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow:3f2a9c1d0b7e',
  ]
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'Apply without asking (needed when not on a terminal, and with --json).'}),
    image: Flags.string({description: 'Deploy this prebuilt image instead of building one.', exclusive: ['tag']}),
    tag: Flags.string({description: 'Tag for the image deploy builds (default: the git commit, -dirty with changes).'}),
    platform: Flags.string({description: 'Image platform(s) to build for (default: "platform" in airflow-ecs.json, else the deployment\'s architecture: linux/arm64).'}),
    'stable-timeout': Flags.string({description: 'How long to wait for the services to be stable.', default: '15m'}),
    'restore-snapshot': Flags.string({description: 'Create the database from this RDS snapshot (the one `destroy` kept): a new deployment only.'}),
    'local-state': Flags.boolean({description: 'Keep the Terraform state in a local file (an experiment) instead of the account\'s state bucket.'}),
    ...stateFlags,
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Deploy)
    const [{resolveSettings}, {parseDuration}, {stdinIsTTY, stdoutIsTTY, table}, {invalid}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/time.js'),
      import('../lib/ui/output.js'),
      import('../lib/errors.js'),
    ])
    // Validation before anything runs.
    const stableTimeoutMs = parseDuration(flags['stable-timeout'], '--stable-timeout')
    const interactive = stdinIsTTY() && stdoutIsTTY() && !this.jsonEnabled()
    if (!interactive && !flags.yes) {
      throw invalid(
        this.jsonEnabled() ? 'deploy --json cannot ask before applying.' : 'deploy asks before applying, and this is not a terminal.',
        'Pass --yes to apply without asking (CI).',
      )
    }
    if (flags.tag) (await import('../lib/docker/build.js')).checkTag(flags.tag)
    if (flags.platform) (await import('../lib/config/validate.js')).checkPlatform(flags.platform, '--platform')
    if (flags['restore-snapshot']) (await import('../lib/releases/snapshots.js')).checkSnapshotName(flags['restore-snapshot'], '--restore-snapshot')
    const settings = resolveSettings(flags)
    const {deploy} = await import('../lib/lifecycle/deploy.js')
    const result = await deploy(settings, {
      image: flags.image,
      tag: flags.tag,
      platform: (await import('../lib/config/resolver.js')).buildPlatform(settings, flags.platform),
      yes: flags.yes,
      fancy: stdoutIsTTY() && !this.jsonEnabled(),
      bin: this.config.bin,
      stableTimeoutMs,
      restoreSnapshot: flags['restore-snapshot'],
      async confirmMove(question) {
        const {confirm} = await import('@inquirer/prompts')
        return confirm({message: question, default: true})
      },
      async confirm(plan) {
        const {confirm} = await import('@inquirer/prompts')
        return confirm({
          message: `Terraform will add ${plan.add}, change ${plan.change} and destroy ${plan.destroy} resources. Apply?`,
          default: plan.destroy === 0,
        })
      },
    })
    this.log('')
    this.log(
      table(result.steps, [
        {header: 'step', get: (s) => s.step},
        {header: 'status', get: (s) => s.status},
        {header: 'seconds', get: (s) => (s.status === 'skipped' ? '' : s.seconds.toFixed(1)), align: 'right'},
        {header: 'note', get: (s) => s.note ?? ''},
      ]),
    )
    this.log(`total ${result.timing.totalSeconds.toFixed(1)}s (CLI itself: ${result.timing.cliCpuSeconds.toFixed(2)}s CPU)`)
    this.log('')
    if (result.state.movedFrom) this.log(`Moved the Terraform state to ${result.state.location}; the local file is kept as ${result.state.backup}.`)
    if (result.release !== undefined) this.log(`Recorded as release ${result.release} (\`${this.config.bin} releases\` lists them, \`${this.config.bin} rollback\` goes back).`)
    if (result.snapshot) this.log(`The database was snapshotted before the migration as ${result.snapshot}.`)
    if (result.deletedSnapshots?.length) this.log(`Deleted older pre-migration snapshots (retention): ${result.deletedSnapshots.join(', ')}.`)
    this.log(`Airflow is at ${result.url}`)
    if (result.firstDeploy) {
      // Shown once, and only to a person at a terminal: never in CI output or with --json.
      if (interactive && !process.env.CI) {
        const [{adminPassword, ADMIN_USER}, {awsContext}] = await Promise.all([import('../lib/lifecycle/admin.js'), import('../lib/aws/context.js')])
        const password = await adminPassword(await awsContext(flags))
        this.log(`Sign in as "${ADMIN_USER}" with the password ${password}`)
        this.log(`(shown this once; \`${this.config.bin} admin-password\` prints it again)`)
      } else {
        this.log(`Sign in as "admin"; \`${this.config.bin} admin-password\` prints the password on a terminal.`)
      }
    }
    return result
  }
}
