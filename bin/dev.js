#!/usr/bin/env -S node --no-warnings
// Runs the TypeScript sources directly (Node >= 22.18 strips types); no build needed.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
