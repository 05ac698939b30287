// `connections check`: a one-off task of the standalone task definition (so the task
// role, the image and AIRFLOW__SECRETS__BACKEND* of the deployment) asks Airflow to
// resolve a connection, through Connection.get_connection_from_secrets as Airflow's own
// `connections get` does, and prints one result line: type, host, port, schema, extras'
// keys, which backend answered, whether a login and a password are set. Never the
// password, the login or an extra's value: the line lands in CloudWatch and S3.
import {type AwsContext} from '../aws/context.js'
import {CliError} from '../errors.js'
import {startTask} from '../ecs/standalone.js'
import {type AttachIO, type TaskReport, attach, markedJson} from '../ecs/task-runner.js'
import {prefixFor} from './kinds.js'

export const CHECK_MARKER = 'AIRFLOW_ECS_CHECK '

/** Runs as `python -c CHECK_SNIPPET <conn_id>` (the image's entrypoint runs `python …` as is). */
export const CHECK_SNIPPET = `
import json, sys
conn_id = sys.argv[1]
out = {"conn_id": conn_id, "found": False, "backends": [], "errors": {}}
def why(error):
    code = (getattr(error, "response", None) or {}).get("Error", {}).get("Code")
    return type(error).__name__ + (" (%s)" % code if code else "")
try:
    from airflow.configuration import ensure_secrets_loaded
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection
    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        conn = None
    for backend in ensure_secrets_loaded():
        name = type(backend).__name__
        out["backends"].append(name)
        if "source" in out:
            continue
        try:
            if backend.get_connection(conn_id=conn_id) is not None:
                out["source"] = name
        except Exception as error:
            out["errors"][name] = why(error)
    if conn is not None:
        out.update(found=True, conn_type=conn.conn_type, host=conn.host or None, port=conn.port,
                   schema=conn.schema or None, login_set=bool(conn.login), password_set=bool(conn.password),
                   extra_keys=sorted(conn.extra_dejson))
except Exception as error:
    out["error"] = why(error)
print(${JSON.stringify(CHECK_MARKER)} + json.dumps(out), flush=True)
`.trimStart()

export function checkCommand(connId: string): string[] {
  return ['python', '-c', CHECK_SNIPPET, connId]
}

export interface CheckResult {
  conn_id: string
  found: boolean
  source?: string
  conn_type?: string
  host?: string | null
  port?: number | null
  schema?: string | null
  login_set?: boolean
  password_set?: boolean
  extra_keys?: string[]
  backends: string[]
  errors: Record<string, string>
  error?: string
}

/** The result in a log line, if this is the line. */
export function parseCheckLine(line: string): CheckResult | undefined {
  return markedJson<CheckResult>(line, CHECK_MARKER)
}

export interface CheckOutcome {
  result: CheckResult
  task: TaskReport
}

/** Starts the task, waits for it (Ctrl-C detaches), and returns what Airflow resolved; throws when it did not say. */
export async function checkConnection(ctx: AwsContext, bin: string, connId: string, io: AttachIO, timeoutMs?: number): Promise<CheckOutcome> {
  const started = await startTask(ctx, {command: checkCommand(connId), size: {}, environment: []})
  io.note(`Started task ${started.taskId}: Airflow resolves ${connId} in the deployment.`)
  let result: CheckResult | undefined
  const {report, exitCode} = await attach(
    ctx,
    bin,
    started,
    {
      line: (text) => {
        result = parseCheckLine(text) ?? result
        if (process.env.DEBUG && process.env.DEBUG !== '0') io.line(text)
      },
      note: io.note,
    },
    timeoutMs,
  )
  if (report.detached) {
    throw new CliError('Stopped waiting: the answer will be in the task\'s log.', {code: 'CANCELLED', exitCode, hint: `${bin} logs standalone --task ${started.taskId}`})
  }
  if (!result) {
    throw new CliError(`Task ${started.taskId} ended (exit ${report.exitCode ?? 'unknown'}) without saying what Airflow resolved.`, {
      code: 'UNEXPECTED',
      hint: `Read its log: ${bin} logs standalone --task ${started.taskId}`,
    })
  }
  if (result.error) {
    throw new CliError(`Airflow failed while resolving ${connId} in task ${started.taskId}: ${result.error}.`, {
      code: 'UNEXPECTED',
      hint: `Read its log: ${bin} logs standalone --task ${started.taskId}`,
    })
  }
  if (!result.found) {
    const failures = Object.entries(result.errors ?? {}).map(([backend, why]) => `; ${backend} failed: ${why}`)
    throw new CliError(`Airflow does not resolve the connection ${connId} (asked ${result.backends.join(', ') || 'no backend'}${failures.join('')}).`, {
      code: 'NOT_FOUND',
      hint: `\`${bin} connections list\` shows what is stored; the task role reads only ${prefixFor(ctx.deployment.project, 'connection')}/*.`,
    })
  }
  return {result, task: report}
}
