import {Args} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ScaleCancel extends BaseCommand {
  static override summary = 'Delete a scheduled scaling action.'
  static override enableJsonFlag = true
  static override examples = ["<%= config.bin %> scale cancel 'airflow-ecs-api-server-to-0-20261124T1802'"]
  static override args = {
    name: Args.string({description: 'Name of the scheduled action (see `scale list`).', required: true}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ScaleCancel)
    const [{awsContext}, {actionName, cancelSchedule}] = await Promise.all([import('../../lib/aws/context.js'), import('../../lib/scale/scale.js')])
    const action = await cancelSchedule(await awsContext(flags), actionName(args.name))
    this.log(`Deleted scheduled action "${action.name}" (${action.schedule}).`)
    return action
  }
}
