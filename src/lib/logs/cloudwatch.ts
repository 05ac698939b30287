// CloudWatch Logs reading: the events of a window for a component (interleaved by time
// across its task streams), streamed page by page so no event is left out and memory does
// not grow with the window; following them without missing or repeating an event; and
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
import {sleep} from '../time.js'

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

/**
 * The window's events page by page, as FilterLogEvents returns them: across all streams,
 * sorted by timestamp (AWS's documented order; each page is sorted again, stably, in case).
 * Nothing is held beyond the page being handed out, so memory does not grow with the window.
 */
export async function* eventPages(client: CloudWatchLogsClient, query: LogQuery, signal?: AbortSignal): AsyncGenerator<LogEvent[]> {
  let nextToken: string | undefined
  do {
    let page
    try {
      page = await client.send(
        new FilterLogEventsCommand({
          logGroupName: query.logGroup,
          logStreamNames: query.streams?.length ? query.streams : undefined,
          startTime: query.startTime,
          endTime: query.endTime,
          filterPattern: query.filterPattern,
          nextToken,
        }),
      )
    } catch (error) {
      missingGroup(error, query.logGroup)
    }
    const events = (page.events ?? []).map(toEvent).sort((a, b) => a.timestamp - b.timestamp)
    if (events.length > 0) yield events
    // A token handed back unchanged would loop for ever.
    nextToken = page.nextToken && page.nextToken !== nextToken ? page.nextToken : undefined
  } while (nextToken && !signal?.aborted)
}

/** The last `size` items pushed, oldest first: memory bounded by size, not by how many went through. */
export class Newest<T> {
  private readonly ring: T[] = []
  private next = 0
  total = 0

  constructor(readonly size: number) {}

  push(items: T[]): void {
    for (const item of items) {
      this.total++
      if (this.ring.length < this.size) this.ring.push(item)
      else {
        this.ring[this.next] = item
        this.next = (this.next + 1) % this.size
      }
    }
  }

  items(): T[] {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]
  }

  get leftOut(): number {
    return this.total - this.ring.length
  }
}

export interface WindowResult {
  /** Events in the window. */
  total: number
  /** Events printed: all of them, or the newest `limit`. */
  shown: number
}

/**
 * Every event of the window, oldest first, handed to `write` a page at a time as it comes;
 * with a limit, only the newest `limit` (read through the whole window, holding no more than
 * that), handed over at the end.
 */
export async function readWindow(client: CloudWatchLogsClient, query: LogQuery, options: {limit?: number; write: (events: LogEvent[]) => void}): Promise<WindowResult> {
  if (options.limit) {
    const newest = new Newest<LogEvent>(options.limit)
    for await (const page of eventPages(client, query)) newest.push(page)
    const events = newest.items()
    if (events.length > 0) options.write(events)
    return {total: newest.total, shown: events.length}
  }
  let total = 0
  for await (const page of eventPages(client, query)) {
    total += page.length
    options.write(page)
  }
  return {total, shown: total}
}

export interface FollowOptions {
  intervalMs: number
  /** How far back each poll looks again, for events that arrive late from other streams. */
  lookbackMs?: number
  signal?: AbortSignal
  /** Of the events already there when following starts, print only the newest this many. */
  limit?: number
  onEvents: (events: LogEvent[]) => void
  /** Called once after the first read when the limit left events out. */
  onBacklog?: (result: WindowResult) => void
}

/**
 * Polls until aborted. Each poll re-reads a look-back window and drops event ids it has
 * already printed: an event that several writers put in late (earlier timestamp than
 * the newest seen) is still printed once, and nothing is printed twice. Pages are printed
 * as they come, and only the ids inside the look-back window are remembered.
 */
export async function followEvents(client: CloudWatchLogsClient, query: LogQuery, options: FollowOptions): Promise<void> {
  const lookback = options.lookbackMs ?? 30_000
  const seen = new Map<string, number>()
  let newest = query.startTime
  let first = true
  while (!options.signal?.aborted) {
    const backlog = first && options.limit ? new Newest<LogEvent>(options.limit) : undefined
    for await (const page of eventPages(client, {...query, startTime: Math.max(query.startTime, newest - lookback)}, options.signal)) {
      const fresh = page.filter((e) => !seen.has(e.eventId))
      for (const e of fresh) {
        seen.set(e.eventId, e.timestamp)
        newest = Math.max(newest, e.timestamp)
      }
      for (const [id, ts] of seen) if (ts < newest - lookback) seen.delete(id)
      if (fresh.length === 0) continue
      if (backlog) backlog.push(fresh)
      else options.onEvents(fresh)
    }
    if (backlog) {
      const events = backlog.items()
      if (events.length > 0) options.onEvents(events)
      options.onBacklog?.({total: backlog.total, shown: events.length})
    }
    first = false
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
