// Progress of a multi-step command: a listr2 task list on a terminal, plain timestamped
// lines on stderr otherwise (CI logs, --json). Every step is timed; a failing step is
// named in the error, with the fix from the error mapper.
import {CliError, mapError} from '../errors.js'
import {paint} from '../ui/output.js'

export interface StepTiming {
  step: string
  seconds: number
  status: 'done' | 'skipped' | 'failed'
  note?: string
}

export type StepLog = (line: string) => void

export interface ParallelStep<T> {
  title: string
  work: (log: StepLog) => Promise<T>
}

const stamp = (): string => new Date().toISOString().slice(11, 19)
const seconds = (started: number): number => Math.round((Date.now() - started) / 100) / 10

/** At most ten redraws a second however fast a tool prints; the last line always shows. */
function throttled(show: (line: string) => void, everyMs = 100): StepLog {
  let last = 0
  let pending: string | undefined
  let timer: NodeJS.Timeout | undefined
  return (line) => {
    if (!line.trim()) return
    const now = Date.now()
    if (now - last >= everyMs) {
      last = now
      show(line)
      return
    }
    pending = line
    timer ??= setTimeout(() => {
      timer = undefined
      last = Date.now()
      if (pending !== undefined) show(pending)
      pending = undefined
    }, everyMs)
  }
}

function named(title: string, error: unknown): CliError {
  const mapped = mapError(error)
  if (mapped.message.startsWith(`${title}:`) || mapped.message.startsWith(title)) return mapped
  return new CliError(`${title}: ${mapped.message}`, {code: mapped.code, hint: mapped.hint, exitCode: mapped.exitCode, cause: error})
}

export class Steps {
  readonly timings: StepTiming[] = []

  /** fancy: a listr2 task list (stdout is a terminal, no --json); otherwise plain lines on stderr. */
  constructor(private readonly fancy: boolean) {}

  skip(title: string, why: string): void {
    this.timings.push({step: title, seconds: 0, status: 'skipped', note: why})
    if (this.fancy) process.stdout.write(`${paint('dim', `↓ ${title} [skipped: ${why}]`)}\n`)
    else process.stderr.write(`[${stamp()}] skip  ${title}: ${why}\n`)
  }

  /** Notes a finished step's extra detail in the timing table (e.g. "+12 ~3 -0"). */
  annotate(title: string, note: string): void {
    const t = this.timings.findLast((x) => x.step === title)
    if (t) t.note = note
  }

  async run<T>(title: string, work: (log: StepLog) => Promise<T>): Promise<T> {
    const [result] = await this.parallel([{title, work}])
    return result as T
  }

  /** Runs the steps at the same time; the first failure fails the lot (the others are awaited). */
  async parallel<T>(steps: Array<ParallelStep<T>>): Promise<T[]> {
    const results: T[] = []
    const errors: CliError[] = []
    const started = Date.now()
    const timing: StepTiming[] = steps.map((s) => ({step: s.title, seconds: 0, status: 'done'}))
    const wrap = async (i: number, log: StepLog): Promise<void> => {
      try {
        results[i] = await steps[i].work(log)
      } catch (error) {
        timing[i].status = 'failed'
        errors[i] = named(steps[i].title, error)
        throw errors[i]
      } finally {
        timing[i].seconds = seconds(started)
      }
    }
    if (this.fancy) {
      const {Listr, Spinner} = await import('listr2')
      // Four frames a second rather than ten: a deploy spends many minutes waiting, and each
      // redraw is the CLI's own time.
      class CalmSpinner extends Spinner {
        override start(cb?: () => void): void {
          super.start(cb, 250)
        }
      }
      await new Listr(
        steps.map((s, i) => ({
          title: s.title,
          task: (_ctx: unknown, task: {output?: string}) => wrap(i, throttled((line) => (task.output = line))),
          rendererOptions: {outputBar: 1, persistentOutput: false},
        })),
        {
          concurrent: true,
          exitOnError: false,
          registerSignalListeners: false,
          rendererOptions: {collapseErrors: false, formatOutput: 'truncate', spinner: new CalmSpinner()},
        },
      )
        .run()
        .catch(() => undefined)
    } else {
      const prefix = (title: string) => (steps.length > 1 ? `[${title}] ` : '')
      await Promise.allSettled(
        steps.map((s, i) => {
          process.stderr.write(`[${stamp()}] start ${s.title}\n`)
          return wrap(i, (line) => {
            if (line.trim()) process.stderr.write(`[${stamp()}]   ${prefix(s.title)}${line}\n`)
          }).then(
            () => process.stderr.write(`[${stamp()}] done  ${s.title} (${timing[i].seconds.toFixed(1)}s)\n`),
            () => process.stderr.write(`[${stamp()}] FAIL  ${s.title} (${timing[i].seconds.toFixed(1)}s)\n`),
          )
        }),
      )
    }
    this.timings.push(...timing)
    const first = errors.find(Boolean)
    if (first) throw first
    return results
  }
}
