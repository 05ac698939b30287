import {Args} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class ScaleList extends BaseCommand {
  static override summary = 'List the scheduled scaling actions of this deployment.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> scale list', '<%= config.bin %> scale list webserver --json']
  static override args = {
    component: Args.string({description: 'Only this component.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ScaleList)
    const [{resolveComponent, SHARED_SERVICES}, {listSchedules, resolveScaleTarget}, {table}] = await Promise.all([
      import('../../lib/components.js'),
      import('../../lib/scale/scale.js'),
      import('../../lib/ui/output.js'),
    ])
    if (args.component && !(SHARED_SERVICES as readonly string[]).includes(args.component.trim().toLowerCase())) resolveComponent(args.component)
    const {awsContext} = await import('../../lib/aws/context.js')
    const ctx = await awsContext(flags)
    const actions = await listSchedules(ctx, args.component ? resolveScaleTarget(ctx.deployment, args.component, {allowShared: true}) : undefined)
    if (actions.length === 0) {
      this.log('No scheduled scaling actions.')
    } else {
      this.log(
        table(actions, [
          {header: 'name', get: (a) => a.name},
          {header: 'component', get: (a) => a.component ?? a.service},
          {header: 'schedule', get: (a) => a.schedule},
          {header: 'timezone', get: (a) => a.timezone},
          {header: 'tasks', get: (a) => (a.minCapacity === a.maxCapacity ? a.minCapacity : `${a.minCapacity}..${a.maxCapacity}`)},
        ]),
      )
    }
    return actions
  }
}
