#!/usr/bin/env node
// Start-up matters: cache compiled modules between runs, and answer --version without
// loading the framework at all.
import module from 'node:module'

module.enableCompileCache?.()

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version')) {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // `airflow-ecs logs worker | head`: the reader went away. Stop quietly, as a shell tool does,
  // instead of an unsettled-await warning (and no more pages are fetched for nobody).
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
