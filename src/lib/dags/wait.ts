// `dags deploy --wait`: wait until the dag-processor has parsed what was published, and
// report the import errors of the bundle with file and line.
//
// How: one one-off task of the standalone task definition (the image, the task role and the
// metadata database of the deployment, inside the VPC) runs WAIT_SNIPPET with `python -c`,
// which polls Airflow's own tables until the new files are parsed, then prints one result
// line. Not the api-server's REST API: the load balancer is closed by default
// (allowed_cidrs = []) or internal, it needs a user and password, and it has no bundle
// refresh time (no /dagBundles in Airflow 3.3): without it "parsed after the publish" cannot
// be told from "parsed before". Not `airflow dags list-import-errors` alone either: it shows
// neither when the bundle was synced nor when a file was parsed.
//
// "Parsed" (S3DagBundle has no versions: get_current_version() is None, see
// infra-terraform/README.md): the dag-processor records in dag_bundle.last_refreshed the time
// it started a sync of the bundle. A sync that started after the publish (S3's LastModified of
// the version's manifest, written after every live file, + 1 s for its whole-second precision)
// downloaded the new files; a file then counts as parsed when one of its DAGs has
// dag.last_parsed_time, or its import error has import_error.timestamp, at or after that sync.
// A changed file that defines no DAG and has no error leaves no trace: it counts as parsed
// once every DAG of the bundle was parsed after the sync and a minute has gone by (the
// dag-processor queues changed files first).
import {type AwsContext} from '../aws/context.js'
import {CliError, EXIT} from '../errors.js'
import {startTask} from '../ecs/standalone.js'
import {attach, markedJson} from '../ecs/task-runner.js'

export const WAIT_MARKER = 'AIRFLOW_ECS_DAGS_WAIT '

/** Runs as `python -c WAIT_SNIPPET <bundle> <since ISO> <deadline epoch s> <files JSON or "null">`. */
export const WAIT_SNIPPET = `
import json, sys, time
from datetime import datetime, timedelta
M = ${JSON.stringify(WAIT_MARKER)}
iso = lambda d: d.isoformat() if d else None
def say(kind, **kw):
    print(M + json.dumps(dict(kind=kind, **kw)), flush=True)
try:
    bundle, since, deadline, files = sys.argv[1], datetime.fromisoformat(sys.argv[2]), float(sys.argv[3]), json.loads(sys.argv[4])
    from sqlalchemy import select
    from airflow.models.dag import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.errors import ParseImportError
    from airflow.utils.session import create_session
    shown = None
    while True:
        with create_session() as s:
            synced = s.scalar(select(DagBundleModel.last_refreshed).where(DagBundleModel.name == bundle))
            dags = s.execute(select(DagModel.relative_fileloc, DagModel.last_parsed_time).where(DagModel.bundle_name == bundle, DagModel.is_stale.is_(False))).all()
            errors = s.execute(select(ParseImportError.filename, ParseImportError.timestamp, ParseImportError.stacktrace).where(ParseImportError.bundle_name == bundle)).all()
        pending, news = None, None
        if synced is not None and synced >= since:
            seen = {f for f, t in dags if t and t >= synced} | {f for f, t, _ in errors if t and t >= synced}
            cycle = all(t and t >= synced for _, t in dags) and all(t and t >= synced for _, t, _ in errors)
            late = datetime.now(synced.tzinfo) - synced > timedelta(seconds=60)
            pending = [f for f in files if f not in seen] if files is not None else ([] if cycle else ["(all files)"])
            if not pending or (cycle and late):
                say("done", synced=iso(synced), errors=[dict(file=f, stacktrace=(e or "")[-4000:]) for f, _, e in errors], dags=len(dags))
                break
            news = "bundle synced at %s; waiting for %d file(s) to be parsed: %s" % (synced.isoformat(timespec="seconds"), len(pending), ", ".join(pending[:5]))
        else:
            news = "waiting for the dag-processor to sync the bundle (last sync: %s)" % (iso(synced) or "never")
        if news != shown:
            say("progress", text=news)
            shown = news
        if time.time() > deadline:
            say("timeout", synced=iso(synced), pending=pending)
            break
        time.sleep(2)
except Exception as error:
    say("error", error="%s: %s" % (type(error).__name__, error))
`.trimStart()

/** ECS caps a RunTask's overrides at 8 KiB: beyond this many characters of paths, wait for a whole parse cycle instead. */
const MAX_FILES_JSON = 2500

export function waitCommand(bundle: string, since: Date, deadline: number, files: string[]): string[] {
  const list = JSON.stringify(files)
  return ['python', '-c', WAIT_SNIPPET, bundle, since.toISOString(), String(Math.floor(deadline / 1000)), list.length <= MAX_FILES_JSON ? list : 'null']
}

/**
 * The files of a change that Airflow parses: .py files holding both "airflow" and "dag"
 * ([core] dag_discovery_safe_mode, on by default; Airflow skips the others).
 */
export function parsedFiles(paths: string[], body: (path: string) => Buffer | undefined): string[] {
  return paths.filter((p) => {
    if (!p.endsWith('.py')) return false
    const text = body(p)?.toString('utf8').toLowerCase()
    return text === undefined || (text.includes('airflow') && text.includes('dag'))
  })
}

export interface ImportError {
  file: string
  line?: number
  message: string
}

/** File, line and last line of the message out of the stack trace Airflow stored. */
export function importError(file: string, stacktrace: string): ImportError {
  const lines = stacktrace.split('\n').map((l) => l.trimEnd())
  const base = file.split('/').pop()!
  let line: number | undefined
  // The deepest frame in the file itself: `File "/…/<file>", line N`.
  for (const m of stacktrace.matchAll(/File "([^"]+)", line (\d+)/g)) {
    if (m[1] === file || m[1].endsWith(`/${file}`) || (!file.includes('/') && m[1].split('/').pop() === base)) line = Number(m[2])
  }
  const message = lines.filter((l) => l.trim()).at(-1)?.trim() ?? 'import error'
  return {file, ...(line === undefined ? {} : {line}), message}
}

export interface WaitResult {
  /** When the dag-processor synced the bundle (after the publish). */
  syncedAt: string
  importErrors: ImportError[]
  dags: number
  waitedSeconds: number
  taskId: string
}

interface WaitLine {
  kind: 'progress' | 'done' | 'timeout' | 'error'
  text?: string
  synced?: string
  errors?: Array<{file: string; stacktrace: string}>
  dags?: number
  pending?: string[] | null
  error?: string
}

export function parseWaitLine(line: string): WaitLine | undefined {
  return markedJson<WaitLine>(line, WAIT_MARKER)
}

export interface WaitOptions {
  bundle: string
  version: string
  /** The publish is complete at this time (S3's clock). */
  since: Date
  /** Changed or added files Airflow parses (bundle paths). */
  files: string[]
  timeoutMs: number
  bin: string
  note: (line: string) => void
}

/** Starts the waiting task and returns what Airflow parsed; throws on timeout or when the task fails. */
export async function waitForParse(ctx: AwsContext, options: WaitOptions): Promise<WaitResult> {
  const started = Date.now()
  const deadline = started + options.timeoutMs
  const task = await startTask(ctx, {command: waitCommand(options.bundle, options.since, deadline, options.files), size: {}, environment: []})
  options.note(`Waiting for the dag-processor to parse version ${options.version} (task ${task.taskId}, timeout ${Math.round(options.timeoutMs / 1000)} s)…`)
  let final: WaitLine | undefined
  const debug = Boolean(process.env.DEBUG && process.env.DEBUG !== '0')
  // The task gets its own deadline; ECS's start and the last log lines get a minute more.
  const {report, exitCode} = await attach(
    ctx,
    options.bin,
    task,
    {
      line: (text) => {
        const parsed = parseWaitLine(text)
        if (parsed?.kind === 'progress' && parsed.text) options.note(`  ${parsed.text}`)
        else if (parsed) final = parsed
        else if (debug) options.note(text)
      },
      note: options.note,
    },
    options.timeoutMs + 60_000,
  )
  const logHint = `Read the task's log: ${options.bin} logs standalone --task ${task.taskId}`
  if (report.detached) {
    throw new CliError(`Stopped waiting; version ${options.version} is published and task ${task.taskId} keeps waiting.`, {code: 'CANCELLED', exitCode, hint: logHint})
  }
  if (final?.kind === 'timeout') {
    const where = final.synced && new Date(final.synced) >= options.since ? `the bundle was synced at ${final.synced} but ${final.pending?.join(', ') || 'some files'} not parsed yet` : `the dag-processor has not synced the bundle since the publish (last sync: ${final.synced ?? 'never'})`
    throw new CliError(`Version ${options.version} is published, but within the timeout ${where}.`, {
      code: 'TIMEOUT',
      exitCode: EXIT.timeout,
      hint: `Check that the dag-processor runs (\`${options.bin} status\`, \`${options.bin} logs dag-processor\`), or wait longer with --timeout.`,
    })
  }
  if (final?.kind === 'error' || final?.kind !== 'done') {
    throw new CliError(
      final?.kind === 'error'
        ? `Version ${options.version} is published, but reading Airflow's database failed in task ${task.taskId}: ${final.error}.`
        : `Task ${task.taskId} ended (exit ${report.exitCode ?? 'unknown'}) without saying whether version ${options.version} was parsed.`,
      {code: 'UNEXPECTED', hint: logHint},
    )
  }
  return {
    syncedAt: final.synced!,
    importErrors: (final.errors ?? []).map((e) => importError(e.file, e.stacktrace)).sort((a, b) => a.file.localeCompare(b.file)),
    dags: final.dags ?? 0,
    waitedSeconds: Math.round((Date.now() - started) / 100) / 10,
    taskId: task.taskId,
  }
}
