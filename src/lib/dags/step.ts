// The DAG bundle as a step of `deploy`.
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {type AwsContext} from '../aws/context.js'
import {type Settings} from '../config/resolver.js'
import {type Steps} from '../lifecycle/steps.js'
import {describeChange} from './bundle.js'
import {publishDir} from './deploy.js'

export const DAG_BUNDLE_STEP = 'DAG bundle'

/** dags.source in airflow-ecs.json: "bundle" (the default) or "image". */
export function dagsFromBundle(settings: Settings): boolean {
  return (settings.file.dags as {source?: unknown} | undefined)?.source !== 'image'
}

/** Publishes dags/ as a step; the bundle version that is live after it, if any. */
export async function publishBundleStep(steps: Steps, ctx: AwsContext, projectRoot: string): Promise<string | undefined> {
  const dags = ctx.deployment.raw.dags as {source?: string} | undefined
  if (!dags || dags.source === 'image') {
    steps.skip(DAG_BUNDLE_STEP, 'DAGs are in the image (dags.source "image")')
    return undefined
  }
  const dir = join(projectRoot, 'dags')
  if (!existsSync(dir)) {
    steps.skip(DAG_BUNDLE_STEP, 'no dags/ folder in the project')
    return undefined
  }
  const r = await steps.run(DAG_BUNDLE_STEP, (log) => publishDir(ctx, dir, {message: 'airflow-ecs deploy', note: log}))
  steps.annotate(DAG_BUNDLE_STEP, r.published ? `version ${r.version}: ${describeChange(r.change, 3)}` : `no change, ${r.version} stays live`)
  return r.version
}
