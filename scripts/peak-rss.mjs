// Preloaded into a measured process (NODE_OPTIONS=--import=<this file>): on exit, writes the
// process's peak resident set size in KiB to PEAK_RSS_FILE. Used by scripts/bench.mjs.
import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  if (process.env.PEAK_RSS_FILE) writeFileSync(process.env.PEAK_RSS_FILE, String(process.resourceUsage().maxRSS))
})
