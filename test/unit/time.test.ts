import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {atExpression, cronExpression, parseAt, parseDuration, parseSince} from '../../dist/lib/time.js'

const now = new Date('2026-11-24T10:00:00Z')

describe('time', () => {
  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000)
    assert.equal(parseDuration('10m'), 600_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.throws(() => parseDuration('10'), /Invalid duration/)
    assert.throws(() => parseDuration('m10'), /Invalid duration/)
  })

  it('parses --since as a duration ago or an ISO time', () => {
    assert.equal(parseSince('2h', now.getTime()), now.getTime() - 7_200_000)
    assert.equal(parseSince('2026-11-24T08:00:00Z', now.getTime()), Date.parse('2026-11-24T08:00:00Z'))
    assert.throws(() => parseSince('yesterday'), /Invalid --since/)
  })

  it('parses --at relative, ISO and HH:MM times, refusing the past', () => {
    assert.equal(parseAt('+2m', now).toISOString(), '2026-11-24T10:02:00.000Z')
    assert.equal(parseAt('2026-11-25T06:30:00Z', now).toISOString(), '2026-11-25T06:30:00.000Z')
    const hhmm = parseAt('09:00', now)
    assert.ok(hhmm.getTime() > now.getTime() && hhmm.getTime() - now.getTime() <= 86_400_000, 'next 09:00 is within a day')
    assert.equal(hhmm.getMinutes(), 0)
    assert.throws(() => parseAt('2026-11-24T09:59:00Z', now), /in the past/)
    assert.throws(() => parseAt('25:00', now), /Invalid --at/)
    assert.throws(() => parseAt('soon', now), /Invalid --at/)
  })

  it('writes at() in UTC without milliseconds', () => {
    assert.equal(atExpression(new Date('2026-11-24T10:02:03.456Z')), 'at(2026-11-24T10:02:03)')
  })

  it('checks AWS cron expressions', () => {
    assert.equal(cronExpression('cron(0 20 ? * MON-FRI *)'), 'cron(0 20 ? * MON-FRI *)')
    assert.equal(cronExpression('0 20 ? * MON-FRI *'), 'cron(0 20 ? * MON-FRI *)')
    assert.throws(() => cronExpression('0 20 * * *'), /6 fields/)
    assert.throws(() => cronExpression('cron(0 20 * * MON *)'), /must be "\?"/)
  })
})
