import {Args} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class TaskAttach extends BaseCommand {
  static override summary = 'Follow a running one-off task again: stream its log and exit with its exit code.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> task attach 0123456789abcdef']
  static override args = {
    id: Args.string({description: 'Task id (or ARN) printed by `task`.', required: true}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(TaskAttach)
    const [{awsContext}, {describeStarted}, {attach}] = await Promise.all([
      import('../../lib/aws/context.js'),
      import('../../lib/ecs/standalone.js'),
      import('../../lib/ecs/task-runner.js'),
    ])
    const ctx = await awsContext(flags)
    const started = describeStarted(ctx, args.id)
    const {report, exitCode} = await attach(ctx, this.config.bin, started, {line: (text) => this.streamLine(text), note: (text) => this.note(text)})
    process.exitCode = exitCode
    return report
  }
}
