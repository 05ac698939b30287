import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {importError, parseWaitLine, parsedFiles, waitCommand} from '../../dist/lib/dags/wait.js'

describe('dags deploy --wait (no AWS)', () => {
  it('reads file, line and message out of the stack trace Airflow stores', () => {
    const missing = 'Traceback (most recent call last):\n  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed\n  File "/tmp/airflow/dag_bundles/s3-dags/team/sales.py", line 3, in <module>\n    import no_such_module\nModuleNotFoundError: No module named \'no_such_module\'\n'
    assert.deepEqual(importError('team/sales.py', missing), {file: 'team/sales.py', line: 3, message: "ModuleNotFoundError: No module named 'no_such_module'"})
    const syntax = '  File "/tmp/b/s3-dags/x.py", line 7\n    def (:\n        ^\nSyntaxError: invalid syntax\n'
    assert.deepEqual(importError('x.py', syntax), {file: 'x.py', line: 7, message: 'SyntaxError: invalid syntax'})
    assert.deepEqual(importError('y.py', 'Timeout: DagBag import timeout for y.py after 30.0s.'), {file: 'y.py', message: 'Timeout: DagBag import timeout for y.py after 30.0s.'})
  })

  it('waits only for the files Airflow parses (safe mode), and fits the task override size', () => {
    const bodies: Record<string, string> = {'a.py': 'from airflow.sdk import dag', 'util.py': 'def f(): pass', 'b.sql': 'select 1'}
    assert.deepEqual(parsedFiles(Object.keys(bodies), (p) => Buffer.from(bodies[p])), ['a.py'])
    const few = waitCommand('s3-dags', new Date('2026-01-02T03:04:05Z'), 1_800_000_000_000, ['a.py'])
    assert.deepEqual(few.slice(0, 2), ['python', '-c'])
    assert.deepEqual(few.slice(3), ['s3-dags', '2026-01-02T03:04:05.000Z', '1800000000', '["a.py"]'])
    const many = waitCommand('s3-dags', new Date(), Date.now(), Array.from({length: 300}, (_, i) => `folder/dag_${i}.py`))
    assert.equal(many.at(-1), 'null', 'too many paths: a whole parse cycle instead')
    // ECS counts the overrides as JSON: 8192 characters at most.
    const longest = waitCommand('s3-dags', new Date(), Date.now(), Array.from({length: 99}, (_, i) => `f/dag_${String(i).padStart(13, '0')}.py`))
    assert.notEqual(longest.at(-1), 'null')
    const size = JSON.stringify({containerOverrides: [{name: 'airflow', command: longest, environment: []}]}).length
    assert.ok(size < 7000, `the RunTask overrides take ${size} of ECS's 8192 characters`)
  })

  it('picks the result lines out of the task log', () => {
    assert.deepEqual(parseWaitLine('2026 INFO AIRFLOW_ECS_DAGS_WAIT {"kind": "progress", "text": "x"}'), {kind: 'progress', text: 'x'})
    assert.equal(parseWaitLine('an Airflow log line'), undefined)
  })
})
