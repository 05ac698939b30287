// "Deployed" means every service runs what it should: desired == running, one deployment.
import {DescribeServicesCommand, ECSClient} from '@aws-sdk/client-ecs'

import {type AwsContext} from '../aws/context.js'
import {SERVICE_COMPONENTS} from '../components.js'
import {CliError, EXIT} from '../errors.js'
import {sleep} from '../logs/cloudwatch.js'
import {pollIntervalMs} from '../ecs/standalone.js'

export async function waitStable(ctx: AwsContext, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const ecs = new ECSClient(ctx.clientConfig)
  const names = SERVICE_COMPONENTS.map((c) => ctx.deployment.components[c].service)
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    const services = (await ecs.send(new DescribeServicesCommand({cluster: ctx.deployment.cluster.name, services: names}))).services ?? []
    const pending = services.filter((s) => s.runningCount !== s.desiredCount || (s.deployments?.length ?? 0) > 1)
    const line = pending.map((s) => `${s.serviceName} ${s.runningCount}/${s.desiredCount}`).join(', ')
    if (pending.length === 0 && services.length === names.length) return
    if (line !== last) log(`waiting for ${line}`)
    last = line
    if (Date.now() > deadline) {
      throw new CliError(`Services not stable in time: ${line}.`, {
        code: 'TIMEOUT',
        exitCode: EXIT.timeout,
        hint: '`airflow-ecs status` shows the last failed tasks and why they stopped.',
      })
    }
    await sleep(pollIntervalMs(5000))
  }
}
