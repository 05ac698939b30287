import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'
import {componentNames} from '../lib/components.js'

export default class Logs extends BaseCommand {
  static override summary = "Show a component's CloudWatch logs, interleaved by time across its tasks."
  static override description = `Prints recent events of every task of the component, oldest first, each with the task it came from.
With --follow keeps printing new events (within about 2 seconds) until Ctrl-C; with --json prints one JSON object per line.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> logs scheduler',
    '<%= config.bin %> logs worker --follow',
    "<%= config.bin %> logs api-server --since 2h --filter ERROR",
    '<%= config.bin %> logs standalone --task 0123456789abcdef',
  ]
  static override args = {
    component: Args.string({description: `Component: ${componentNames({includeTask: true}).join(', ')}.`, required: true}),
  }
  static override flags = {
    follow: Flags.boolean({char: 'f', description: 'Keep printing new events until interrupted.'}),
    since: Flags.string({description: 'Start this long ago (10m, 2h, 1d) or at an ISO time.', default: '10m'}),
    filter: Flags.string({description: 'CloudWatch Logs filter pattern, e.g. ERROR or "\\"task failed\\"".'}),
    task: Flags.string({description: 'Only the events of this task id.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Logs)
    const [{resolveComponent, logStreamName}, {parseSince}] = await Promise.all([import('../lib/components.js'), import('../lib/time.js')])
    const component = resolveComponent(args.component, {includeTask: true})
    const startTime = parseSince(flags.since)
    const [{awsContext}, {componentTarget}, {fetchEvents, followEvents, logsClient}, {eventJson, formatEvent}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/config/deployment.js'),
      import('../lib/logs/cloudwatch.js'),
      import('../lib/logs/render.js'),
    ])
    const ctx = await awsContext(flags)
    const target = componentTarget(ctx.deployment, component.name)
    const client = logsClient(ctx.clientConfig)
    const query = {
      logGroup: target.logGroup,
      streams: flags.task ? [logStreamName(target, flags.task)] : undefined,
      startTime,
      filterPattern: flags.filter,
    }
    const json = this.jsonEnabled()
    if (flags.follow) {
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      const interval = Number(process.env.AIRFLOW_ECS_FOLLOW_INTERVAL_MS) || 1000
      await followEvents(client, query, {
        intervalMs: interval,
        signal: controller.signal,
        onEvents: (events) => {
          for (const e of events) process.stdout.write(`${json ? JSON.stringify(eventJson(e, component.name)) : formatEvent(e, component.name)}\n`)
        },
      })
      return undefined
    }
    const events = await fetchEvents(client, query)
    if (events.length === 0 && !json) this.note(`No events in ${target.logGroup} since ${new Date(startTime).toISOString()}.`)
    for (const e of events) this.log(formatEvent(e, component.name))
    return events.map((e) => eventJson(e, component.name))
  }
}
