// Edits one field of airflow-ecs.json in place (upgrade's airflowVersion, a rollback's), keeping
// every other field as written; the file is created when the project has none.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_FILE, type Settings, readProjectFile} from '../config/resolver.js'

export function writeProjectSetting(settings: Pick<Settings, 'projectRoot'>, key: string, value: unknown): string {
  // Read (and checked) the way every command reads it; {} when there is no file yet.
  const current: Record<string, unknown> = {...readProjectFile(settings.projectRoot)}
  current[key] = value
  const path = join(settings.projectRoot, PROJECT_FILE)
  writeFileSync(path, `${JSON.stringify(current, null, 2)}\n`)
  return path
}
