// A new user's first deploy, as they would run it: a project folder with infra-terraform/,
// `init --yes` (which names the project after the folder), then `deploy --yes --image` from
// nothing, against moto. Every resource must be made for that project name the first time:
// nothing created early (the ECR repository) may be replaced by the full plan. Then a new
// image whose deploy is killed during db migrate: the services still run the old task
// definitions, and deploy run again finishes the job.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, renameSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {DescribeRepositoriesCommand, ECRClient} from '@aws-sdk/client-ecr'
import {DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient} from '@aws-sdk/client-ecs'

import {type CliResult, parseJson, runCli} from '../harness/cli.ts'
import {sdkConfig} from '../harness/fixture.ts'
import {type Moto, startMoto} from '../harness/moto.ts'
import {terraformEnv} from '../harness/terraform.ts'
import {copyInfra} from '../infra/apply.ts'

const PROJECT = 'ux-clone'
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:prebuilt-1`
const NEXT_IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PROJECT}-airflow:prebuilt-2`
// The default (compact) topology: api-server, core (scheduler, dag-processor, triggerer, metrics), worker.
const SERVICES = ['api-server', 'core', 'worker'].map((c) => `${PROJECT}-${c}`)

let moto: Moto
let env: Record<string, string>
let projectDir: string

/** The CLI run from the project folder, as a user types it there (no AIRFLOW_ECS_PROJECT_DIR). */
function cli(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  return runCli(args, {env, cwd: projectDir, timeoutMs})
}

/** The image each service runs now (its task definition's container). */
async function serviceImages(): Promise<string[]> {
  const ecs = new ECSClient(sdkConfig(moto))
  const services = (await ecs.send(new DescribeServicesCommand({cluster: PROJECT, services: SERVICES}))).services ?? []
  assert.equal(services.length, SERVICES.length)
  const images: string[] = []
  for (const s of services) {
    const {taskDefinition} = await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: s.taskDefinition}))
    images.push(taskDefinition!.containerDefinitions![0].image!)
  }
  return images
}

describe('a new project, first deploy', {timeout: 900_000}, () => {
  before(async () => {
    moto = await startMoto()
    env = {...moto.env, ...terraformEnv()}
    // infra-terraform/ in a folder named like the project, as after a clone.
    projectDir = join(mkdtempSync(join(tmpdir(), 'airflow-ecs-user-')), PROJECT)
    renameSync(copyInfra().projectDir, projectDir)
  })
  after(async () => {
    await moto?.stop()
  })

  it('init names the project after its folder', async () => {
    const r = await cli(['init', '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(readFileSync(join(projectDir, 'airflow-ecs.json'), 'utf8')).name, PROJECT)
  })

  it('deploy creates every resource for that name once: the plan destroys nothing', async () => {
    const r = await cli(['deploy', '--yes', '--image', IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    const out = parseJson(r)
    assert.equal(out.project, PROJECT)
    assert.ok(out.plan.add > 50, `planned ${out.plan.add} resources`)
    assert.equal(out.plan.destroy, 0, `the first deploy's plan destroys ${out.plan.destroy} resources`)
    const repositories = (await new ECRClient(sdkConfig(moto)).send(new DescribeRepositoriesCommand({}))).repositories ?? []
    assert.deepEqual(
      repositories.map((x) => x.repositoryName),
      [`${PROJECT}-airflow`],
    )
    const tfvars = JSON.parse(readFileSync(join(projectDir, 'infra-terraform', 'airflow-ecs.auto.tfvars.json'), 'utf8'))
    assert.equal(tfvars.project_name, PROJECT)
    assert.equal(tfvars.image, IMAGE)
  })

  it('a deploy killed during db migrate left the services alone, and running it again finishes', async () => {
    let progress = ''
    const killed = await runCli(['deploy', '--yes', '--image', NEXT_IMAGE], {
      env,
      cwd: projectDir,
      timeoutMs: 600_000,
      onStderr(chunk, child) {
        progress += chunk
        if (/start db migrate/.test(progress)) child.kill('SIGKILL')
      },
    })
    assert.equal(killed.code, null, `deploy ran to its end:\n${killed.stderr.slice(-3000)}`)
    assert.deepEqual(await serviceImages(), SERVICES.map(() => IMAGE), 'no service moved before db migrate')
    assert.ok(/done {2}terraform apply \(infrastructure\)/.test(progress), 'the task definitions were applied first')
    assert.ok(!/aws_ecs_service\.this: Modifying/.test(progress), 'no service was updated')

    // The killed run's lock on the state: its process is gone on this machine, so the next run takes it over.
    const r = await cli(['deploy', '--yes', '--image', NEXT_IMAGE, '--json'], 600_000)
    assert.equal(r.code, 0, r.stderr.slice(-3000))
    assert.match(r.stderr, /Released the lock [0-9a-f-]+ that an earlier deploy on this machine left \(its process \d+ is gone/)
    const out = parseJson(r)
    assert.equal(out.firstDeploy, false)
    assert.deepEqual(
      Object.fromEntries(out.steps.map((x: any) => [x.step, x.status])),
      {
        preflight: 'done',
        state: 'done',
        'terraform init': 'done',
        'ECR repository': 'skipped',
        'build and push': 'skipped',
        'terraform plan': 'done',
        'terraform apply (infrastructure)': 'skipped',
        'terraform plan (services)': 'skipped',
        release: 'done',
        'db snapshot': 'skipped',
        'db migrate': 'done',
        'admin user': 'skipped',
        'DAG bundle': 'done',
        'terraform apply (services)': 'done',
        'services stable': 'done',
      },
    )
    assert.equal(out.plan.destroy, 0)
    assert.deepEqual(await serviceImages(), SERVICES.map(() => NEXT_IMAGE))
  })
})
