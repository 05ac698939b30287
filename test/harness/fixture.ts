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

export async function createFixture(moto: Moto, project = 'airflow'): Promise<Fixture> {
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

  const components: Record<string, any> = {}
  for (const name of [...COMPONENTS, 'standalone']) {
    const logGroup = `/airflow-ecs/${project}/${name}`
    await logs.send(new CreateLogGroupCommand({logGroupName: logGroup}))
    const container = name === 'standalone' ? 'airflow' : name
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${project}-${name}`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        containerDefinitions: [
          {
            name: container,
            image: 'apache/airflow:slim-3.3.2-python3.11',
            command: name === 'standalone' ? ['version'] : [name],
            logConfiguration: {logDriver: 'awslogs', options: {'awslogs-group': logGroup, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'ecs'}},
          },
        ],
      }),
    )
    if (name === 'standalone') continue
    await ecs.send(
      new CreateServiceCommand({
        cluster: project,
        serviceName: `${project}-${name}`,
        taskDefinition: `${project}-${name}`,
        desiredCount: name === 'worker' ? 2 : 1,
        launchType: 'FARGATE',
        enableExecuteCommand: true,
        networkConfiguration: {awsvpcConfiguration: {subnets, securityGroups: [sg], assignPublicIp: 'ENABLED'}},
      }),
    )
    components[name] = {
      service: `${project}-${name}`,
      container,
      log_group: logGroup,
      log_stream_prefix: 'ecs',
      cpu: 512,
      memory: 1024,
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
    schedules: {enabled: false, scale_down_cron: '', scale_up_cron: '', timezone: 'UTC'},
    network: {mode: 'public', vpc_id: vpc, nat_gateway: false},
  }
  const projectDir = writeOutputsProject(contract)
  return {projectDir, contract, env: {...moto.env, AIRFLOW_ECS_PROJECT_DIR: projectDir}}
}

/** moto, the SDK-made deployment and its (empty, immutable) ECR repository: what build tests stand on. */
export async function startWithEcr(): Promise<{moto: Moto; fx: Fixture}> {
  const {startMoto} = await import('./moto.ts')
  const {CreateRepositoryCommand, ECRClient} = await import('@aws-sdk/client-ecr')
  const moto = await startMoto()
  const fx = await createFixture(moto)
  await new ECRClient(sdkConfig(moto)).send(new CreateRepositoryCommand({repositoryName: 'airflow', imageTagMutability: 'IMMUTABLE'}))
  return {moto, fx}
}
