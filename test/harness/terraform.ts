// Terraform against moto: the registry is unreachable, so the AWS provider comes from
// the machine's local filesystem mirror through a CLI config this harness writes.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const MIRROR_CANDIDATES = [process.env.TF_PROVIDER_MIRROR, '/opt/tf-plugins', '/usr/share/terraform/plugins'].filter(
  (p): p is string => Boolean(p),
)

export function findProviderMirror(): string {
  for (const dir of MIRROR_CANDIDATES) {
    if (existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws'))) return dir
  }
  throw new Error(
    `test needs a local filesystem mirror of hashicorp/aws (looked in ${MIRROR_CANDIDATES.join(', ')}); ` +
      'set TF_PROVIDER_MIRROR to the directory that holds registry.terraform.io/hashicorp/aws',
  )
}

export function requireTerraform(): void {
  const result = spawnSync('terraform', ['version'], {stdio: 'ignore'})
  if (result.error || result.status !== 0) throw new Error('test needs `terraform` (>= 1.10) on PATH')
}

/** Environment that makes terraform use only the local mirror (no registry, no checkpoint). */
export function terraformEnv(): Record<string, string> {
  requireTerraform()
  const mirror = findProviderMirror()
  const dir = mkdtempSync(join(tmpdir(), 'airflow-ecs-tfrc-'))
  const file = join(dir, 'terraformrc')
  writeFileSync(
    file,
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n`,
  )
  return {TF_CLI_CONFIG_FILE: file, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1'}
}

export function mirroredAwsVersions(): string[] {
  return readdirSync(join(findProviderMirror(), 'registry.terraform.io', 'hashicorp', 'aws'))
}
