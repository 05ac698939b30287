// `doctor`: is this machine ready to deploy and run Airflow on ECS? One line per check.
import {spawn} from 'node:child_process'

import {GetCallerIdentityCommand, STSClient} from '@aws-sdk/client-sts'

import {clientConfig} from '../aws/context.js'
import {type Settings, stateExists, stateFingerprint, stateWhere} from '../config/resolver.js'
import {mapError} from '../errors.js'
import {PLUGIN_INSTALL_URL, findPlugin} from '../exec/exec.js'

export type CheckStatus = 'fail' | 'ok' | 'warn'

export interface Check {
  name: string
  status: CheckStatus
  detail: string
  fix?: string
}

/** Output of `command args` (stdout), or undefined when it is missing or fails. */
function probe(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', () => resolve(undefined))
    child.on('close', (code) => resolve(code === 0 ? out.trim() : undefined))
  })
}

export function nodeCheck(version = process.versions.node): Check {
  const major = Number(version.split('.')[0])
  return major >= 22
    ? {name: 'node', status: 'ok', detail: `v${version}`}
    : {name: 'node', status: 'fail', detail: `v${version} is older than 22`, fix: 'Install Node.js 22 or newer (24 LTS recommended).'}
}

export async function terraformCheck(): Promise<Check> {
  const out = await probe('terraform', ['version', '-json'])
  if (!out) return {name: 'terraform', status: 'fail', detail: 'not found', fix: 'Install Terraform >= 1.10 (the S3 state backend\'s lock file needs it): https://developer.hashicorp.com/terraform/install'}
  const version = (JSON.parse(out) as {terraform_version: string}).terraform_version
  const [major, minor] = version.split('.').map(Number)
  return major > 1 || (major === 1 && minor >= 10)
    ? {name: 'terraform', status: 'ok', detail: `v${version}`}
    : {name: 'terraform', status: 'fail', detail: `v${version} is older than 1.10`, fix: 'Upgrade Terraform to 1.10 or newer (the state in S3 is locked with the S3 backend\'s lock file, new in 1.10).'}
}

export async function dockerChecks(): Promise<Check[]> {
  const client = await probe('docker', ['--version'])
  if (!client) return [{name: 'docker', status: 'fail', detail: 'not found', fix: 'Install Docker (or pass --image to deploy a prebuilt image).'}]
  const server = await probe('docker', ['version', '--format', '{{.Server.Version}}'])
  const buildx = await probe('docker', ['buildx', 'version'])
  return [
    server
      ? {name: 'docker', status: 'ok', detail: `engine ${server}`}
      : {name: 'docker', status: 'fail', detail: `${client}, but the daemon does not answer`, fix: 'Start Docker (Docker Desktop, colima, or `sudo systemctl start docker`).'},
    buildx
      ? {name: 'docker buildx', status: 'ok', detail: buildx.split('\n')[0]}
      : {name: 'docker buildx', status: 'fail', detail: 'not found', fix: 'Install the buildx plugin: https://docs.docker.com/build/install-buildx/'},
  ]
}

export function pluginCheck(): Check {
  const path = findPlugin()
  return path
    ? {name: 'session-manager-plugin', status: 'ok', detail: path}
    : {name: 'session-manager-plugin', status: 'warn', detail: 'not found (only `exec` needs it)', fix: `Install it: ${PLUGIN_INSTALL_URL}`}
}

export async function credentialsCheck(settings: Settings): Promise<Check & {account?: string; arn?: string; region?: string}> {
  try {
    const sts = new STSClient(clientConfig(settings))
    const region = await sts.config.region()
    const id = await sts.send(new GetCallerIdentityCommand({}))
    return {name: 'aws credentials', status: 'ok', detail: `${id.Arn} (account ${id.Account})`, account: id.Account, arn: id.Arn, region}
  } catch (error) {
    const mapped = mapError(error)
    return {name: 'aws credentials', status: 'fail', detail: mapped.message, fix: mapped.hint}
  }
}

export function regionCheck(settings: Settings, resolved?: string): Check {
  const region = settings.region ?? resolved
  return region
    ? {name: 'region', status: 'ok', detail: `${region} (from ${settings.region ? settings.sources.region : 'the AWS profile'})`}
    : {name: 'region', status: 'fail', detail: 'not set', fix: 'Pass --region, set AWS_REGION, or run `airflow-ecs init`.'}
}

export async function stateCheck(settings: Settings): Promise<Check> {
  const where = stateWhere(settings)
  if (where !== 's3') {
    return stateFingerprint(settings.terraformDir) || where === 'custom'
      ? {name: 'terraform state', status: 'ok', detail: where === 'custom' ? `the backend of the module in ${settings.terraformDir}` : `local, in ${settings.terraformDir}`}
      : {name: 'terraform state', status: 'warn', detail: `none in ${settings.terraformDir} (nothing deployed yet)`, fix: 'Run `airflow-ecs deploy`.'}
  }
  try {
    const exists = await stateExists(settings)
    const address = await (await import('../state/remote.js')).stateAddress(settings)
    return exists
      ? {name: 'terraform state', status: 'ok', detail: address}
      : {name: 'terraform state', status: 'warn', detail: `none at ${address} (nothing deployed yet)`, fix: `Run \`airflow-ecs deploy${settings.env ? ` --env ${settings.env}` : ''}\`.`}
  } catch (error) {
    const mapped = mapError(error)
    return {name: 'terraform state', status: 'warn', detail: `not read: ${mapped.message}`, fix: mapped.hint}
  }
}

export async function runDoctor(settings: Settings, options: {docker?: boolean} = {}): Promise<Check[]> {
  const [tf, docker, creds] = await Promise.all([terraformCheck(), options.docker === false ? Promise.resolve([]) : dockerChecks(), credentialsCheck(settings)])
  return [nodeCheck(), tf, ...docker, pluginCheck(), creds, regionCheck(settings, creds.region), await stateCheck(settings)]
}
