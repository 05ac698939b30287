import {basename} from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

/** "region" of the environment's entry in airflow-ecs.json, when it has one. */
function environmentRegion(file: Record<string, unknown>, env: string | undefined): string | undefined {
  const entry = env ? (file.environments as Record<string, {region?: unknown}> | undefined)?.[env] : undefined
  return entry && typeof entry === 'object' && typeof entry.region === 'string' ? entry.region : undefined
}

export default class Init extends BaseCommand {
  static override summary = 'Make this folder an airflow-ecs project: airflow-ecs.json, plus dags/, plugins/, requirements.txt, .airflowignore and a .gitignore block when missing.'
  static override description = `Works in an empty folder or an existing Airflow project: it writes only what is missing and says which files it kept. airflow-ecs.json holds the project name, region, who may reach the UI and the worker range; on a terminal it asks for what the flags did not give, with --yes or without a terminal it uses the defaults and never waits for input. Running it again keeps what is there. No secret is ever written. The project holds no Terraform of the deployment and no Containerfile: both come from the installed package (see \`eject infra\` and the Containerfile override). With --ci github and --env NAME it also writes .github/workflows/airflow-ecs-NAME.yml, a GitHub Actions workflow that runs \`deploy --yes --env NAME\` on every push to --branch with AWS credentials from OpenID Connect, and copies the opt-in Terraform module of the role it assumes to ci/github-deploy-role/ (once; see the README's CI section). A workflow that differs from the one init writes is refused unless --force.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --name analytics --region eu-west-1 --allowed-cidr 203.0.113.7/32 --yes',
    '<%= config.bin %> init --ci github --env production',
  ]
  static override flags = {
    name: Flags.string({description: 'Project name (cluster name and resource prefix).'}),
    'allowed-cidr': Flags.string({description: 'CIDR allowed to reach the web UI (repeatable).', multiple: true}),
    'min-workers': Flags.integer({description: 'Fewest Celery workers (0 scales to zero).'}),
    'max-workers': Flags.integer({description: 'Most Celery workers.'}),
    platform: Flags.string({description: 'Image platform.', options: ['linux/amd64', 'linux/arm64']}),
    yes: Flags.boolean({char: 'y', description: 'Use defaults for anything not given; ask nothing.'}),
    ci: Flags.string({
      description: 'Also write a CI workflow that deploys the --env environment on every push to --branch (.github/workflows/airflow-ecs-ENV.yml), and copy the Terraform module of its deploy role to ci/github-deploy-role/.',
      options: ['github'],
    }),
    branch: Flags.string({description: 'With --ci: the branch whose pushes deploy (default: main).', dependsOn: ['ci']}),
    force: Flags.boolean({description: 'With --ci: replace a workflow file that differs from what init writes.', dependsOn: ['ci']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Init)
    const [{findProjectRoot, readProjectFile}, init, {stdinIsTTY, stdoutIsTTY}, {scaffold}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/lifecycle/init.js'),
      import('../lib/ui/output.js'),
      import('../lib/project/scaffold.js'),
    ])
    const root = findProjectRoot()
    const base = init.defaults(readProjectFile(root), basename(root))
    const answers = {
      name: flags.name ?? base.name,
      region: flags.region ?? base.region,
      allowedCidrs: flags['allowed-cidr'] ?? base.allowedCidrs,
      minWorkers: flags['min-workers'] ?? base.minWorkers,
      maxWorkers: flags['max-workers'] ?? base.maxWorkers,
      platform: flags.platform ?? base.platform,
    }
    if (!flags.yes && stdinIsTTY() && stdoutIsTTY()) {
      const {input, number, select} = await import('@inquirer/prompts')
      const valid = (check: (v: string) => unknown) => (value: string) => {
        try {
          check(value)
          return true
        } catch (error) {
          return (error as Error).message
        }
      }
      if (!flags.name) answers.name = await input({message: 'Project name', default: answers.name, validate: valid(init.checkName)})
      if (!flags.region) answers.region = await input({message: 'AWS region', default: answers.region})
      if (!flags['allowed-cidr']) {
        const cidrs = await input({
          message: 'Who may open the web UI? CIDRs, comma-separated (empty: nobody yet)',
          default: answers.allowedCidrs.join(', '),
          validate: valid((v) => v.split(',').map((c) => c.trim()).filter(Boolean).forEach(init.checkCidr)),
        })
        answers.allowedCidrs = cidrs.split(',').map((c) => c.trim()).filter(Boolean)
      }
      if (flags['min-workers'] === undefined) answers.minWorkers = (await number({message: 'Fewest workers', default: answers.minWorkers, min: 0})) ?? answers.minWorkers
      if (flags['max-workers'] === undefined) answers.maxWorkers = (await number({message: 'Most workers', default: answers.maxWorkers, min: 1, max: 50})) ?? answers.maxWorkers
      if (!flags.platform) {
        answers.platform = await select<string>({
          message: 'Image platform, and the CPU of every task (arm64 is Graviton: about 20% cheaper)',
          default: answers.platform,
          choices: [
            {name: 'linux/arm64', value: 'linux/arm64'},
            {name: 'linux/amd64', value: 'linux/amd64'},
          ],
        })
      }
    }
    // --ci: everything checked, and an existing different workflow refused, before anything is written.
    const ci = flags.ci ? await import('../lib/ci/github.js') : undefined
    const env = flags.env ?? (process.env.AIRFLOW_ECS_ENV || undefined)
    const ciPlan = ci?.planCi(root, {
      name: answers.name,
      env: env as string,
      branch: flags.branch ?? 'main',
      region: flags.region ?? environmentRegion(readProjectFile(root), env) ?? answers.region,
      version: this.config.version,
      force: flags.force,
    })
    const result = init.writeProjectFile(root, answers)
    this.log(`${result.created ? 'Wrote' : 'Updated'} ${result.path}`)
    const files = scaffold(root)
    if (files.created.length > 0) this.log(`Created ${files.created.join(', ')}`)
    if (files.kept.length > 0) this.log(`Kept what was there: ${files.kept.join(', ')}`)
    if (answers.allowedCidrs.length === 0) this.log('The web UI is closed to everyone until you add --allowed-cidr (e.g. your address/32).')
    if (ci && ciPlan) {
      const written = ci.writeCi(root, ciPlan)
      const added = ci.ensureEnvironment(result.path, ciPlan.env)
      const verb = {created: 'Wrote', kept: 'Kept', replaced: 'Replaced'}[written.workflow.status]
      this.log(`${verb} ${written.workflow.path} (deploys ${ciPlan.env}, project ${ciPlan.projectName}, on pushes to ${ciPlan.branch})`)
      const tfvars = `${ciPlan.env}.tfvars`
      if (written.module.status === 'created') this.log(`Copied the deploy role's Terraform module to ${written.module.path}, with ${tfvars}`)
      else this.log(`Kept ${written.module.path}${written.tfvars.status === 'created' ? `; wrote ${tfvars} there` : ` and its ${tfvars}`}`)
      if (added) this.log(`Added the environment "${ciPlan.env}" to ${result.path}`)
      for (const line of written.next) this.log(`Next: ${line}`)
      return {...result, ...files, ci: {...written, environmentAdded: added}}
    }
    this.log(`Next: ${this.config.bin} deploy`)
    return {...result, ...files}
  }
}
