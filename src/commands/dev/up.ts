import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DevUp extends BaseCommand {
  static override summary = 'Start the local Airflow stack on this project\'s dags/ and plugins/ (docker compose).'
  static override description = `The package's docker-compose.yml: postgres, an SQS-compatible broker (ElasticMQ), api-server, scheduler, dag-processor, triggerer and a Celery worker, as on ECS, with the project's dags/ and plugins/ mounted live and its requirements.txt in the image. The first run migrates the database and creates the user admin / admin (local only). Without a Docker engine it says so in one line.`
  static override examples = ['<%= config.bin %> dev up', '<%= config.bin %> dev up --no-build']
  static override flags = {
    build: Flags.boolean({description: 'Rebuild the local image first (--no-build: use the last one).', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DevUp)
    const [{resolveSettings}, dev] = await Promise.all([import('../../lib/config/resolver.js'), import('../../lib/dev/compose.js')])
    const stack = dev.stageDev(resolveSettings())
    await dev.requireEngine()
    await dev.compose(stack, ['up', '-d', '--wait', ...(flags.build ? ['--build'] : [])], (line) => this.note(line))
    this.log(`Airflow runs at ${dev.DEV_URL} (admin / admin). Logs: ${this.config.bin} dev logs scheduler; stop: ${this.config.bin} dev down`)
  }
}
