// The shapes of what the CLI is given, checked before anything is run or asked: the project
// file, names, regions, ids, endpoints. A value that fails is quoted escaped (a newline or an
// escape code shows as \n or \u001b, never reaches the terminal raw) and cut short.
import {offHours} from '../cost/schedule.js'
import {parseArchitecture, parseTopology} from '../components.js'
import {invalid} from '../errors.js'

/** A value for a message: JSON-quoted (so control characters are escaped), at most 80 characters. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  const cut = text.length > 80 ? `${text.slice(0, 79)}…` : text
  return JSON.stringify(cut)
}

const where = (source?: string): string => (source ? ` in ${source}` : '')

// infra-terraform's own rule for project_name (variables.tf).
export const PROJECT_NAME = /^[a-z][a-z0-9-]{1,20}$/
// us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1, …
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/
const CLUSTER = /^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{1,12}:cluster\/[A-Za-z0-9_-]{1,255})$/
const SUBNET = /^subnet-[0-9a-f]{1,17}$/
const SECURITY_GROUP = /^sg-[0-9a-f]{1,17}$/
// Fargate runs these two; several, comma-separated, build a multi-arch image.
const PLATFORM = /^linux\/(amd64|arm64)(,linux\/(amd64|arm64))?$/
/** A task id (32 hex characters, or a UUID for old tasks) or its first characters. */
const TASK_ID = /^[0-9a-f][0-9a-f-]{0,35}$/
const TASK_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{1,12}:task\/(?:([A-Za-z0-9_-]{1,255})\/)?([0-9a-f][0-9a-f-]{0,35})$/
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

export function checkName(name: string, source?: string): string {
  if (typeof name !== 'string' || !PROJECT_NAME.test(name)) {
    throw invalid(`Invalid project name ${shown(name)}${where(source)}.`, "2-21 lower-case letters, digits or '-', starting with a letter.")
  }
  return name
}

export function checkRegion(region: string, source?: string): string {
  if (!REGION.test(region)) {
    throw invalid(`Invalid region ${shown(region)}${where(source)}.`, 'A region looks like us-east-1 or eu-west-2: check --region, AIRFLOW_ECS_REGION / AWS_REGION and "region" in airflow-ecs.json.')
  }
  return region
}

/** Profile names are looked up in ~/.aws/config: no control characters, no brackets. */
export function checkProfile(profile: string, source?: string): string {
  if (profile.length > 128 || CONTROL.test(profile) || /[[\]]/.test(profile)) {
    throw invalid(`Invalid profile name ${shown(profile)}${where(source)}.`, 'Use the name of a profile in ~/.aws/config (see `aws configure list-profiles`).')
  }
  return profile
}

export function checkCluster(cluster: string, source?: string): string {
  if (!CLUSTER.test(cluster)) throw invalid(`Invalid cluster name ${shown(cluster)}${where(source)}.`, "Up to 255 letters, digits, '-' or '_', or the cluster's ARN.")
  return cluster
}

export function checkSubnets(ids: string[], source?: string): string[] {
  const bad = ids.find((id) => !SUBNET.test(id))
  if (bad !== undefined) throw invalid(`Invalid subnet id ${shown(bad)}${where(source)}.`, 'Subnet ids look like subnet-0123456789abcdef0; separate several with commas.')
  return ids
}

export function checkSecurityGroups(ids: string[], source?: string): string[] {
  const bad = ids.find((id) => !SECURITY_GROUP.test(id))
  if (bad !== undefined) throw invalid(`Invalid security group id ${shown(bad)}${where(source)}.`, 'Security group ids look like sg-0123456789abcdef0; separate several with commas.')
  return ids
}

export function checkPlatform(platform: string, source?: string): string {
  if (!PLATFORM.test(platform)) {
    throw invalid(`Invalid platform ${shown(platform)}${where(source)}.`, 'Fargate runs linux/arm64 (Graviton, the default) or linux/amd64; both for a multi-arch image: linux/arm64,linux/amd64.')
  }
  return platform
}

/** A scale-to-zero schedule must wake up: the up cron fires, and the services are not off (nearly) all the time. */
export function checkSchedule(scaleDownCron: string, scaleUpCron: string, source: string): void {
  let off: number
  try {
    off = offHours(scaleDownCron, scaleUpCron).offFraction
  } catch (error) {
    throw invalid(`The scale-to-zero schedule in ${source} cannot be read: ${(error as Error).message}.`, 'Write AWS cron expressions, e.g. "cron(0 7 ? * MON-FRI *)", or use "schedule": "office-hours".')
  }
  if (off > 0.99) {
    throw invalid(
      `The scale-to-zero schedule in ${source} never wakes up: scale_up_cron ${shown(scaleUpCron)} does not bring the services back after ${shown(scaleDownCron)}.`,
      'Give scale_up_cron a time that comes after each scale-down (e.g. "cron(0 7 ? * MON-FRI *)"), or use "schedule": "office-hours".',
    )
  }
}

/** A Terraform workspace name: it becomes a folder under terraform.tfstate.d/. */
export function checkWorkspace(name: string, source?: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,89}$/.test(name) || name.includes('..')) {
    throw invalid(`Invalid Terraform workspace ${shown(name)}${where(source)}.`, "Letters, digits, '-', '_' and '.' (see `terraform workspace list`).")
  }
  return name
}

/** A task id (or its first characters), or the ARN of a task in this deployment's cluster. Returns the id. */
export function checkTaskRef(ref: string, cluster?: string): string {
  const arn = TASK_ARN.exec(ref)
  if (arn) {
    const clusterName = cluster?.split('/').pop()
    if (clusterName && arn[1] && arn[1] !== clusterName) {
      throw invalid(`Task ${arn[2]} belongs to cluster ${arn[1]}, not to this deployment's cluster ${clusterName}.`, 'Give a task of this deployment (or point --profile / AIRFLOW_ECS_PROJECT_DIR at the other one).')
    }
    return arn[2]
  }
  if (!TASK_ID.test(ref)) {
    throw invalid(`Invalid task id ${shown(ref)}.`, 'A task id is 32 hexadecimal characters (or a UUID), as `task` and `status` print it.')
  }
  return ref
}

/** Syntax only (the /0 policy is init's): an IPv4 block. */
export function isCidr(text: string): boolean {
  const m = CIDR.exec(text)
  return Boolean(m) && m!.slice(1, 5).every((o) => Number(o) <= 255) && Number(m![5]) <= 32
}

/** AWS_ENDPOINT_URL and its per-service variants must be http(s) URLs before any client uses them. */
export function checkEndpointVariables(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (!/^AWS_ENDPOINT_URL(_[A-Z0-9_]+)?$/.test(name) || !value) continue
    let url: URL | undefined
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) {
      throw invalid(`${name} ${shown(value)} is not an http(s) URL.`, `Set it to the endpoint's URL (e.g. http://localhost:4566), or unset it to use AWS itself.`)
    }
  }
}

type Json = Record<string, unknown>

/** Keys of "terraformVars" the CLI sets itself: refused there, so the two cannot disagree. */
const CLI_VARIABLES = ['project_name', 'image', 'db_snapshot_identifier', 'db_final_snapshot_identifier']
const UNSAFE_KEYS = ['__proto__', 'constructor', 'prototype']

/** The known fields of airflow-ecs.json, by type and shape. Unknown fields are left alone. */
export function checkProjectFile(file: Json, path: string): void {
  const fail = (field: string, what: string, hint = `Fix it in ${path}, or delete the field and run \`airflow-ecs init\`.`): never => {
    throw invalid(`"${field}" in ${path} ${what}.`, hint)
  }
  for (const key of ['name', 'region', 'profile', 'terraformDir', 'cluster', 'platform', 'topology', 'architecture', 'schedule', 'timezone']) {
    if (file[key] !== undefined && typeof file[key] !== 'string') fail(key, `must be a string, not ${JSON.stringify(file[key])?.slice(0, 40) ?? typeof file[key]}`)
  }
  if (typeof file.name === 'string') checkName(file.name, path)
  if (typeof file.region === 'string') checkRegion(file.region, path)
  if (typeof file.profile === 'string') checkProfile(file.profile, path)
  if (typeof file.cluster === 'string') checkCluster(file.cluster, path)
  if (typeof file.platform === 'string') checkPlatform(file.platform, path)
  if (typeof file.topology === 'string') parseTopology(file.topology, `"topology" in ${path}`)
  if (typeof file.architecture === 'string') parseArchitecture(file.architecture, `"architecture" in ${path}`)
  if (typeof file.timezone === 'string') {
    try {
      new Intl.DateTimeFormat('en', {timeZone: file.timezone})
    } catch {
      fail('timezone', `is ${shown(file.timezone)}, not an IANA time zone`, 'Use a name such as Europe/Berlin or America/New_York.')
    }
  }
  if (typeof file.schedule === 'string' && !['always', 'office-hours'].includes(file.schedule)) {
    fail('schedule', `is ${shown(file.schedule)}, not "always" or "office-hours"`, 'office-hours runs every service 07:00-19:00 Monday to Friday (in "timezone") and lets them sleep otherwise; "always" never sleeps.')
  }
  if (typeof file.terraformDir === 'string' && (file.terraformDir === '' || CONTROL.test(file.terraformDir))) fail('terraformDir', 'must be a folder path')
  if (file.allowedCidrs !== undefined) {
    if (!Array.isArray(file.allowedCidrs) || !file.allowedCidrs.every((c) => typeof c === 'string')) fail('allowedCidrs', 'must be a list of CIDRs, e.g. ["203.0.113.7/32"]')
    const bad = (file.allowedCidrs as string[]).find((c) => !isCidr(c))
    if (bad !== undefined) fail('allowedCidrs', `holds ${shown(bad)}, which is not a CIDR`)
  }
  if (file.workers !== undefined) {
    const workers = file.workers as Json
    if (!workers || typeof workers !== 'object' || Array.isArray(workers)) fail('workers', 'must be an object like {"min": 0, "max": 10}')
    for (const key of ['min', 'max']) {
      const value = workers[key]
      if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) fail(`workers.${key}`, `must be a whole number >= 0, not ${JSON.stringify(value)?.slice(0, 40)}`)
    }
    if (typeof workers.min === 'number' && typeof workers.max === 'number' && workers.min > workers.max) {
      throw invalid(`"workers.min" (${workers.min}) is above "workers.max" (${workers.max}) in ${path}.`, 'The fewest workers cannot be more than the most.')
    }
  }
  if (file.airflowVersion !== undefined && (typeof file.airflowVersion !== 'string' || !/^3\.\d{1,3}\.\d{1,3}$/.test(file.airflowVersion))) {
    fail('airflowVersion', `must be an Airflow 3 release number such as "3.3.2", not ${JSON.stringify(file.airflowVersion)?.slice(0, 40)}`, 'Fix it, or set it with `airflow-ecs upgrade --to 3.x.y`.')
  }
  if (file.snapshots !== undefined) {
    const keep = (file.snapshots as Json)?.keep
    if (!file.snapshots || typeof file.snapshots !== 'object' || Array.isArray(file.snapshots) || (keep !== undefined && !(Number.isInteger(keep) && (keep as number) >= 1))) {
      fail('snapshots', 'must be an object like {"keep": 5} (keep: a whole number >= 1)')
    }
  }
  if (file.state !== undefined && file.state !== 'local') {
    const state = file.state as Json
    if (!state || typeof state !== 'object' || Array.isArray(state)) fail('state', 'must be "local" or an object like {"bucket": "my-tf-state", "region": "eu-west-1"}')
    const extra = Object.keys(state).find((k) => !['bucket', 'key', 'region'].includes(k))
    if (extra !== undefined) fail('state', `has ${shown(extra)}; it takes "bucket", "key" and "region"`)
    if (state.bucket !== undefined && (typeof state.bucket !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(state.bucket))) fail('state.bucket', `is ${shown(state.bucket)}, not an S3 bucket name`)
    if (state.key !== undefined && (typeof state.key !== 'string' || state.key === '' || state.key.startsWith('/') || state.key.length > 900 || CONTROL.test(state.key))) fail('state.key', `is ${shown(state.key)}, not an S3 object key`)
    if (state.region !== undefined) {
      if (typeof state.region !== 'string') fail('state.region', 'must be a string')
      checkRegion(state.region as string, `"state.region" in ${path}`)
    }
  }
  if (file.environments !== undefined) {
    const envs = file.environments as Json
    if (!envs || typeof envs !== 'object' || Array.isArray(envs)) fail('environments', 'must be an object of environments, e.g. {"staging": {}, "prod": {"workers": {"max": 20}}}')
    for (const [name, entry] of Object.entries(envs)) {
      if (!/^[a-z][a-z0-9-]{0,15}$/.test(name) || UNSAFE_KEYS.includes(name)) fail('environments', `names ${shown(name)}, not an environment name (1-16 lower-case letters, digits or '-', starting with a letter)`)
      if (!entry || typeof entry !== 'object' || Array.isArray(entry)) fail(`environments.${name}`, 'must be an object of settings (e.g. {"region": "eu-west-1"})')
      if ((entry as Json).environments !== undefined) fail(`environments.${name}.environments`, 'is not allowed: environments do not nest')
      checkProjectFile(entry as Json, `${path} (environments.${name})`)
    }
  }
  if (file.terraformVars !== undefined) {
    const vars = file.terraformVars as Json
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) fail('terraformVars', 'must be an object of Terraform variables, e.g. {"db_multi_az": true}')
    const reserved = Object.keys(vars).find((k) => CLI_VARIABLES.includes(k) || UNSAFE_KEYS.includes(k))
    if (reserved !== undefined) {
      throw invalid(
        `"terraformVars" may not set ${reserved} in ${path}.`,
        reserved === 'project_name' ? 'The project name is "name" in airflow-ecs.json (or AIRFLOW_ECS_PROJECT).' : reserved === 'image' ? 'Deploy an image with `airflow-ecs deploy --image REF`.' : 'Remove it.',
      )
    }
    for (const [own, variable] of [
      ['allowedCidrs', 'allowed_cidrs'],
      ['workers', 'min_workers'],
      ['workers', 'max_workers'],
      ['topology', 'topology'],
      ['architecture', 'cpu_architecture'],
      ['schedule', 'scale_to_zero_preset'],
      ['timezone', 'schedule_timezone'],
    ]) {
      if (file[own] !== undefined && variable in vars) throw invalid(`"terraformVars" sets ${variable} and "${own}" in ${path} sets it too.`, `Keep one: "${own}".`)
    }
    if (typeof vars.topology === 'string') parseTopology(vars.topology, `"terraformVars.topology" in ${path}`)
    if (typeof vars.cpu_architecture === 'string' && !['ARM64', 'X86_64'].includes(vars.cpu_architecture)) {
      throw invalid(`Unknown cpu_architecture ${shown(vars.cpu_architecture)} in "terraformVars" of ${path}.`, 'Use "ARM64" (Graviton, the default) or "X86_64"; or "architecture": "arm64" / "x86_64" in airflow-ecs.json.')
    }
    if (vars.scale_to_zero_enabled === true && vars.scale_to_zero_preset == null) {
      checkSchedule(String(vars.scale_down_cron ?? 'cron(0 20 ? * MON-FRI *)'), String(vars.scale_up_cron ?? 'cron(0 7 ? * MON-FRI *)'), `"terraformVars" of ${path}`)
    }
  }
}
