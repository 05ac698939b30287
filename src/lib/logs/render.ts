// How log events look: time, the task they came from, the message.
import {quote} from 'shell-quote'

import {paint} from '../ui/output.js'
import {type LogEvent} from './cloudwatch.js'

export function formatEvent(event: LogEvent, component: string): string {
  const time = new Date(event.timestamp).toISOString().slice(0, 23).replace('T', ' ')
  const source = `${component}/${event.taskId.slice(0, 8)}`
  return `${paint('dim', time)} ${paint('cyan', source)} ${event.message}`
}

export function eventJson(event: LogEvent, component: string): Record<string, unknown> {
  return {
    timestamp: new Date(event.timestamp).toISOString(),
    component,
    taskId: event.taskId,
    stream: event.stream,
    message: event.message,
  }
}

/** The note when a limit left events out: how many, and how to see them. */
export function leftOutNote(o: {total: number; shown: number; limit: number; explicit: boolean; since: number; args: string[]}): string {
  const n = (x: number): string => x.toLocaleString('en-US')
  const leftOut = o.total - o.shown
  const why = o.explicit ? `--limit ${n(o.limit)}` : `a terminal shows at most ${n(o.limit)} without --limit`
  const rest = o.args.filter((a, i, all) => !/^(--limit|-n)(=|$)/.test(a) && !/^(--limit|-n)$/.test(all[i - 1] ?? ''))
  return (
    `Showing the newest ${n(o.shown)} of ${n(o.total)} events since ${new Date(o.since).toISOString()} (${why}); ` +
    `${n(leftOut)} older ${leftOut === 1 ? 'one was' : 'ones were'} left out. To see them: airflow-ecs logs ${quote(rest)} --limit 0 (all, oldest first), or a shorter --since.`
  )
}
