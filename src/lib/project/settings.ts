// Edits one field of airflow-ecs.json in place (upgrade's airflowVersion, a rollback's), keeping
// every other field as written; the file is created when the project has none.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_FILE, type Settings} from '../config/resolver.js'

export function writeProjectSetting(settings: Pick<Settings, 'projectFile' | 'projectRoot'>, key: string, value: unknown): string {
  const path = settings.projectFile ?? join(settings.projectRoot, PROJECT_FILE)
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as Record<string, unknown>) : {}
  current[key] = value
  writeFileSync(path, `${JSON.stringify(current, null, 2)}\n`)
  return path
}
