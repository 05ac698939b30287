// `deploy` and the DAG bundle: publish dags/ as one of its steps, and, when only DAG files
// changed since the deployed image was built, keep that image (no build, no service rollout).
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

/** The commit an image tag of ours names (`<12 hex>`, never `-dirty`: its content is unknown). */
export function tagCommit(image: string | undefined): string | undefined {
  const tag = image?.split(':').at(-1)
  return tag && /^[0-9a-f]{7,40}$/.test(tag) ? tag : undefined
}

/**
 * True when every difference between the deployed image's commit and the working tree
 * (committed, staged, unstaged or untracked) is under dags/: the bundle ships those.
 */
export function onlyDagsChangedSince(projectRoot: string, deployedImage: string | undefined): boolean {
  const commit = tagCommit(deployedImage)
  if (!commit || !existsSync(join(projectRoot, 'dags'))) return false
  const git = (args: string[]) => spawnSync('git', args, {cwd: projectRoot, encoding: 'utf8'})
  const changed = git(['diff', '--name-only', '--relative', commit])
  const untracked = git(['ls-files', '--others', '--exclude-standard'])
  if (changed.status !== 0 || untracked.status !== 0) return false
  const files = `${changed.stdout}\n${untracked.stdout}`.split('\n').filter(Boolean)
  return files.every((f) => f.startsWith('dags/'))
}
