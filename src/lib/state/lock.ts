// The locks on an environment's state. Terraform holds its own (<key>.tflock, S3-native) during
// each terraform run; the CLI holds another (<key>.airflow-ecs.lock, created only if absent) for
// a whole deploy, destroy or rollback, so a second one fails fast, naming who holds it and since when, or
// waits (--lock-timeout). `state unlock ID` removes either after a confirmation.
import {randomUUID} from 'node:crypto'
import {hostname, userInfo} from 'node:os'

import type {S3Client} from '@aws-sdk/client-s3'

import {type Settings, ownBackend, stateWhere} from '../config/resolver.js'
import {CliError, invalid, isNotFoundError, isWriteConflict, lockedHint, mapError} from '../errors.js'
import {activeChildren} from '../process/runner.js'
import {packageVersion} from '../project/package.js'
import {sleep} from '../time.js'
import {type StateLocation, described, envFlag, s3Client, s3Uri, stateLocation} from './remote.js'

export interface LockInfo {
  ID: string
  Operation?: string
  Who?: string
  Version?: string
  Created?: string
  Path?: string
  /** The CLI's process on the host named in Who: a lock whose process is gone there is stale. */
  Pid?: number
}

const cliLockKey = (loc: StateLocation): string => `${loc.objectKey}.airflow-ecs.lock`
const terraformLockKey = (loc: StateLocation): string => `${loc.objectKey}.tflock`


async function readLock(client: S3Client, bucket: string, key: string): Promise<LockInfo | undefined> {
  const {GetObjectCommand} = await import('@aws-sdk/client-s3')
  try {
    const got = await client.send(new GetObjectCommand({Bucket: bucket, Key: key}))
    const info = JSON.parse(await got.Body!.transformToString()) as LockInfo
    return info && typeof info.ID === 'string' ? info : {ID: '(unreadable)'}
  } catch (error) {
    if (isNotFoundError(error)) return undefined
    if (error instanceof SyntaxError) return {ID: '(unreadable)'}
    throw error
  }
}

export function lockedError(settings: Pick<Settings, 'env' | 'project'>, holder: LockInfo): CliError {
  const who = holder.Who ? ` by ${holder.Who}` : ''
  const since = holder.Created ? ` since ${holder.Created}` : ''
  return new CliError(`The state of ${described(settings)} is locked${holder.Operation ? `: ${holder.Operation}` : ''}${who}${since} (lock ID ${holder.ID}).`, {
    code: 'STATE_LOCKED',
    hint: lockedHint(holder.ID, settings.env),
  })
}

export interface HeldLock {
  info: LockInfo
  release(): Promise<void>
}

/**
 * Takes the CLI's lock on the environment's state for one operation (deploy, destroy), or
 * fails naming its holder; with a timeout, waits for it. Released by release(), and on a
 * Ctrl-C that no running step turns into an error of its own.
 */
export async function acquireLock(settings: Settings, loc: StateLocation, operation: string): Promise<HeldLock> {
  const {DeleteObjectCommand, PutObjectCommand} = await import('@aws-sdk/client-s3')
  const client = await s3Client(settings, loc.region)
  const info: LockInfo = {ID: randomUUID(), Operation: operation, Who: `${safeUser()}@${hostname()}`, Version: packageVersion(), Created: new Date().toISOString(), Path: s3Uri(loc), Pid: process.pid}
  const key = cliLockKey(loc)
  const deadline = Date.now() + (settings.lockTimeoutMs ?? 0)
  for (;;) {
    try {
      await client.send(new PutObjectCommand({Bucket: loc.bucket, Key: key, Body: JSON.stringify(info), ContentType: 'application/json', IfNoneMatch: '*'}))
      break
    } catch (error) {
      if (!isWriteConflict(error)) throw error
      const holder = await readLock(client, loc.bucket, key)
      if (!holder) continue
      if (leftHere(holder, info)) {
        // A run on this machine that was killed outright (kill -9, a closed terminal): its
        // process is gone, so its lock protects nothing. Anyone else's lock is never taken over.
        await client.send(new DeleteObjectCommand({Bucket: loc.bucket, Key: key}))
        process.stderr.write(`Released the lock ${holder.ID} that an earlier ${holder.Operation ?? 'run'} on this machine left (its process ${holder.Pid} is gone; since ${holder.Created}).\n`)
        continue
      }
      if (Date.now() >= deadline) throw lockedError(settings, holder)
      await sleep(Math.min(3000, Math.max(200, deadline - Date.now())))
    }
  }
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    process.removeListener('SIGINT', onInterrupt)
    try {
      const holder = await readLock(client, loc.bucket, key)
      if (holder?.ID === info.ID) await client.send(new DeleteObjectCommand({Bucket: loc.bucket, Key: key}))
    } catch (error) {
      process.stderr.write(`The state lock ${info.ID} was not released: ${mapError(error).message}\nRelease it with: airflow-ecs state unlock ${info.ID}${envFlag(settings)}\n`)
    }
  }
  // A Ctrl-C between steps (no terraform, docker, task or wait to stop) ends the run here;
  // during one, that step stops what it runs and fails, and the caller's finally releases the
  // lock. Decided when the signal comes: this listener is the first, so a step's own listener
  // (a `once` one included) is still registered then; a moment later it may be gone while its
  // error is still on the way up, and exiting then would cut the caller's clean-up short.
  function onInterrupt(): void {
    if (activeChildren() > 0 || process.listenerCount('SIGINT') > 1) return
    void release().finally(() => {
      process.stderr.write(`Interrupted: the ${operation} stopped between two steps; its state lock is released. Run it again to go on.\n`)
      process.exit(130)
    })
  }
  process.prependListener('SIGINT', onInterrupt)
  return {info, release}
}

/**
 * The CLI's lock for a command that changes the services without Terraform (rollback), held as
 * a deploy holds it, so neither runs over the other. A state that is not in the bucket (local,
 * not moved yet, or a module's own backend) has no CLI lock: undefined, nothing taken.
 */
export async function lockServices(settings: Settings, operation: string): Promise<HeldLock | undefined> {
  if (stateWhere(settings) !== 's3') return undefined
  return acquireLock(settings, await stateLocation(settings), operation)
}

/** The holder is a run of this user on this host whose process no longer exists. */
function leftHere(holder: LockInfo, me: LockInfo): boolean {
  if (holder.Who !== me.Who || typeof holder.Pid !== 'number' || !Number.isInteger(holder.Pid) || holder.Pid <= 0 || holder.Pid === process.pid) return false
  try {
    process.kill(holder.Pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

function safeUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? 'unknown'
  }
}

/** Removes the lock with this ID (the CLI's or Terraform's) after confirm(holder); refuses an ID that holds nothing. */
export async function unlockState(settings: Settings, id: string, confirm: (holder: LockInfo, kind: string) => Promise<boolean>): Promise<{id: string; lock: 'airflow-ecs' | 'terraform'; holder: LockInfo}> {
  if (settings.state.backend !== 's3' || ownBackend(settings)) {
    throw invalid(`The state of ${described(settings)} is not in the airflow-ecs state bucket; its lock is Terraform's.`, `Release it with Terraform: terraform -chdir=${settings.terraformDir} force-unlock ${id}`)
  }
  const loc = await stateLocation(settings)
  const client = await s3Client(settings, loc.region)
  const {DeleteObjectCommand} = await import('@aws-sdk/client-s3')
  const held: Array<{lock: 'airflow-ecs' | 'terraform'; key: string; holder: LockInfo}> = []
  for (const [lock, key] of [
    ['airflow-ecs', cliLockKey(loc)],
    ['terraform', terraformLockKey(loc)],
  ] as const) {
    const holder = await readLock(client, loc.bucket, key)
    if (holder) held.push({lock, key, holder})
  }
  const match = held.find((h) => h.holder.ID === id)
  if (!match) {
    const now = held.map((h) => `${h.holder.ID} (${h.holder.Operation ?? h.lock} by ${h.holder.Who ?? 'unknown'})`).join(', ')
    throw new CliError(`No lock with ID ${id} on the state of ${described(settings)}${now ? `; it is locked by ${now}` : ': it is not locked'}.`, {
      code: 'NOT_FOUND',
      hint: now ? 'Give the ID the lock message printed (or the one above).' : 'Nothing to release.',
    })
  }
  if (!(await confirm(match.holder, match.lock))) throw new CliError('Nothing was released.', {code: 'CANCELLED', hint: 'Run it again and answer yes, or pass --yes.'})
  await client.send(new DeleteObjectCommand({Bucket: loc.bucket, Key: match.key}))
  return {id, lock: match.lock, holder: match.holder}
}
