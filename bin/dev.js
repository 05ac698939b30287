#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx (a devDependency): no build needed,
// and the built manifest is ignored so edits to src/commands show up at once.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url, loadOptions: {root: new URL('..', import.meta.url).pathname, ignoreManifest: true}})
