// `init --ci github`: the built CLI writes a GitHub Actions workflow that deploys one environment
// through an OIDC role, keeps it on a second run, refuses a different one in one line (nothing
// written), and copies the opt-in deploy-role module. Then the module, applied to moto with the
// very commands init prints, makes a role whose trust and permissions are read back with the
// IAM API: the trust conditions, no wildcard grants, names scoped to the project, and an
// action for every resource type infra-terraform/ creates (a new type without one fails here).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam'
import {parse} from 'yaml'

import {parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {version: string}).version
const MODULE = join(repoRoot, 'ci', 'github-deploy-role')
const ACCOUNT = '123456789012'
const REGION = 'eu-central-1'

// One project for the whole file: a git repository whose origin is on GitHub, so init fills in
// github_repository and the command it prints runs as it is.
const project = mkdtempSync(join(tmpdir(), 'ci-github-'))
const env = {AIRFLOW_ECS_PROJECT_DIR: project, AIRFLOW_ECS_ENV: undefined, AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined}
const workflow = join(project, '.github', 'workflows', 'airflow-ecs-staging.yml')
const args = ['init', '--yes', '--name', 'airflow', '--region', REGION, '--ci', 'github', '--env', 'staging']
let first: any

before(async () => {
  for (const a of [['init', '-q'], ['remote', 'add', 'origin', 'git@github.com:acme/data.git']]) {
    assert.equal(spawnSync('git', a, {cwd: project}).status, 0, `git ${a.join(' ')}`)
  }
  const r = await runCli([...args, '--json'], {env, cwd: project})
  assert.equal(r.code, 0, r.stderr)
  first = parseJson(r)
})

describe('init --ci github', () => {
  it('writes a workflow that deploys the environment with an OIDC role, on pushes to main', () => {
    assert.equal(first.ci.workflow.path, workflow)
    assert.equal(first.ci.workflow.status, 'created')
    const text = readFileSync(workflow, 'utf8')
    const doc = parse(text) as any // YAML 1.2: `on` stays a key, as GitHub reads it
    assert.deepEqual(doc.on.push.branches, ['main'])
    assert.ok('workflow_dispatch' in doc.on)
    assert.deepEqual(doc.permissions, {'id-token': 'write', contents: 'read'})
    assert.deepEqual(doc.concurrency, {group: 'airflow-ecs-staging', 'cancel-in-progress': false})
    assert.deepEqual(Object.keys(doc.jobs), ['deploy'])
    const job = doc.jobs.deploy
    assert.equal(job['runs-on'], 'ubuntu-latest')
    assert.equal(job.environment, 'staging')
    const uses = job.steps.map((s: any) => s.uses).filter(Boolean)
    for (const action of ['actions/checkout@v4', 'actions/setup-node@v4', 'aws-actions/configure-aws-credentials@v4', 'docker/setup-buildx-action@v3', 'docker/setup-qemu-action@v3', 'hashicorp/setup-terraform@v3']) {
      assert.ok(uses.includes(action), action)
    }
    const step = (action: string) => job.steps.find((s: any) => s.uses === action)
    assert.equal(step('actions/setup-node@v4').with['node-version'], 22)
    assert.equal(step('aws-actions/configure-aws-credentials@v4').with['role-to-assume'], '${{ vars.AIRFLOW_ECS_DEPLOY_ROLE_ARN }}')
    assert.equal(step('aws-actions/configure-aws-credentials@v4').with['aws-region'], REGION)
    assert.equal(step('hashicorp/setup-terraform@v3').with.terraform_wrapper, false)
    const runs = job.steps.map((s: any) => s.run).filter(Boolean)
    assert.deepEqual(runs, [`npm install -g airflow-ecs@${version}`, 'airflow-ecs deploy --yes --env staging'])
    // The credentials come before anything that calls AWS, buildx before the deploy builds.
    const at = (p: (s: any) => boolean) => job.steps.findIndex(p)
    assert.ok(at((s) => s.uses === 'aws-actions/configure-aws-credentials@v4') < at((s) => s.run?.startsWith('airflow-ecs deploy')))
    assert.ok(at((s) => s.uses === 'docker/setup-buildx-action@v3') < at((s) => s.run?.startsWith('airflow-ecs deploy')))
    assert.match(text, /AIRFLOW_ECS_DEPLOY_ROLE_ARN \(a repository or "staging" environment variable/)
  })

  it('copies the deploy-role module, writes its tfvars, and adds the environment to airflow-ecs.json', () => {
    const dir = join(project, 'ci', 'github-deploy-role')
    assert.equal(first.ci.module.status, 'created')
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
      assert.equal(readFileSync(join(dir, f), 'utf8'), readFileSync(join(MODULE, f), 'utf8'), f)
    }
    const tfvars = readFileSync(join(dir, 'staging.tfvars'), 'utf8')
    assert.match(tfvars, /^github_repository = "acme\/data"$/m)
    assert.match(tfvars, /^project_name = "airflow-staging"$/m)
    assert.match(tfvars, /^environments = \["staging"\]$/m)
    assert.match(tfvars, /^create_oidc_provider = true$/m)
    const file = JSON.parse(readFileSync(join(project, 'airflow-ecs.json'), 'utf8'))
    assert.deepEqual(file.environments, {staging: {}})
    assert.equal(file.name, 'airflow')
    assert.match(first.ci.next[0], /^Once, with credentials that may create IAM roles: terraform -chdir=ci\/github-deploy-role init && .* apply -var-file=staging\.tfvars$/)
  })

  it('keeps the same workflow on a second run', async () => {
    const before = readFileSync(workflow, 'utf8')
    const r = await runCli(args, {env, cwd: project})
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^Kept .*airflow-ecs-staging\.yml/m)
    assert.match(r.stdout, /^Kept .*github-deploy-role and its staging\.tfvars$/m)
    assert.equal(readFileSync(workflow, 'utf8'), before)
  })

  it('refuses a different workflow in one line, writing nothing, and --force replaces it', async () => {
    const original = readFileSync(workflow, 'utf8')
    writeFileSync(workflow, `${original}# edited by hand\n`)
    const projectFile = readFileSync(join(project, 'airflow-ecs.json'), 'utf8')
    const r = await runCli([...args, '--max-workers', '3'], {env, cwd: project})
    assert.equal(r.code, 2)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^Error: \.github\/workflows\/airflow-ecs-staging\.yml exists and differs from what init writes; nothing was changed \(--force replaces it\)\.\n$/)
    assert.equal(readFileSync(workflow, 'utf8'), `${original}# edited by hand\n`)
    assert.equal(readFileSync(join(project, 'airflow-ecs.json'), 'utf8'), projectFile, 'airflow-ecs.json untouched (--max-workers not applied)')

    const forced = await runCli([...args, '--force', '--json'], {env, cwd: project})
    assert.equal(forced.code, 0, forced.stderr)
    assert.equal(parseJson(forced).ci.workflow.status, 'replaced')
    assert.equal(readFileSync(workflow, 'utf8'), original)
  })

  it('a second environment gets its own workflow and tfvars, and finds the OIDC provider', async () => {
    const r = await runCli(['init', '--yes', '--ci', 'github', '--env', 'production', '--branch', 'release', '--json'], {env, cwd: project})
    assert.equal(r.code, 0, r.stderr)
    const out = parseJson(r).ci
    assert.equal(out.module.status, 'kept')
    assert.equal(out.tfvars.status, 'created')
    const doc = parse(readFileSync(join(project, '.github', 'workflows', 'airflow-ecs-production.yml'), 'utf8')) as any
    assert.deepEqual(doc.on.push.branches, ['release'])
    assert.equal(doc.jobs.deploy.steps.at(-1).run, 'airflow-ecs deploy --yes --env production')
    const tfvars = readFileSync(join(project, 'ci', 'github-deploy-role', 'production.tfvars'), 'utf8')
    assert.match(tfvars, /^project_name = "airflow-production"$/m)
    assert.match(tfvars, /^create_oidc_provider = false$/m)
  })

  it('the package ships the module (Terraform and README, no state)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {cwd: repoRoot, encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    const files = (JSON.parse(r.stdout) as Array<{files: Array<{path: string}>}>)[0].files.map((f) => f.path).filter((f) => f.startsWith('ci/'))
    assert.deepEqual(files.sort(), ['README.md', 'main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'].map((f) => `ci/github-deploy-role/${f}`))
  })

  it('says in one line what is missing or wrong: --env, the --ci value, the environment name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-github-bad-'))
    const cases: Array<[string[], RegExp]> = [
      [['--ci', 'github'], /^Error: --ci github needs --env NAME/],
      [['--ci', 'gitlab', '--env', 'staging'], /^Error: Expected --ci=gitlab to be one of: github/],
      [['--ci', 'github', '--env', 'Staging'], /^Error: Invalid environment name "Staging"/],
      [['--ci', 'github', '--env', 'staging', '--branch', '-x'], /^Error: Invalid branch name "-x"/],
      [['--ci', 'github', '--env', 'integration', '--name', 'analytics-platform'], /^Error: Invalid project name "analytics-platform-integration"/],
      [['--ci', 'github', '--env', 'integration-tests-eu'], /^Error: Invalid environment name "integration-tests-eu"/],
      [['--branch', 'main'], /^Error: All of the following must be provided when using --branch: --ci/],
    ]
    for (const [flags, message] of cases) {
      const argv = ['init', '--yes', ...(flags.includes('--name') ? [] : ['--name', 'airflow']), ...flags]
      const r = await runCli(argv, {env: {...env, AIRFLOW_ECS_PROJECT_DIR: dir}, cwd: dir})
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
    }
    assert.deepEqual(readdirSync(dir), [], 'nothing written')
  })
})

// ---- The module on moto -------------------------------------------------------------------

type Statement = {Sid?: string; Effect: 'Allow' | 'Deny'; Action?: string | string[]; NotAction?: unknown; Resource?: string | string[]; NotResource?: unknown; Condition?: Record<string, Record<string, string | string[]>>}
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])
const glob = (pattern: string, value: string, caseless = false): boolean => {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, caseless ? 'i' : '')
  return re.test(value)
}

/** IAM's answer for one request, for the statements this test uses (Allow/Deny, Action, Resource, String/Arn conditions). */
function allowed(statements: Statement[], action: string, resource = '*', context: Record<string, string> = {}): boolean {
  // resource "*": may the action be allowed on some resource (a deny counts only when it is on "*").
  const matches = (s: Statement) =>
    list(s.Action).some((a) => glob(a, action, true)) &&
    (resource === '*' ? s.Effect === 'Allow' || list(s.Resource).includes('*') : list(s.Resource).some((r) => glob(r, resource))) &&
    Object.entries(s.Condition ?? {}).every(([test, keys]) =>
      Object.entries(keys).every(([key, values]) => {
        const got = context[key]
        if (got === undefined) return false
        return list(values).some((v) => (test.endsWith('Like') ? glob(v, got) : v === got))
      }),
    )
  return !statements.some((s) => s.Effect === 'Deny' && matches(s)) && statements.some((s) => s.Effect === 'Allow' && matches(s))
}

// What Terraform's AWS provider calls to create, read, update, tag and delete each type
// infra-terraform/ uses. A type missing here fails the test: add it, and its permissions to
// ci/github-deploy-role/main.tf.
const NEEDS: Record<string, string[]> = {
  aws_vpc: ['ec2:CreateVpc', 'ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:ModifyVpcAttribute', 'ec2:DeleteVpc', 'ec2:CreateTags'],
  aws_subnet: ['ec2:CreateSubnet', 'ec2:DescribeSubnets', 'ec2:ModifySubnetAttribute', 'ec2:DeleteSubnet'],
  aws_internet_gateway: ['ec2:CreateInternetGateway', 'ec2:AttachInternetGateway', 'ec2:DescribeInternetGateways', 'ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway'],
  aws_eip: ['ec2:AllocateAddress', 'ec2:DescribeAddresses', 'ec2:ReleaseAddress'],
  aws_nat_gateway: ['ec2:CreateNatGateway', 'ec2:DescribeNatGateways', 'ec2:DeleteNatGateway'],
  aws_route_table: ['ec2:CreateRouteTable', 'ec2:DescribeRouteTables', 'ec2:DeleteRouteTable'],
  aws_route: ['ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute'],
  aws_route_table_association: ['ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable'],
  aws_security_group: ['ec2:CreateSecurityGroup', 'ec2:DescribeSecurityGroups', 'ec2:RevokeSecurityGroupEgress', 'ec2:DeleteSecurityGroup'],
  aws_vpc_security_group_ingress_rule: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupIngress'],
  aws_vpc_security_group_egress_rule: ['ec2:AuthorizeSecurityGroupEgress', 'ec2:DescribeSecurityGroupRules', 'ec2:RevokeSecurityGroupEgress'],
  aws_availability_zones: ['ec2:DescribeAvailabilityZones'],
  aws_lb: ['elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:ModifyLoadBalancerAttributes', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DeleteLoadBalancer'],
  aws_lb_target_group: ['elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:ModifyTargetGroupAttributes', 'elasticloadbalancing:DeleteTargetGroup'],
  aws_lb_listener: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DeleteListener'],
  aws_ecs_cluster: ['ecs:CreateCluster', 'ecs:DescribeClusters', 'ecs:UpdateCluster', 'ecs:TagResource', 'ecs:DeleteCluster'],
  aws_ecs_cluster_capacity_providers: ['ecs:PutClusterCapacityProviders', 'ecs:DescribeClusters'],
  aws_ecs_task_definition: ['ecs:RegisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:DeregisterTaskDefinition', 'iam:PassRole'],
  aws_ecs_service: ['ecs:CreateService', 'ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DeleteService'],
  aws_appautoscaling_target: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DeregisterScalableTarget'],
  aws_appautoscaling_policy: ['application-autoscaling:PutScalingPolicy', 'application-autoscaling:DescribeScalingPolicies', 'application-autoscaling:DeleteScalingPolicy'],
  aws_appautoscaling_scheduled_action: ['application-autoscaling:PutScheduledAction', 'application-autoscaling:DescribeScheduledActions', 'application-autoscaling:DeleteScheduledAction'],
  aws_cloudwatch_metric_alarm: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:ListTagsForResource', 'cloudwatch:DeleteAlarms'],
  aws_cloudwatch_log_group: ['logs:CreateLogGroup', 'logs:DescribeLogGroups', 'logs:PutRetentionPolicy', 'logs:ListTagsForResource', 'logs:DeleteLogGroup'],
  aws_db_instance: ['rds:CreateDBInstance', 'rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:AddTagsToResource', 'rds:ListTagsForResource', 'rds:DeleteDBInstance', 'rds:RestoreDBInstanceFromDBSnapshot'],
  aws_db_subnet_group: ['rds:CreateDBSubnetGroup', 'rds:DescribeDBSubnetGroups', 'rds:ModifyDBSubnetGroup', 'rds:DeleteDBSubnetGroup'],
  aws_ecr_repository: ['ecr:CreateRepository', 'ecr:DescribeRepositories', 'ecr:ListTagsForResource', 'ecr:DeleteRepository'],
  aws_ecr_lifecycle_policy: ['ecr:PutLifecyclePolicy', 'ecr:GetLifecyclePolicy', 'ecr:DeleteLifecyclePolicy'],
  aws_iam_role: ['iam:CreateRole', 'iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies', 'iam:TagRole', 'iam:ListInstanceProfilesForRole', 'iam:DeleteRole'],
  aws_iam_role_policy: ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
  aws_iam_role_policy_attachment: ['iam:AttachRolePolicy', 'iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy'],
  aws_kinesis_firehose_delivery_stream: ['firehose:CreateDeliveryStream', 'firehose:DescribeDeliveryStream', 'firehose:ListTagsForDeliveryStream', 'firehose:DeleteDeliveryStream', 'iam:PassRole'],
  aws_s3_bucket: ['s3:CreateBucket', 's3:ListBucket', 's3:GetBucketTagging', 's3:GetBucketPolicy', 's3:GetBucketVersioning', 's3:PutBucketTagging', 's3:DeleteBucket'],
  aws_s3_bucket_lifecycle_configuration: ['s3:PutLifecycleConfiguration', 's3:GetLifecycleConfiguration'],
  aws_s3_bucket_ownership_controls: ['s3:PutBucketOwnershipControls', 's3:GetBucketOwnershipControls'],
  aws_s3_bucket_public_access_block: ['s3:PutBucketPublicAccessBlock', 's3:GetBucketPublicAccessBlock'],
  aws_s3_bucket_server_side_encryption_configuration: ['s3:PutEncryptionConfiguration', 's3:GetEncryptionConfiguration'],
  aws_s3_object: ['s3:PutObject', 's3:GetObject', 's3:GetObjectTagging', 's3:DeleteObject'],
  aws_secretsmanager_secret: ['secretsmanager:CreateSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'],
  aws_secretsmanager_secret_version: ['secretsmanager:PutSecretValue', 'secretsmanager:GetSecretValue'],
  aws_secretsmanager_random_password: ['secretsmanager:GetRandomPassword'],
  aws_sqs_queue: ['sqs:CreateQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:ListQueueTags', 'sqs:DeleteQueue'],
  aws_service_discovery_private_dns_namespace: ['servicediscovery:CreatePrivateDnsNamespace', 'servicediscovery:GetOperation', 'servicediscovery:GetNamespace', 'servicediscovery:DeleteNamespace', 'route53:CreateHostedZone', 'route53:GetHostedZone'],
  aws_service_discovery_service: ['servicediscovery:CreateService', 'servicediscovery:GetService', 'servicediscovery:DeleteService'],
  aws_caller_identity: ['sts:GetCallerIdentity'],
  aws_iam_policy_document: [],
  aws_partition: [],
  aws_region: [],
}

/** Every `resource "aws_…"` and `data "aws_…"` type in infra-terraform/ and its modules. */
function infraTypes(): Set<string> {
  const types = new Set<string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (name === '.terraform') continue
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.tf')) for (const m of readFileSync(path, 'utf8').matchAll(/^\s*(?:resource|data)\s+"(aws_[a-z0-9_]+)"/gm)) types.add(m[1])
    }
  }
  walk(join(repoRoot, 'infra-terraform'))
  return types
}

describe('the deploy-role module, applied to moto as init says', () => {
  let moto: Moto
  let statements: Statement[] = []
  const documents: Record<string, string> = {}
  let trust: {Statement: Statement[]}
  let oidcArn: string
  let roleArn: string
  const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`

  before(async () => {
    moto = await startMoto()
    const tfEnv = {...(process.env as Record<string, string>), ...moto.env, ...terraformEnv()}
    // The first "Next:" line, as printed: init, workspace, apply with the environment's tfvars.
    const command = (first.ci.next[0] as string).replace(/^Once, with credentials that may create IAM roles: /, '')
    const apply = spawnSync('sh', ['-c', command.replace(/ apply /, ' apply -auto-approve -input=false -no-color ')], {cwd: project, env: tfEnv, encoding: 'utf8', timeout: 120_000})
    assert.equal(apply.status, 0, `${command}\n${apply.stdout}\n${apply.stderr}`)
    assert.ok(existsSync(join(project, 'ci', 'github-deploy-role', 'terraform.tfstate.d', 'staging', 'terraform.tfstate')), 'state in the staging workspace')

    const iam = new IAMClient({endpoint: moto.endpoint, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}})
    const role = (await iam.send(new GetRoleCommand({RoleName: 'airflow-ecs-deploy-airflow-staging'}))).Role!
    roleArn = role.Arn!
    trust = JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!))
    oidcArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`
    const provider = await iam.send(new GetOpenIDConnectProviderCommand({OpenIDConnectProviderArn: oidcArn}))
    assert.deepEqual(provider.ClientIDList, ['sts.amazonaws.com'])
    for (const p of (await iam.send(new ListAttachedRolePoliciesCommand({RoleName: role.RoleName}))).AttachedPolicies ?? []) {
      const policy = (await iam.send(new GetPolicyCommand({PolicyArn: p.PolicyArn}))).Policy!
      const doc = (await iam.send(new GetPolicyVersionCommand({PolicyArn: p.PolicyArn, VersionId: policy.DefaultVersionId}))).PolicyVersion!.Document!
      documents[p.PolicyName!] = decodeURIComponent(doc)
    }
    for (const name of (await iam.send(new ListRolePoliciesCommand({RoleName: role.RoleName}))).PolicyNames ?? []) {
      documents[`inline ${name}`] = decodeURIComponent((await iam.send(new GetRolePolicyCommand({RoleName: role.RoleName, PolicyName: name}))).PolicyDocument!)
    }
    statements = Object.values(documents).flatMap((d) => (JSON.parse(d) as {Statement: Statement[]}).Statement)
  })
  after(async () => {
    await moto?.stop()
  })

  it('trusts only the repository\'s branch and environment, for STS', () => {
    assert.equal(trust.Statement.length, 1)
    const [s] = trust.Statement as any[]
    assert.equal(s.Effect, 'Allow')
    assert.equal(s.Action, 'sts:AssumeRoleWithWebIdentity')
    assert.deepEqual(s.Principal, {Federated: oidcArn})
    assert.deepEqual(s.Condition.StringEquals, {'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com'})
    assert.deepEqual(list(s.Condition.StringLike['token.actions.githubusercontent.com:sub']).sort(), ['repo:acme/data:environment:staging', 'repo:acme/data:ref:refs/heads/main'])
    assert.deepEqual(Object.keys(s.Condition).sort(), ['StringEquals', 'StringLike'])
  })

  it('grants no wildcard: no action "*", no "service:*", no NotAction/NotResource, each policy within IAM\'s size limit', () => {
    assert.equal(Object.keys(documents).length, 3, Object.keys(documents).join(', '))
    assert.ok(statements.length > 10)
    for (const s of statements) {
      const where = `statement ${s.Sid ?? JSON.stringify(s).slice(0, 80)}`
      assert.equal(s.NotAction, undefined, where)
      assert.equal(s.NotResource, undefined, where)
      for (const action of list(s.Action)) {
        assert.notEqual(action, '*', where)
        assert.doesNotMatch(action, /^[a-z0-9-]+:\*$/, `${where}: ${action} grants a whole service`)
        assert.match(action, /^[a-z0-9-]+:[A-Za-z]+\*?$/, `${where}: ${action}`)
      }
      if (list(s.Resource).includes('*')) for (const action of list(s.Action)) assert.ok(!action.includes('*') || /^[a-z0-9-]+:(Describe|Get[A-Z][a-z]+)\*$/.test(action), `${where}: ${action} on "*"`)
    }
    for (const [name, doc] of Object.entries(documents)) assert.ok(JSON.stringify(JSON.parse(doc)).length <= 6144, `${name} is over 6,144 characters`)
  })

  it('allows an action for every resource type infra-terraform/ uses', () => {
    const types = infraTypes()
    assert.ok(types.has('aws_ecs_service') && types.has('aws_db_instance'), 'the grep finds the module (and its submodule)')
    const unknown = [...types].filter((t) => !(t in NEEDS))
    assert.deepEqual(unknown, [], 'resource types with no entry in NEEDS: add them there and their permissions to ci/github-deploy-role/main.tf')
    const prefixes = new Set([...types].flatMap((t) => NEEDS[t].map((a) => a.split(':')[0])))
    const granted = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => list(s.Action).map((a) => a.split(':')[0])))
    assert.deepEqual([...prefixes].filter((p) => !granted.has(p)), [], 'services with no action granted')
    const missing = [...types].flatMap((t) => NEEDS[t].filter((a) => !allowed(statements, a, '*', {'iam:PassedToService': 'ecs-tasks.amazonaws.com', 'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'})).map((a) => `${t}: ${a}`))
    assert.deepEqual(missing, [])
  })

  it("allows what deploy does on the project's resources, and not on another project's", () => {
    const state = `arn:aws:s3:::airflow-ecs-state-${ACCOUNT}-${REGION}`
    const cases: Array<[string, string, boolean, Record<string, string>?]> = [
      ['sts:GetCallerIdentity', '*', true],
      ['ecr:GetAuthorizationToken', '*', true],
      ['ecr:PutImage', arn('ecr', 'repository/airflow-staging-airflow'), true],
      ['ecr:PutImage', arn('ecr', 'repository/airflow-prod-airflow'), false],
      ['ecs:RunTask', arn('ecs', 'task-definition/airflow-staging-standalone:7'), true],
      ['ecs:RunTask', arn('ecs', 'task-definition/airflow-prod-standalone:7'), false],
      ['ecs:DescribeTasks', arn('ecs', 'task/airflow-staging/0123456789abcdef'), true],
      ['ecs:UpdateService', arn('ecs', 'service/airflow-staging/airflow-staging-core'), true],
      ['ecs:UpdateService', arn('ecs', 'service/airflow-prod/airflow-prod-core'), false],
      ['logs:GetLogEvents', arn('logs', 'log-group:/airflow-ecs/airflow-staging/standalone:log-stream:ecs/standalone/abc'), true],
      ['logs:GetLogEvents', arn('logs', 'log-group:/airflow-ecs/airflow-prod/standalone:log-stream:x'), false],
      ['s3:PutObject', 'arn:aws:s3:::airflow-staging-airflow-20261202/dags/live/bundle.zip', true],
      ['s3:PutObject', 'arn:aws:s3:::airflow-prod-airflow-20261202/dags/live/bundle.zip', false],
      ['s3:GetObject', `${state}/airflow-staging/terraform.tfstate`, true],
      ['s3:PutObject', `${state}/airflow-staging/terraform.tfstate`, true],
      ['s3:PutObject', `${state}/airflow-staging/terraform.tfstate.tflock`, true],
      ['s3:DeleteObject', `${state}/airflow-staging/terraform.tfstate.tflock`, true],
      ['s3:DeleteObject', `${state}/airflow-staging/terraform.tfstate.airflow-ecs.lock`, true],
      ['s3:DeleteObject', `${state}/airflow-staging/terraform.tfstate`, false],
      ['s3:GetObject', `${state}/airflow-prod/terraform.tfstate`, false],
      ['s3:ListBucket', state, true],
      ['secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:airflow-staging/admin-password-20261202-AbCdEf'), true],
      ['secretsmanager:GetSecretValue', arn('secretsmanager', 'secret:airflow-prod/admin-password-20261202-AbCdEf'), false],
      ['rds:CreateDBSnapshot', arn('rds', 'snapshot:airflow-staging-release-4-20261202-1200'), true],
      ['rds:CreateDBSnapshot', arn('rds', 'snapshot:airflow-prod-release-4-20261202-1200'), false],
      ['rds:DeleteDBInstance', arn('rds', 'db:airflow-prod-2026'), false],
      ['sqs:CreateQueue', arn('sqs', 'airflow-staging-celery-default'), true],
      ['firehose:CreateDeliveryStream', arn('firehose', 'deliverystream/airflow-staging-standalone-logs'), true],
      ['cloudwatch:PutMetricAlarm', arn('cloudwatch', 'alarm:airflow-staging-workers-desired'), true],
      ['iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/airflow-staging-task-2026`, true],
      ['iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/airflow-prod-task-2026`, false],
      ['iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/OrganizationAccountAccessRole`, false],
      ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/airflow-staging-task-2026`, true, {'iam:PassedToService': 'ecs-tasks.amazonaws.com'}],
      ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/airflow-staging-task-2026`, false, {'iam:PassedToService': 'ec2.amazonaws.com'}],
      ['iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/airflow-staging-exec-2026`, true, {'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'}],
      ['iam:AttachRolePolicy', `arn:aws:iam::${ACCOUNT}:role/airflow-staging-exec-2026`, false, {'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess'}],
      ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/x`, false],
      ['ec2:TerminateInstances', arn('ec2', 'instance/i-0123'), false],
    ]
    const wrong = cases.filter(([action, resource, want, context]) => allowed(statements, action, resource, context) !== want).map(([a, r, want]) => `${want ? 'denied' : 'allowed'}: ${a} on ${r}`)
    assert.deepEqual(wrong, [])
  })

  it('never lets the role change itself, whatever its name', () => {
    assert.equal(roleArn, `arn:aws:iam::${ACCOUNT}:role/airflow-ecs-deploy-airflow-staging`)
    // An explicit deny on its own ARN, so that even a role_name inside PROJECT-* could not widen itself.
    const denied = statements.filter((s) => s.Effect === 'Deny' && list(s.Resource).includes(roleArn)).flatMap((s) => list(s.Action))
    for (const action of ['iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:DeleteRolePolicy']) assert.ok(denied.includes(action), action)
    for (const action of ['iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy']) {
      assert.equal(allowed(statements, action, roleArn, {'iam:PolicyARN': 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy'}), false, action)
    }
  })
})
