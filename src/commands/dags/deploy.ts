import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/command.js'

export default class DagsDeploy extends BaseCommand {
  static override summary = 'Publish the DAG folder to the deployment\'s S3 DAG bundle as a new version: only what changed is uploaded.'
  static override description = `Checks first: every .py file is compiled by the machine's python3 (as py_compile does, no .pyc written); a syntax error, a file over 10 MiB, a symlink leading out of the folder, or a folder with no DAG file stops the run before anything is uploaded. Honours .airflowignore (Airflow's default glob syntax) and never uploads __pycache__, .pyc, .git or editor files.
Then each file is hashed and compared with what is live (s3://<bucket>/dags/live/, the prefix Airflow's S3DagBundle syncs); new contents are stored once under dags/objects/<sha256>, the changed files written and the removed ones deleted in parallel, and a manifest (version id, git commit, author, time, message, file hashes) recorded under dags/versions/. Nothing changed: nothing is written. The dag-processor sees the change at its next bundle refresh (every 30 s by default).
With --wait, a one-off ECS task (the standalone task definition, inside the VPC) watches Airflow's metadata database until the dag-processor has synced the bundle after the publish and parsed the changed files, then the import errors of the bundle are printed as file:line: message (and in --json as importErrors [{file, line, message}]). Exit code 3 when there are import errors (the version is live all the same: fix and deploy again, or \`dags rollback\`), 124 when --timeout passes first.`
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> dags deploy',
    '<%= config.bin %> dags deploy --dir dags --message "fix the sales DAG"',
    '<%= config.bin %> dags deploy --wait --timeout 10m',
  ]
  static override flags = {
    dir: Flags.string({description: 'The DAG folder (default: dags/ of the project).'}),
    message: Flags.string({char: 'm', description: 'A note kept with the version (shown by `dags versions`).'}),
    wait: Flags.boolean({char: 'w', description: 'Wait until the dag-processor has parsed the new version; report import errors with file and line (exit 3 when there are some).'}),
    timeout: Flags.string({description: 'With --wait: give up after this long (default 5m; e.g. 90s, 10m). Exit 124.', dependsOn: ['wait']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(DagsDeploy)
    const [{deployDags}, {parseDuration}, {CliError, EXIT}] = await Promise.all([import('../../lib/dags/deploy.js'), import('../../lib/time.js'), import('../../lib/errors.js')])
    const wait = flags.wait ? {timeoutMs: parseDuration(flags.timeout ?? '5m', '--timeout'), bin: this.config.bin} : undefined
    const result = await deployDags(flags, {dir: flags.dir, message: flags.message, note: (line) => this.note(line), wait})
    this.log(result.text)
    const errors = result.data.importErrors ?? []
    if (errors.length > 0) {
      process.exitCode = EXIT.importErrors
      if (!this.jsonEnabled()) {
        const first = errors[0]
        this.printError(
          new CliError(`Version ${result.data.version} is live, and Airflow cannot import ${errors.length} DAG file${errors.length === 1 ? '' : 's'} (first: ${first.file}${first.line === undefined ? '' : ` line ${first.line}`}).`, {
            code: 'DAG_IMPORT_ERRORS',
            exitCode: EXIT.importErrors,
            hint: `Fix ${errors.length === 1 ? 'it' : 'them'} and run \`${this.config.bin} dags deploy --wait\` again, or go back with \`${this.config.bin} dags rollback\`.`,
          }),
        )
      }
    }
    return result.data
  }
}
