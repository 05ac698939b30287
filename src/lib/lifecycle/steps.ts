// Progress of a multi-step command: a listr2 task list on a terminal, plain timestamped
// lines otherwise. Every step is timed; a failing step is named in the error.
import {CliError, mapError} from '../errors.js'
import {paint} from '../ui/output.js'

export interface StepTiming {
  step: string
  seconds: number
  status: 'done' | 'skipped' | 'failed'
  note?: string
}

export type StepLog = (line: string) => void

export class Steps {
  readonly timings: StepTiming[] = []

  constructor(private readonly fancy: boolean) {}

  private stamp(): string {
    return new Date().toISOString().slice(11, 19)
  }

  skip(title: string, why: string): void {
    this.timings.push({step: title, seconds: 0, status: 'skipped', note: why})
    process.stderr.write(this.fancy ? `${paint('dim', `↓ ${title} (${why})`, process.stderr)}\n` : `[${this.stamp()}] skip  ${title}: ${why}\n`)
  }

  async run<T>(title: string, work: (log: StepLog) => Promise<T>): Promise<T> {
    const started = Date.now()
    const finish = (status: StepTiming['status'], note?: string) =>
      this.timings.push({step: title, seconds: (Date.now() - started) / 1000, status, note})
    try {
      let result: T
      if (this.fancy) {
        const {Listr} = await import('listr2')
        let value: T | undefined
        await new Listr([{title, task: async (_ctx, task) => {
          value = await work((line) => {
            if (line.trim()) task.output = line
          })
        }, rendererOptions: {outputBar: 3, persistentOutput: false}}], {renderer: 'default', exitOnError: true, rendererOptions: {collapseErrors: false}}).run()
        result = value as T
      } else {
        process.stderr.write(`[${this.stamp()}] start ${title}\n`)
        result = await work((line) => {
          if (line.trim()) process.stderr.write(`[${this.stamp()}]   ${line}\n`)
        })
        process.stderr.write(`[${this.stamp()}] done  ${title} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`)
      }
      finish('done')
      return result
    } catch (error) {
      finish('failed')
      const mapped = mapError(error)
      throw new CliError(`${title}: ${mapped.message}`, {code: mapped.code, hint: mapped.hint, exitCode: mapped.exitCode, cause: error})
    }
  }
}
