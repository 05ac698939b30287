// Durations ("10m", "2h"), points in time ("+2m", ISO, "HH:MM") and AWS schedule strings.
import {invalid} from './errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** "90s", "10m", "2h", "1d", "1h30m" → milliseconds. */
export function parseDuration(input: string, what = 'duration'): number {
  const text = input.trim().toLowerCase()
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw invalid(`Invalid ${what} "${input}".`, 'Use a number with a unit: 30s, 10m, 2h, 1d (or 1h30m).')
  }
  return parts.reduce((total, [, value, unit]) => total + Number(value) * UNITS[unit], 0)
}

/** An ISO date-time; without an offset it is local time (TZ). */
function parseIso(input: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/i.test(input)) return undefined
  // Date.parse reads a date-time without offset as local time and a bare date as UTC.
  const date = new Date(input.replace(' ', 'T'))
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** --since: a duration ago ("10m", "2h") or an ISO time. Returns epoch milliseconds. */
export function parseSince(input: string, now = Date.now()): number {
  const iso = parseIso(input.trim())
  let since: number
  if (iso) {
    since = iso.getTime()
  } else {
    try {
      since = now - parseDuration(input, '--since value')
    } catch {
      throw invalid(`Invalid --since value ${JSON.stringify(input.slice(0, 80))}.`, 'Use a duration (10m, 2h, 1d) or an ISO time (2026-01-31T09:00:00Z).')
    }
  }
  // CloudWatch Logs counts from 1970; a window that starts later than now has nothing in it.
  if (!Number.isFinite(since) || since < 0) throw invalid(`Invalid --since value ${JSON.stringify(input.slice(0, 80))}: before 1970.`, 'Use a duration (10m, 2h, 1d) or an ISO time (2026-01-31T09:00:00Z).')
  if (since > now + 60_000) throw invalid(`--since ${input} is in the future (${new Date(since).toISOString()}).`, 'Give a time in the past, e.g. --since 2h.')
  return since
}

/** --at: "+2m" (from now), an ISO time, or "HH:MM" (the next such local time). Must be in the future. */
export function parseAt(input: string, now = new Date()): Date {
  const text = input.trim()
  let at: Date | undefined
  if (text.startsWith('+')) {
    at = new Date(now.getTime() + parseDuration(text.slice(1), '--at offset'))
  } else if (/^\d{1,2}:\d{2}$/.test(text)) {
    const [h, m] = text.split(':').map(Number)
    if (h > 23 || m > 59) throw invalid(`Invalid --at time "${input}".`, 'Use HH:MM on a 24-hour clock, e.g. 18:30.')
    at = new Date(now)
    at.setHours(h, m, 0, 0)
    if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1)
  } else {
    at = parseIso(text)
  }
  // Beyond year 9999 a Date cannot be written as an at() expression (or at all, past 275760).
  if (!at || !Number.isFinite(at.getTime()) || at.getUTCFullYear() > 9999) {
    throw invalid(`Invalid --at time ${JSON.stringify(input.slice(0, 80))}.`, 'Use +2m / +1h, HH:MM, or an ISO time like 2026-01-31T18:00:00Z.')
  }
  if (at.getTime() <= now.getTime()) {
    throw invalid(`--at ${input} is in the past (${at.toISOString()}).`, 'Give a time in the future, e.g. --at +2m.')
  }
  return at
}

/** Application Auto Scaling's one-time schedule: at(yyyy-mm-ddThh:mm:ss), in UTC. */
export function atExpression(date: Date): string {
  return `at(${date.toISOString().slice(0, 19)})`
}

export function shortTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 19)
}

/** --timezone: an IANA name the runtime knows (Europe/Berlin, UTC), as Application Auto Scaling takes it. */
export function checkTimezone(input: string): string {
  let known = false
  try {
    known = /^[A-Za-z][\w+-]*(\/[A-Za-z0-9][\w+-]*)*$/.test(input) && Boolean(new Intl.DateTimeFormat('en-US', {timeZone: input}))
  } catch {
    known = false
  }
  if (!known) throw invalid(`Invalid --timezone ${JSON.stringify(input.slice(0, 80))}.`, 'Use an IANA time zone name, e.g. Europe/Berlin, America/New_York or UTC.')
  return input
}

/** --cron: AWS's six-field cron(...) expression (a bare six-field expression is wrapped). */
export function cronExpression(input: string): string {
  const text = input.trim()
  const inner = /^cron\((.*)\)$/.exec(text)?.[1] ?? text
  const fields = inner.trim().split(/\s+/)
  if (fields.length !== 6) {
    throw invalid(
      `Invalid --cron "${input}": AWS cron has 6 fields (minutes hours day-of-month month day-of-week year).`,
      "Example: --cron 'cron(0 20 ? * MON-FRI *)' (20:00 on weekdays, in --timezone).",
    )
  }
  if (fields[2] !== '?' && fields[4] !== '?') {
    throw invalid(`Invalid --cron "${input}": day-of-month or day-of-week must be "?".`, "Example: --cron 'cron(0 7 ? * MON-FRI *)'.")
  }
  return `cron(${fields.join(' ')})`
}

/** Waits ms milliseconds, or less when signal aborts. */
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
 * Runs a wait that a Ctrl-C ends: its signal aborts on SIGINT while it runs. The listener is a
 * `once` one added after the state lock's, which sees it and leaves the interrupt to this wait.
 */
export async function interruptible<T>(wait: (interrupted: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onInterrupt = (): void => controller.abort()
  process.once('SIGINT', onInterrupt)
  try {
    return await wait(controller.signal)
  } finally {
    process.removeListener('SIGINT', onInterrupt)
  }
}
