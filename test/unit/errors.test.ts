import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {CliError, mapError} from '../../dist/lib/errors.js'

const awsError = (name: string, message: string, status = 400) => Object.assign(new Error(message), {name, $metadata: {httpStatusCode: status}})

describe('mapError', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['no credentials', Object.assign(new Error('Could not load credentials from any providers'), {name: 'CredentialsProviderError'}), 'NO_CREDENTIALS', /aws configure|--profile/],
    ['expired token', awsError('ExpiredTokenException', 'The security token included in the request is expired'), 'EXPIRED_CREDENTIALS', /sso login/],
    ['no region', new Error('Region is missing'), 'NO_REGION', /--region/],
    ['access denied names the action', awsError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: ecs:RunTask on resource: *', 403), 'ACCESS_DENIED', /ecs:RunTask/],
    ['cluster not found', awsError('ClusterNotFoundException', 'Cluster not found.'), 'CLUSTER_NOT_FOUND', /airflow-ecs deploy/],
    ['service not found', awsError('ServiceNotFoundException', 'Service not found.'), 'SERVICE_NOT_FOUND', /airflow-ecs deploy/],
    ['throttled after retries', awsError('ThrottlingException', 'Rate exceeded'), 'THROTTLED', /Wait/],
    ['unreachable endpoint', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {code: 'ECONNREFUSED'}), 'UNREACHABLE', /endpoint|network/],
    ['missing executable', Object.assign(new Error('spawn terraform ENOENT'), {code: 'ENOENT', syscall: 'spawn terraform', path: 'terraform'}), 'MISSING_TOOL', /Install terraform/],
  ]
  for (const [label, error, code, hint] of cases) {
    it(label, () => {
      const mapped = mapError(error)
      assert.equal(mapped.code, code)
      assert.match(`${mapped.message} ${mapped.hint}`, hint)
      assert.equal(mapped.exitCode, 1)
      assert.ok(!mapped.message.includes('\n'), 'one line')
    })
  }

  it('finds a network error in the cause chain (SDK wraps it)', () => {
    const inner = Object.assign(new Error('getaddrinfo ENOTFOUND ecs.nowhere'), {code: 'ENOTFOUND'})
    assert.equal(mapError(new Error('request failed', {cause: inner})).code, 'UNREACHABLE')
  })

  it('keeps oclif parse errors, without its header and footer, as usage errors (exit 2)', () => {
    const parse = Object.assign(new Error('The following error occurred:\n  All of the following must be provided when using --cron: --name\nSee more help with --help'), {oclif: {exit: 2}})
    const mapped = mapError(parse)
    assert.equal(mapped.exitCode, 2)
    assert.equal(mapped.message, 'All of the following must be provided when using --cron: --name')
  })

  it('passes a CliError through untouched', () => {
    const e = new CliError('x', {code: 'NOT_FOUND', hint: 'y'})
    assert.equal(mapError(e), e)
    assert.deepEqual(e.toJSON(), {code: 'NOT_FOUND', message: 'x', hint: 'y'})
  })

  it('never dumps a multi-line SDK message', () => {
    const mapped = mapError(awsError('InvalidParameterException', 'first line\nsecond line'))
    assert.equal(mapped.message, 'InvalidParameterException: first line')
  })
})

describe('terraform output redaction', async () => {
  const {redactTerraformLine} = await import('../../dist/lib/terraform/terraform.js')
  it('hides the password the AWS provider logs as the random-password data source id', () => {
    const line = 'data.aws_secretsmanager_random_password.generated["admin_password"]: Read complete after 1s [id=kIPp9wKwfLZ5xUasI2veD9KwyBGIv1HcB3JQzh3i]'
    assert.equal(redactTerraformLine(line), 'data.aws_secretsmanager_random_password.generated["admin_password"]: Read complete after 1s [id=(redacted)]')
    assert.equal(redactTerraformLine('aws_vpc.main: Creation complete after 1s [id=vpc-123]'), 'aws_vpc.main: Creation complete after 1s [id=vpc-123]')
  })
})

describe('answers that are not AWS', async () => {
  const {describeBody} = await import('../../dist/lib/aws/answers.js')
  it("maps the SDK's own deserialization failure (a client built without the answer check) to one NOT_AWS line", () => {
    const syntax = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), {
      $response: {statusCode: 502, headers: {'content-type': 'text/html'}, body: '<!doctype html><html></html>'},
      $metadata: {httpStatusCode: 502},
    })
    const previous = process.env.AWS_ENDPOINT_URL
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9'
    try {
      const mapped = mapError(syntax)
      assert.equal(mapped.code, 'NOT_AWS')
      assert.equal(mapped.message, 'http://127.0.0.1:9 (from AWS_ENDPOINT_URL) answered with HTTP 502 and an HTML page, not an AWS response.')
      assert.match(mapped.hint!, /AWS_ENDPOINT_URL.*proxy variables.*region/)
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL
      else process.env.AWS_ENDPOINT_URL = previous
    }
  })

  it('a 403 HTML page from a proxy is not "access denied"', () => {
    const e = Object.assign(new Error('answered'), {name: 'NotAwsAnswer', endpoint: 'https://ecs.us-east-1.amazonaws.com', operation: 'ListTasks', status: 403, what: 'an HTML page', $metadata: {httpStatusCode: 403}})
    const mapped = mapError(e)
    assert.equal(mapped.code, 'NOT_AWS')
    assert.match(mapped.message, /^https:\/\/ecs\.us-east-1\.amazonaws\.com answered ListTasks with HTTP 403 and an HTML page/)
  })

  it('tells the protocols apart by their bodies, not their content types', () => {
    assert.equal(describeBody('{"taskArns": []}', 'json', true, 200), undefined)
    assert.equal(describeBody('', 'json', true, 200), undefined, 'a void operation: empty body, with a request id')
    assert.equal(describeBody('', 'json', false, 200), 'an empty body')
    assert.equal(describeBody('<DescribeLoadBalancersResponse/>', 'query', true, 200), undefined)
    assert.equal(describeBody('  <!DOCTYPE HTML><title>Portal</title>', 'query', true, 200), 'an HTML page ("Portal")')
    assert.equal(describeBody('oops', 'json', true, 500), 'a body that is not JSON ("oops")')
    assert.equal(describeBody('<Error><Code>NoSuchBucket</Code></Error>', 'rest', true, 404), undefined)
  })
})
