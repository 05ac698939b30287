// The tests' own prerequisites fail loudly: a missing Python (or venv) and missing PostgreSQL
// binaries each end in one line that names what to install, never a skip.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {repoRoot} from '../harness/cli.ts'
import {startPostgres} from '../harness/postgres.ts'
import {testPython} from '../harness/pyenv.mjs'

describe("the tests' prerequisites", () => {
  it('no usable Python: one line naming python3-venv, exit 1', () => {
    const env = {...process.env, AIRFLOW_ECS_TEST_BASE_PYTHON: '/nonexistent/python3', AIRFLOW_ECS_TEST_CACHE: mkdtempSync(join(tmpdir(), 'venv-cache-'))}
    delete env.AIRFLOW_ECS_TEST_VENV
    const r = spawnSync(process.execPath, [join(repoRoot, 'test/harness/pyenv.mjs')], {env, encoding: 'utf8'})
    assert.equal(r.status, 1)
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /need Python 3 with venv and pip .*apt-get install python3-venv/)
  })

  it('no PostgreSQL binaries: one line naming the postgresql package', async () => {
    process.env.PG_BIN = mkdtempSync(join(tmpdir(), 'no-pg-'))
    try {
      await assert.rejects(startPostgres(), /PostgreSQL server binaries \(initdb, pg_ctl\): apt-get install postgresql/)
    } finally {
      delete process.env.PG_BIN
    }
  })

  it('a real throwaway PostgreSQL starts and stops', async () => {
    const pg = await startPostgres()
    try {
      const query = `import psycopg2; c = psycopg2.connect(host="${pg.host}", port=${pg.port}, user="${pg.user}", dbname="postgres"); k = c.cursor(); k.execute("select 40 + 2"); print(k.fetchone()[0])`
      const r = spawnSync(testPython(), ['-c', query], {encoding: 'utf8'})
      assert.equal(r.stdout.trim(), '42', r.stderr)
    } finally {
      pg.stop()
    }
  })
})
