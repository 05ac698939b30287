// Edits one field of airflow-ecs.json in place (upgrade's airflowVersion, a rollback's), keeping
// every other field as written; the file is created when the project has none. For a named
// environment the field goes into its entry under "environments": upgrading staging leaves
// prod's version alone.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {PROJECT_FILE, type Settings, readProjectFile} from '../config/resolver.js'

export function writeProjectSetting(settings: Pick<Settings, 'projectRoot'> & {env?: string}, key: string, value: unknown): string {
  // Read (and checked) the way every command reads it; {} when there is no file yet.
  const current: Record<string, unknown> = {...readProjectFile(settings.projectRoot)}
  if (settings.env) {
    const environments = {...(current.environments as Record<string, Record<string, unknown>> | undefined)}
    environments[settings.env] = {...environments[settings.env], [key]: value}
    current.environments = environments
  } else {
    current[key] = value
  }
  const path = join(settings.projectRoot, PROJECT_FILE)
  writeFileSync(path, `${JSON.stringify(current, null, 2)}\n`)
  return path
}
