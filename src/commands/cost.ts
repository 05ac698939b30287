import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'

export default class Cost extends BaseCommand {
  static override summary = 'Estimate what this deployment costs a month, next to Amazon MWAA.'
  static override description = `Prices the deployment read from the Terraform outputs (or infra-terraform's defaults when nothing is deployed): every Fargate service by size, count, CPU architecture, Spot share and scale-to-zero windows (compact's shared task is one line), the database, load balancer, NAT gateway, public IPv4 addresses, logs, S3 and the small items; then the MWAA environment that does the same work (class chosen by worker size and task concurrency, extra workers and schedulers priced).
Prices come from an embedded us-east-1 table of AWS list prices (each with its source and date); --live refreshes them through the AWS Pricing API and falls back to the table with a notice.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> cost',
    '<%= config.bin %> cost --workers-avg 2.5 --log-gb 20',
    '<%= config.bin %> cost --concurrency 40',
    '<%= config.bin %> cost --live --json',
    '<%= config.bin %> cost --compare',
    '<%= config.bin %> cost --schedule office-hours --topology ha',
  ]
  static override flags = {
    live: Flags.boolean({description: 'Refresh the prices through the AWS Pricing API (needs pricing:GetProducts); falls back to the table.'}),
    'workers-avg': Flags.string({description: 'Average number of Celery workers running over the month. [default: 1, or --concurrency / tasks per worker]'}),
    concurrency: Flags.string({description: 'Average task instances running at once: the work MWAA must do too. [default: 5]'}),
    'log-gb': Flags.string({description: 'CloudWatch Logs ingested per month, in GB. [default: 5]'}),
    topology: Flags.string({description: 'Price this topology instead of the deployment\'s: compact (one task for scheduler, dag-processor, triggerer, metrics) or ha.'}),
    architecture: Flags.string({description: 'Price this CPU architecture instead of the deployment\'s: ARM64 or X86_64.'}),
    schedule: Flags.string({description: 'Price this schedule instead of the deployment\'s: always, or office-hours (07:00-19:00 Monday to Friday).'}),
    compare: Flags.boolean({description: 'Add compact vs HA, around the clock and office hours, side by side against the same MWAA environment.'}),
    'mwaa-class': Flags.string({description: 'Compare with this MWAA environment class instead of the one chosen.', options: ['mw1.micro', 'mw1.small', 'mw1.medium', 'mw1.large']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Cost)
    const [cost, components] = await Promise.all([import('../lib/cost/report.js'), import('../lib/components.js')])
    // Validation before any AWS or terraform call.
    const options = {
      live: flags.live,
      workersAvg: cost.parseAmount(flags['workers-avg'], 'workers-avg'),
      concurrency: cost.parseAmount(flags.concurrency, 'concurrency'),
      logGb: cost.parseAmount(flags['log-gb'], 'log-gb'),
      mwaaClass: cost.parseMwaaClass(flags['mwaa-class']),
      topology: flags.topology === undefined ? undefined : components.parseTopology(flags.topology, '--topology'),
      architecture: flags.architecture === undefined ? undefined : components.parseArchitecture(flags.architecture, '--architecture'),
      schedule: cost.parseSchedulePreset(flags.schedule),
      compare: flags.compare,
    }
    const result = await cost.costReport(flags, options)
    for (const note of result.notes) this.note(note)
    this.log(cost.renderReport(result.report, result.assumptions))
    return result.report
  }
}
