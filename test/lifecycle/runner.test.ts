// The one process runner (src/lib/process/runner.ts): output streamed line by line, a
// Ctrl-C forwarded exactly once (terraform quits hard, leaving its state lock, on a second
// SIGINT), failures and missing programs turned into one line by the error mapper.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {repoRoot, requireBuild} from '../harness/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'runner-'))
// A child that counts the SIGINTs it gets and exits 130 shortly after the first.
const child = join(dir, 'child.mjs')
writeFileSync(
  child,
  `import {appendFileSync} from 'node:fs'
const mode = process.argv[2]
if (mode === 'fail') { console.log('working'); console.error('Error: boom happened'); console.log('For help, see the docs.'); process.exit(3) }
if (mode === 'secret') { console.log('data.aws_secretsmanager_random_password.x: Read complete after 0s [id=s3cr3tvalue]'); process.exit(0) }
process.on('SIGINT', () => { appendFileSync(process.argv[3], 'INT\\n'); setTimeout(() => process.exit(130), 300) })
console.log('ready')
setInterval(() => {}, 1000)
`,
)
// Uses the built runner the way terraform.ts does, and prints what the user would see.
const wrapper = join(dir, 'wrapper.mjs')
writeFileSync(
  wrapper,
  `import {run} from ${JSON.stringify(join(repoRoot, 'dist/lib/process/runner.js'))}
import {redactTerraformLine} from ${JSON.stringify(join(repoRoot, 'dist/lib/terraform/terraform.js'))}
const [command, ...args] = process.argv.slice(2)
try {
  await run(command, args, {step: 'the step', hint: 'the fix', redact: redactTerraformLine, onLine: (l) => console.log('line: ' + l)})
  console.log('ok')
} catch (e) {
  console.log('error: ' + e.message + ' | ' + e.hint + ' | ' + e.exitCode)
  process.exitCode = e.exitCode
}
`,
)

function start(args: string[], detached = false) {
  requireBuild()
  const p = spawn(process.execPath, [wrapper, ...args], {detached, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  const ready = new Promise<void>((resolve) => {
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (out.includes('line: ready')) resolve()
    })
  })
  const exited = new Promise<number | null>((resolve) => p.on('close', resolve))
  return {p, ready, exited, out: () => out}
}

describe('process runner', () => {
  it('forwards one SIGINT to the child, waits for it, and reports the interruption', async () => {
    const count = join(dir, 'count-1')
    const r = start([process.execPath, child, 'wait', count])
    await r.ready
    r.p.kill('SIGINT')
    assert.equal(await r.exited, 130)
    assert.equal(readFileSync(count, 'utf8'), 'INT\n', 'exactly one SIGINT reached the child')
    assert.match(r.out(), /error: the step was interrupted\. \| Run the same command again: it continues from where it stopped\. \| 130/)
  })

  it('a Ctrl-C at the terminal (the whole foreground group) still reaches the child once', async () => {
    const count = join(dir, 'count-2')
    const r = start([process.execPath, child, 'wait', count], true)
    await r.ready
    process.kill(-r.p.pid!, 'SIGINT')
    assert.equal(await r.exited, 130)
    assert.equal(readFileSync(count, 'utf8'), 'INT\n')
  })

  it('maps a non-zero exit to the step, its first error line (not its last words), the log of the whole output, and the fix', async () => {
    const r = start([process.execPath, child, 'fail'])
    assert.equal(await r.exited, 1)
    assert.match(r.out(), /line: working/)
    const found = /error: the step failed \(exit 3\): Error: boom happened\. Full output: (\S+) \| the fix \| 1/.exec(r.out())
    assert.ok(found, r.out())
    assert.equal(statSync(found[1]).mode & 0o777, 0o600)
    // The whole output (stdout and stderr interleave in no fixed order).
    const log = readFileSync(found[1], 'utf8')
    for (const line of ['working', 'Error: boom happened', 'For help, see the docs.']) assert.ok(log.includes(`${line}\n`), log)
  })

  it('hides what the redaction says to hide, in the streamed lines too', async () => {
    const r = start([process.execPath, child, 'secret'])
    assert.equal(await r.exited, 0)
    assert.ok(!r.out().includes('s3cr3tvalue'))
    assert.match(r.out(), /\[id=\(redacted\)\]/)
  })

  it('names a missing program', async () => {
    const r = start(['no-such-program-airflow-ecs'])
    assert.equal(await r.exited, 1)
    assert.match(r.out(), /error: no-such-program-airflow-ecs is not installed or not on PATH\. \| Install no-such-program-airflow-ecs/)
  })
})
