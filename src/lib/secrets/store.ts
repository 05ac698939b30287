// Connections and variables as Secrets Manager secrets, one secret per entry, named
// "<prefix>/<id>" exactly as the deployment's SecretsManagerBackend looks them up.
//
// A write is one call per entry and never a read-modify-write: CreateSecret (tagged with
// the project), and when the name exists, PutSecretValue with the whole new value. Two
// writers racing end with one of the two values, never a mix. A secret scheduled for
// deletion is restored first (Secrets Manager refuses writes to it otherwise). Deletes
// keep Secrets Manager's recovery window unless forced.
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager'

import {type AwsContext} from '../aws/context.js'
import {CliError} from '../errors.js'
import {changedFields, parseStored} from './connection.js'
import type {ImportFile} from './files.js'
import {KINDS, type Kind, prefixFor} from './kinds.js'

export type WriteAction = 'created' | 'restored' | 'updated'

export interface Listed {
  id: string
  name: string
  lastChanged?: string
}

export interface ListedConnection extends Listed {
  connType?: string
  host?: string
}

export interface ImportReport {
  file: string
  dryRun: boolean
  entries: Planned[]
  created: number
  updated: number
  unchanged: number
  /** Keys of an .env file that are not of this kind. */
  ignored: string[]
  notes: string[]
}

export interface Deleted {
  id: string
  name: string
  /** When Secrets Manager removes it for good; undefined when forced (at once). */
  recoverableUntil?: string
  restoreCommand?: string
}

export interface Planned {
  id: string
  action: 'create' | 'unchanged' | 'update'
  /** What differs, by name only. */
  changed: string[]
  /** A connection's type and host (never secret). */
  summary?: string
}

/** What differs between two stored connections, read as the backend reads them. */
function connectionDiff(current: string, desired: string): string[] {
  try {
    return changedFields(parseStored('', current), parseStored('', desired))
  } catch {
    return ['(the stored value is not a readable connection)']
  }
}

const errorName = (error: unknown): string => (error as {name?: string}).name ?? ''
const pendingDeletion = (error: unknown): boolean =>
  errorName(error) === 'InvalidRequestException' && /deleted|deletion/i.test((error as Error).message ?? '')
const iso = (date?: Date): string | undefined => (date ? new Date(date).toISOString() : undefined)

export class SecretStore {
  readonly prefix: string
  private readonly client: SecretsManagerClient

  constructor(
    private readonly ctx: AwsContext,
    readonly kind: Kind,
  ) {
    this.prefix = prefixFor(ctx.deployment.project, kind)
    this.client = new SecretsManagerClient(ctx.clientConfig)
  }

  nameOf(id: string): string {
    return `${this.prefix}/${id}`
  }

  private notFound(id: string, why = 'there is none'): CliError {
    const {noun, plural} = KINDS[this.kind]
    return new CliError(`No ${noun} ${id} in ${this.prefix}/ (${why}).`, {
      code: 'NOT_FOUND',
      hint: `\`airflow-ecs ${plural} list\` shows what there is${why === 'there is none' ? '' : `; \`airflow-ecs ${plural} set ${id} …\` restores it with a new value`}.`,
    })
  }

  /** One write: CreateSecret, or PutSecretValue when the name exists. */
  async write(id: string, value: string): Promise<WriteAction> {
    const name = this.nameOf(id)
    const put = (): Promise<unknown> => this.client.send(new PutSecretValueCommand({SecretId: name, SecretString: value}))
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          Description: `Airflow ${KINDS[this.kind].noun} ${id}, read by the SecretsManagerBackend of ${this.ctx.deployment.project} (airflow-ecs).`,
          Tags: [
            {Key: 'airflow-ecs:project', Value: this.ctx.deployment.project},
            {Key: 'airflow-ecs:kind', Value: this.kind},
            {Key: 'managed-by', Value: 'airflow-ecs'},
          ],
        }),
      )
      return 'created'
    } catch (error) {
      if (errorName(error) === 'ResourceExistsException') {
        try {
          await put()
          return 'updated'
        } catch (putError) {
          if (!pendingDeletion(putError)) throw putError
        }
      } else if (!pendingDeletion(error)) {
        throw error
      }
      await this.client.send(new RestoreSecretCommand({SecretId: name}))
      await put()
      return 'restored'
    }
  }

  async read(id: string): Promise<{value: string; lastChanged?: string}> {
    try {
      const r = await this.client.send(new GetSecretValueCommand({SecretId: this.nameOf(id)}))
      if (r.SecretString === undefined) throw new CliError(`The secret ${this.nameOf(id)} holds binary data, which Airflow does not read.`, {code: 'UNEXPECTED'})
      return {value: r.SecretString, lastChanged: iso(r.CreatedDate)}
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') throw this.notFound(id)
      if (pendingDeletion(error)) throw this.notFound(id, 'it is scheduled for deletion')
      throw error
    }
  }

  /** Every entry under the prefix (not those scheduled for deletion), by id. */
  async list(): Promise<Listed[]> {
    const found: Listed[] = []
    let NextToken: string | undefined
    do {
      const page = await this.client.send(new ListSecretsCommand({Filters: [{Key: 'name', Values: [`${this.prefix}/`]}], NextToken}))
      for (const s of page.SecretList ?? []) {
        if (!s.Name?.startsWith(`${this.prefix}/`)) continue
        found.push({id: s.Name.slice(this.prefix.length + 1), name: s.Name, lastChanged: iso(s.LastChangedDate ?? s.CreatedDate)})
      }
      NextToken = page.NextToken
    } while (NextToken)
    return found.sort((a, b) => a.id.localeCompare(b.id))
  }

  /** The current values of these ids (20 a call); an id with no readable secret is absent. */
  async readMany(ids: string[]): Promise<Map<string, string>> {
    const values = new Map<string, string>()
    for (let i = 0; i < ids.length; i += 20) {
      const r = await this.client.send(new BatchGetSecretValueCommand({SecretIdList: ids.slice(i, i + 20).map((id) => this.nameOf(id))}))
      for (const v of r.SecretValues ?? []) if (v.Name && v.SecretString !== undefined) values.set(v.Name.slice(this.prefix.length + 1), v.SecretString)
      const failed = (r.Errors ?? []).find((e) => e.ErrorCode !== 'ResourceNotFoundException' && !/deleted|deletion/i.test(e.Message ?? ''))
      if (failed) throw new CliError(`Could not read ${failed.SecretId}: ${failed.ErrorCode}.`, {code: failed.ErrorCode?.includes('Denied') ? 'ACCESS_DENIED' : 'UNEXPECTED'})
    }
    return values
  }

  /** What writing `entries` would change; `diff` names what differs between the stored and the new text. */
  async plan(entries: Array<{id: string; stored: string}>, diff: (current: string, desired: string) => string[]): Promise<Planned[]> {
    const current = await this.readMany(entries.map((e) => e.id))
    return entries.map(({id, stored}) => {
      const now = current.get(id)
      if (now === undefined) return {id, action: 'create', changed: []}
      const changed = now === stored ? [] : diff(now, stored)
      return {id, action: changed.length === 0 ? 'unchanged' : 'update', changed}
    })
  }

  async remove(id: string, force: boolean): Promise<Deleted> {
    const name = this.nameOf(id)
    let described
    try {
      described = await this.client.send(new DescribeSecretCommand({SecretId: name}))
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') throw this.notFound(id)
      throw error
    }
    if (described.DeletedDate && !force) {
      throw new CliError(`The ${KINDS[this.kind].noun} ${id} is already scheduled for deletion.`, {
        code: 'INVALID_INPUT',
        hint: `Pass --force to delete it now, or \`aws secretsmanager restore-secret --secret-id ${name}\` to keep it.`,
      })
    }
    const r = await this.client.send(new DeleteSecretCommand({SecretId: name, ...(force ? {ForceDeleteWithoutRecovery: true} : {})}))
    if (force) return {id, name}
    return {id, name, recoverableUntil: iso(r.DeletionDate), restoreCommand: `aws secretsmanager restore-secret --secret-id ${name}`}
  }

  /** Connections with their type and host, read from their values (which are never returned). */
  async listConnections(): Promise<ListedConnection[]> {
    const listed = await this.list()
    const values = await this.readMany(listed.map((l) => l.id))
    return listed.map((l) => {
      const value = values.get(l.id)
      try {
        const c = value === undefined ? undefined : parseStored(l.id, value)
        return {...l, connType: c?.conn_type, host: c?.host}
      } catch {
        return {...l, connType: '(unreadable)'}
      }
    })
  }

  /** Plans a checked import file against what is stored and (unless dryRun) writes what differs. */
  async importFile(path: string, file: ImportFile, dryRun: boolean): Promise<ImportReport> {
    const planned = await this.plan(file.entries, this.kind === 'connection' ? connectionDiff : () => ['value'])
    const byId = new Map(file.entries.map((e) => [e.id, e]))
    const entries = planned.map((p) => {
      const {connType, host} = byId.get(p.id)!
      return connType ? {...p, summary: [connType, host].filter(Boolean).join(', ')} : p
    })
    if (!dryRun) for (const e of entries) if (e.action !== 'unchanged') await this.write(e.id, byId.get(e.id)!.stored)
    const count = (action: Planned['action']): number => entries.filter((e) => e.action === action).length
    return {file: path, dryRun, entries, created: count('create'), updated: count('update'), unchanged: count('unchanged'), ignored: file.ignored, notes: file.notes}
  }
}
