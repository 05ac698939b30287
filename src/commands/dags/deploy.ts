import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DagsDeploy extends BaseCommand {
  static override summary = 'Publish the DAG folder to the deployment\'s S3 DAG bundle as a new version: only what changed is uploaded.'
  static override description = `Checks first: every .py file is compiled by the machine's python3 (as py_compile does, no .pyc written); a syntax error, a file over 10 MiB, a symlink leading out of the folder, or a folder with no DAG file stops the run before anything is uploaded. Honours .airflowignore (Airflow's default glob syntax) and never uploads __pycache__, .pyc, .git or editor files.
Then each file is hashed and compared with what is live (s3://<bucket>/dags/live/, the prefix Airflow's S3DagBundle syncs); new contents are stored once under dags/objects/<sha256>, the changed files written and the removed ones deleted in parallel, and a manifest (version id, git commit, author, time, message, file hashes) recorded under dags/versions/. Nothing changed: nothing is written. The dag-processor sees the change at its next bundle refresh (every 30 s by default).`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> dags deploy', '<%= config.bin %> dags deploy --dir dags --message "fix the sales DAG"']
  static override flags = {
    dir: Flags.string({description: 'The DAG folder (default: dags/ of the project).'}),
    message: Flags.string({char: 'm', description: 'A note kept with the version (shown by `dags versions`).'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(DagsDeploy)
    const {deployDags} = await import('../../lib/dags/deploy.js')
    const result = await deployDags(flags, {dir: flags.dir, message: flags.message, note: (line) => this.note(line)})
    this.log(result.text)
    return result.data
  }
}
