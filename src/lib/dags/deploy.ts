// `dags deploy`: check the folder, then publish it. The checks run before any AWS call, so a
// syntax error costs nothing and uploads nothing.
import {isAbsolute, join, resolve} from 'node:path'

import {type AwsContext, awsContext} from '../aws/context.js'
import {type GlobalFlags, resolveSettings} from '../config/resolver.js'
import {type PublishResult, bundleTarget, describeChange, publish, versionCompleteAt} from './bundle.js'
import {checkSyntax, collectFiles} from './files.js'
import {type ImportError, type WaitResult} from './wait.js'

export interface DeployDagsOptions {
  dir?: string
  message?: string
  note: (line: string) => void
  /** --wait: wait until the dag-processor parsed the version, at most timeoutMs. */
  wait?: {timeoutMs: number; bin: string}
}

export interface DagsDeployData extends PublishResult {
  /** The release `dags deploy` recorded for a new version. */
  release?: number
  dir: string
  files: number
  syntaxChecked: number
  seconds: number
  /** With --wait: the import errors of the bundle once the version is parsed (none: it parsed cleanly). */
  importErrors?: ImportError[]
  /** With --wait: when the dag-processor synced the bundle, and how long the wait took. */
  parsed?: Omit<WaitResult, 'importErrors'>
}

/** The DAG folder: --dir (relative to the current folder), else dags/ of the project. */
export function dagsDir(projectRoot: string, dir?: string): string {
  if (dir) return isAbsolute(dir) ? dir : resolve(dir)
  return join(projectRoot, 'dags')
}

/** Checks and publishes `dir` for an already loaded context (also `deploy`'s step). */
export async function publishDir(ctx: AwsContext, dir: string, options: {message?: string; note: (line: string) => void}): Promise<DagsDeployData> {
  const started = Date.now()
  const files = collectFiles(dir)
  const check = checkSyntax(dir, files)
  if (!check.python) options.note(`No python3 on this machine: the ${files.filter((f) => f.path.endsWith('.py')).length} .py files were not syntax-checked before upload (set AIRFLOW_ECS_PYTHON to check them).`)
  const result = await publish(ctx, files, {dir, message: options.message})
  return {...result, dir, files: files.length, syntaxChecked: check.checked, seconds: (Date.now() - started) / 1000}
}

export function describePublish(r: DagsDeployData): string {
  if (!r.published) return `No change in ${r.files} files: version ${r.version} stays live, nothing written.`
  return [
    `Published version ${r.version} to s3://${r.bucket}/dags/ (${r.files} files, ${r.syntaxChecked} syntax-checked, ${r.writes} writes, ${r.seconds.toFixed(1)} s).`,
    `  ${describeChange(r.change)}`,
    `The dag-processor syncs the bundle every ${r.refreshInterval} s: the change is parsed within about ${r.refreshInterval + 30} s.`,
  ].join('\n')
}

/** The import errors, one line each: file:line: message. */
export function describeImportErrors(errors: ImportError[]): string {
  return errors.map((e) => `  ${e.file}${e.line === undefined ? '' : `:${e.line}`}: ${e.message}`).join('\n')
}

export async function deployDags(flags: GlobalFlags, options: DeployDagsOptions): Promise<{text: string; data: DagsDeployData}> {
  const settings = resolveSettings(flags)
  const dir = dagsDir(settings.projectRoot, options.dir)
  // The folder is checked before the deployment is even read.
  const local = collectFiles(dir)
  const ctx = await awsContext(flags)
  const data = await publishDir(ctx, dir, options)
  // A new bundle version is a release too (same image and task definitions, new DAGs).
  let release: number | undefined
  if (data.published) {
    const {recordDagsRelease} = await import('../releases/record.js')
    release = await recordDagsRelease(ctx, data.version, options.note)
  }
  const published = release ? {...data, release} : data
  const publishText = release ? `${describePublish(data)}\nRecorded as release ${release}.` : describePublish(data)
  if (!options.wait) return {text: publishText, data: published}

  // The ECS client only when waiting (also `deploy`'s bundle step loads this module).
  const {parsedFiles, waitForParse} = await import('./wait.js')
  const bodies = new Map(local.map((f) => [f.path, f.body]))
  const waited = await waitForParse(ctx, {
    bundle: bundleTarget(ctx).bundleName,
    version: data.version,
    since: await versionCompleteAt(ctx, data.version),
    files: data.published ? parsedFiles([...data.change.added, ...data.change.changed], (p) => bodies.get(p)) : [],
    timeoutMs: options.wait.timeoutMs,
    bin: options.wait.bin,
    note: options.note,
  })
  const {importErrors, ...parsed} = waited
  const result: DagsDeployData = {...published, importErrors, parsed}
  const summary =
    importErrors.length === 0
      ? `Parsed: the dag-processor synced the bundle at ${parsed.syncedAt} and reports no import error (${parsed.dags} DAGs, waited ${parsed.waitedSeconds} s).`
      : `Parsed with ${importErrors.length} import error${importErrors.length === 1 ? '' : 's'} (bundle synced at ${parsed.syncedAt}, waited ${parsed.waitedSeconds} s):\n${describeImportErrors(importErrors)}`
  return {text: `${publishText}\n${summary}`, data: result}
}
