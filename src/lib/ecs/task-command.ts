// Turning what the user typed after `airflow-ecs task` into the container command, and
// checking the Fargate size, all before any AWS call. No SDK import here.
import {parse} from 'shell-quote'

import {invalid} from '../errors.js'

export interface AirflowCommand {
  /** The container command override (the image's entrypoint prefixes `airflow`). */
  command: string[]
  notices: string[]
}

/** Splits the arguments as a shell would: one quoted string, or many already-split words. */
export function splitArguments(argv: string[]): string[] {
  if (argv.length !== 1) return argv
  const words = parse(argv[0], (name) => `$${name}`)
  const bad = words.find((w) => typeof w !== 'string')
  if (bad !== undefined) {
    const op = (bad as {op?: string; comment?: string}).op ?? '#'
    throw invalid(`Shell syntax "${op}" is not supported in a task command.`, 'Run a shell explicitly: airflow-ecs task -- bash -c "…"')
  }
  return words as string[]
}

export function airflowCommand(argv: string[]): AirflowCommand {
  const words = splitArguments(argv)
  const notices: string[] = []
  const command = words[0] === 'airflow' ? words.slice(1) : words
  if (command.length === 0) throw invalid('No command given.', "Example: airflow-ecs task 'db migrate' --wait")
  if (command[0] === 'db' && command[1] === 'init') {
    command.splice(1, 1, 'migrate')
    notices.push('`db init` no longer exists in Airflow 3: running `db migrate` instead.')
  }
  return {command, notices}
}

const SECRET_FLAG = /^-{1,2}([\w-]*(password|secret|token|key)[\w-]*|p)$/i

/** The command for display: values of password-like flags become ***. */
export function redactCommand(command: string[]): string {
  const shown: string[] = []
  for (let i = 0; i < command.length; i++) {
    const word = command[i]
    const eq = word.indexOf('=')
    if (word.startsWith('-') && eq > 0 && SECRET_FLAG.test(word.slice(0, eq))) {
      shown.push(`${word.slice(0, eq)}=***`)
    } else if (SECRET_FLAG.test(word) && i + 1 < command.length) {
      shown.push(word, '***')
      i++
    } else {
      shown.push(/\s/.test(word) ? JSON.stringify(word) : word)
    }
  }
  return shown.join(' ')
}

export function parseEnv(pairs: string[] = []): Array<{name: string; value: string}> {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=')
    const name = eq > 0 ? pair.slice(0, eq) : ''
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(`Invalid --container-env "${pair.split('=')[0]}".`, 'Use --container-env NAME=value (or -e NAME=value).')
    return {name, value: pair.slice(eq + 1)}
  })
}

// Fargate's valid task sizes: cpu units → memory MiB range and step.
const FARGATE: Record<number, {min: number; max: number; step: number; extra?: number[]}> = {
  256: {min: 1024, max: 2048, step: 1024, extra: [512]},
  512: {min: 1024, max: 4096, step: 1024},
  1024: {min: 2048, max: 8192, step: 1024},
  2048: {min: 4096, max: 16_384, step: 1024},
  4096: {min: 8192, max: 30_720, step: 1024},
  8192: {min: 16_384, max: 61_440, step: 4096},
  16_384: {min: 32_768, max: 122_880, step: 8192},
}

export function validMemories(cpu: number): number[] {
  const spec = FARGATE[cpu]
  if (!spec) return []
  const values = new Set(spec.extra ?? [])
  for (let m = spec.min; m <= spec.max; m += spec.step) values.add(m)
  return [...values].sort((a, b) => a - b)
}

export interface TaskSize {
  cpu?: number
  memory?: number
}

/** Validates --cpu/--memory against Fargate; fills the missing half with the smallest valid value. */
export function fargateSize(cpu?: number, memory?: number): TaskSize {
  if (cpu === undefined && memory === undefined) return {}
  const cpus = Object.keys(FARGATE).map(Number)
  if (cpu !== undefined && !FARGATE[cpu]) {
    throw invalid(`--cpu ${cpu} is not a Fargate size.`, `Valid --cpu values: ${cpus.join(', ')}.`)
  }
  if (cpu !== undefined && memory !== undefined) {
    const ok = validMemories(cpu)
    if (!ok.includes(memory)) {
      throw invalid(
        `--memory ${memory} does not fit --cpu ${cpu} on Fargate.`,
        `With --cpu ${cpu}, --memory is ${ok[0]}..${ok.at(-1)} MiB in steps of ${FARGATE[cpu].step} (${ok.slice(0, 4).join(', ')}, …).`,
      )
    }
    return {cpu, memory}
  }
  if (cpu !== undefined) return {cpu, memory: validMemories(cpu)[0]}
  const fits = cpus.find((c) => validMemories(c).includes(memory!))
  if (fits === undefined) {
    throw invalid(`--memory ${memory} is not a Fargate size.`, 'Use 512, 1024, 2048, … MiB (see the Fargate task size table).')
  }
  return {cpu: fits, memory}
}
