// What `task` and `task attach` share: wait for a started task with its log on screen,
// detach on Ctrl-C, and turn the outcome into a report and an exit code.
import {type AwsContext} from '../aws/context.js'
import {CliError, EXIT} from '../errors.js'
import {interruptible} from '../time.js'
import {type StartedTask, type TaskOutcome, startTask, waitForTask} from './standalone.js'

export interface TaskReport {
  taskId: string
  taskArn: string
  cluster: string
  logGroup: string
  logStream: string
  status?: string
  exitCode?: number | null
  stoppedReason?: string
  containerReason?: string
  detached?: boolean
  follow: string
  stop: string
}

/**
 * The JSON a one-off task's script printed after `marker` on one of its log lines (how
 * `connections check` and `dags deploy --wait` hear back from Airflow); undefined on any other line.
 */
export function markedJson<T>(line: string, marker: string): T | undefined {
  const at = line.indexOf(marker)
  if (at < 0) return undefined
  try {
    return JSON.parse(line.slice(at + marker.length)) as T
  } catch {
    return undefined
  }
}

export function report(bin: string, started: StartedTask, result?: TaskOutcome | 'detached'): TaskReport {
  const base: TaskReport = {
    taskId: started.taskId,
    taskArn: started.taskArn,
    cluster: started.cluster,
    logGroup: started.logGroup,
    logStream: started.logStream,
    follow: `${bin} task attach ${started.taskId}`,
    stop: `${bin} task stop ${started.taskId}`,
  }
  if (result === 'detached') return {...base, detached: true}
  if (!result) return base
  return {...base, status: result.status, exitCode: result.exitCode ?? null, stoppedReason: result.stoppedReason, containerReason: result.containerReason}
}

export interface AttachIO {
  /** A log line of the task (stdout, or stderr with --json). */
  line: (text: string) => void
  /** A note to the user (stderr). */
  note: (text: string) => void
}

/** Waits with the log streamed; Ctrl-C detaches and leaves the task running. Returns the report and exit code. */
export async function attach(
  ctx: AwsContext,
  bin: string,
  started: StartedTask,
  io: AttachIO,
  timeoutMs?: number,
): Promise<{report: TaskReport; exitCode: number}> {
  return interruptible(async (signal) => {
    const result = await waitForTask(ctx, started, {onLog: (text) => io.line(text), timeoutMs, signal})
    const r = report(bin, started, result)
    if (result === 'detached') {
      io.note(`Detached: task ${started.taskId} keeps running.\n  follow it: ${r.follow}\n  stop it:   ${r.stop}`)
      return {report: r, exitCode: EXIT.interrupted}
    }
    if (result.cliExitCode !== 0) {
      const why = [result.stoppedReason, result.containerReason].filter(Boolean).join('; ')
      io.note(`Task ${started.taskId} failed with exit code ${result.exitCode ?? 'unknown'}${why ? `: ${why}` : ''}.`)
    }
    return {report: r, exitCode: result.cliExitCode}
  })
}

export interface StepTaskOptions {
  /** What runs, for the messages: "`airflow db migrate`". */
  what: string
  /** The command to run again once it is fixed: "deploy", "rollback". */
  again: string
  /** Said after "exited with code N": what that left as it was. */
  consequence?: string
  /** Added to the hint of a failure (where the data went first, …). */
  hint?: string
}

/**
 * One Airflow command as a one-off task inside a multi-step command (deploy's migration,
 * rollback's downgrade): the log streamed into the step, and a failure or a Ctrl-C turned
 * into the error that ends the step, saying how to follow the task and what to run again.
 */
export async function runStepTask(ctx: AwsContext, bin: string, command: string[], log: (line: string) => void, options: StepTaskOptions): Promise<void> {
  const started = await startTask(ctx, {command, size: {}, environment: []})
  log(`task ${started.taskId}`)
  const {exitCode} = await attach(ctx, bin, started, {line: log, note: log})
  if (exitCode === EXIT.interrupted) {
    throw new CliError(`Interrupted while waiting for ${options.what}; task ${started.taskId} keeps running.`, {
      code: 'CANCELLED',
      exitCode: EXIT.interrupted,
      hint: `Follow it with \`${bin} task attach ${started.taskId}\`, then run ${options.again} again.`,
    })
  }
  if (exitCode !== 0) {
    throw new CliError(`${options.what} exited with code ${exitCode}${options.consequence ? `; ${options.consequence}` : ''}.`, {
      code: 'PROCESS_FAILED',
      hint: `Read its log with \`${bin} logs standalone --since 1h\` (task ${started.taskId}), fix the cause, and run ${options.again} again.${options.hint ? ` ${options.hint}` : ''}`,
    })
  }
}
