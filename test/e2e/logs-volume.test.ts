// `logs` never hides events: 100,000 events over 50 task streams, put with PutLogEvents,
// all printed by a plain `logs`, oldest first, streamed page by page (the old reader stopped
// at a hidden 10,000 and kept whichever pages came first); `--limit 100` prints the newest
// 100 in order and says on stderr how many were left out and how to see them.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {CloudWatchLogsClient} from '@aws-sdk/client-cloudwatch-logs'

import {type CliResult, parseJson, repoRoot, runCli} from '../harness/cli.ts'
import {type Fixture, createFixture, sdkConfig} from '../harness/fixture.ts'
import {putEvents, seq} from '../harness/logs.ts'
import {type Moto, startMoto} from '../harness/moto.ts'

const EVENTS = Number(process.env.LOGS_VOLUME_EVENTS ?? 100_000)
const STREAMS = 50
const SPACING_MS = 25

let moto: Moto
let fx: Fixture
let start: number
const timings: Record<string, number> = {}

const cli = (args: string[]): Promise<CliResult> => runCli(args, {env: fx.env, timeoutMs: 600_000})

before(async () => {
  moto = await startMoto()
  fx = await createFixture(moto)
  // The standalone group: no service writes to it. The events end a minute ago.
  start = Date.now() - 60_000 - EVENTS * SPACING_MS
  const t = Date.now()
  await putEvents(new CloudWatchLogsClient(sdkConfig(moto)), fx.contract.standalone.log_group, {count: EVENTS, streams: STREAMS, from: start, spacingMs: SPACING_MS})
  timings.put = Date.now() - t
})
after(async () => {
  await moto?.stop()
  process.stderr.write(`logs-volume timings (ms): ${JSON.stringify(timings)}\n`)
})

describe(`logs with ${EVENTS.toLocaleString('en-US')} events over ${STREAMS} streams`, {timeout: 1_200_000}, () => {
  it('a plain `logs` prints every event of the window, oldest first, each with its task', async () => {
    const t = Date.now()
    const r = await cli(['logs', 'standalone', '--since', '2h'])
    timings.plain = Date.now() - t
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '', 'no note: nothing was left out')
    const lines = r.stdout.split('\n').filter(Boolean)
    assert.equal(lines.length, EVENTS, 'every event printed')
    for (let i = 0; i < EVENTS; i++) {
      const expected = ` standalone/task${String(i % STREAMS).padStart(2, '0')} event ${seq(i)}`
      if (!lines[i].endsWith(expected)) assert.fail(`line ${i} is "${lines[i]}", expected it to end with "${expected}"`)
    }
  })

  it('--limit 100 prints the newest 100 in order, and a note says how many were left out and how to see them', async () => {
    const t = Date.now()
    const r = await cli(['logs', 'standalone', '--since', '2h', '--limit', '100'])
    timings.limit = Date.now() - t
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.split('\n').filter(Boolean)
    assert.deepEqual(
      lines.map((l) => l.split(' ').at(-1)),
      Array.from({length: 100}, (_, k) => seq(EVENTS - 100 + k)),
    )
    const left = (EVENTS - 100).toLocaleString('en-US')
    assert.match(
      r.stderr,
      new RegExp(`^Showing the newest 100 of ${EVENTS.toLocaleString('en-US')} events since \\S+ \\(--limit 100\\); ${left} older ones were left out\\. To see them: airflow-ecs logs standalone --since 2h --limit 0 \\(all, oldest first\\), or a shorter --since\\.\\n$`),
    )
  })

  it('--json is one array, streamed; with --limit the newest, with the same note', async () => {
    const r = await cli(['logs', 'standalone', '--since', '2h', '--json', '--limit', '3'])
    assert.equal(r.code, 0, r.stderr)
    const events = parseJson(r)
    assert.deepEqual(events.map((e: any) => e.message), [EVENTS - 3, EVENTS - 2, EVENTS - 1].map((i) => `event ${seq(i)}`))
    assert.deepEqual(Object.keys(events[0]).sort(), ['component', 'message', 'stream', 'taskId', 'timestamp'])
    assert.match(r.stderr, /Showing the newest 3 of/)
    const none = await cli(['logs', 'standalone', '--since', '2h', '--json', '--filter', 'nothing-matches-this'])
    assert.equal(none.code, 0, none.stderr)
    assert.deepEqual(parseJson(none), [])
  })

  it('piped into head, it stops quietly when head has enough', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${join(repoRoot, 'bin', 'run.js')}" logs standalone --since 2h | head -2`], {env: {...process.env, ...fx.env, NO_COLOR: '1'}, encoding: 'utf8'})
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 2)
    assert.equal(r.stderr, '', 'no warning, no stack trace')
  })

  it('--limit 0 and a --limit above the count print everything, with no note', async () => {
    const r = await cli(['logs', 'standalone', '--since', '2h', '--filter', 'event', '--limit', String(EVENTS + 1)])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    assert.equal(r.stdout.split('\n').filter(Boolean).length, EVENTS)
  })
})
