import {BaseCommand} from '../lib/command.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check that this machine can deploy and run Airflow on ECS.'
  static override description = 'Node, terraform, docker and buildx, session-manager-plugin, AWS credentials (who you are), region, and the Terraform state: ok / warn / fail, each with the fix. Exits 1 when a check fails.'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json']

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Doctor)
    const [{resolveSettings}, {runDoctor}, {paint}] = await Promise.all([
      import('../lib/config/resolver.js'),
      import('../lib/doctor/doctor.js'),
      import('../lib/ui/output.js'),
    ])
    const checks = await runDoctor(resolveSettings(flags))
    const mark = {ok: paint('green', 'ok  '), warn: paint('yellow', 'warn'), fail: paint('red', 'fail')}
    const width = Math.max(...checks.map((c) => c.name.length))
    for (const c of checks) {
      this.log(`${mark[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`)
      if (c.fix && c.status !== 'ok') this.log(`      ${' '.repeat(width)}  → ${c.fix}`)
    }
    if (checks.some((c) => c.status === 'fail')) process.exitCode = 1
    return {ok: !checks.some((c) => c.status === 'fail'), checks}
  }
}
