import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'
import {componentNames} from '../../lib/components.js'

export default class Scale extends BaseCommand {
  static override summary = 'Scale a component now, at a time, or on a recurring schedule.'
  static override description = `Without --at or --cron the service's desired count changes now; the autoscaling minimum is lowered if needed so it is not undone.
With --at a one-time scheduled action pins the component to COUNT tasks from then on (min = max = COUNT); with --cron a recurring one does.
On the compact topology scheduler, dag-processor, triggerer and metrics are containers of one task, the core service: scale them together as "core" (a single one of them is refused, naming the service).`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> scale webserver 0',
    '<%= config.bin %> scale webserver 0 --at +2m',
    '<%= config.bin %> scale scheduler 1 --at 07:30',
    '<%= config.bin %> scale core 0',
    "<%= config.bin %> scale api-server 0 --cron 'cron(0 20 ? * MON-FRI *)' --timezone Europe/Berlin --name nightly-off",
  ]
  static override args = {
    component: Args.string({description: `Component: ${componentNames().join(', ')}; or core (compact topology).`, required: true}),
    count: Args.string({description: 'Number of tasks (0 or more).', required: true}),
  }
  static override flags = {
    at: Flags.string({description: 'When: +2m / +1h, HH:MM (next, local time), or an ISO time.', exclusive: ['cron']}),
    cron: Flags.string({description: "Recurring AWS cron expression, e.g. 'cron(0 20 ? * MON-FRI *)'.", exclusive: ['at'], dependsOn: ['name']}),
    name: Flags.string({description: 'Name of the scheduled action (required with --cron).'}),
    timezone: Flags.string({description: 'Time zone of --cron (IANA name, e.g. Europe/Berlin).', default: 'UTC'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Scale)
    const [{resolveComponent, SHARED_SERVICES}, scale, time] = await Promise.all([
      import('../../lib/components.js'),
      import('../../lib/scale/scale.js'),
      import('../../lib/time.js'),
    ])
    // Validation before any AWS call.
    // A name that is neither a component nor a shared service: refused before any call.
    if (!(SHARED_SERVICES as readonly string[]).includes(args.component.trim().toLowerCase())) resolveComponent(args.component)
    const count = scale.parseCount(args.count)
    const at = flags.at ? time.parseAt(flags.at) : undefined
    const cron = flags.cron ? time.cronExpression(flags.cron) : undefined
    const name = flags.name ? scale.actionName(flags.name) : undefined
    if (cron) time.checkTimezone(flags.timezone)
    const {awsContext} = await import('../../lib/aws/context.js')
    const ctx = await awsContext(flags)
    const target = scale.resolveScaleTarget(ctx.deployment, args.component)
    const component = target.name
    scale.checkCount(target, count)
    const together = target.components.length > 1 ? `, running ${target.components.join(', ')}` : ''
    if (!at && !cron) {
      const result = await scale.scaleNow(ctx, target, count)
      this.log(`Scaled ${component} (${result.service}${together}) from ${result.previousDesired ?? '?'} to ${count} task(s).`)
      if (result.minCapacity === count && count > 0) this.log(`Autoscaling minimum is now ${count}.`)
      return result
    }
    const schedule = at ? time.atExpression(at) : cron!
    const action = await scale.schedule(ctx, {
      target,
      count,
      schedule,
      name: name ?? scale.defaultActionName(component, count, at!),
      timezone: cron ? flags.timezone : undefined,
    })
    this.log(
      at
        ? `Scheduled ${component}${together} to ${count} task(s) at ${at.toISOString()} (${at.toLocaleString()} local) as "${action.name}".`
        : `Scheduled ${component}${together} to ${count} task(s) on ${schedule} (${flags.timezone}) as "${action.name}".`,
    )
    this.log(`Cancel with: ${this.config.bin} scale cancel '${action.name}'`)
    return action
  }
}
