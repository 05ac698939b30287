// The real-Airflow tier's world: a throwaway PostgreSQL, moto with the local ECS agent
// (ecs_agent.py) that runs every task's containers as processes of the tests' virtualenv,
// and helpers to read what the agent ran and to talk to the api-server's REST API.
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {repoRoot} from './cli.ts'
import {type Moto, startMoto} from './moto.ts'
import {type Postgres, startPostgres} from './postgres.ts'
import {ensureVenv} from './pyenv.mjs'

export interface AgentContainer {
  name: string
  pid: number | null
  exitCode: number | null
  emulated: boolean
  peakRssMiB?: number
  logGroup: string | null
  logStream: string | null
}

export interface AgentTask {
  taskArn: string
  taskId: string
  cluster: string
  group: string
  family: string
  startedAt: number
  stoppedAt: number | null
  stopped: boolean
  reason: string
  home: string
  containers: AgentContainer[]
}

export interface AgentState {
  clusterPorts: Record<string, Record<string, number>>
  tasks: AgentTask[]
}

export interface AirflowWorld {
  moto: Moto
  postgres: Postgres
  workDir: string
  state(): AgentState
  /** The local port the cluster's api-server listens on (its containerPort 8080). */
  apiPort(cluster: string): number
  stop(): Promise<void>
}

export async function startAirflowWorld(): Promise<AirflowWorld> {
  const venv = ensureVenv()
  const postgres = await startPostgres()
  const workDir = mkdtempSync(join(tmpdir(), 'airflow-ecs-agent-'))
  const config = join(workDir, 'agent.json')
  writeFileSync(
    config,
    JSON.stringify({
      venv,
      workDir,
      postgres: {host: postgres.host, port: postgres.port, user: postgres.user},
      // The image's paths (build/prod/Containerfile) and where they are in this checkout.
      pathMap: {'/opt/airflow/dags': join(repoRoot, 'dags'), '/opt/airflow/plugins': join(repoRoot, 'plugins')},
      // The image installs airflow_ecs; here it is imported from the checkout.
      pythonPath: [repoRoot],
      restartDelaySeconds: 5,
    }),
  )
  let moto: Moto
  try {
    moto = await startMoto({env: {AIRFLOW_ECS_LOCAL_AGENT: config}, stopTimeoutMs: 20_000})
  } catch (error) {
    postgres.stop()
    throw error
  }
  const state = (): AgentState => {
    try {
      return JSON.parse(readFileSync(join(workDir, 'state.json'), 'utf8')) as AgentState
    } catch {
      return {clusterPorts: {}, tasks: []}
    }
  }
  return {
    moto,
    postgres,
    workDir,
    state,
    apiPort(cluster) {
      const port = state().clusterPorts[cluster]?.['8080']
      if (!port) throw new Error(`the local ECS agent has started nothing in cluster ${cluster}`)
      return port
    },
    async stop() {
      await moto.stop()
      // Whatever survived moto (it should not): every process group the agent started.
      for (const task of state().tasks) {
        for (const c of task.containers) {
          if (!c.pid) continue
          try {
            process.kill(-c.pid, 'SIGKILL')
          } catch {
            // gone already
          }
        }
      }
      postgres.stop()
    },
  }
}

/** Polls until check returns a value (not undefined), or throws with what it last saw. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Airflow's REST API on the api-server, signed in through FAB's /auth/token. */
export class AirflowApi {
  private token?: string
  readonly base: string
  private readonly username: string
  private readonly password: string
  constructor(base: string, username: string, password: string) {
    this.base = base
    this.username = username
    this.password = password
  }

  async signIn(): Promise<void> {
    const r = await fetch(`${this.base}/auth/token`, {
      method: 'POST',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({username: this.username, password: this.password}),
    })
    if (!r.ok) throw new Error(`POST /auth/token: HTTP ${r.status} ${await r.text()}`)
    this.token = ((await r.json()) as {access_token: string}).access_token
  }

  async get<T = any>(path: string): Promise<T> {
    if (!this.token) await this.signIn()
    const r = await fetch(`${this.base}${path}`, {headers: {authorization: `Bearer ${this.token}`, accept: 'application/json'}})
    if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status} ${(await r.text()).slice(0, 500)}`)
    return (await r.json()) as T
  }
}
