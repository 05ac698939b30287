// The releases table, as `releases` prints it.
import {table} from '../ui/output.js'
import {type Release} from './store.js'

const when = (iso?: string): string => (iso ? iso.replace('T', ' ').replace(/(:\d\d)\.\d+Z$/, '$1Z') : '-')
const tag = (image?: string): string => image?.split('/').pop() ?? '-'

function revisions(r: Release): string {
  const list = Object.values(r.services)
  if (list.length === 0) return '-'
  const revs = [...new Set(list.map((s) => s.revision ?? '?'))]
  return revs.length === 1 ? `${list.length} services :${revs[0]}` : `${list.length} services :${revs.join(',:')}`
}

function note(r: Release): string {
  const parts: string[] = []
  if (r.rollbackOf !== undefined) parts.push(`to release ${r.rollbackOf}`)
  if (r.rolledBackBy !== undefined) parts.push(`rolled back by release ${r.rolledBackBy}`)
  if (r.snapshot) parts.push(`snapshot ${r.snapshot}`)
  if (r.restoredFrom) parts.push(`restored from ${r.restoredFrom}`)
  if (r.error) parts.push(r.error.length > 60 ? `${r.error.slice(0, 59)}…` : r.error)
  return parts.join('; ')
}

export function releasesTable(rows: Release[]): string {
  return table(rows, [
    {header: '#', get: (r) => r.number, align: 'right'},
    {header: 'kind', get: (r) => r.kind},
    {header: 'outcome', get: (r) => r.outcome},
    {header: 'started', get: (r) => when(r.startedAt)},
    {header: 'who', get: (r) => r.who.gitUser ?? r.who.arn?.split('/').pop() ?? '-'},
    {header: 'image', get: (r) => tag(r.image)},
    {header: 'airflow', get: (r) => r.airflowVersion ?? '-'},
    {header: 'task definitions', get: revisions},
    {header: 'dags', get: (r) => r.dagBundleVersion ?? '-'},
    {header: 'note', get: note},
  ])
}
