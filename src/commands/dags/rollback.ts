import {Args} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DagsRollback extends BaseCommand {
  static override summary = 'Make the DAG bundle byte for byte what an earlier version held (default: the version before the live one).'
  static override description = 'Copies the files of that version back into the live prefix from dags/objects/ (no upload from this machine), deletes the files it did not have, and records the result as a new version, so `dags versions` keeps the whole history.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> dags rollback', '<%= config.bin %> dags rollback 20260124-101112.345Z-3a4b5c6d']
  static override args = {
    version: Args.string({description: 'The version to restore (as `dags versions` lists it; a unique prefix or suffix is enough).'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(DagsRollback)
    const [{awsContext}, {describeChange, rollback}] = await Promise.all([import('../../lib/aws/context.js'), import('../../lib/dags/bundle.js')])
    const ctx = await awsContext(flags)
    const r = await rollback(ctx, args.version)
    // The restored bytes are a new bundle version, so a new release too (as `dags deploy` records).
    let release: number | undefined
    if (r.published) {
      const {recordDagsRelease} = await import('../../lib/releases/record.js')
      release = await recordDagsRelease(ctx, r.version, (line) => this.note(line))
    }
    this.log(
      r.published
        ? `Rolled back to ${r.target}: ${describeChange(r.change)}. Live as version ${r.version}; the dag-processor sees it within about ${r.refreshInterval} s.${release ? ` Recorded as release ${release}.` : ''}`
        : `${r.target} is what is live already: nothing written.`,
    )
    return release ? {...r, release} : r
  }
}
