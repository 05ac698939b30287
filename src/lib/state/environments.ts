// `env list`: every environment of the project (the default one and each entry of
// "environments"), where its state is, whether it is deployed, and its URL, read the way
// `url` reads them (the cached outputs, one HeadObject per environment in S3).
import {type GlobalFlags, type Settings, loadDeployment, resolveSettings, stateWhere} from '../config/resolver.js'
import {mapError} from '../errors.js'

export interface EnvironmentRow {
  /** The entry's name; "default" for the project itself. */
  env: string
  project: string
  region?: string
  deployed: boolean
  url?: string
  /** Where its state is: an s3:// address, or a local folder. */
  state?: string
  /** Why it could not be read (credentials, a damaged state, …). */
  error?: string
}

async function row(settings: Settings): Promise<EnvironmentRow> {
  const base: EnvironmentRow = {env: settings.env ?? 'default', project: settings.project, region: settings.region, deployed: false}
  try {
    const {stateAddress, stateLocation} = await import('./remote.js')
    base.state = await stateAddress(settings)
    if (stateWhere(settings) === 's3') base.region ??= (await stateLocation(settings)).region
    const deployment = await loadDeployment(settings)
    return {...base, deployed: true, region: deployment.region ?? base.region, url: deployment.web?.url}
  } catch (error) {
    const mapped = mapError(error)
    return mapped.code === 'NO_DEPLOYMENT' ? base : {...base, error: mapped.message}
  }
}

export async function listEnvironments(flags: GlobalFlags): Promise<EnvironmentRow[]> {
  const top = resolveSettings({...flags, env: null})
  const all = [top, ...top.environments.map((name) => resolveSettings({...flags, env: name}))]
  return Promise.all(all.map((settings) => row(settings)))
}
