import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class Task extends BaseCommand {
  static override summary = 'Run a one-off Airflow command as an ECS task.'
  static override description = `Runs the standalone task definition with the container command replaced by yours.
The arguments are split as a shell would split them, so one quoted string works. With --wait the task's log is streamed and the command exits with the container's exit code; Ctrl-C detaches and leaves the task running.`
  static override strict = false
  static override enableJsonFlag = true
  static override args = {}
  static override usage = ['task <airflow arguments…> [flags]', 'task -- <airflow arguments with their own flags…>']
  static override examples = [
    "<%= config.bin %> task 'db migrate' --wait",
    '<%= config.bin %> task \'users create --username ada --firstname "Ada L" --lastname L --role Admin --email a@b.c --use-random-password\' --wait',
    '<%= config.bin %> task --cpu 1024 --memory 4096 --capacity-provider FARGATE_SPOT -- dags reserialize',
    '<%= config.bin %> task attach 0123456789abcdef',
  ]
  static override flags = {
    wait: Flags.boolean({char: 'w', description: "Wait for the task, stream its log, and exit with the container's exit code."}),
    cpu: Flags.integer({description: 'Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).'}),
    memory: Flags.integer({description: 'Task memory in MiB; must fit --cpu on Fargate.'}),
    'capacity-provider': Flags.string({description: 'Run on FARGATE or FARGATE_SPOT.', options: ['FARGATE', 'FARGATE_SPOT']}),
    'container-env': Flags.string({char: 'e', description: 'Extra environment variable NAME=value for the container (repeatable). (--env picks the deployment\'s environment, as on every command.)', multiple: true}),
    timeout: Flags.string({description: 'With --wait: stop the task if it runs longer than this (e.g. 30m, 2h).', dependsOn: ['wait']}),
  }

  async run(): Promise<unknown> {
    const {argv, flags} = await this.parse(Task).catch(async (error: Error) => {
      const flag = /Nonexistent flags?: (\S+)/.exec(error.message)?.[1]
      if (!flag) throw error
      const {invalid} = await import('../../lib/errors.js')
      throw invalid(
        `Unknown flag ${flag}: if it is an airflow flag, put it after -- or quote the whole command.`,
        "Example: airflow-ecs task --wait -- users create --firstname Ada   or   airflow-ecs task 'users create --firstname Ada' --wait",
      )
    })
    const [{airflowCommand, fargateSize, parseEnv, redactCommand}, {parseDuration}] = await Promise.all([
      import('../../lib/ecs/task-command.js'),
      import('../../lib/time.js'),
    ])
    // Everything is validated before the first AWS call.
    const {command, notices} = airflowCommand(argv as string[])
    const size = fargateSize(flags.cpu, flags.memory)
    const environment = parseEnv(flags['container-env'])
    const timeoutMs = flags.timeout ? parseDuration(flags.timeout, '--timeout') : undefined
    for (const notice of notices) this.note(notice)

    const [{awsContext}, {startTask}, {attach, report}] = await Promise.all([
      import('../../lib/aws/context.js'),
      import('../../lib/ecs/standalone.js'),
      import('../../lib/ecs/task-runner.js'),
    ])
    const ctx = await awsContext(flags)
    const started = await startTask(ctx, {command, size, capacityProvider: flags['capacity-provider'], environment})
    this.note(`Started task ${started.taskId}: airflow ${redactCommand(command)}`)
    if (!flags.wait) {
      const r = report(this.config.bin, started)
      this.log(started.taskId)
      this.note(`  follow it: ${r.follow}\n  its log:   ${this.config.bin} logs standalone --task ${started.taskId}`)
      return r
    }
    const {report: r, exitCode} = await attach(ctx, this.config.bin, started, {line: (text) => this.streamLine(text), note: (text) => this.note(text)}, timeoutMs)
    process.exitCode = exitCode
    return r
  }
}
