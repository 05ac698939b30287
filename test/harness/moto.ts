// Starts the patched moto server (moto_server.py beside this file) on a free loopback
// port and hands back the environment that points the AWS SDK, the aws CLI and the
// Terraform AWS provider at it. Nothing here may reach real AWS.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {testPython} from './pyenv.mjs'

const here = dirname(fileURLToPath(import.meta.url))

export interface Moto {
  endpoint: string
  /** moto's own log (every request), for debugging a failed test. */
  logFile: string
  port: number
  /** Environment for child processes: endpoint, dummy credentials, region. */
  env: Record<string, string>
  stop(): Promise<void>
  /** Drops all state (moto's reset API). */
  reset(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function requireTool(command: string, args: string[], hint: string): void {
  const result = spawnSync(command, args, {stdio: 'ignore'})
  if (result.error || result.status !== 0) {
    throw new Error(`test needs \`${command}\`, which is missing or broken here: ${hint}`)
  }
}

/** Dummy credentials and region; AWS_ENDPOINT_URL sends every SDK call to moto. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // moto has no per-bucket host names: path-style S3 addresses, for the SDK and the S3 backend alike.
    AIRFLOW_ECS_S3_PATH_STYLE: '1',
  }
}

export interface MotoOptions {
  /** Extra environment for the moto process (e.g. AIRFLOW_ECS_LOCAL_AGENT). */
  env?: Record<string, string>
  /** How long stop() waits for moto (and the agent's processes) before SIGKILL. */
  stopTimeoutMs?: number
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  // moto comes from the tests' own virtualenv (test/requirements.txt), never the machine's.
  const python = testPython()
  requireTool(python, ['-c', 'import moto'], 'the tests\' virtualenv has no moto: delete it and run npm test again')
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  // moto logs every request. Its log goes to a file, not a pipe: a test that blocks its
  // event loop (spawnSync terraform) would stop draining a pipe and moto would hang on it.
  const logFile = join(mkdtempSync(join(tmpdir(), 'moto-')), 'moto.log')
  const log = openSync(logFile, 'w')
  const child: ChildProcess = spawn(python, [join(here, 'moto_server.py'), String(port)], {
    stdio: ['ignore', log, log],
    env: {...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', ...options.env},
  })
  closeSync(log)
  const tail = (): string => readFileSync(logFile, 'utf8').slice(-4000)
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited early: ${tail()}`)
    try {
      const response = await fetch(`${endpoint}/moto-api/`)
      if (response.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`moto did not start on ${endpoint}: ${tail()}`)
    }
    await new Promise((r) => setTimeout(r, 150))
  }
  return {
    endpoint,
    logFile,
    port,
    env: awsEnv(endpoint),
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, {method: 'POST'})
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, options.stopTimeoutMs ?? 3000))])
      if (child.exitCode === null) child.kill('SIGKILL')
    },
  }
}
