// The one line a failed terraform or docker run is summed up in: Terraform's first Error
// diagnostic (summary, resource address or file and line), never its trailing words.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {explainTerraform, terraformSummary} from '../../dist/lib/terraform/diagnostics.js'
import {genericSummary} from '../../dist/lib/process/failure-log.js'

const REGISTRY = `Initializing the backend...
Initializing provider plugins...
- Finding latest version of hashicorp/aws...

Error: Failed to query available provider packages

Could not retrieve the list of available versions for provider hashicorp/aws:
could not connect to registry.terraform.io: failed to request discovery
document: Get "https://registry.terraform.io/.well-known/terraform.json":
dial tcp: lookup registry.terraform.io on 10.255.255.53:53: no such host

To see which modules are currently depending on hashicorp/aws and what
versions are specified, run the following command:
    terraform providers
`

const INVALID_CONFIG = `Initializing the backend...

Error: Terraform encountered problems during initialisation, including problems
with the configuration, described below.

The Terraform configuration must be valid before initialization so that
Terraform can determine which modules and providers need to be installed.


Error: Invalid expression

  on main.tf line 2, in resource "null_resource" "x":
   2:   foo = 
   3: }

Expected the start of an expression, but found an invalid expression token.
`

const APPLY = `aws_cloudwatch_log_group.g: Creating...
aws_s3_bucket.airflow: Creating...

Warning: Argument is deprecated

  with aws_s3_bucket.old,
  on s3.tf line 3:

Use the aws_s3_bucket_acl resource instead.

Error: creating S3 Bucket (airflow-data): BucketAlreadyExists: The requested bucket name is not available.
The bucket namespace is shared by all users of the system.

  with aws_s3_bucket.airflow,
  on main.tf line 9, in resource "aws_s3_bucket" "airflow":
   9: resource "aws_s3_bucket" "airflow" {


Error: creating CloudWatch Logs Log Group (x): operation error CloudWatch Logs: CreateLogGroup, exceeded maximum number of attempts

  with aws_cloudwatch_log_group.g,
  on main.tf line 10, in resource "aws_cloudwatch_log_group" "g":
  10: resource "aws_cloudwatch_log_group" "g" {
`

const BOXED = `\u001b[31m╷\u001b[0m\u001b[0m
\u001b[31m│\u001b[0m \u001b[0m\u001b[1m\u001b[31mError: \u001b[0m\u001b[0m\u001b[1mNo value for required variable\u001b[0m
\u001b[31m│\u001b[0m \u001b[0m
\u001b[31m│\u001b[0m \u001b[0m\u001b[0m  on variables.tf line 1:
\u001b[31m│\u001b[0m \u001b[0m   1: variable "a" {}
\u001b[31m│\u001b[0m \u001b[0m
\u001b[31m│\u001b[0m \u001b[0mThe root module input variable "a" is not set, and has no default value.
\u001b[31m╵\u001b[0m\u001b[0m
`

describe('terraform failure summary', () => {
  it('an unreachable registry: the first Error and its cause, not "terraform providers."', () => {
    const s = terraformSummary(REGISTRY)!
    assert.match(s, /^Failed to query available provider packages: Could not retrieve the list of available versions for provider hashicorp\/aws: could not connect to registry\.terraform\.io/)
    assert.doesNotMatch(s, /terraform providers/)
  })

  it('a broken .tf file: the real error under init\'s announcement, with file and line', () => {
    assert.equal(terraformSummary(INVALID_CONFIG), 'Invalid expression (main.tf line 2): Expected the start of an expression, but found an invalid expression token')
  })

  it('an apply: the first Error (warnings skipped), its wrapped summary whole, with the resource address', () => {
    assert.equal(
      terraformSummary(APPLY),
      'creating S3 Bucket (airflow-data): BucketAlreadyExists: The requested bucket name is not available. The bucket namespace is shared by all users of the system (with aws_s3_bucket.airflow)',
    )
  })

  it('a very long provider error is cut so that its resource address still shows', () => {
    const long = `Error: ECR Repository (airflow-airflow) not empty, consider using force_delete: operation error ECR: DeleteRepository, https response error StatusCode: 400, RequestID: ${'x'.repeat(52)}, RepositoryNotEmptyException: The repository with name 'airflow-airflow' cannot be deleted because it still contains images

  with aws_ecr_repository.airflow,
  on storage.tf line 55, in resource "aws_ecr_repository" "airflow":
`
    const s = terraformSummary(long)!
    assert.ok(s.length < 240, s)
    assert.match(s, /^ECR Repository \(airflow-airflow\) not empty, consider using force_delete: .*… \(with aws_ecr_repository\.airflow\)$/)
  })

  it('boxes and colour codes are read through', () => {
    assert.equal(terraformSummary(BOXED), 'No value for required variable (variables.tf line 1): The root module input variable "a" is not set, and has no default value')
  })

  it('a configuration error says where to fix it; an AWS error keeps the step\'s own hint', () => {
    assert.equal(explainTerraform(INVALID_CONFIG, '/p/infra-terraform')?.hint, 'Fix main.tf, line 2 in /p/infra-terraform, then run the same command again.')
    assert.match(explainTerraform(BOXED, '/p/infra-terraform')!.hint!, /"terraformVars" in airflow-ecs\.json/)
    assert.equal(explainTerraform(APPLY, '/p/infra-terraform')?.hint, undefined)
    assert.equal(explainTerraform('nothing useful', '/p')?.hint, undefined)
  })

  it('a long detail is cut at a word', () => {
    const s = terraformSummary(REGISTRY)!
    assert.ok(s.length < 260, s)
    assert.match(s, /\w…$/)
  })

  it('no Error diagnostic: nothing (the runner falls back to the generic line)', () => {
    assert.equal(terraformSummary('Plan: 1 to add\nsomething odd happened\n'), undefined)
  })
})

describe('generic failure summary (docker, git)', () => {
  it('the first error line, not the last', () => {
    const buildx = `#8 [3/5] RUN pip install -r requirements.txt
#8 2.113 ERROR: Could not find a version that satisfies the requirement apache-airflow==9.9
#8 ERROR: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
------
 > [3/5] RUN pip install -r requirements.txt:
------
ERROR: failed to solve: process "/bin/sh -c pip install -r requirements.txt" did not complete successfully: exit code: 1
`
    assert.equal(genericSummary(buildx), '#8 2.113 ERROR: Could not find a version that satisfies the requirement apache-airflow==9.9')
    assert.equal(genericSummary('fatal: not a git repository (or any of the parent directories): .git\n'), 'fatal: not a git repository (or any of the parent directories): .git')
    assert.equal(genericSummary('working\nstill working\nexit\n'), 'exit')
  })
})
