// What a deploy or destroy does with the state before terraform runs: the bucket there, the
// backend file written, the CLI's lock held, and a local state moved to S3 once (after a
// confirmation; the local file stays as a dated copy). And how the result reports it.
import {copyFileSync, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {BACKEND_FILE, type Settings, localStatePath, ownBackend, stateFingerprint} from '../config/resolver.js'
import {CliError, invalid} from '../errors.js'
import {acquireLock} from './lock.js'
import {type StateLocation, backendText, described, ensureStateBucket, remoteResourceCount, s3Uri, stateLocation} from './remote.js'

export interface PreparedState {
  where: 'custom' | 'local' | 's3'
  location?: StateLocation
  /** terraform init's extra arguments (-reconfigure, or -migrate-state -force-copy for a move). */
  initArgs: string[]
  /** A local state moved to S3: where it was and where its dated copy is. */
  migration?: {from: string; backup: string; to: string}
  /** After a successful init: the moved local state file goes (its backup stays). */
  afterInit(): void
  release(): Promise<void>
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').replace('T', '-')
}

/**
 * The state ready for terraform: the bucket there, the backend file written, the CLI's lock
 * held, and a local state moved once (confirm asked unless yes). Local or custom: nothing to do.
 */
export async function prepareState(
  settings: Settings,
  options: {operation: string; yes: boolean; confirm?: (question: string) => Promise<boolean>; log?: (line: string) => void},
): Promise<PreparedState> {
  const backendPath = join(settings.terraformDir, BACKEND_FILE)
  const noop = {initArgs: [], afterInit() {}, async release() {}}
  if (settings.state.backend === 'local') {
    if (existsSync(backendPath)) {
      throw invalid(
        `The state of ${described(settings)} is in S3 (${settings.terraformDir}/${BACKEND_FILE} says where); --local-state / "state": "local" does not move it back.`,
        'Drop --local-state (and "state": "local"); for a local experiment use another environment or project name.',
      )
    }
    if (settings.state.source === 'flag' && !stateFingerprint(settings.terraformDir)) await refuseLocalOverRemote(settings)
    return {where: 'local', ...noop}
  }
  if (ownBackend(settings)) {
    rmSync(backendPath, {force: true})
    return {where: 'custom', ...noop}
  }
  const log = options.log ?? (() => {})
  const loc = await stateLocation(settings)
  await ensureStateBucket(settings, loc, log)
  const lock = await acquireLock(settings, loc, options.operation)
  try {
    const local = localStatePath(settings.terraformDir)
    let migration: PreparedState['migration']
    let initArgs = ['-reconfigure']
    if (stateFingerprint(settings.terraformDir)) {
      migration = await planMigration(settings, loc, local, options)
      initArgs = ['-migrate-state', '-force-copy']
    }
    const text = backendText(loc)
    if (!existsSync(backendPath) || readFileSync(backendPath, 'utf8') !== text) writeFileSync(backendPath, text)
    log(`state: ${s3Uri(loc)} (locked for this ${options.operation}: ${lock.info.ID})`)
    return {
      where: 's3',
      location: loc,
      initArgs,
      migration,
      afterInit() {
        if (migration) {
          rmSync(migration.from, {force: true})
          rmSync(`${migration.from}.backup`, {force: true})
        }
      },
      release: lock.release,
    }
  } catch (error) {
    await lock.release()
    throw error
  }
}

/**
 * --local-state in a folder with no local state, for an environment already deployed with its
 * state in the bucket (a fresh clone): a new local state would create everything a second time.
 */
async function refuseLocalOverRemote(settings: Settings): Promise<void> {
  let resources: number | undefined
  let where = ''
  try {
    const loc = await stateLocation({...settings, state: {backend: 's3', key: `${settings.project}/terraform.tfstate`, source: 'default'}})
    where = s3Uri(loc)
    resources = await remoteResourceCount(settings, loc)
  } catch {
    return // No state there (or it cannot be read): a local experiment it is.
  }
  if ((resources ?? 0) > 0) {
    throw invalid(
      `The ${described(settings)} is already deployed, with its state at ${where}; --local-state here would create it all a second time.`,
      'Drop --local-state to work on that deployment, or use another environment or project name for a local experiment.',
    )
  }
}

async function planMigration(
  settings: Settings,
  loc: StateLocation,
  local: string,
  options: {yes: boolean; confirm?: (question: string) => Promise<boolean>},
): Promise<NonNullable<PreparedState['migration']>> {
  const to = s3Uri(loc)
  // Never over a state that is already there: two states of one environment need a person.
  if (((await remoteResourceCount(settings, loc)) ?? 0) > 0) {
    throw new CliError(`The ${described(settings)} has a local Terraform state (${local}) and a state in S3 (${to}) that holds resources; neither was changed.`, {
      code: 'STATE_INVALID',
      hint: `Keep the one that is right: to use S3, move the local file away (mv ${local} ${local}.old); to replace the S3 one, delete it first (the bucket keeps its versions).`,
    })
  }
  if (!options.yes && !(options.confirm && (await options.confirm(`Move the Terraform state of ${described(settings)} from ${local} to ${to} (a dated copy stays here)?`)))) {
    throw new CliError('Nothing was moved or deployed: the state stays local until it is moved.', {
      code: 'CANCELLED',
      hint: 'Run it again and answer yes (or pass --yes), or keep the local state with --local-state / "state": "local" in airflow-ecs.json.',
    })
  }
  const backup = `${local}.${stamp()}.local-backup`
  copyFileSync(local, backup)
  return {from: local, backup, to}
}

export interface StateReport {
  backend: 'custom' | 'local' | 's3'
  location?: string
  movedFrom?: string
  backup?: string
}

export function stateReport(state: PreparedState): StateReport {
  return {
    backend: state.where,
    ...(state.location ? {location: s3Uri(state.location)} : {}),
    ...(state.migration ? {movedFrom: state.migration.from, backup: state.migration.backup} : {}),
  }
}

/** The state step's note: where the state is, and a move. */
export function stateNote(state: PreparedState): string {
  if (state.migration) return `moved ${state.migration.from} to ${state.migration.to}`
  return state.location ? s3Uri(state.location) : state.where === 'local' ? 'local file' : "the module's own backend"
}
