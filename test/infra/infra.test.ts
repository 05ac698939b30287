// infra-terraform/ for real: fmt, validate, and a full apply to moto with no -var and no
// tfvars; the output contract pinned; read back from moto (services, task definitions,
// listeners, scaling, alarms, retention, security); plans of the other variable choices;
// then a clean destroy.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, DescribeScheduledActionsCommand} from '@aws-sdk/client-application-auto-scaling'
import {CloudWatchClient, DescribeAlarmsCommand} from '@aws-sdk/client-cloudwatch'
import {CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {DescribeSecurityGroupRulesCommand, DescribeSubnetsCommand, EC2Client} from '@aws-sdk/client-ec2'
import {DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand} from '@aws-sdk/client-ecr'
import {DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListTasksCommand, RunTaskCommand} from '@aws-sdk/client-ecs'
import {DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client} from '@aws-sdk/client-elastic-load-balancing-v2'
import {GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, ListRolesCommand} from '@aws-sdk/client-iam'
import {DescribeDBInstancesCommand, RDSClient} from '@aws-sdk/client-rds'
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import {GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient} from '@aws-sdk/client-secrets-manager'

import {parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {type AppliedInfra, applyInfra, copyInfra} from './apply.ts'

const COMPONENTS = ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'metrics']
const COMPONENT_FIELDS = ['capacity_provider_strategy', 'container', 'cpu', 'desired_count', 'log_group', 'log_stream_prefix', 'max_count', 'memory', 'min_count', 'service', 'shared_with']
// The default topology (compact): the light components are containers of one task, airflow-core.
const LAYOUT: Record<string, string> = {'api-server': 'api-server', scheduler: 'core', 'dag-processor': 'core', triggerer: 'core', metrics: 'core', worker: 'worker'}
const SERVICES = ['api-server', 'core', 'worker']
const SHARED_SECRETS = ['AIRFLOW__CORE__FERNET_KEY', 'AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__DATABASE__SQL_ALCHEMY_CONN', 'AIRFLOW__CELERY__RESULT_BACKEND']
const keys = (o: object) => Object.keys(o).sort()

let moto: Moto
let infra: AppliedInfra
let applySeconds = 0
let secretValues: string[] = []

function terraform(dir: string, args: string[], env: Record<string, string>) {
  const r = spawnSync('terraform', [`-chdir=${dir}`, ...args], {encoding: 'utf8', env: {...process.env, ...env}, maxBuffer: 64 * 1024 * 1024})
  assert.equal(r.error, undefined, 'test needs terraform (>= 1.10) on PATH')
  return r
}

describe('terraform static checks', () => {
  it('is formatted (terraform fmt -check -recursive)', () => {
    const r = terraform(repoRoot, ['fmt', '-check', '-recursive', '-diff', join(repoRoot, 'infra-terraform')], terraformEnv())
    assert.equal(r.status, 0, `terraform fmt would change:\n${r.stdout}${r.stderr}`)
  })

  it('validates against the mirrored provider, with no warning', () => {
    const {terraformDir} = copyInfra()
    const env = terraformEnv()
    const init = terraform(terraformDir, ['init', '-backend=false', '-input=false', '-no-color'], env)
    assert.equal(init.status, 0, init.stderr)
    const r = terraform(terraformDir, ['validate', '-json', '-no-color'], env)
    assert.equal(r.status, 0, r.stderr + r.stdout)
    const report = JSON.parse(r.stdout)
    assert.equal(report.valid, true, r.stdout)
    assert.equal(report.warning_count, 0, `validate warns (deprecated attributes?): ${JSON.stringify(report.diagnostics)}`)
  })
})

describe('infra-terraform applied to moto', {timeout: 600_000}, () => {
  before(async () => {
    moto = await startMoto()
    const started = Date.now()
    infra = applyInfra(moto.env)
    applySeconds = (Date.now() - started) / 1000
    const sm = new SecretsManagerClient(sdkConfig(moto))
    secretValues = []
    for (const arn of Object.values(infra.contract.secrets) as string[]) {
      secretValues.push((await sm.send(new GetSecretValueCommand({SecretId: arn}))).SecretString!)
    }
  })
  after(async () => {
    await moto?.stop()
  })

  it('applies with no -var and no tfvars, in reasonable time', () => {
    assert.ok(applySeconds < 300, `apply took ${applySeconds}s`)
    assert.equal(infra.outputs.airflow_ecs.sensitive, false)
    console.log(`# terraform init+apply on moto: ${applySeconds.toFixed(1)} s`)
  })

  it('pins the output contract', () => {
    const c = infra.contract
    assert.deepEqual(keys(c), ['account_id', 'bucket', 'cluster', 'components', 'cpu_architecture', 'dags', 'database', 'ecr', 'network', 'project', 'region', 'schedules', 'schema_version', 'secrets', 'standalone', 'topology', 'web', 'worker_autoscaling'])
    assert.deepEqual([c.topology, c.cpu_architecture], ['compact', 'ARM64'])
    assert.equal(c.schema_version, 1)
    assert.equal(c.project, 'airflow')
    assert.equal(c.region, 'us-east-1')
    assert.match(c.account_id, /^\d{12}$/)
    assert.deepEqual(c.cluster, {name: 'airflow', arn: `arn:aws:ecs:us-east-1:${c.account_id}:cluster/airflow`})

    assert.deepEqual(keys(c.components), [...COMPONENTS].sort())
    for (const name of COMPONENTS) {
      const comp = c.components[name]
      assert.deepEqual(keys(comp), COMPONENT_FIELDS, name)
      assert.equal(comp.service, `airflow-${LAYOUT[name]}`)
      assert.equal(comp.container, name)
      assert.deepEqual(comp.shared_with, COMPONENTS.filter((o) => o !== name && LAYOUT[o] === LAYOUT[name]).sort(), name)
      assert.equal(comp.log_group, `/airflow-ecs/airflow/${name}`)
      assert.equal(comp.log_stream_prefix, 'ecs')
      for (const field of ['cpu', 'memory', 'desired_count', 'min_count', 'max_count']) assert.equal(typeof comp[field], 'number', `${name}.${field}`)
      assert.ok(comp.min_count <= comp.desired_count && comp.desired_count <= comp.max_count, name)
      assert.ok(comp.capacity_provider_strategy.length >= 1, name)
      for (const s of comp.capacity_provider_strategy) {
        assert.deepEqual(keys(s), ['base', 'capacity_provider', 'weight'])
        assert.match(s.capacity_provider, /^FARGATE(_SPOT)?$/)
        assert.equal(typeof s.weight, 'number')
        assert.equal(typeof s.base, 'number')
      }
    }
    assert.deepEqual(c.components.worker.capacity_provider_strategy.map((s: any) => s.capacity_provider), ['FARGATE_SPOT', 'FARGATE'])
    assert.deepEqual([c.components.worker.min_count, c.components.worker.desired_count, c.components.worker.max_count], [0, 0, 10])

    assert.deepEqual(keys(c.standalone), ['assign_public_ip', 'capacity_provider', 'container', 'cpu', 'log_group', 'log_stream_prefix', 'memory', 'security_groups', 'subnets', 'task_definition_family'])
    assert.equal(c.standalone.task_definition_family, 'airflow-standalone')
    assert.equal(c.standalone.container, 'airflow')
    assert.equal(c.standalone.log_group, '/airflow-ecs/airflow/standalone')
    assert.equal(c.standalone.log_stream_prefix, 'ecs')
    assert.equal(c.standalone.capacity_provider, 'FARGATE')
    assert.equal(c.standalone.subnets.length, 2)
    for (const id of c.standalone.subnets) assert.match(id, /^subnet-/)
    assert.equal(c.standalone.security_groups.length, 1)
    assert.equal(c.standalone.assign_public_ip, true, 'public subnets by default')
    assert.equal(typeof c.standalone.cpu, 'number')
    assert.equal(typeof c.standalone.memory, 'number')

    assert.deepEqual(keys(c.web), ['alb_arn', 'alb_dns_name', 'https', 'url'])
    assert.equal(c.web.https, false)
    assert.equal(c.web.url, `http://${c.web.alb_dns_name}`)
    assert.match(c.web.alb_arn, /^arn:aws:elasticloadbalancing:/)
    assert.deepEqual(keys(c.ecr), ['repository_name', 'repository_url'])
    assert.ok(c.ecr.repository_url.endsWith(`/${c.ecr.repository_name}`))
    assert.equal(typeof c.bucket, 'string')
    assert.deepEqual(c.dags, {source: 'bundle', bucket: c.bucket, prefix: 'dags', live_prefix: 'dags/live', bundle_name: 's3-dags', refresh_interval: 30})
    assert.deepEqual(keys(c.database), ['allocated_storage', 'engine_version', 'identifier', 'instance_class', 'multi_az'])
    assert.deepEqual([c.database.instance_class, c.database.allocated_storage, c.database.engine_version, c.database.multi_az], ['db.t4g.micro', 20, '17', false])
    for (const name of ['admin_password', 'fernet_key', 'jwt_secret', 'api_secret_key', 'db_connection']) assert.ok(name in c.secrets, `secrets.${name}`)
    for (const arn of Object.values(c.secrets) as string[]) assert.match(arn, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:airflow\//)
    assert.deepEqual(keys(c.worker_autoscaling), ['max', 'metric_name', 'metric_namespace', 'min', 'policy_name', 'tasks_per_worker'])
    assert.deepEqual([c.worker_autoscaling.min, c.worker_autoscaling.max, c.worker_autoscaling.tasks_per_worker, c.worker_autoscaling.metric_name], [0, 10, 16, 'DesiredWorkers'])
    assert.deepEqual(keys(c.schedules), ['enabled', 'preset', 'scale_down_cron', 'scale_up_cron', 'timezone'])
    assert.deepEqual([c.schedules.enabled, c.schedules.timezone], [false, 'UTC'])
    assert.deepEqual(keys(c.network), ['mode', 'nat_gateway', 'vpc_id'])
    assert.deepEqual([c.network.mode, c.network.nat_gateway], ['public', false])
    assert.match(c.network.vpc_id, /^vpc-/)
  })

  it('keeps every secret in Secrets Manager and no secret value in the outputs', async () => {
    assert.ok(secretValues.length >= 5, 'every secret has a generated value')
    for (const v of secretValues) assert.ok(v.length >= 32, 'generated secrets are long')
    assert.equal(new Set(secretValues).size, secretValues.length, 'secrets differ from one another')
    for (const value of secretValues) {
      const bare = value.split('://').pop()!
      assert.ok(!infra.outputsJson.includes(value) && !infra.outputsJson.includes(bare), 'a secret value leaked into terraform output -json')
    }
    const fernet = secretValues[Object.keys(infra.contract.secrets).indexOf('fernet_key')]!
    assert.equal(Buffer.from(fernet, 'base64url').length, 32, 'the Fernet key is 32 url-safe base64 bytes')
    const sm = new SecretsManagerClient(sdkConfig(moto))
    const listed = (await sm.send(new ListSecretsCommand({}))).SecretList!
    assert.ok(listed.every((s) => s.Name!.startsWith('airflow/')), 'secret names are under the project name')
  })

  it('runs every component in a Fargate service (compact: the light ones in one task) with ECS Exec, its command, and secrets by reference, on ARM64', async () => {
    const ecs = new ECSClient(sdkConfig(moto))
    const services = (await ecs.send(new DescribeServicesCommand({cluster: 'airflow', services: SERVICES.map((c) => `airflow-${c}`)}))).services!
    assert.equal(services.length, 3)
    const commands: Record<string, string[]> = {}
    for (const service of services) {
      const key = service.serviceName!.replace(/^airflow-/, '')
      const members = COMPONENTS.filter((c) => LAYOUT[c] === key)
      assert.equal(service.enableExecuteCommand, true, service.serviceName)
      assert.deepEqual(service.networkConfiguration?.awsvpcConfiguration?.assignPublicIp, 'ENABLED')
      const strategy = (service.capacityProviderStrategy ?? []).map((s) => `${s.capacityProvider}:${s.weight}:${s.base ?? 0}`).sort()
      assert.deepEqual(strategy, key === 'worker' ? ['FARGATE:1:0', 'FARGATE_SPOT:4:0'] : ['FARGATE:1:0'], service.serviceName)
      assert.equal(service.desiredCount, infra.contract.components[members[0]].desired_count)
      const td = (await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: service.taskDefinition}))).taskDefinition!
      assert.deepEqual(td.requiresCompatibilities, ['FARGATE'])
      assert.equal(td.networkMode, 'awsvpc')
      assert.deepEqual(td.runtimePlatform, {cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX'}, 'Graviton by default')
      assert.equal(Number(td.cpu), infra.contract.components[members[0]].cpu)
      assert.equal(Number(td.memory), infra.contract.components[members[0]].memory)
      assert.deepEqual(td.containerDefinitions!.map((d) => d.name).sort(), [...members].sort(), 'one container per component')
      for (const container of td.containerDefinitions!) {
        const name = container.name!
        commands[name] = container.command!
        assert.deepEqual(container.logConfiguration, {
          logDriver: 'awslogs',
          options: {'awslogs-group': `/airflow-ecs/airflow/${name}`, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs'},
        })
        const secrets = Object.fromEntries(container.secrets!.map((s) => [s.name, s.valueFrom]))
        for (const key of SHARED_SECRETS) assert.match(secrets[key] ?? '', /^arn:aws:secretsmanager:/, `${name} ${key}`)
        const env = Object.fromEntries(container.environment!.map((e) => [e.name, e.value]))
        assert.equal(env.AIRFLOW__CORE__AUTH_MANAGER, 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager')
        assert.equal(env.AIRFLOW__CORE__EXECUTOR, 'CeleryExecutor')
        assert.match(env.AIRFLOW__CORE__EXECUTION_API_SERVER_URL!, /^http:\/\/api-server\.airflow\.airflow\.internal:8080\/execution\/$/)
        // FAB's login and logout redirects are built from base_url: the address the UI is reached at.
        assert.equal(env.AIRFLOW__API__BASE_URL, `http://${infra.contract.web.alb_dns_name}`, 'no domain_name: the load balancer')
        // Set explicitly (Airflow's defaults), from the local the task security group's rules use.
        assert.deepEqual([env.AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT, env.AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT], ['8793', '8794'])
        assert.equal(env.AIRFLOW__LOGGING__REMOTE_LOGGING, 'True')
        assert.equal(env.AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER, `s3://${infra.contract.bucket}/logs`)
        assert.equal(env.AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID, 'aws_default')
        assert.equal(env.AIRFLOW__LOGGING__LOGGING_CONFIG_CLASS, 'airflow_ecs.logging_config.LOGGING_CONFIG')
        assert.equal(env.AIRFLOW__SECRETS__BACKEND, 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend')
        assert.deepEqual(JSON.parse(env.AIRFLOW__SECRETS__BACKEND_KWARGS!), {connections_prefix: 'airflow/connections', variables_prefix: 'airflow/variables', config_prefix: null})
        assert.equal(env.AIRFLOW__CELERY__BROKER_URL, 'sqs://')
        assert.equal(env.AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS, 'airflow_ecs.celery_config.CELERY_CONFIG')
        assert.match(env.AIRFLOW_ECS_SQS_QUEUE_URL!, /airflow-celery-default$/)
        for (const value of Object.values(env)) for (const secret of secretValues) assert.ok(!value!.includes(secret), 'no secret value in plain environment')
        if (name === 'worker') assert.equal(container.stopTimeout, 120)
        if (name === 'metrics') {
          assert.deepEqual(
            [env.AIRFLOW_ECS_METRICS_NAMESPACE, env.AIRFLOW_ECS_CLUSTER, env.AIRFLOW_ECS_TASKS_PER_WORKER, env.AIRFLOW_ECS_MIN_WORKERS, env.AIRFLOW_ECS_MAX_WORKERS, env.AIRFLOW_ECS_METRICS_PERIOD],
            [infra.contract.worker_autoscaling.metric_namespace, 'airflow', '16', '0', '10', '60'],
          )
        }
      }
    }
    const standalone = (await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: 'airflow-standalone'}))).taskDefinition!
    assert.equal(standalone.runtimePlatform?.cpuArchitecture, 'ARM64', 'the one-off task too')
    assert.deepEqual(commands, {
      'api-server': ['api-server'],
      scheduler: ['scheduler'],
      'dag-processor': ['dag-processor'],
      triggerer: ['triggerer'],
      worker: ['celery', 'worker'],
      metrics: ['python', '-m', 'airflow_ecs.metrics_publisher'],
    })
  })

  it('names component log streams ecs/<container>/<task id>', async () => {
    const ecs = new ECSClient(sdkConfig(moto))
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const arns = (await ecs.send(new ListTasksCommand({cluster: 'airflow', serviceName: infra.contract.components.scheduler.service}))).taskArns!
    assert.equal(arns.length, 1)
    const taskId = arns[0].split('/').pop()
    const streams = (await logs.send(new DescribeLogStreamsCommand({logGroupName: '/airflow-ecs/airflow/scheduler'}))).logStreams!
    assert.deepEqual(streams.map((s) => s.logStreamName), [`ecs/scheduler/${taskId}`])
  })

  it('routes standalone logs through FireLens to Firehose and to CloudWatch as ecs/airflow/<task id>', async () => {
    const ecs = new ECSClient(sdkConfig(moto))
    const standalone = (await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: 'airflow-standalone'}))).taskDefinition!
    assert.equal(standalone.networkMode, 'awsvpc')
    const byName = Object.fromEntries(standalone.containerDefinitions!.map((d) => [d.name, d]))
    const router = byName.log_router!
    const app = byName.airflow!
    assert.equal(router.firelensConfiguration?.type, 'fluentbit')
    assert.equal(router.logConfiguration?.logDriver, 'awslogs')
    assert.equal(router.logConfiguration?.options?.['awslogs-group'], '/airflow-ecs/airflow/log-router')
    assert.equal(app.logConfiguration?.logDriver, 'awsfirelens')
    const options = app.logConfiguration!.options!
    assert.equal(options.Name, 'cloudwatch_logs')
    assert.equal(options.log_group_name, '/airflow-ecs/airflow/standalone')
    assert.equal(options.log_stream_prefix, 'ecs/')
    assert.equal(options.log_stream_template, 'ecs/airflow/$ecs_task_id')
    assert.deepEqual(app.dependsOn, [{containerName: 'log_router', condition: 'START'}])
    const secrets = Object.fromEntries(app.secrets!.map((s) => [s.name, s.valueFrom]))
    for (const key of [...SHARED_SECRETS, 'AIRFLOW_ECS_ADMIN_PASSWORD']) assert.match(secrets[key] ?? '', /^arn:aws:secretsmanager:/, key)
    assert.equal(secrets.AIRFLOW_ECS_ADMIN_PASSWORD, infra.contract.secrets.admin_password)

    // The extra fluent-bit config: the record field the stream template needs, and Firehose.
    const init = router.environment!.find((e) => e.name === 'aws_fluent_bit_init_s3_1')!.value!
    const [, bucket, key] = /^arn:aws:s3:::([^/]+)\/(.+)$/.exec(init)!
    assert.equal(bucket, infra.contract.bucket)
    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const conf = await (await s3.send(new GetObjectCommand({Bucket: bucket, Key: key}))).Body!.transformToString()
    assert.match(conf, /Name\s+modify\s+Match\s+airflow-firelens\*\s+Add\s+ecs_task_id \$\{ECS_TASK_ID\}/)
    assert.match(conf, /Name\s+kinesis_firehose\s+Match\s+airflow-firelens\*[\s\S]*delivery_stream\s+airflow-standalone-logs/)

    // A one-off task as `airflow-ecs task` runs it: its logs land where the contract says.
    const c = infra.contract.standalone
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'airflow',
        taskDefinition: c.task_definition_family,
        capacityProviderStrategy: [{capacityProvider: c.capacity_provider, weight: 1}],
        enableExecuteCommand: true,
        networkConfiguration: {awsvpcConfiguration: {subnets: c.subnets, securityGroups: c.security_groups, assignPublicIp: c.assign_public_ip ? 'ENABLED' : 'DISABLED'}},
        overrides: {containerOverrides: [{name: c.container, command: ['db', 'migrate']}]},
      }),
    )
    const taskId = run.tasks![0].taskArn!.split('/').pop()
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const streams = (await logs.send(new DescribeLogStreamsCommand({logGroupName: c.log_group}))).logStreams!.map((s) => s.logStreamName)
    assert.deepEqual(streams, [`${c.log_stream_prefix}/${c.container}/${taskId}`])
  })

  it('routes the load balancer to the api-server, closed to the world by default', async () => {
    const elb = new ElasticLoadBalancingV2Client(sdkConfig(moto))
    const lb = (await elb.send(new DescribeLoadBalancersCommand({LoadBalancerArns: [infra.contract.web.alb_arn]}))).LoadBalancers![0]
    assert.equal(lb.Scheme, 'internet-facing')
    assert.equal(lb.DNSName, infra.contract.web.alb_dns_name)
    const listeners = (await elb.send(new DescribeListenersCommand({LoadBalancerArn: lb.LoadBalancerArn}))).Listeners!
    assert.deepEqual(listeners.map((l) => [l.Port, l.Protocol]), [[80, 'HTTP']])
    const action = listeners[0].DefaultActions![0]
    assert.equal(action.Type, 'forward')
    const tg = (await elb.send(new DescribeTargetGroupsCommand({TargetGroupArns: [action.TargetGroupArn!]}))).TargetGroups![0]
    assert.deepEqual([tg.Port, tg.TargetType, tg.HealthCheckPath], [8080, 'ip', '/api/v2/monitor/health'])
    const ecs = new ECSClient(sdkConfig(moto))
    const api = (await ecs.send(new DescribeServicesCommand({cluster: 'airflow', services: ['airflow-api-server']}))).services![0]
    assert.deepEqual(api.loadBalancers?.map((l) => [l.targetGroupArn, l.containerName, l.containerPort]), [[tg.TargetGroupArn, 'api-server', 8080]])

    const ec2 = new EC2Client(sdkConfig(moto))
    const rules = (await ec2.send(new DescribeSecurityGroupRulesCommand({}))).SecurityGroupRules!
    assert.ok(rules.length > 0)
    const open = rules.filter((r) => !r.IsEgress && (r.CidrIpv4 === '0.0.0.0/0' || r.CidrIpv6 === '::/0'))
    assert.deepEqual(open, [], 'no security group accepts traffic from the internet by default')
    const albIngress = rules.filter((r) => !r.IsEgress && lb.SecurityGroups!.includes(r.GroupId!))
    assert.deepEqual(albIngress, [], 'the ALB accepts nobody until allowed_cidrs is set')
    const tasksSg = infra.contract.standalone.security_groups[0]
    const taskIngress = rules.filter((r) => !r.IsEgress && r.GroupId === tasksSg)
    for (const r of taskIngress) {
      assert.ok(r.ReferencedGroupInfo?.GroupId, 'tasks accept only other security groups, no CIDR')
      assert.ok(r.Description, `rule ${r.SecurityGroupRuleId} has a description`)
    }
    const source = (r: (typeof rules)[number]) => (r.ReferencedGroupInfo!.GroupId === tasksSg ? 'tasks' : lb.SecurityGroups!.includes(r.ReferencedGroupInfo!.GroupId!) ? 'alb' : r.ReferencedGroupInfo!.GroupId)
    // The api-server (a task) reads live logs from the worker's (8793) and the triggerer's
    // (8794) log servers: admitted from the tasks only, as the api-server port is.
    assert.deepEqual(
      taskIngress.map((r) => `${source(r)} ${r.IpProtocol} ${r.FromPort}-${r.ToPort}`).sort(),
      ['alb tcp 8080-8080', 'tasks tcp 8080-8080', 'tasks tcp 8793-8793', 'tasks tcp 8794-8794'],
      'the api-server port from the ALB and the tasks; the log servers from the tasks only; nothing else',
    )
    // ...and those are the ports Airflow uses: every container is told them explicitly.
    const td = (await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: api.taskDefinition}))).taskDefinition!
    const env = Object.fromEntries(td.containerDefinitions![0].environment!.map((e) => [e.name, e.value]))
    assert.deepEqual([env.AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT, env.AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT], ['8793', '8794'])
  })

  it('puts the database in private subnets and tasks in public ones by default', async () => {
    const ec2 = new EC2Client(sdkConfig(moto))
    const subnets = (await ec2.send(new DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [infra.contract.network.vpc_id]}]}))).Subnets!
    assert.equal(subnets.length, 4)
    assert.equal(new Set(subnets.map((s) => s.AvailabilityZone)).size, 2, 'two AZs')
    const db = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({DBInstanceIdentifier: infra.contract.database.identifier}))).DBInstances![0]
    const dbSubnets = db.DBSubnetGroup!.Subnets!.map((s) => s.SubnetIdentifier).sort()
    assert.equal(dbSubnets.length, 2)
    for (const id of dbSubnets) assert.ok(!infra.contract.standalone.subnets.includes(id), 'database not in the task (public) subnets')
  })

  it('scales workers on DesiredWorkers, from zero, with an alarm that drives the policy', async () => {
    const aas = new ApplicationAutoScalingClient(sdkConfig(moto))
    const targets = (await aas.send(new DescribeScalableTargetsCommand({ServiceNamespace: 'ecs'}))).ScalableTargets!
    assert.deepEqual(targets.map((t) => t.ResourceId), ['service/airflow/airflow-worker'], 'no schedule targets unless scale_to_zero_enabled')
    const worker = targets[0]
    assert.deepEqual([worker.ScalableDimension, worker.MinCapacity, worker.MaxCapacity], ['ecs:service:DesiredCount', 0, 10])
    const policies = (await aas.send(new DescribeScalingPoliciesCommand({ServiceNamespace: 'ecs', ResourceId: worker.ResourceId}))).ScalingPolicies!
    assert.equal(policies.length, 1)
    const policy = policies[0]
    assert.equal(policy.PolicyName, infra.contract.worker_autoscaling.policy_name)
    assert.equal(policy.PolicyType, 'StepScaling')
    const steps = policy.StepScalingPolicyConfiguration!
    assert.equal(steps.AdjustmentType, 'ExactCapacity')
    assert.equal(steps.StepAdjustments!.length, 11)
    const at = (v: number) => {
      const matching = steps.StepAdjustments!.filter((s) => (s.MetricIntervalLowerBound ?? -Infinity) <= v && v < (s.MetricIntervalUpperBound ?? Infinity))
      assert.equal(matching.length, 1, `exactly one step holds ${v}`)
      return matching[0].ScalingAdjustment
    }
    assert.deepEqual([at(0), at(1), at(3), at(9), at(10), at(40)], [0, 1, 3, 9, 10, 10])

    const alarms = (await new CloudWatchClient(sdkConfig(moto)).send(new DescribeAlarmsCommand({}))).MetricAlarms!
    const alarm = alarms.find((a) => a.AlarmActions?.includes(policy.PolicyARN!))
    assert.ok(alarm, 'an alarm invokes the worker policy')
    assert.equal(alarm.Namespace, infra.contract.worker_autoscaling.metric_namespace)
    assert.equal(alarm.MetricName, 'DesiredWorkers')
    assert.deepEqual(alarm.Dimensions, [{Name: 'Cluster', Value: 'airflow'}])
    assert.ok(alarm.Period! <= 60)
    assert.deepEqual([alarm.ComparisonOperator, alarm.Threshold], ['GreaterThanOrEqualToThreshold', 0], 'in ALARM at every value, zero included')
  })

  it('gives every log group a retention; data is encrypted and private', async () => {
    const logs = new CloudWatchLogsClient(sdkConfig(moto))
    const groups = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups!
    assert.deepEqual(groups.map((g) => g.logGroupName).sort(), [...COMPONENTS, 'log-router', 'standalone'].map((c) => `/airflow-ecs/airflow/${c}`).sort())
    for (const g of groups) assert.equal(g.retentionInDays, 30, g.logGroupName)

    const s3 = new S3Client({...sdkConfig(moto), forcePathStyle: true})
    const block = (await s3.send(new GetPublicAccessBlockCommand({Bucket: infra.contract.bucket}))).PublicAccessBlockConfiguration!
    assert.deepEqual(block, {BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true})
    const enc = (await s3.send(new GetBucketEncryptionCommand({Bucket: infra.contract.bucket}))).ServerSideEncryptionConfiguration!
    assert.equal(enc.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, 'AES256')
    const own = (await s3.send(new GetBucketOwnershipControlsCommand({Bucket: infra.contract.bucket}))).OwnershipControls!
    assert.equal(own.Rules![0].ObjectOwnership, 'BucketOwnerEnforced')
    const lifecycle = (await s3.send(new GetBucketLifecycleConfigurationCommand({Bucket: infra.contract.bucket}))).Rules!
    assert.ok(lifecycle.length >= 1)
    for (const rule of lifecycle) assert.equal(rule.Expiration?.Days, 90)

    const db = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({DBInstanceIdentifier: infra.contract.database.identifier}))).DBInstances![0]
    assert.equal(db.StorageEncrypted, true)
    assert.equal(db.PubliclyAccessible, false)
    assert.equal(db.Engine, 'postgres')
    assert.match(db.EngineVersion!, /^17/)
    assert.equal(db.BackupRetentionPeriod, 7)
    assert.equal(db.DeletionProtection, false)

    const ecr = new ECRClient(sdkConfig(moto))
    const repo = (await ecr.send(new DescribeRepositoriesCommand({repositoryNames: [infra.contract.ecr.repository_name]}))).repositories![0]
    assert.equal(repo.imageTagMutability, 'IMMUTABLE')
    assert.equal(repo.imageScanningConfiguration?.scanOnPush, true)
    assert.equal(repo.repositoryUri, infra.contract.ecr.repository_url)
    const policy = JSON.parse((await ecr.send(new GetLifecyclePolicyCommand({repositoryName: repo.repositoryName}))).lifecyclePolicyText!)
    assert.deepEqual(policy.rules[0].selection, {tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20})
  })

  it('has no IAM policy that allows * on *; the task role can open ECS Exec channels', async () => {
    const iam = new IAMClient(sdkConfig(moto))
    const roles = (await iam.send(new ListRolesCommand({}))).Roles!.filter((r) => r.RoleName!.startsWith('airflow-'))
    assert.equal(roles.length, 3, 'execution, task and firehose roles')
    const documents: {role: string; doc: any}[] = []
    for (const role of roles) {
      for (const name of (await iam.send(new ListRolePoliciesCommand({RoleName: role.RoleName}))).PolicyNames!) {
        const text = (await iam.send(new GetRolePolicyCommand({RoleName: role.RoleName, PolicyName: name}))).PolicyDocument!
        documents.push({role: role.RoleName!, doc: JSON.parse(decodeURIComponent(text))})
      }
      for (const attached of (await iam.send(new ListAttachedRolePoliciesCommand({RoleName: role.RoleName}))).AttachedPolicies!) {
        assert.equal(attached.PolicyArn, 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy')
        const version = await iam.send(new GetPolicyVersionCommand({PolicyArn: attached.PolicyArn, VersionId: 'v1'})).catch(() => undefined)
        if (version?.PolicyVersion?.Document) documents.push({role: role.RoleName!, doc: JSON.parse(decodeURIComponent(version.PolicyVersion.Document))})
      }
    }
    assert.ok(documents.length >= 4)
    const list = (v: unknown) => (Array.isArray(v) ? v : [v])
    for (const {doc} of documents) {
      for (const st of list(doc.Statement)) {
        if (st.Effect !== 'Allow') continue
        const actions = list(st.Action) as string[]
        assert.ok(!(actions.some((a) => a === '*' || a.endsWith(':*')) && list(st.Resource).includes('*')), `allows * on *: ${JSON.stringify(st)}`)
      }
    }
    const taskRole = roles.find((r) => r.RoleName!.startsWith('airflow-task-'))!
    const taskActions = documents.filter((d) => d.role === taskRole.RoleName).flatMap((d) => list(d.doc.Statement).flatMap((s: any) => list(s.Action)))
    for (const action of ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel', 'ecs:UpdateTaskProtection', 'cloudwatch:PutMetricData']) {
      assert.ok(taskActions.includes(action), `task role lacks ${action}`)
    }
  })

  it('plans no change on a second apply (deploy can run it again)', () => {
    const r = infra.terraform(['plan', '-detailed-exitcode', '-input=false', '-no-color'])
    assert.equal(r.status, 0, `a second plan wants changes (exit ${r.status}):\n${r.stdout.slice(-4000)}${r.stderr}`)
  })

  it('plans HTTPS, private subnets behind NAT, an open CIDR and the scale-to-zero schedules when asked', () => {
    const cert = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000'
    const vars = ['-var', `certificate_arn=${cert}`, '-var', 'task_subnets=private', '-var', 'allowed_cidrs=["203.0.113.7/32"]', '-var', 'scale_to_zero_enabled=true', '-var', 'schedule_timezone=Europe/Paris', '-var', 'force_destroy=true']
    const plan = infra.terraform(['plan', '-refresh=false', '-input=false', '-no-color', '-out=variants.tfplan', ...vars])
    assert.equal(plan.status, 0, plan.stderr)
    const show = infra.terraform(['show', '-json', 'variants.tfplan'])
    assert.equal(show.status, 0, show.stderr)
    const changes: any[] = JSON.parse(show.stdout).resource_changes
    const after = (address: string) => {
      const change = changes.find((c) => c.address === address)
      assert.ok(change, `plan has no ${address}`)
      return change.change.after
    }
    const https = after('aws_lb_listener.https[0]')
    assert.deepEqual([https.port, https.protocol, https.certificate_arn], [443, 'HTTPS', cert])
    const redirect = after('aws_lb_listener.http').default_action[0]
    assert.equal(redirect.type, 'redirect')
    assert.deepEqual([redirect.redirect[0].port, redirect.redirect[0].protocol, redirect.redirect[0].status_code], ['443', 'HTTPS', 'HTTP_301'])
    assert.ok(after('aws_nat_gateway.main[0]'))
    assert.equal(after('aws_route.private_nat[0]').destination_cidr_block, '0.0.0.0/0')
    assert.equal(after('module.worker.aws_ecs_service.this').network_configuration[0].assign_public_ip, false)
    const ingress = changes.filter((c) => c.type === 'aws_vpc_security_group_ingress_rule' && c.change.actions.includes('create') && c.change.after.cidr_ipv4)
    assert.deepEqual(ingress.map((c) => [c.change.after.cidr_ipv4, c.change.after.from_port]).sort(), [['203.0.113.7/32', 443], ['203.0.113.7/32', 80]])
    // Every service sleeps (compact: api-server and core), the workers too.
    for (const service of ['api-server', 'core']) {
      assert.equal(after(`aws_appautoscaling_scheduled_action.scale_down["${service}"]`).timezone, 'Europe/Paris')
      assert.deepEqual(after(`aws_appautoscaling_scheduled_action.scale_down["${service}"]`).scalable_target_action, [{min_capacity: '0', max_capacity: '0'}])
      assert.deepEqual(after(`aws_appautoscaling_scheduled_action.scale_up["${service}"]`).scalable_target_action, [{min_capacity: '1', max_capacity: '1'}])
    }
    assert.deepEqual(after('aws_appautoscaling_scheduled_action.workers_sleep[0]').scalable_target_action, [{min_capacity: '0', max_capacity: '0'}])
    assert.deepEqual(after('aws_appautoscaling_scheduled_action.workers_wake[0]').scalable_target_action, [{min_capacity: '0', max_capacity: '10'}])
    const contract = JSON.parse(show.stdout).output_changes.airflow_ecs.after
    assert.equal(contract.web.https, true)
    assert.ok(contract.web.url.startsWith('https://'))
    assert.deepEqual([contract.network.mode, contract.network.nat_gateway, contract.standalone.assign_public_ip], ['private', true, false])
    assert.equal(contract.schedules.enabled, true)
    assert.equal(after('aws_s3_bucket.airflow').force_destroy, true)
    assert.equal(after('aws_ecr_repository.airflow').force_delete, true)
    // Nothing stateful is replaced by these choices: the database and the bucket stay.
    for (const c of changes) {
      if (['aws_db_instance', 'aws_s3_bucket', 'aws_secretsmanager_secret'].includes(c.type)) assert.ok(!c.change.actions.includes('delete'), `${c.address} would be replaced`)
    }
  })

  it('puts domain_name in base_url and web.url when set, and refuses a URL for it', () => {
    const plan = infra.terraform(['plan', '-refresh=false', '-input=false', '-no-color', '-out=domain.tfplan', '-var', 'domain_name=airflow.example.com'])
    assert.equal(plan.status, 0, plan.stderr)
    const show = infra.terraform(['show', '-json', 'domain.tfplan'])
    assert.equal(show.status, 0, show.stderr)
    const planned = JSON.parse(show.stdout)
    const taskDefinitions = (planned.resource_changes as any[]).filter((c) => c.type === 'aws_ecs_task_definition')
    assert.equal(taskDefinitions.length, SERVICES.length + 1, 'every service and the standalone task')
    for (const c of taskDefinitions) {
      const airflow = (JSON.parse(c.change.after.container_definitions) as any[]).filter((d) => d.name !== 'log_router')
      assert.ok(airflow.length >= 1, c.address)
      for (const container of airflow) {
        const env = Object.fromEntries(container.environment.map((e: any) => [e.name, e.value]))
        assert.equal(env.AIRFLOW__API__BASE_URL, 'https://airflow.example.com', `${c.address} ${container.name}`)
      }
    }
    const web = planned.output_changes.airflow_ecs.after.web
    assert.equal(web.url, 'https://airflow.example.com', '`airflow-ecs url` prints the domain')
    assert.equal(web.alb_dns_name, infra.contract.web.alb_dns_name)
    // Nothing but the task definitions (and the services that follow them) changes.
    for (const c of planned.resource_changes as any[]) {
      if (c.change.actions.includes('no-op')) continue
      assert.ok(['aws_ecs_task_definition', 'aws_ecs_service'].includes(c.type), `${c.address} changes for domain_name`)
    }

    const bad = infra.terraform(['plan', '-refresh=false', '-input=false', '-no-color', '-var', 'domain_name=https://airflow.example.com/'])
    assert.notEqual(bad.status, 0, 'a URL is not a domain_name')
    assert.match(bad.stderr, /domain_name: a lower-case host name/)
  })

  it('lets a second deployment with another project_name share the account', () => {
    const {terraformDir} = copyInfra()
    const env = {...infra.env, ...terraformEnv(), HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost'}
    assert.equal(terraform(terraformDir, ['init', '-input=false', '-no-color'], env).status, 0)
    const plan = terraform(terraformDir, ['plan', '-input=false', '-no-color', '-out=second.tfplan', '-var', 'project_name=second'], env)
    assert.equal(plan.status, 0, plan.stderr)
    const planned: any[] = JSON.parse(terraform(terraformDir, ['show', '-json', 'second.tfplan'], env).stdout).resource_changes
    const state = JSON.parse(infra.terraform(['show', '-json']).stdout).values.root_module
    const existing = [...state.resources, ...(state.child_modules ?? []).flatMap((m: any) => m.resources)]
    // Names that must be unique in an account and region (inline policy names are per
    // role, Cloud Map service names per namespace: those may repeat).
    const scoped = new Set(['aws_iam_role_policy', 'aws_service_discovery_service'])
    const fields = ['name', 'family', 'alarm_name', 'identifier', 'bucket']
    const names = (type: string, values: any) => (scoped.has(type) ? [] : fields.map((f) => values?.[f]).filter((v) => typeof v === 'string' && v !== ''))
    const taken = new Set(existing.flatMap((r: any) => names(r.type, r.values)))
    assert.ok(taken.has('airflow') && taken.has('airflow-worker') && taken.has('/airflow-ecs/airflow/worker'))
    const wanted = planned.flatMap((c) => names(c.type, c.change.after))
    assert.ok(wanted.includes('second-worker'))
    assert.deepEqual(wanted.filter((n) => taken.has(n)), [], 'names the first deployment already uses')
  })

  it('cost prices the applied compact deployment exactly as the defaults: at most 35% of mw1.small, 25% with office hours', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-deployment-'))
    const none = {AIRFLOW_ECS_PROJECT_DIR: empty, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    const deployed = parseJson(await runCli(['cost', '--json'], {env: infra.env}))
    const defaults = parseJson(await runCli(['cost', '--json'], {env: none}))
    assert.deepEqual([deployed.topology, deployed.architecture, deployed.schedule], ['compact', 'ARM64', 'always'])
    assert.deepEqual(deployed.items, defaults.items, 'the deployment is priced line by line as the defaults')
    assert.deepEqual([deployed.total, deployed.ratio, deployed.mwaa.environmentClass], [defaults.total, defaults.ratio, 'mw1.small'])
    assert.ok(deployed.ratio <= 0.35, String(deployed.ratio))
    const office = parseJson(await runCli(['cost', '--json', '--schedule', 'office-hours'], {env: infra.env}))
    assert.ok(office.ratio <= 0.25, String(office.ratio))
  })

  it('switches to ha with the office-hours preset in place: separate services on ARM64, every one asleep at night, priced as the defaults', async () => {
    const apply = infra.terraform(['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'topology=ha', '-var', 'scale_to_zero_preset=office-hours', '-var', 'schedule_timezone=Europe/Berlin'])
    assert.equal(apply.status, 0, apply.stderr.slice(-4000))
    const contract = JSON.parse(infra.terraform(['output', '-json']).stdout).airflow_ecs.value
    assert.equal(contract.topology, 'ha')
    for (const name of COMPONENTS) {
      assert.equal(contract.components[name].service, `airflow-${name}`, name)
      assert.deepEqual(contract.components[name].shared_with, [], name)
    }
    assert.deepEqual([contract.components.scheduler.desired_count, contract.components['api-server'].desired_count], [2, 2], 'two schedulers, two api-servers')
    assert.deepEqual(contract.schedules, {enabled: true, preset: 'office-hours', scale_down_cron: 'cron(0 19 ? * MON-FRI *)', scale_up_cron: 'cron(0 7 ? * MON-FRI *)', timezone: 'Europe/Berlin'})
    const ecs = new ECSClient(sdkConfig(moto))
    const services = (await ecs.send(new DescribeServicesCommand({cluster: 'airflow', services: [...COMPONENTS, 'core'].map((c) => `airflow-${c}`)}))).services!
    assert.deepEqual(services.filter((x) => x.status === 'ACTIVE').map((x) => x.serviceName).sort(), COMPONENTS.map((c) => `airflow-${c}`).sort(), 'core is gone')
    for (const service of services.filter((x) => x.status === 'ACTIVE')) {
      const td = (await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: service.taskDefinition}))).taskDefinition!
      assert.equal(td.runtimePlatform?.cpuArchitecture, 'ARM64', service.serviceName)
      assert.equal(td.containerDefinitions!.length, 1, service.serviceName)
    }
    const aas = new ApplicationAutoScalingClient(sdkConfig(moto))
    const actions = (await aas.send(new DescribeScheduledActionsCommand({ServiceNamespace: 'ecs'}))).ScheduledActions!
    const sleeping = new Set(actions.filter((a) => a.Schedule === 'cron(0 19 ? * MON-FRI *)').map((a) => a.ResourceId))
    assert.deepEqual([...sleeping].sort(), COMPONENTS.map((c) => `service/airflow/airflow-${c}`).sort(), 'every service sleeps, the workers too')
    assert.ok(actions.every((a) => a.Timezone === 'Europe/Berlin'))

    const deployed = parseJson(await runCli(['cost', '--json'], {env: infra.env}))
    const none = {AIRFLOW_ECS_PROJECT_DIR: mkdtempSync(join(tmpdir(), 'no-deployment-')), AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9'}
    const defaults = parseJson(await runCli(['cost', '--json', '--topology', 'ha', '--schedule', 'office-hours'], {env: none}))
    assert.deepEqual([deployed.topology, deployed.schedule], ['ha', 'office-hours'])
    assert.deepEqual(deployed.items, defaults.items)
    assert.deepEqual([deployed.total, deployed.ratio], [defaults.total, defaults.ratio])
  })

  it('destroys cleanly: no cluster, load balancer, database or VPC left', async () => {
    infra.destroy()
    const ecs = new ECSClient(sdkConfig(moto))
    const clusters = (await ecs.send(new DescribeClustersCommand({clusters: ['airflow']}))).clusters!.filter((c) => c.status === 'ACTIVE')
    assert.deepEqual(clusters, [])
    const lbs = (await new ElasticLoadBalancingV2Client(sdkConfig(moto)).send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []
    assert.deepEqual(lbs, [])
    const dbs = (await new RDSClient(sdkConfig(moto)).send(new DescribeDBInstancesCommand({}))).DBInstances ?? []
    assert.deepEqual(dbs, [])
    const subnets = (await new EC2Client(sdkConfig(moto)).send(new DescribeSubnetsCommand({Filters: [{Name: 'vpc-id', Values: [infra.contract.network.vpc_id]}]}))).Subnets ?? []
    assert.deepEqual(subnets, [])
  })
})
