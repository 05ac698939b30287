import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/command.js'
import {componentNames} from '../lib/components.js'

export default class Exec extends BaseCommand {
  static override summary = 'Open a shell, or run one command, in a running container (ECS Exec).'
  static override description = `Picks a running task of the component (asks when there are several and you are on a terminal, else the newest), calls ECS ExecuteCommand and starts session-manager-plugin.
After -- a single command runs without a shell session, and this command exits with that command's exit code.`
  static override strict = false
  static override usage = ['exec <component> [--task ID] [--command /bin/bash]', 'exec <component> [--task ID] -- <command…>']
  static override examples = [
    '<%= config.bin %> exec scheduler',
    '<%= config.bin %> exec worker --task 0123456789abcdef --command /bin/sh',
    '<%= config.bin %> exec scheduler -- airflow dags list',
  ]
  static override args = {
    component: Args.string({description: `Component: ${componentNames().join(', ')}.`, required: true}),
  }
  static override flags = {
    task: Flags.string({description: 'Task id (or its first characters) to use instead of picking one.'}),
    command: Flags.string({description: 'Program to start for the interactive session.', default: '/bin/bash'}),
  }

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(Exec)
    const [{resolveService}, exec] = await Promise.all([import('../lib/components.js'), import('../lib/exec/exec.js')])
    const component = resolveService(args.component)
    const oneOff = (argv as string[]).slice(1)
    if (flags.task) (await import('../lib/config/validate.js')).checkTaskRef(flags.task)
    const plugin = exec.requirePlugin()
    const {awsContext} = await import('../lib/aws/context.js')
    const ctx = await awsContext(flags)
    const {service} = ctx.deployment.components[component]
    const tasks = await exec.runningTasks(ctx, component)
    if (tasks.length === 0) throw exec.noRunningTask(component, service)
    const task = await this.pickTask(tasks, flags.task, component)
    try {
      if (!task.execEnabled) throw exec.agentError(ctx, component, task.taskId, undefined)
      if (oneOff.length > 0) {
        const {command, marker} = exec.wrapCommand(oneOff)
        const session = await exec.openSession(ctx, component, task, command)
        const {code, tampered} = await exec.oneOffSession(plugin, session, marker, (line) => this.log(line), ctx.settings.profile)
        if (tampered) {
          this.note("The command's output imitated the exit-code marker, so its exit code is unknown; exiting 1.")
          process.exitCode = 1
          return
        }
        if (code === undefined) {
          this.note('Could not read the exit code of the remote command (the session ended before it finished).')
          process.exitCode = 1
          return
        }
        process.exitCode = code
        return
      }
      this.note(`Connecting to ${component} task ${task.taskId} (${flags.command})…`)
      const session = await exec.openSession(ctx, component, task, flags.command)
      process.exitCode = await exec.interactiveSession(plugin, session, ctx.settings.profile)
    } catch (error) {
      if ((error as {code?: string}).code !== 'EXEC_AGENT') throw error
      await this.offerRedeploy(error as Error, async () => exec.forceNewDeployment(ctx, component), service)
    }
  }

  private async pickTask<T extends {taskId: string; startedAt?: Date; taskDefinition?: string}>(tasks: T[], wanted: string | undefined, component: string): Promise<T> {
    if (wanted) {
      const matches = tasks.filter((t) => t.taskId.startsWith(wanted))
      if (matches.length === 1) return matches[0]
      const {invalid} = await import('../lib/errors.js')
      throw invalid(
        matches.length === 0 ? `No running ${component} task matches "${wanted}".` : `"${wanted}" matches ${matches.length} tasks.`,
        `Running: ${tasks.map((t) => t.taskId).join(', ')}.`,
      )
    }
    if (tasks.length === 1 || !process.stdin.isTTY || !process.stdout.isTTY) return tasks[0]
    const {select} = await import('@inquirer/prompts')
    return select({
      message: `Which ${component} task?`,
      choices: tasks.map((t) => ({name: `${t.taskId}  started ${t.startedAt?.toISOString() ?? '?'}  ${t.taskDefinition ?? ''}`, value: t})),
    })
  }

  /** On a terminal, offer the fix for a missing exec agent; otherwise fail with it. */
  private async offerRedeploy(error: Error, redeploy: () => Promise<void>, service: string): Promise<void> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) throw error
    this.note(error.message)
    const {confirm} = await import('@inquirer/prompts')
    if (!(await confirm({message: `Force a new deployment of ${service} with ECS Exec enabled now?`, default: true}))) throw error
    await redeploy()
    this.log(`New ${service} tasks are starting with ECS Exec enabled; run the same command again in a minute or two.`)
  }
}
