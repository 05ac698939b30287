// Applies the project's own infra-terraform/ to moto (a temp copy, local state) and
// reads its outputs: what the infra test and the end-to-end tests stand on.
import {spawnSync} from 'node:child_process'
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {repoRoot} from '../harness/cli.ts'
import {terraformEnv} from '../harness/terraform.ts'

export interface AppliedInfra {
  /** The applied Terraform directory (a temp copy of infra-terraform/, local state). */
  dir: string
  /** A project folder (its infra-terraform/ holds the state), for AIRFLOW_ECS_PROJECT_DIR. */
  projectDir: string
  terraformDir: string
  /** `terraform output -json`, parsed: outputs.airflow_ecs.value is the CLI contract. */
  outputs: Record<string, {value: any; type: unknown; sensitive: boolean}>
  /** The raw `terraform output -json`. */
  outputsJson: string
  /** Shorthand for outputs.airflow_ecs.value. */
  contract: Record<string, any>
  /** moto's environment plus AIRFLOW_ECS_PROJECT_DIR and the Terraform CLI config. */
  env: Record<string, string>
  terraform(args: string[]): {status: number | null; stdout: string; stderr: string}
  destroy(): void
}

export function copyInfra(): {projectDir: string; terraformDir: string} {
  const projectDir = mkdtempSync(join(tmpdir(), 'airflow-ecs-infra-'))
  const terraformDir = join(projectDir, 'infra-terraform')
  cpSync(join(repoRoot, 'infra-terraform'), terraformDir, {
    recursive: true,
    filter: (src) => !/[/\\](\.terraform|terraform\.tfstate[^/]*|\.terraform\.lock\.hcl)$/.test(src),
  })
  return {projectDir, terraformDir}
}

/**
 * Copies infra-terraform/ to a temp dir, inits it from the provider mirror, applies it to
 * the moto behind motoEnv (startMoto().env) with no -var unless options.vars says, and
 * reads `terraform output -json`. Throws with terraform's stderr when a step fails.
 * destroy() runs `terraform destroy` (throws on failure) and removes the temp dir.
 */
export function applyInfra(motoEnv: Record<string, string>, options: {vars?: Record<string, string>} = {}): AppliedInfra {
  const {projectDir, terraformDir} = copyInfra()
  // A dead proxy for everything but loopback: were any request to leave for real AWS
  // (an endpoint the provider did not take from AWS_ENDPOINT_URL), it fails loudly.
  const noRealAws = {HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost'}
  const env = {...process.env, ...noRealAws, ...motoEnv, ...terraformEnv()} as Record<string, string>
  const terraform = (args: string[]) => {
    const r = spawnSync('terraform', [`-chdir=${terraformDir}`, ...args], {env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})
    if (r.error) throw new Error(`test needs terraform on PATH: ${r.error.message}`)
    return {status: r.status, stdout: r.stdout, stderr: r.stderr}
  }
  const must = (args: string[]) => {
    const r = terraform(args)
    if (r.status !== 0) throw new Error(`terraform ${args[0]} failed (${r.status}):\n${r.stderr || r.stdout}`.slice(0, 8000))
    return r
  }
  must(['init', '-input=false', '-no-color'])
  const vars = Object.entries(options.vars ?? {}).flatMap(([k, v]) => ['-var', `${k}=${v}`])
  must(['apply', '-auto-approve', '-input=false', '-no-color', ...vars])
  const outputsJson = must(['output', '-json']).stdout
  const outputs = JSON.parse(outputsJson)
  return {
    dir: terraformDir,
    projectDir,
    terraformDir,
    outputs,
    outputsJson,
    contract: outputs.airflow_ecs.value,
    env: {...motoEnv, AIRFLOW_ECS_PROJECT_DIR: projectDir, TF_CLI_CONFIG_FILE: env.TF_CLI_CONFIG_FILE, CHECKPOINT_DISABLE: '1'},
    terraform,
    destroy() {
      must(['destroy', '-auto-approve', '-input=false', '-no-color', ...vars])
      rmSync(projectDir, {recursive: true, force: true})
    },
  }
}
