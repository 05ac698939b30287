// A deployment in moto made with the SDK, shaped like infra-terraform's (same names,
// same output contract), plus a Terraform project whose only content is that output,
// applied for real so the CLI reads it through `terraform output -json`.
import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ApplicationAutoScalingClient, RegisterScalableTargetCommand} from '@aws-sdk/client-application-auto-scaling'
import {CloudWatchLogsClient, CreateLogGroupCommand} from '@aws-sdk/client-cloudwatch-logs'
import {CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client} from '@aws-sdk/client-ec2'
import {CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand} from '@aws-sdk/client-ecs'
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'

import {type Moto} from './moto.ts'

export const COMPONENTS = ['api-server', 'scheduler', 'dag-processor', 'triggerer', 'worker', 'metrics']

/**
 * The service each component runs in, as infra-terraform/components.tf lays it out:
 * compact puts the light components in one task (the core service), ha gives each its own.
 */
export const LAYOUTS = {
  compact: {'api-server': 'api-server', scheduler: 'core', 'dag-processor': 'core', triggerer: 'core', metrics: 'core', worker: 'worker'},
  ha: {'api-server': 'api-server', scheduler: 'scheduler', 'dag-processor': 'dag-processor', triggerer: 'triggerer', metrics: 'metrics', worker: 'worker'},
} as const
export type FixtureTopology = keyof typeof LAYOUTS

export interface Fixture {
  projectDir: string
  contract: Record<string, any>
  env: Record<string, string>
}

export function sdkConfig(moto: Moto) {
  return {endpoint: moto.endpoint, region: 'us-east-1', credentials: {accessKeyId: 'testing', secretAccessKey: 'testing'}}
}

/** Writes a Terraform project whose `airflow_ecs` output is `contract`, and applies it. */
export function writeOutputsProject(contract: unknown, projectDir = mkdtempSync(join(tmpdir(), 'airflow-ecs-project-'))): string {
  const tf = join(projectDir, 'infra-terraform')
  mkdirSync(tf, {recursive: true})
  writeFileSync(join(tf, 'contract.json'), JSON.stringify(contract, null, 2))
  writeFileSync(join(tf, 'main.tf'), 'output "airflow_ecs" {\n  value = jsondecode(file("${path.module}/contract.json"))\n}\n')
  const result = spawnSync('terraform', [`-chdir=${tf}`, 'apply', '-auto-approve', '-input=false', '-no-color'], {encoding: 'utf8'})
  if (result.error || result.status !== 0) throw new Error(`test needs terraform on PATH; apply failed: ${result.error?.message ?? result.stderr}`)
  return projectDir
}

/** The deployment in moto, in the shape of a topology (default: ha, one service per component, x86 as before topologies). */
export async function createFixture(moto: Moto, project = 'airflow', topology: FixtureTopology = 'ha'): Promise<Fixture> {
  const config = sdkConfig(moto)
  const ec2 = new EC2Client(config)
  const ecs = new ECSClient(config)
  const logs = new CloudWatchLogsClient(config)
  const elb = new ElasticLoadBalancingV2Client(config)
  const aas = new ApplicationAutoScalingClient(config)

  const vpc = (await ec2.send(new CreateVpcCommand({CidrBlock: '10.0.0.0/16'}))).Vpc!.VpcId!
  const subnets = [
    (await ec2.send(new CreateSubnetCommand({VpcId: vpc, CidrBlock: '10.0.1.0/24', AvailabilityZone: 'us-east-1a'}))).Subnet!.SubnetId!,
    (await ec2.send(new CreateSubnetCommand({VpcId: vpc, CidrBlock: '10.0.2.0/24', AvailabilityZone: 'us-east-1b'}))).Subnet!.SubnetId!,
  ]
  const sg = (await ec2.send(new CreateSecurityGroupCommand({GroupName: `${project}-tasks`, Description: 'tasks', VpcId: vpc}))).GroupId!
  const cluster = (await ecs.send(new CreateClusterCommand({clusterName: project}))).cluster!

  const layout = LAYOUTS[topology]
  const services = [...new Set(Object.values(layout))]
  const logGroup = (name: string) => `/airflow-ecs/${project}/${name}`
  for (const name of [...COMPONENTS, 'standalone']) await logs.send(new CreateLogGroupCommand({logGroupName: logGroup(name)}))
  const awslogs = (name: string) => ({logDriver: 'awslogs' as const, options: {'awslogs-group': logGroup(name), 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs'}})
  const image = 'apache/airflow:slim-3.3.2-python3.11'
  const runtimePlatform = {cpuArchitecture: topology === 'compact' ? ('ARM64' as const) : ('X86_64' as const), operatingSystemFamily: 'LINUX' as const}
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${project}-standalone`,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      runtimePlatform,
      containerDefinitions: [{name: 'airflow', image, command: ['version'], logConfiguration: awslogs('standalone')}],
    }),
  )
  const size = (service: string) => (topology === 'compact' && service === 'core' ? {cpu: 1024, memory: 2048} : {cpu: 512, memory: 1024})
  for (const service of services) {
    const members = COMPONENTS.filter((c) => layout[c as keyof typeof layout] === service)
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${project}-${service}`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: String(size(service).cpu),
        memory: String(size(service).memory),
        runtimePlatform,
        containerDefinitions: members.map((name) => ({name, image, command: [name], logConfiguration: awslogs(name)})),
      }),
    )
    await ecs.send(
      new CreateServiceCommand({
        cluster: project,
        serviceName: `${project}-${service}`,
        taskDefinition: `${project}-${service}`,
        desiredCount: service === 'worker' ? 2 : 1,
        launchType: 'FARGATE',
        enableExecuteCommand: true,
        networkConfiguration: {awsvpcConfiguration: {subnets, securityGroups: [sg], assignPublicIp: 'ENABLED'}},
      }),
    )
  }
  const components: Record<string, any> = {}
  for (const name of COMPONENTS) {
    const service = layout[name as keyof typeof layout]
    components[name] = {
      service: `${project}-${service}`,
      container: name,
      shared_with: COMPONENTS.filter((c) => c !== name && layout[c as keyof typeof layout] === service).sort(),
      log_group: logGroup(name),
      log_stream_prefix: 'ecs',
      ...size(service),
      desired_count: name === 'worker' ? 2 : 1,
      min_count: 0,
      max_count: name === 'worker' ? 4 : 1,
      capacity_provider_strategy: [{capacity_provider: 'FARGATE', weight: 1, base: 0}],
    }
  }
  await aas.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: `service/${project}/${project}-worker`,
      MinCapacity: 1,
      MaxCapacity: 4,
    }),
  )
  const alb = (await elb.send(new CreateLoadBalancerCommand({Name: `${project}-web`, Subnets: subnets, SecurityGroups: [sg]}))).LoadBalancers![0]
  const tg = (await elb.send(new CreateTargetGroupCommand({Name: `${project}-api`, Protocol: 'HTTP', Port: 8080, VpcId: vpc, TargetType: 'ip'}))).TargetGroups![0]
  await elb.send(
    new CreateListenerCommand({LoadBalancerArn: alb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{Type: 'forward', TargetGroupArn: tg.TargetGroupArn}]}),
  )
  const contract = {
    schema_version: 1,
    project,
    region: 'us-east-1',
    account_id: '123456789012',
    cluster: {name: project, arn: cluster.clusterArn},
    topology,
    cpu_architecture: runtimePlatform.cpuArchitecture,
    components,
    standalone: {
      task_definition_family: `${project}-standalone`,
      container: 'airflow',
      log_group: `/airflow-ecs/${project}/standalone`,
      log_stream_prefix: 'ecs',
      subnets,
      security_groups: [sg],
      assign_public_ip: true,
      capacity_provider: 'FARGATE',
      cpu: 512,
      memory: 1024,
    },
    web: {url: `http://${alb.DNSName}`, alb_dns_name: alb.DNSName, alb_arn: alb.LoadBalancerArn, https: false},
    ecr: {repository_url: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${project}`, repository_name: project},
    bucket: `${project}-bucket`,
    database: {identifier: `${project}-db`, instance_class: 'db.t4g.micro', allocated_storage: 20, engine_version: '17', multi_az: false},
    secrets: {},
    worker_autoscaling: {min: 1, max: 4, tasks_per_worker: 16, metric_namespace: 'AirflowEcs', metric_name: 'DesiredWorkers', policy_name: `${project}-workers`},
    schedules: {enabled: false, preset: null, scale_down_cron: '', scale_up_cron: '', timezone: 'UTC'},
    network: {mode: 'public', vpc_id: vpc, nat_gateway: false},
  }
  const projectDir = writeOutputsProject(contract)
  return {projectDir, contract, env: {...moto.env, AIRFLOW_ECS_PROJECT_DIR: projectDir}}
}

/** moto, the SDK-made deployment and its (empty, immutable) ECR repository: what build tests stand on. */
export async function startWithEcr(topology: FixtureTopology = 'ha'): Promise<{moto: Moto; fx: Fixture}> {
  const {startMoto} = await import('./moto.ts')
  const {CreateRepositoryCommand, ECRClient} = await import('@aws-sdk/client-ecr')
  const moto = await startMoto()
  const fx = await createFixture(moto, 'airflow', topology)
  await new ECRClient(sdkConfig(moto)).send(new CreateRepositoryCommand({repositoryName: 'airflow', imageTagMutability: 'IMMUTABLE'}))
  return {moto, fx}
}
