// ECS Exec: pick a running task of a component's service, open an SSM session with
// ExecuteCommand, and hand it to session-manager-plugin the way the aws CLI does.
// For a one-off command the remote exit code is recovered from a marker line, because
// the plugin itself always exits 0.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {createInterface} from 'node:readline'

import {
  DescribeTasksCommand,
  ECSClient,
  ExecuteCommandCommand,
  type ExecuteCommandCommandOutput,
  ListTasksCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs'

import {type AwsContext} from '../aws/context.js'
import {type ServiceComponentName} from '../components.js'
import {CliError} from '../errors.js'

export const PLUGIN = 'session-manager-plugin'
export const PLUGIN_INSTALL_URL = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html'

export interface RunningTask {
  taskArn: string
  taskId: string
  startedAt?: Date
  lastStatus?: string
  execEnabled: boolean
  runtimeId?: string
  taskDefinition?: string
}

const idOf = (arn: string): string => arn.split('/').pop() ?? arn

/** The plugin's path on PATH, or undefined. */
export function findPlugin(pathEnv = process.env.PATH ?? ''): string | undefined {
  const names = process.platform === 'win32' ? [`${PLUGIN}.exe`] : [PLUGIN]
  for (const dir of pathEnv.split(delimiter)) {
    for (const name of names) {
      const candidate = join(dir, name)
      if (dir && existsSync(candidate)) return candidate
    }
  }
  return undefined
}

export function requirePlugin(): string {
  const plugin = findPlugin()
  if (!plugin) {
    throw new CliError(`${PLUGIN} is not installed; ECS Exec needs it.`, {
      code: 'MISSING_TOOL',
      hint: `Install the Session Manager plugin: ${PLUGIN_INSTALL_URL}`,
    })
  }
  return plugin
}

/** Running tasks of the component's service, newest first. */
export async function runningTasks(ctx: AwsContext, component: ServiceComponentName): Promise<RunningTask[]> {
  const ecs = new ECSClient(ctx.clientConfig)
  const cluster = ctx.deployment.cluster.name
  const {service, container} = ctx.deployment.components[component]
  const arns: string[] = []
  let nextToken: string | undefined
  do {
    const page = await ecs.send(new ListTasksCommand({cluster, serviceName: service, desiredStatus: 'RUNNING', nextToken}))
    arns.push(...(page.taskArns ?? []))
    nextToken = page.nextToken
  } while (nextToken)
  const tasks: RunningTask[] = []
  for (let i = 0; i < arns.length; i += 100) {
    const described = await ecs.send(new DescribeTasksCommand({cluster, tasks: arns.slice(i, i + 100)}))
    for (const t of described.tasks ?? []) {
      if (!t.taskArn || t.lastStatus !== 'RUNNING') continue
      tasks.push({
        taskArn: t.taskArn,
        taskId: idOf(t.taskArn),
        startedAt: t.startedAt ? new Date(t.startedAt) : undefined,
        lastStatus: t.lastStatus,
        execEnabled: t.enableExecuteCommand ?? false,
        runtimeId: t.containers?.find((c) => c.name === container)?.runtimeId,
        taskDefinition: t.taskDefinitionArn?.split('/').pop(),
      })
    }
  }
  return tasks.sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0))
}

export function noRunningTask(component: string, service: string): CliError {
  return new CliError(`No running ${component} task (service ${service}).`, {
    code: 'NOT_FOUND',
    hint: `Start one with \`airflow-ecs scale ${component} 1\`, and check \`airflow-ecs status\`.`,
  })
}

function isAgentError(error: unknown): boolean {
  const e = error as Error
  return (
    e.name === 'TargetNotConnectedException' ||
    (e.name === 'InvalidParameterException' && /execute command|exec(ute)?[- ]command agent|agent isn.t running/i.test(e.message))
  )
}

export function agentError(ctx: AwsContext, component: ServiceComponentName, taskId: string, cause: unknown): CliError {
  const {service} = ctx.deployment.components[component]
  return new CliError(`ECS Exec is not available on task ${taskId}: the exec agent is not running or exec was not enabled when it started.`, {
    cause,
    code: 'EXEC_AGENT',
    hint:
      'Start fresh tasks with exec enabled: ' +
      `aws ecs update-service --cluster ${ctx.deployment.cluster.name} --service ${service} --enable-execute-command --force-new-deployment` +
      ', then try again in a minute.',
  })
}

/** Replaces the service's tasks with fresh ones that have ECS Exec enabled. */
export async function forceNewDeployment(ctx: AwsContext, component: ServiceComponentName): Promise<void> {
  const ecs = new ECSClient(ctx.clientConfig)
  await ecs.send(
    new UpdateServiceCommand({
      cluster: ctx.deployment.cluster.name,
      service: ctx.deployment.components[component].service,
      enableExecuteCommand: true,
      forceNewDeployment: true,
    }),
  )
}

export interface Session {
  response: ExecuteCommandCommandOutput
  target: string
  region: string
  endpoint: string
}

export async function openSession(
  ctx: AwsContext,
  component: ServiceComponentName,
  task: RunningTask,
  command: string,
): Promise<Session> {
  const ecs = new ECSClient(ctx.clientConfig)
  const cluster = ctx.deployment.cluster.name
  const {container} = ctx.deployment.components[component]
  let response: ExecuteCommandCommandOutput
  try {
    response = await ecs.send(new ExecuteCommandCommand({cluster, task: task.taskArn, container, interactive: true, command}))
  } catch (error) {
    if (isAgentError(error)) throw agentError(ctx, component, task.taskId, error)
    throw error
  }
  const region = ctx.region ?? (await ecs.config.region())
  const clusterName = (response.clusterArn ?? cluster).split('/').pop()
  let runtimeId = task.runtimeId
  if (!runtimeId) {
    const described = await ecs.send(new DescribeTasksCommand({cluster, tasks: [task.taskArn]}))
    runtimeId = described.tasks?.[0]?.containers?.find((c) => c.name === container)?.runtimeId
  }
  return {response, target: `ecs:${clusterName}_${task.taskId}_${runtimeId ?? ''}`, region, endpoint: ecsEndpoint(region)}
}

export function ecsEndpoint(region: string): string {
  const override = process.env.AWS_ENDPOINT_URL_ECS ?? process.env.AWS_ENDPOINT_URL
  if (override) return override
  return `https://ecs.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`
}

function pluginArgs(session: Session, profile?: string): string[] {
  const s = session.response.session ?? {}
  // Same argument order as the aws CLI: session JSON, region, StartSession, profile, parameters, endpoint.
  return [
    JSON.stringify({sessionId: s.sessionId, streamUrl: s.streamUrl, tokenValue: s.tokenValue}),
    session.region,
    'StartSession',
    profile ?? '',
    JSON.stringify({Target: session.target}),
    session.endpoint,
  ]
}

const USER_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGTSTP']

/** An interactive session: the terminal is the plugin's; Ctrl-C goes to the remote shell, not to us. */
export async function interactiveSession(plugin: string, session: Session, profile?: string): Promise<number> {
  const ignore = (): void => {}
  for (const sig of USER_SIGNALS) process.on(sig, ignore)
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(plugin, pluginArgs(session, profile), {stdio: 'inherit'})
      child.once('error', reject)
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)))
    })
  } finally {
    for (const sig of USER_SIGNALS) process.removeListener(sig, ignore)
  }
}

const quote = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`)

/**
 * Wraps a one-off command so its exit status comes back as a marker line with a random
 * nonce. The command runs in a subshell, so nothing it does to its shell (`exit`, `exec`, a
 * function named printf) reaches the line that prints the marker.
 */
export function wrapCommand(words: string[], nonce = randomBytes(16).toString('hex')): {command: string; marker: RegExp} {
  const inner = words.map(quote).join(' ')
  const script = `( ${inner} ); printf '\\n__AIRFLOW_ECS_EXIT_${nonce}__%s\\n' "$?"`
  return {command: `/bin/sh -c ${quote(script)}`, marker: new RegExp(`^__AIRFLOW_ECS_EXIT_${nonce}__(\\d{1,3})$`)}
}

/** The plugin's own lines (with this session's id), not the command's. */
const pluginBanner = (sessionId = ''): RegExp =>
  new RegExp(`^(Starting session with SessionId: ${escapeRegExp(sessionId)}|Exiting session with sessionId: ${escapeRegExp(sessionId)}\\.?|Cannot perform start session: EOF)$`)

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** What a one-off session ended with: the remote exit code, or why it cannot be trusted. */
export interface OneOffResult {
  code?: number
  /** The marker line appeared more than once: something in the output imitated it. */
  tampered: boolean
}

/**
 * Runs the plugin with output captured: passes lines through, hides the plugin's banner and
 * the marker, returns the remote exit code. The marker counts only as a whole line, only as
 * the last thing the command printed, and only once: a marker followed by more output is the
 * command's output (printed as such), and two markers mean the output imitated one, so the
 * exit code is not trusted.
 */
export async function oneOffSession(
  plugin: string,
  session: Session,
  marker: RegExp,
  write: (line: string) => void,
  profile?: string,
): Promise<OneOffResult> {
  const banner = pluginBanner(session.response.session?.sessionId)
  return new Promise((resolve, reject) => {
    const child = spawn(plugin, pluginArgs(session, profile), {stdio: ['inherit', 'pipe', 'inherit']})
    let held: {line: string; code: number} | undefined
    let markers = 0
    // Blank lines are held back until real output follows: the plugin's banner and the
    // marker come wrapped in blank lines that are not the command's.
    let blanks = 0
    const emit = (line: string): void => {
      if (held) {
        // Output after a marker: that marker was the command's own text.
        for (; blanks > 0; blanks--) write('')
        write(held.line)
        held = undefined
      }
      for (; blanks > 0; blanks--) write('')
      write(line)
    }
    const lines = createInterface({input: child.stdout!, crlfDelay: Number.POSITIVE_INFINITY})
    lines.on('line', (raw) => {
      const line = raw.replace(/\r$/, '')
      if (banner.test(line)) {
        blanks = 0
        return
      }
      const found = marker.exec(line)
      if (found) {
        markers++
        if (held) emit(held.line)
        held = {line, code: Number(found[1])}
        blanks = 0
        return
      }
      if (line === '') {
        blanks++
        return
      }
      emit(line)
    })
    child.once('error', reject)
    child.once('close', () => resolve(markers > 1 ? {tampered: true} : {code: held?.code, tampered: false}))
  })
}
