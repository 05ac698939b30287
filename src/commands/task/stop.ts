import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class TaskStop extends BaseCommand {
  static override summary = 'Stop a one-off task.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> task stop 0123456789abcdef']
  static override args = {
    id: Args.string({description: 'Task id (or ARN) printed by `task`.', required: true}),
  }
  static override flags = {
    reason: Flags.string({description: 'Why, recorded on the task.', default: 'Stopped with airflow-ecs task stop'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(TaskStop)
    const [{awsContext}, {stopTask}] = await Promise.all([import('../../lib/aws/context.js'), import('../../lib/ecs/standalone.js')])
    const result = await stopTask(await awsContext(flags), args.id, flags.reason)
    this.log(`Task ${args.id} is stopping (was ${result.status}).`)
    return {taskId: args.id, ...result}
  }
}
