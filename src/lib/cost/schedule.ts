// Scale-to-zero windows: how many hours a month a scheduled component is off, from the
// AWS cron expressions of its scale-down and scale-up actions. Pure arithmetic.
//
// The two crons are replayed over a reference year (2025, in wall-clock time of the
// schedule's time zone: a daylight-saving shift moves a window by an hour twice a year,
// which is ignored) and the off time is averaged per month (8,760 h / 12 = 730 h).

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC']
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
export const REFERENCE_START = Date.UTC(2025, 0, 1)
export const REFERENCE_END = Date.UTC(2026, 0, 1)

interface Cron {
  minutes: Set<number>
  hours: Set<number>
  daysOfMonth: Set<number> | undefined // undefined: '*' or '?'
  months: Set<number>
  daysOfWeek: Set<number> | undefined // AWS numbering: 1 = SUN ... 7 = SAT
}

function field(text: string, min: number, max: number, names?: string[]): Set<number> {
  const values = new Set<number>()
  const value = (token: string): number => {
    const upper = token.toUpperCase()
    const named = names?.indexOf(upper) ?? -1
    const n = named >= 0 ? named + min : Number(token)
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is not in ${min}-${max}`)
    return n
  }
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/')
    const step = stepText === undefined ? 1 : Number(stepText)
    if (!Number.isInteger(step) || step < 1) throw new Error(`bad step "${stepText}"`)
    let from: number
    let to: number
    if (range === '*') [from, to] = [min, max]
    else if (range.includes('-')) {
      const [a, b] = range.split('-')
      ;[from, to] = [value(a), value(b)]
    } else {
      from = value(range)
      to = stepText === undefined ? from : max
    }
    if (to < from) throw new Error(`range "${range}" goes backwards`)
    for (let n = from; n <= to; n += step) values.add(n)
  }
  return values
}

/** Parses `cron(m h dom mon dow year)`; throws on what it cannot model (L, W, #). */
export function parseCron(expression: string): Cron {
  const inner = /^\s*cron\((.*)\)\s*$/.exec(expression)?.[1] ?? expression
  const parts = inner.trim().split(/\s+/)
  if (parts.length !== 6) throw new Error('an AWS cron has 6 fields')
  const [min, hour, dom, mon, dow] = parts
  if (/[LW]/i.test(dom) || /[L#]/i.test(dow)) throw new Error('L, W and # are not modelled')
  const any = (text: string): boolean => text === '*' || text === '?'
  return {
    minutes: field(min, 0, 59),
    hours: field(hour, 0, 23),
    daysOfMonth: any(dom) ? undefined : field(dom, 1, 31),
    months: field(mon, 1, 12, MONTHS),
    daysOfWeek: any(dow) ? undefined : field(dow, 1, 7, DAYS),
  }
}

/** Every time the cron fires in [from, to), as wall-clock epoch ms. */
export function fireTimes(cron: Cron, from: number, to: number): number[] {
  const times: number[] = []
  for (let day = from; day < to; day += DAY_MS) {
    const d = new Date(day)
    if (!cron.months.has(d.getUTCMonth() + 1)) continue
    if (cron.daysOfMonth && !cron.daysOfMonth.has(d.getUTCDate())) continue
    if (cron.daysOfWeek && !cron.daysOfWeek.has(d.getUTCDay() + 1)) continue
    for (const h of [...cron.hours].sort((a, b) => a - b))
      for (const m of [...cron.minutes].sort((a, b) => a - b)) times.push(day + h * HOUR_MS + m * 60_000)
  }
  return times
}

export interface OffHours {
  /** Share of the time the component is scaled to zero, 0..1. */
  offFraction: number
  /** Average hours a month it is off (out of 730). */
  offHoursPerMonth: number
}

/** Off time between a scale-down cron and a scale-up cron, averaged over the reference year. */
export function offHours(scaleDownCron: string, scaleUpCron: string): OffHours {
  const down = parseCron(scaleDownCron)
  const up = parseCron(scaleUpCron)
  // Start replaying a month early so the state at the start of the year is known.
  const warmup = REFERENCE_START - 31 * DAY_MS
  const events = [
    ...fireTimes(down, warmup, REFERENCE_END).map((t) => ({t, off: true})),
    ...fireTimes(up, warmup, REFERENCE_END).map((t) => ({t, off: false})),
  ].sort((a, b) => a.t - b.t || (a.off === b.off ? 0 : a.off ? -1 : 1))
  let off = false
  let since = warmup
  let total = 0
  for (const event of events) {
    if (off) total += Math.max(0, Math.min(event.t, REFERENCE_END) - Math.max(since, REFERENCE_START))
    off = event.off
    since = event.t
  }
  if (off) total += Math.max(0, REFERENCE_END - Math.max(since, REFERENCE_START))
  const offFraction = total / (REFERENCE_END - REFERENCE_START)
  return {offFraction, offHoursPerMonth: offFraction * 730}
}
