// What a failed terraform, docker or git run leaves behind: its whole (already redacted)
// output in a log file only its owner can read, and the one line that says why it failed.
import {lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** How many failure logs a folder keeps (oldest go first). */
const KEEP = 20
let written = 0

/** The first line that reports an error (docker's `ERROR:`, git's `fatal:`), else the last meaningful line. */
export function genericSummary(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/^\s*[│╷╵]\s*/, '').trim())
    .filter((l) => l && !/^[│╷╵─-]+$/.test(l))
  const error = lines.find((l) => /^(?:#\d+\s+(?:\d+(?:\.\d+)?\s+)?)?(?:ERROR|Error|error|fatal|FATAL)(?:\[[^\]]*\])?:?\s/.test(l))
  return error ?? lines.at(-1)
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

function writeIn(dir: string, name: string, text: string): string {
  mkdirSync(dir, {recursive: true, mode: 0o700})
  const path = join(dir, name)
  // A new file (never through a link someone left there), readable by its owner only.
  writeFileSync(path, text, {mode: 0o600, flag: 'wx'})
  return path
}

/** <tmp>/airflow-ecs-<uid>/logs when that folder is ours and private, else a fresh private folder. */
function privateTempDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  const base = join(tmpdir(), `airflow-ecs-${uid ?? 'user'}`)
  try {
    const s = lstatSync(base)
    if (s.isDirectory() && !s.isSymbolicLink() && (uid === undefined || s.uid === uid) && (s.mode & 0o077) === 0) return join(base, 'logs')
  } catch {
    mkdirSync(base, {mode: 0o700})
    return join(base, 'logs')
  }
  return mkdtempSync(join(tmpdir(), 'airflow-ecs-logs-'))
}

function prune(dir: string): void {
  try {
    const logs = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort()
    for (const old of logs.slice(0, Math.max(0, logs.length - KEEP))) rmSync(join(dir, old), {force: true})
  } catch {
    // pruning is best effort
  }
}

/**
 * Writes the output of a failed step to `<dir>/<time>-<step>-….log` (mode 0600), or to a
 * private folder under the system temp dir when `dir` cannot be written. Undefined when
 * neither can.
 */
export function saveFailureLog(step: string, output: string, dir?: string): string | undefined {
  // Time first, so names sort oldest first for pruning.
  const name = `${stamp()}-${step.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'step'}-${process.pid}-${++written}.log`
  for (const where of [() => dir, privateTempDir]) {
    try {
      const candidate = where()
      if (!candidate) continue
      const path = writeIn(candidate, name, output.endsWith('\n') ? output : `${output}\n`)
      prune(candidate)
      return path
    } catch {
      // try the next place
    }
  }
  return undefined
}
