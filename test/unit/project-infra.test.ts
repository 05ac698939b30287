// Which Terraform module a project runs, and how the packaged one is kept in step with the CLI:
// refreshed by each deploy (an upgrade's change reaches the plan), never edited in place.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {resolveSettings} from '../../dist/lib/config/resolver.js'
import {conflicts} from '../../dist/lib/docker/recipe.js'
import {prepareInfra} from '../../dist/lib/project/infra.js'
import {packageRoot} from '../../dist/lib/project/package.js'

describe('the Terraform module of a project', () => {
  it('a project without infra-terraform/ runs the packaged module in .airflow-ecs/terraform/', () => {
    const root = mkdtempSync(join(tmpdir(), 'project-'))
    writeFileSync(join(root, 'airflow-ecs.json'), '{}')
    const settings = resolveSettings({}, root)
    assert.equal(settings.infra, 'package')
    assert.equal(settings.terraformDir, join(root, '.airflow-ecs', 'terraform'))
    assert.equal(prepareInfra(settings), 'created')
    const tf = settings.terraformDir
    assert.equal(readFileSync(join(tf, 'versions.tf'), 'utf8'), readFileSync(join(packageRoot(), 'infra-terraform', 'versions.tf'), 'utf8'))
    assert.ok(existsSync(join(tf, 'modules', 'airflow-service', 'main.tf')))
    assert.equal(prepareInfra(settings), '', 'nothing changed, nothing said')
    // As after an upgrade: the copy differs from the package (an edited file, a dropped one).
    writeFileSync(join(tf, 'versions.tf'), '# older\n')
    writeFileSync(join(tf, 'gone.tf'), '# dropped by the new version\n')
    writeFileSync(join(tf, 'terraform.tfstate'), '{"serial": 3}')
    assert.equal(prepareInfra(settings), '2 files of the module changed')
    assert.ok(!existsSync(join(tf, 'gone.tf')))
    assert.equal(readFileSync(join(tf, 'terraform.tfstate'), 'utf8'), '{"serial": 3}', 'the state is kept')
  })

  it('a project with its own infra-terraform/ (this repository, or ejected) runs that one, untouched', () => {
    const root = mkdtempSync(join(tmpdir(), 'project-'))
    mkdirSync(join(root, 'infra-terraform'))
    const settings = resolveSettings({}, root)
    assert.equal(settings.infra, 'project')
    assert.equal(settings.terraformDir, join(root, 'infra-terraform'))
    assert.equal(prepareInfra(settings), '')
    assert.ok(!existsSync(join(root, 'infra-terraform', 'versions.tf')))
  })
})

describe('requirements against the constraints', () => {
  const constraints = 'celery==5.6.3\napache-airflow==3.3.2\nrequests==2.32.4\n'
  it('names the lines a pin contradicts, and only those', () => {
    const found = conflicts('# extra\ncelery==5.7.0\nrequests>=2.30,<3\npandas==2.2.0\napache_airflow[amazon]>=3.4 ; python_version>"3"\n-r other.txt\n', constraints)
    assert.deepEqual(
      found.map((c) => [c.name, c.pinned]),
      [
        ['celery', '5.6.3'],
        ['apache_airflow', '3.3.2'],
      ],
    )
    assert.deepEqual(conflicts('celery~=5.6.0\nrequests==2.32.*\ncelery!=5.7.0\n', constraints), [])
  })
})
