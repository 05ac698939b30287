import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {airflowCommand, fargateSize, parseEnv, redactCommand, splitArguments, validMemories} from '../../dist/lib/ecs/task-command.js'

describe('task command', () => {
  it('splits one string as a shell would and keeps many words as given', () => {
    assert.deepEqual(splitArguments(['users create --firstname "Ada L" --lastname \'Love lace\'']), ['users', 'create', '--firstname', 'Ada L', '--lastname', 'Love lace'])
    assert.deepEqual(splitArguments(['dags', 'list']), ['dags', 'list'])
    assert.deepEqual(splitArguments(['echo $HOME']), ['echo', '$HOME'], 'no local variable expansion')
    assert.throws(() => splitArguments(['a && b']), /Shell syntax "&&"/)
  })

  it('drops a leading airflow and translates db init', () => {
    assert.deepEqual(airflowCommand(['airflow dags list']).command, ['dags', 'list'])
    const init = airflowCommand(['db init'])
    assert.deepEqual(init.command, ['db', 'migrate'])
    assert.equal(init.notices.length, 1)
    assert.throws(() => airflowCommand(['']), /No command given/)
  })

  it('redacts password-like values for display', () => {
    assert.equal(
      redactCommand(['users', 'create', '--password', 's3cret', '--firstname', 'Ada L', '--api-token=abc', '-p', 'x']),
      'users create --password *** --firstname "Ada L" --api-token=*** -p ***',
    )
  })

  it('validates --container-env (-e)', () => {
    assert.deepEqual(parseEnv(['A=1', 'B_2=x=y', 'C=']), [
      {name: 'A', value: '1'},
      {name: 'B_2', value: 'x=y'},
      {name: 'C', value: ''},
    ])
    assert.throws(() => parseEnv(['=1']), /Invalid --container-env/)
    assert.throws(() => parseEnv(['NOEQUALS']), /Invalid --container-env/)
  })

  it("knows Fargate's valid cpu/memory pairs", () => {
    assert.deepEqual(validMemories(256), [512, 1024, 2048])
    assert.deepEqual(validMemories(512), [1024, 2048, 3072, 4096])
    assert.equal(validMemories(4096).at(-1), 30_720)
    assert.deepEqual(validMemories(8192).slice(0, 2), [16_384, 20_480])
    assert.deepEqual(fargateSize(1024, 3072), {cpu: 1024, memory: 3072})
    assert.deepEqual(fargateSize(2048), {cpu: 2048, memory: 4096})
    assert.deepEqual(fargateSize(undefined, 512), {cpu: 256, memory: 512})
    assert.deepEqual(fargateSize(undefined, 3072), {cpu: 512, memory: 3072})
    assert.deepEqual(fargateSize(), {})
    assert.throws(() => fargateSize(256, 4096), /does not fit/)
    assert.throws(() => fargateSize(1000), /not a Fargate size/)
    assert.throws(() => fargateSize(undefined, 1000), /not a Fargate size/)
  })
})
