// `init`'s project files: what a team's Airflow project needs next to airflow-ecs.json, each
// written only when missing. Nothing existing is overwritten; .gitignore gets our block
// appended once. No Terraform and no Containerfile: those come from the package
// (`eject infra`, a root Containerfile to override the image).
import {appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {ensureWritableDir, packaged} from './package.js'

const REQUIREMENTS = `# Extra Python packages for your Airflow image, one per line (e.g. apache-airflow-providers-slack).
# They are installed with Airflow's constraints (the package's build/constraints.txt): a version
# that conflicts with them stops \`airflow-ecs build\` before docker runs. Leave a package
# unpinned to get the constrained version.
`

const AIRFLOWIGNORE = `# Files in dags/ the DAG processor does not parse (regular expressions, one per line).
__pycache__
.*\\.pyc
`

export const GITIGNORE_MARKER = '# airflow-ecs: written locally by the CLI'
const GITIGNORE_BLOCK = `${GITIGNORE_MARKER} (Terraform state and plans of the packaged module, build context, caches).
# Terraform's state is in .airflow-ecs/terraform/: keep it safe, or configure a remote backend after \`airflow-ecs eject infra\`.
.airflow-ecs/
__pycache__/
`

export interface ScaffoldResult {
  created: string[]
  kept: string[]
}

/** Writes what is missing of the project's files; says which it created and which it kept. */
export function scaffold(root: string): ScaffoldResult {
  ensureWritableDir(root, 'the project files')
  const created: string[] = []
  const kept: string[] = []
  const dags = join(root, 'dags')
  if (existsSync(dags)) kept.push('dags/')
  else {
    mkdirSync(dags)
    cpSync(packaged('templates', 'project', 'dags', 'example_dag.py'), join(dags, 'example_dag.py'))
    created.push('dags/example_dag.py')
  }
  const plugins = join(root, 'plugins')
  if (existsSync(plugins)) kept.push('plugins/')
  else {
    mkdirSync(plugins)
    writeFileSync(join(plugins, '.gitkeep'), '')
    created.push('plugins/')
  }
  for (const [name, text] of [
    ['requirements.txt', REQUIREMENTS],
    ['.airflowignore', AIRFLOWIGNORE],
  ] as const) {
    if (existsSync(join(root, name))) kept.push(name)
    else {
      writeFileSync(join(root, name), text)
      created.push(name)
    }
  }
  const gitignore = join(root, '.gitignore')
  if (!existsSync(gitignore)) {
    writeFileSync(gitignore, GITIGNORE_BLOCK)
    created.push('.gitignore')
  } else if (readFileSync(gitignore, 'utf8').includes(GITIGNORE_MARKER)) {
    kept.push('.gitignore')
  } else {
    const text = readFileSync(gitignore, 'utf8')
    appendFileSync(gitignore, `${text.endsWith('\n') || text === '' ? '' : '\n'}\n${GITIGNORE_BLOCK}`)
    created.push('.gitignore (airflow-ecs block appended)')
  }
  return {created, kept}
}
