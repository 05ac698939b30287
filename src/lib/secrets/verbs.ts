// The verbs both kinds share, from flags to what the command prints and returns, so the
// connections and variables commands stay declarations. Loaded inside run().
import {awsContext} from '../aws/context.js'
import {type GlobalFlags} from '../config/resolver.js'
import {readImportFile} from './files.js'
import {type Kind, checkId} from './kinds.js'
import {deleted, importLines, written} from './render.js'
import {type Deleted, type ImportReport, SecretStore, type WriteAction} from './store.js'

export interface VerbResult<T> {
  /** What --json prints. */
  data: T
  /** What a person reads on stdout. */
  text: string
  /** Notes for stderr. */
  notes: string[]
}

export async function openStore(flags: GlobalFlags, kind: Kind): Promise<SecretStore> {
  return new SecretStore(await awsContext(flags), kind)
}

export async function setEntry(
  flags: GlobalFlags,
  kind: Kind,
  entry: {id: string; stored: string},
): Promise<VerbResult<{action: WriteAction; id: string; secretName: string}>> {
  const store = await openStore(flags, kind)
  const action = await store.write(entry.id, entry.stored)
  const secretName = store.nameOf(entry.id)
  return {data: {id: entry.id, secretName, action}, text: written(kind, entry.id, action, secretName), notes: []}
}

export async function deleteEntry(flags: GlobalFlags, kind: Kind, id: string, force: boolean): Promise<VerbResult<Deleted>> {
  checkId(kind, id)
  const result = await (await openStore(flags, kind)).remove(id, force)
  return {data: result, text: deleted(kind, result), notes: []}
}

export async function importEntries(flags: GlobalFlags, kind: Kind, path: string, dryRun: boolean): Promise<VerbResult<ImportReport>> {
  const file = readImportFile(path, kind)
  const report = await (await openStore(flags, kind)).importFile(path, file, dryRun)
  return {data: report, text: importLines(kind, report), notes: report.notes}
}
