import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'
import {componentNames} from '../lib/components.js'

/** On a terminal, without --limit, at most this many (the newest) are printed; a pipe gets every event. */
const TERMINAL_LIMIT = 10_000

export default class Logs extends BaseCommand {
  static override summary = "Show a component's CloudWatch logs, interleaved by time across its tasks."
  static override description = `Prints every event of the window (--since) of every task of the component, oldest first, each with the task it came from, as the pages arrive.
With --limit N only the newest N are printed, and a note on stderr says how many were left out; on a terminal at most ${TERMINAL_LIMIT.toLocaleString('en-US')} are printed unless --limit says otherwise (--limit 0: all).
With --follow keeps printing new events (within about 2 seconds) until Ctrl-C; with --json prints a JSON array (one object per line with --follow).`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> logs scheduler',
    '<%= config.bin %> logs worker --follow',
    "<%= config.bin %> logs api-server --since 2h --filter ERROR",
    '<%= config.bin %> logs scheduler --since 1d --limit 500',
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
    limit: Flags.integer({
      char: 'n',
      min: 0,
      description: `Print only the newest N events of the window (0: all). Default: all, or ${TERMINAL_LIMIT.toLocaleString('en-US')} on a terminal.`,
    }),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Logs)
    const [{resolveComponent, logStreamName}, {parseSince}] = await Promise.all([import('../lib/components.js'), import('../lib/time.js')])
    const component = resolveComponent(args.component, {includeTask: true})
    const startTime = parseSince(flags.since)
    if (flags.task) (await import('../lib/config/validate.js')).checkTaskRef(flags.task)
    const [{awsContext}, {componentTarget}, {followEvents, logsClient, readWindow}, {eventJson, formatEvent, leftOutNote}, {stdoutIsTTY}] = await Promise.all([
      import('../lib/aws/context.js'),
      import('../lib/config/deployment.js'),
      import('../lib/logs/cloudwatch.js'),
      import('../lib/logs/render.js'),
      import('../lib/ui/output.js'),
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
    const limit = flags.limit ?? (stdoutIsTTY() ? TERMINAL_LIMIT : 0)
    const note = (total: number, shown: number): void => {
      if (total > shown) this.note(leftOutNote({total, shown, limit, explicit: flags.limit !== undefined, since: startTime, args: this.argv}))
    }
    if (flags.follow) {
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      const interval = Number(process.env.AIRFLOW_ECS_FOLLOW_INTERVAL_MS) || 1000
      await followEvents(client, query, {
        intervalMs: interval,
        signal: controller.signal,
        limit,
        onBacklog: ({total, shown}) => note(total, shown),
        onEvents: (events) => {
          process.stdout.write(events.map((e) => `${json ? JSON.stringify(eventJson(e, component.name)) : formatEvent(e, component.name)}\n`).join(''))
        },
      })
      return undefined
    }
    // Streamed as the pages come: a JSON array is written piece by piece, not built in memory.
    let written = 0
    const {total, shown} = await readWindow(client, query, {
      limit,
      write: (events) => {
        const text = json
          ? events.map((e) => `${written++ === 0 ? '[\n' : ',\n'}${JSON.stringify(eventJson(e, component.name))}`).join('')
          : events.map((e) => `${formatEvent(e, component.name)}\n`).join('')
        process.stdout.write(text)
      },
    })
    if (json) process.stdout.write(written === 0 ? '[]\n' : '\n]\n')
    if (total === 0 && !json) this.note(`No events in ${target.logGroup} since ${new Date(startTime).toISOString()}.`)
    note(total, shown)
    return undefined
  }
}
