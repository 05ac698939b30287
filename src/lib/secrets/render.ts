// Text output of the connections and variables verbs. Values reach here only masked,
// or when the user asked with --reveal. No SDK here.
import {KINDS, type Kind} from './kinds.js'
import type {Deleted, ImportReport, WriteAction} from './store.js'

/** Aligned "name  value" lines; missing values are left out. */
export function fields(rows: Array<[string, number | string | undefined]>): string {
  const shown = rows.filter(([, v]) => v !== undefined && v !== '')
  const width = Math.max(...shown.map(([k]) => k.length))
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}

export function written(kind: Kind, id: string, action: WriteAction, secretName: string): string {
  const verb = {created: 'Created', updated: 'Updated', restored: 'Restored (it was scheduled for deletion) and updated'}[action]
  return `${verb} ${KINDS[kind].noun} ${id} (secret ${secretName}).`
}

export function deleted(kind: Kind, d: Deleted): string {
  const what = `${KINDS[kind].noun} ${d.id} (secret ${d.name})`
  if (!d.recoverableUntil) return `Deleted ${what} at once, without recovery.`
  return `Scheduled ${what} for deletion: Airflow no longer sees it; recoverable until ${d.recoverableUntil} with\n  ${d.restoreCommand}`
}

const plural = (n: number, kind: Kind): string => `${n} ${n === 1 ? KINDS[kind].noun : KINDS[kind].plural}`

/** One line per entry (what changes, by field name only), then the totals. */
export function importLines(kind: Kind, r: ImportReport): string {
  const mark = {create: '+', update: '~', unchanged: '='}
  const width = Math.max(0, ...r.entries.map((e) => e.id.length))
  const lines = r.entries.map((e) => {
    const what = e.action === 'update' ? `update: ${e.changed.join(', ')}` : e.action
    return `${mark[e.action]} ${e.id.padEnd(width)}  ${what}${e.summary ? `  (${e.summary})` : ''}`
  })
  if (r.ignored.length > 0) lines.push(`  (not ${KINDS[kind].plural}, ignored: ${r.ignored.join(', ')})`)
  const changes = r.created + r.updated
  if (changes === 0) {
    lines.push(`Nothing to change: what is stored matches ${r.file} (${plural(r.unchanged, kind)}).`)
  } else if (r.dryRun) {
    lines.push(`Dry run: would create ${r.created} and update ${r.updated}; ${r.unchanged} unchanged. Nothing was written.`)
  } else {
    lines.push(`Created ${r.created}, updated ${r.updated}, ${r.unchanged} unchanged, from ${r.file}.`)
  }
  return lines.join('\n')
}
