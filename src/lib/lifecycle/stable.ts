// "Deployed" means every service runs what it should: desired == running, one deployment.
// A rollout that ECS gives up on (the deployment circuit breaker, on for every service) ends
// the wait at once: the component is named with why its tasks stopped and their last lines.
import {CloudWatchLogsClient} from '@aws-sdk/client-cloudwatch-logs'
import {DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type Service} from '@aws-sdk/client-ecs'

import {type AwsContext} from '../aws/context.js'
import {SERVICE_COMPONENTS, type ServiceComponentName} from '../components.js'
import {pollIntervalMs} from '../ecs/standalone.js'
import {CliError, EXIT} from '../errors.js'
import {interruptible, sleep} from '../time.js'
import {lastLines} from '../status/status.js'

/** The deployment ECS failed or rolled back, if any: FAILED, or a circuit-breaker rollback. */
function failedRollout(s: Service): {reason: string} | undefined {
  for (const d of s.deployments ?? []) {
    if (d.rolloutState === 'FAILED') return {reason: d.rolloutStateReason || 'the rollout failed'}
    if (d.status === 'PRIMARY' && /circuit breaker.*roll(ing|ed)? ?back/i.test(d.rolloutStateReason ?? '')) return {reason: d.rolloutStateReason!}
  }
  return undefined
}

async function rolloutFailure(ctx: AwsContext, ecs: ECSClient, component: ServiceComponentName, reason: string, log: (line: string) => void, resolved = false): Promise<CliError> {
  const target = resolved ? {...ctx.deployment.components[component], sharedWith: []} : ctx.deployment.components[component]
  const cluster = ctx.deployment.cluster.name
  const arns = (await ecs.send(new ListTasksCommand({cluster, serviceName: target.service, desiredStatus: 'STOPPED', maxResults: 10}))).taskArns ?? []
  const stopped = arns.length === 0 ? [] : ((await ecs.send(new DescribeTasksCommand({cluster, tasks: arns}))).tasks ?? [])
  stopped.sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
  // A shared task (compact's core): name the component whose container failed.
  if ((target.sharedWith?.length ?? 0) > 0) {
    // The one that exited on its own, not the ones ECS then stopped (SIGTERM 143, SIGKILL 137).
    const exited = (stopped[0]?.containers ?? []).filter((x) => typeof x.exitCode === 'number' && x.exitCode !== 0)
    const failed = (exited.find((x) => x.exitCode !== 143 && x.exitCode !== 137) ?? exited[0])?.name
    if (failed && failed in ctx.deployment.components) return rolloutFailure(ctx, ecs, failed as ServiceComponentName, reason, log, true)
  }
  for (const t of stopped.slice(0, 3)) {
    const c = t.containers?.find((x) => x.name === target.container)
    log(`${component} task ${t.taskArn?.split('/').pop()} stopped: ${t.stoppedReason || c?.reason || 'no reason given'}${c?.exitCode === undefined ? '' : ` (exit ${c.exitCode})`}`)
  }
  const newest = stopped[0]?.taskArn?.split('/').pop()
  if (newest) {
    const lines = await lastLines(new CloudWatchLogsClient(ctx.clientConfig), target, newest)
    if (lines.length > 0) log(`last lines of ${component} task ${newest}:`)
    for (const line of lines) log(`  ${line}`)
  }
  return new CliError(`The ${component} rollout failed: ${reason}`, {
    code: 'ROLLOUT_FAILED',
    hint: `ECS stopped it; the lines above say why.${newest ? ` More: \`airflow-ecs logs ${component} --task ${newest}\`.` : ''} Fix the cause and run deploy again.`,
  })
}

/**
 * Waits until every service is stable. A Ctrl-C ends the wait with an error of its own (exit
 * 130), as a failure would, so the caller records the release's outcome and releases the
 * state lock; ECS goes on with the rollout either way.
 */
export async function waitStable(ctx: AwsContext, timeoutMs: number, log: (line: string) => void): Promise<void> {
  await interruptible((interrupted) => pollStable(ctx, timeoutMs, log, interrupted))
}

async function pollStable(ctx: AwsContext, timeoutMs: number, log: (line: string) => void, interrupted: AbortSignal): Promise<void> {
  const ecs = new ECSClient(ctx.clientConfig)
  // compact: several components share one service; each service once.
  const names = [...new Set(SERVICE_COMPONENTS.map((c) => ctx.deployment.components[c].service))]
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    if (interrupted.aborted) {
      throw new CliError(`Interrupted while waiting for the services to be stable${last ? ` (still waiting for ${last})` : ''}; ECS goes on with the rollout.`, {
        code: 'CANCELLED',
        exitCode: EXIT.interrupted,
        hint: '`airflow-ecs status` shows how it goes on; a rollout ECS gives up on is rolled back by its circuit breaker.',
      })
    }
    const services = (await ecs.send(new DescribeServicesCommand({cluster: ctx.deployment.cluster.name, services: names}))).services ?? []
    for (const s of services) {
      const failed = failedRollout(s)
      const component = SERVICE_COMPONENTS.find((c) => ctx.deployment.components[c].service === s.serviceName)
      if (failed && component) throw await rolloutFailure(ctx, ecs, component, failed.reason, log)
    }
    // Stable is ECS's own word for it: the PRIMARY deployment COMPLETED (tasks that came up and
    // stayed up), not merely as many tasks running as desired (a task may crash a second later).
    const rollout = (s: Service): string | undefined => s.deployments?.find((d) => d.status === 'PRIMARY')?.rolloutState
    const pending = services.filter(
      (s) => s.runningCount !== s.desiredCount || (s.deployments?.length ?? 0) > 1 || (rollout(s) !== undefined && rollout(s) !== 'COMPLETED'),
    )
    const line = pending.map((s) => `${s.serviceName} ${s.runningCount}/${s.desiredCount}${rollout(s) && rollout(s) !== 'COMPLETED' ? ` (${rollout(s)!.toLowerCase()})` : ''}`).join(', ')
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
    await sleep(pollIntervalMs(5000), interrupted)
  }
}
