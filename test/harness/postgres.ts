// A throwaway PostgreSQL for the tests that run Airflow: its own cluster in a temporary
// folder, on a free loopback port, trust authentication, no durability (it dies with the
// test). The local ECS agent points the deployment's RDS endpoint at it.
import {spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {freePort} from './moto.ts'

export interface Postgres {
  host: string
  port: number
  /** The superuser (trust authentication: no password). */
  user: string
  dataDir: string
  logFile: string
  stop(): void
}

const MISSING = 'the Airflow tests need the PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql (or set PG_BIN to their folder)'

function binDir(): string {
  if (process.env.PG_BIN) {
    // Named explicitly: that folder or nothing.
    if (existsSync(join(process.env.PG_BIN, 'initdb')) && existsSync(join(process.env.PG_BIN, 'pg_ctl'))) return process.env.PG_BIN
    throw new Error(`${MISSING}; PG_BIN=${process.env.PG_BIN} has no initdb and pg_ctl`)
  }
  const candidates: Array<string | undefined> = []
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    candidates.push(...versions.map((v) => join('/usr/lib/postgresql', v, 'bin')))
  }
  const fromPath = spawnSync('pg_config', ['--bindir'], {encoding: 'utf8'})
  if (fromPath.status === 0) candidates.push(fromPath.stdout.trim())
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')))
  if (!found) throw new Error(MISSING)
  return found
}

/** initdb refuses to run as root: as root, the cluster belongs to the `postgres` user. */
function runAs(): {uid: number; gid: number; prefix: string[]} | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], {encoding: 'utf8'})
  const uid = id('-u')
  const gid = id('-g')
  if (uid.status !== 0) throw new Error(`running as root, the tests need the \`postgres\` system user for initdb: ${MISSING}`)
  return {uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), prefix: ['runuser', '-u', 'postgres', '--']}
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir()
  const owner = runAs()
  const root = mkdtempSync(join(tmpdir(), 'airflow-ecs-pg-'))
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  const logFile = join(root, 'postgres.log')
  if (owner) chownSync(root, owner.uid, owner.gid)
  const run = (command: string, args: string[]) => {
    const argv = [...(owner?.prefix ?? []), join(bin, command), ...args]
    const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', cwd: root})
    if (r.error || r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : ''
      throw new Error(`${command} failed: ${(r.stderr || r.error?.message || '').trim().slice(-2000)} ${log}`)
    }
  }
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'])
  const port = await freePort()
  const options = [`-p ${port}`, `-k ${root}`, '-c listen_addresses=127.0.0.1', '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=400']
  run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options.join(' '), '-w', '-t', '60', 'start'])
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    dataDir,
    logFile,
    stop() {
      const argv = [...(owner?.prefix ?? []), join(bin, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop']
      spawnSync(argv[0], argv.slice(1), {stdio: 'ignore'})
      rmSync(root, {recursive: true, force: true})
    },
  }
}
