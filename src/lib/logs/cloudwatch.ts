// CloudWatch Logs reading: recent events of a component (interleaved by time across
// its task streams), following them without missing or repeating an event, and
// tailing one task's stream.
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilteredLogEvent,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs'

import {type ClientConfig} from '../aws/context.js'
import {taskIdFromStream} from '../components.js'
import {CliError} from '../errors.js'

export interface LogEvent {
  timestamp: number
  message: string
  stream: string
  taskId: string
  eventId: string
}

export interface LogQuery {
  logGroup: string
  /** Only these streams (exact names), e.g. one task's. */
  streams?: string[]
  startTime: number
  endTime?: number
  filterPattern?: string
}

export function logsClient(config: ClientConfig): CloudWatchLogsClient {
  return new CloudWatchLogsClient(config)
}

function toEvent(e: FilteredLogEvent): LogEvent {
  const stream = e.logStreamName ?? ''
  return {
    timestamp: e.timestamp ?? 0,
    message: (e.message ?? '').replace(/\n$/, ''),
    stream,
    taskId: taskIdFromStream(stream),
    eventId: e.eventId ?? `${stream}:${e.timestamp}:${e.message}`,
  }
}

const byTime = (a: LogEvent, b: LogEvent): number => a.timestamp - b.timestamp || a.eventId.localeCompare(b.eventId)

function missingGroup(error: unknown, group: string): never {
  if ((error as Error).name === 'ResourceNotFoundException') {
    throw new CliError(`Log group ${group} does not exist.`, {
      cause: error,
      code: 'NOT_FOUND',
      hint: 'Run `airflow-ecs deploy` first; the group is created with the service.',
    })
  }
  throw error
}

/** Every matching event in the window, all pages, oldest first. */
export async function fetchEvents(client: CloudWatchLogsClient, query: LogQuery, limit = 10_000): Promise<LogEvent[]> {
  const events: LogEvent[] = []
  let nextToken: string | undefined
  try {
    do {
      const page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: query.logGroup,
          logStreamNames: query.streams?.length ? query.streams : undefined,
          startTime: query.startTime,
          endTime: query.endTime,
          filterPattern: query.filterPattern,
          nextToken,
        }),
      )
      for (const e of page.events ?? []) events.push(toEvent(e))
      nextToken = page.nextToken
    } while (nextToken && events.length < limit)
  } catch (error) {
    missingGroup(error, query.logGroup)
  }
  return events.sort(byTime)
}

export interface FollowOptions {
  intervalMs: number
  /** How far back each poll looks again, for events that arrive late from other streams. */
  lookbackMs?: number
  signal?: AbortSignal
  onEvents: (events: LogEvent[]) => void
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      {once: true},
    )
  })

/**
 * Polls until aborted. Each poll re-reads a look-back window and drops event ids it has
 * already printed: an event that several writers put in late (earlier timestamp than
 * the newest seen) is still printed once, and nothing is printed twice.
 */
export async function followEvents(client: CloudWatchLogsClient, query: LogQuery, options: FollowOptions): Promise<void> {
  const lookback = options.lookbackMs ?? 30_000
  const seen = new Map<string, number>()
  let newest = query.startTime
  while (!options.signal?.aborted) {
    const events = await fetchEvents(client, {...query, startTime: Math.max(query.startTime, newest - lookback)})
    const fresh = events.filter((e) => !seen.has(e.eventId))
    for (const e of fresh) {
      seen.set(e.eventId, e.timestamp)
      newest = Math.max(newest, e.timestamp)
    }
    if (fresh.length > 0) options.onEvents(fresh)
    for (const [id, ts] of seen) if (ts < newest - lookback) seen.delete(id)
    await sleep(options.intervalMs, options.signal)
  }
}

/** Reads one stream from where the last call stopped; a stream that does not exist yet reads as empty. */
export class StreamTail {
  private token?: string

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly logGroup: string,
    private readonly stream: string,
  ) {}

  async read(): Promise<LogEvent[]> {
    const out: LogEvent[] = []
    for (;;) {
      let page
      try {
        page = await this.client.send(
          new GetLogEventsCommand({logGroupName: this.logGroup, logStreamName: this.stream, startFromHead: true, nextToken: this.token}),
        )
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return out
        throw error
      }
      for (const e of page.events ?? []) {
        out.push({timestamp: e.timestamp ?? 0, message: (e.message ?? '').replace(/\n$/, ''), stream: this.stream, taskId: taskIdFromStream(this.stream), eventId: ''})
      }
      const next = page.nextForwardToken
      const done = !next || next === this.token
      this.token = next ?? this.token
      if (done || (page.events ?? []).length === 0) return out
    }
  }
}
