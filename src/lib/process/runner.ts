// The one process runner (terraform, docker, git): output streamed line by line to the
// caller, Ctrl-C forwarded so nothing is left half-running, failures mapped to one line.
import {execa} from 'execa'

import {CliError, mapError} from '../errors.js'

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Written to the process's stdin (e.g. a password for `docker login --password-stdin`); never logged. */
  input?: string
  /** Each line of stdout and stderr as it comes. */
  onLine?: (line: string) => void
  /** What to call the step in an error message. */
  step?: string
  hint?: string
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Runs a program to completion; a non-zero exit is a CliError naming the step and its last output line. */
export async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = execa(command, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: options.env === undefined,
    input: options.input,
    reject: false,
    all: true,
    forceKillAfterDelay: 10_000,
    // Ctrl-C reaches the child as SIGINT too (same process group); we wait for it to finish cleanly.
    cleanup: true,
  })
  const onInterrupt = (): void => {
    child.kill('SIGINT')
  }
  process.on('SIGINT', onInterrupt)
  if (options.onLine && child.all) {
    let buffer = ''
    child.all.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) options.onLine!(line)
    })
    child.all.on('end', () => {
      if (buffer) options.onLine!(buffer)
    })
  }
  try {
    const result = await child
    if (result.failed && (result as {code?: string}).code === 'ENOENT') throw mapError(Object.assign(new Error(String(result.message)), {code: 'ENOENT', syscall: `spawn ${command}`, path: command}))
    const exitCode = result.exitCode ?? 1
    if (exitCode !== 0) {
      const last = String(result.stderr || result.stdout || '')
        .trim()
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^[│╵╷]+$/.test(l))
        .slice(-1)[0]
      throw new CliError(`${options.step ?? command} failed (exit ${exitCode})${last ? `: ${last.replace(/^│\s*/, '')}` : ''}.`, {
        code: 'PROCESS_FAILED',
        hint: options.hint ?? `Run with DEBUG=1 to see its full output.`,
        cause: Object.assign(new Error(String(result.all ?? '')), {exitCode}),
      })
    }
    return {stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode}
  } finally {
    process.removeListener('SIGINT', onInterrupt)
  }
}
