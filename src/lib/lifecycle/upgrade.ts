// `upgrade --to X.Y.Z`: a new Airflow version, safely. It sets "airflowVersion" in
// airflow-ecs.json and deploys: a version change makes deploy snapshot the database (named
// after the release) before `airflow db migrate` runs, and the services roll only after it.
// --dry-run changes nothing: it runs `airflow db migrate --show-sql-only` on the new image in a
// one-off task (a temporary task definition, deregistered after) and prints the SQL.
import {type AwsContext, contextFor} from '../aws/context.js'
import {type Settings, loadDeployment, resolveSettings} from '../config/resolver.js'
import {CliError, invalid} from '../errors.js'
import {writeProjectSetting} from '../project/settings.js'
import {databaseVersion, recentReleases} from '../releases/store.js'
import {airflowVersion, checkAirflowVersion, checkUpgradeTarget} from '../releases/version.js'
import {type DeployOptions, type DeployResult, deploy} from './deploy.js'

export interface UpgradeOptions extends DeployOptions {
  to: string
  dryRun: boolean
  onLine: (line: string) => void
}

export type UpgradeResult = ({dryRun: false} & DeployResult & {from: string; to: string}) | {dryRun: true; from: string; to: string; image: string; sql: string[]; taskId: string}

/** The version running now: the database's (release history), else the setting. */
async function deployedVersion(settings: Settings): Promise<{ctx?: AwsContext; version: string}> {
  let ctx: AwsContext | undefined
  try {
    ctx = contextFor(settings, await loadDeployment(settings))
  } catch (error) {
    if ((error as {code?: string}).code !== 'NO_DEPLOYMENT') throw error
  }
  const history = ctx?.deployment.bucket ? await recentReleases(ctx) : []
  return {ctx, version: databaseVersion(history) ?? airflowVersion(settings)}
}

async function dryRun(ctx: AwsContext, image: string, options: UpgradeOptions): Promise<{sql: string[]; taskId: string}> {
  const {DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand} = await import('@aws-sdk/client-ecs')
  const ecs = new ECSClient(ctx.clientConfig)
  const s = ctx.deployment.standalone
  const {taskDefinition: td} = await ecs.send(new DescribeTaskDefinitionCommand({taskDefinition: s.taskDefinitionFamily}))
  if (!td) throw new CliError(`The task definition ${s.taskDefinitionFamily} was not found.`, {code: 'NO_DEPLOYMENT', hint: 'Run `airflow-ecs deploy` first.'})
  const family = `${s.taskDefinitionFamily}-upgrade-dry-run`
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: (td.containerDefinitions ?? []).map((c) => (c.name === s.container ? {...c, image} : c)),
      cpu: td.cpu,
      memory: td.memory,
      networkMode: td.networkMode,
      requiresCompatibilities: td.requiresCompatibilities,
      executionRoleArn: td.executionRoleArn,
      taskRoleArn: td.taskRoleArn,
      runtimePlatform: td.runtimePlatform,
      volumes: td.volumes,
    }),
  )
  const arn = registered.taskDefinition?.taskDefinitionArn
  try {
    const [{startTask}, {attach}] = await Promise.all([import('../ecs/standalone.js'), import('../ecs/task-runner.js')])
    const dry: AwsContext = {...ctx, deployment: {...ctx.deployment, standalone: {...s, taskDefinitionFamily: arn ?? family}}}
    const started = await startTask(dry, {command: ['db', 'migrate', '--show-sql-only'], size: {}, environment: []})
    options.onLine(`task ${started.taskId}: airflow db migrate --show-sql-only on ${image}`)
    const sql: string[] = []
    const {exitCode} = await attach(dry, options.bin, started, {
      line: (l) => {
        sql.push(l)
        options.onLine(l)
      },
      note: options.onLine,
    })
    if (exitCode !== 0) {
      throw new CliError(`\`airflow db migrate --show-sql-only\` exited with code ${exitCode}; nothing was changed.`, {
        code: 'PROCESS_FAILED',
        hint: `Read its log with \`${options.bin} logs standalone --task ${started.taskId}\`; check that ${image} is an Airflow ${options.to} image.`,
      })
    }
    return {sql, taskId: started.taskId}
  } finally {
    if (arn) await ecs.send(new DeregisterTaskDefinitionCommand({taskDefinition: arn})).catch(() => undefined)
  }
}

export async function upgrade(settings: Settings, options: UpgradeOptions): Promise<UpgradeResult> {
  checkAirflowVersion(options.to, '--to')
  const {ctx, version: from} = await deployedVersion(settings)
  checkUpgradeTarget(options.to, from, ctx !== undefined)
  if (options.dryRun) {
    if (!ctx) throw new CliError('Nothing is deployed: there is no database to show migrations for.', {code: 'NO_DEPLOYMENT', hint: 'Deploy first with `airflow-ecs deploy`.'})
    if (!options.image) throw invalid('upgrade --dry-run needs the new image: it runs the new version\'s migrations in SQL-only mode.', `Build it (set "airflowVersion": "${options.to}", \`airflow-ecs build\`) and pass --image REF.`)
    const {sql, taskId} = await dryRun(ctx, options.image, options)
    return {dryRun: true, from, to: options.to, image: options.image, sql, taskId}
  }
  writeProjectSetting(settings, 'airflowVersion', options.to)
  const updated = {...resolveSettings({profile: settings.profile, region: settings.region, env: settings.env ?? null}, settings.projectRoot), lockTimeoutMs: settings.lockTimeoutMs, state: settings.state}
  const result = await deploy(updated, {...options, kind: 'upgrade'})
  return {dryRun: false, ...result, from, to: options.to}
}
