// The one process runner (terraform, docker, git): output streamed line by line to the
// caller, Ctrl-C forwarded exactly once so nothing is left half-running, a failure handed
// to the error mapper (src/lib/errors.ts, `ProcessFailed`) for its one line and fix: the
// first error the tool reported (not its last words), with the whole output in a log file.
//
// Children run in their own process group: a Ctrl-C at the terminal reaches only us, and
// we pass one SIGINT on. (Two SIGINTs make terraform quit at once, leaving its state lock
// behind; a second Ctrl-C from the user is still passed on, as they asked for it.)
import {execa} from 'execa'

import {mapError} from '../errors.js'
import {genericSummary, saveFailureLog} from './failure-log.js'

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Written to the process's stdin (e.g. a password for `docker login --password-stdin`); never logged. */
  input?: string
  /** Each line of stdout and stderr as it comes (after `redact`). */
  onLine?: (line: string) => void
  /** Rewrites a line before anyone sees it (e.g. hides a value terraform prints). */
  redact?: (line: string) => string
  /** What to call the step in an error message. */
  step?: string
  hint?: string
  /** Where a failed run's whole output is written (default: a private folder in the temp dir). */
  logDir?: string
  /**
   * Reads a failure: the output → the one line that says why (terraform's first Error, "the
   * daemon is not running"), and a better fix than `hint` when it knows one. Without it, or
   * when it says nothing, the first error line of the output (else its last line) is used.
   */
  explain?: (output: string) => {message: string; hint?: string; code?: 'MISSING_TOOL' | 'PROCESS_FAILED' | 'STATE_LOCKED'} | undefined
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Time spent waiting for child processes (union of intervals), for the deploy timing report. */
let active = 0
let since = 0
let childMs = 0
export function childProcessMs(): number {
  return childMs + (active > 0 ? Date.now() - since : 0)
}

/** How many child processes run now (a Ctrl-C reaches them through run's own handler). */
export function activeChildren(): number {
  return active
}

function enter(): void {
  if (active++ === 0) since = Date.now()
}

function leave(): void {
  if (--active === 0) childMs += Date.now() - since
}

/** Runs a program to completion; a non-zero exit becomes the mapper's PROCESS_FAILED error. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const redact = options.redact ?? ((line: string) => line)
  enter()
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    reject: false,
    all: true,
    detached: true,
    forceKillAfterDelay: 30_000,
  })
  let interrupted = false
  const forward = (signal: NodeJS.Signals) => () => {
    interrupted = true
    child.kill(signal)
  }
  const onInt = forward('SIGINT')
  const onTerm = forward('SIGTERM')
  // If we die anyway, the child goes too (it is in its own group, so it would not otherwise).
  let done = false
  const onExit = (): void => {
    if (!done) child.kill('SIGTERM')
  }
  process.on('SIGINT', onInt)
  process.on('SIGTERM', onTerm)
  process.on('exit', onExit)
  if (options.onLine && child.all) {
    let buffer = ''
    child.all.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) options.onLine!(redact(line))
    })
    child.all.on('end', () => {
      if (buffer) options.onLine!(redact(buffer))
    })
  }
  try {
    const result = await child
    const code = (result as {code?: string}).code
    if (result.failed && code === 'ENOENT') {
      throw mapError(Object.assign(new Error(String(result.message)), {code: 'ENOENT', syscall: `spawn ${command}`, path: command}))
    }
    const exitCode = result.exitCode ?? (result.signal ? 128 : 1)
    if (exitCode !== 0 || interrupted) {
      const output = String(result.all ?? `${result.stderr ?? ''}\n${result.stdout ?? ''}`)
      const redacted = output.split('\n').map(redact).join('\n')
      const explained = interrupted ? undefined : options.explain?.(redacted)
      const logFile = interrupted ? undefined : saveFailureLog(options.step ?? command, redacted, options.logDir)
      throw mapError(
        Object.assign(new Error(redacted), {
          name: 'ProcessFailed',
          step: options.step ?? command,
          exitCode,
          signal: result.signal,
          interrupted,
          summary: explained?.message ?? genericSummary(redacted),
          logFile,
          hint: explained?.hint ?? options.hint,
          toolCode: explained?.code,
        }),
      )
    }
    return {stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode}
  } finally {
    done = true
    leave()
    process.removeListener('SIGINT', onInt)
    process.removeListener('SIGTERM', onTerm)
    process.removeListener('exit', onExit)
  }
}
