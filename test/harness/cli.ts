// Runs the built CLI as a child process, as a user would.
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const fakeBin = join(repoRoot, 'test', 'harness', 'bin')
const runJs = join(repoRoot, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export function requireBuild(): void {
  if (!existsSync(join(repoRoot, 'dist', 'commands')) || !existsSync(join(repoRoot, 'oclif.manifest.json'))) {
    throw new Error('the CLI is not built: run `npm run build` first (dist/ or oclif.manifest.json is missing)')
  }
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  input?: string
  timeoutMs?: number
  /** Called with each stdout chunk while the process runs. */
  onStdout?: (chunk: string, child: import('node:child_process').ChildProcess) => void
  /** Called with each stderr chunk while the process runs. */
  onStderr?: (chunk: string, child: import('node:child_process').ChildProcess) => void
}

/** A PATH with the fake tools (session-manager-plugin, xdg-open) and this node first. */
export function testPath(extra: string[] = []): string {
  return [...extra, fakeBin, dirname(process.execPath), process.env.PATH ?? ''].join(delimiter)
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  requireBuild()
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: '1',
      PATH: testPath(),
      AIRFLOW_ECS_POLL_INTERVAL_MS: '150',
      AIRFLOW_ECS_FOLLOW_INTERVAL_MS: '300',
      ...options.env,
    }
    for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]
    const child = spawn(process.execPath, [runJs, ...args], {cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'cwd-')), env: env as NodeJS.ProcessEnv})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      options.onStdout?.(chunk.toString(), child)
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      options.onStderr?.(chunk.toString(), child)
    })
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`airflow-ecs ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({code, stdout, stderr})
    })
  })
}

export function parseJson<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`)
  }
}
