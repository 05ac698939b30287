// The Airflow version a deployment runs: "airflowVersion" in airflow-ecs.json, else the one
// this package pins (build/requirements.txt). Releases record it; a change of it is what makes
// deploy snapshot the database before `airflow db migrate`.
import {readFileSync} from 'node:fs'

import {type Settings} from '../config/resolver.js'
import {invalid} from '../errors.js'
import {packaged} from '../project/package.js'
import {compareVersions} from './store.js'

const VERSION = /^3\.\d{1,3}\.\d{1,3}$/

export function packagedAirflowVersion(): string {
  const text = readFileSync(packaged('build', 'requirements.txt'), 'utf8')
  return /^\s*apache-airflow\s*==\s*([^\s;#]+)/m.exec(text)?.[1] ?? '3.3.2'
}

export function airflowVersion(settings: Pick<Settings, 'file'>): string {
  const v = settings.file.airflowVersion
  return typeof v === 'string' && v !== '' ? v : packagedAirflowVersion()
}

/** An Airflow 3 release number, X.Y.Z (no pre-releases: this tool deploys releases). */
export function checkAirflowVersion(value: string, where: string): string {
  if (!VERSION.test(value)) throw invalid(`${where}: "${value}" is not an Airflow 3 release number.`, 'Give it as 3.MINOR.PATCH, e.g. 3.3.2 (the versions are listed at https://pypi.org/project/apache-airflow/#history).')
  return value
}

/**
 * upgrade --to: a release number, newer than what the database runs; with nothing deployed
 * (deployed false), newer than the version the project would deploy.
 */
export function checkUpgradeTarget(to: string, current: string | undefined, deployed = true): string {
  checkAirflowVersion(to, '--to')
  if (!current) return to
  const order = compareVersions(to, current)
  if (order < 0 && deployed) {
    throw invalid(`--to ${to} is older than the deployed Airflow ${current}.`, `Going back is \`airflow-ecs rollback\` to a release of ${to} (it explains the database downgrade it needs).`)
  }
  if (order < 0) throw invalid(`--to ${to} is older than Airflow ${current}, the version this project deploys; nothing is deployed yet.`, `To start on ${to}, set "airflowVersion": "${to}" in airflow-ecs.json and run \`airflow-ecs deploy\`.`)
  if (order === 0 && deployed) throw invalid(`Airflow ${to} is already deployed.`, 'Nothing to upgrade; `airflow-ecs releases` shows what runs.')
  if (order === 0) throw invalid(`Airflow ${to} is already the version this project deploys; nothing is deployed yet.`, 'Run `airflow-ecs deploy`.')
  return to
}
