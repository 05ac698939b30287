// The base of every command: global flags (--profile, --region, --env), and one way to fail:
// the error mapper's line of what happened and line of what to do, a non-zero exit,
// a stack trace only with DEBUG set, a JSON error object with --json.
import {Command, Flags, type Interfaces} from '@oclif/core'

import {type CliError, mapError} from './errors.js'
import {paint} from './ui/output.js'

/** The flags of every command that changes the deployment through Terraform. */
export const stateFlags = {
  'lock-timeout': Flags.string({
    description: 'Wait this long for the state lock another deploy, destroy or rollback holds (e.g. 5m; default: fail at once, naming who holds it).',
  }),
}

export abstract class BaseCommand extends Command {
  static override baseFlags = {
    profile: Flags.string({
      description: 'AWS profile to use (default: AWS_PROFILE, then airflow-ecs.json).',
      helpGroup: 'GLOBAL',
    }),
    region: Flags.string({
      description: 'AWS region (default: AWS_REGION, airflow-ecs.json, then the region of the deployment).',
      helpGroup: 'GLOBAL',
    }),
    env: Flags.string({
      description: 'Environment: an entry of "environments" in airflow-ecs.json (default: AIRFLOW_ECS_ENV, else the project itself).',
      helpGroup: 'GLOBAL',
    }),
  }

  /** A line of streamed output (a task's log): stdout, or stderr with --json so stdout stays one JSON document. */
  protected streamLine(text: string): void {
    if (this.jsonEnabled()) process.stderr.write(`${text}\n`)
    else this.log(text)
  }

  /** A note for the user on stderr, also with --json (stdout stays machine-readable). */
  protected note(text: string): void {
    process.stderr.write(`${text}\n`)
  }

  protected override async catch(err: Interfaces.CommandError): Promise<unknown> {
    const exitError = err as {code?: string; oclif?: {exit?: number}}
    if (exitError.code === 'EEXIT') throw err
    const mapped = mapError(err)
    if (process.env.DEBUG && process.env.DEBUG !== '0') {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
      if ((err as Error).cause) process.stderr.write(`cause: ${String(((err as Error).cause as Error).stack ?? (err as Error).cause)}\n`)
    }
    if (this.jsonEnabled()) {
      this.logJson({error: mapped.toJSON()})
    } else {
      this.printError(mapped)
    }
    process.exitCode = mapped.exitCode
    return this.exit(mapped.exitCode)
  }

  /** The error's line and what to do, on stderr (for a command that fails yet returns its result). */
  protected printError(mapped: CliError): void {
    const lines = [`${paint('red', 'Error:', process.stderr)} ${mapped.message}`]
    if (mapped.hint) lines.push(`${paint('dim', '→', process.stderr)} ${mapped.hint}`)
    process.stderr.write(`${lines.join('\n')}\n`)
  }
}
