// Answers that are not AWS: a proxy's or a captive portal's HTML page, an emulator's 500,
// an empty 200. Every SDK client the CLI builds checks what answered (src/lib/aws/answers.ts),
// so each command ends in one line naming the endpoint, the operation and the HTTP status,
// and what to check, never the SDK parser's "Unexpected token '<'".
import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import {after, before, describe, it} from 'node:test'

import {type CliResult, parseJson, runCli} from '../harness/cli.ts'
import {writeOutputsProject} from '../harness/fixture.ts'
import {awsEnv} from '../harness/moto.ts'

interface FakeEndpoint {
  url: string
  requests: number
  server: Server
}

type Answer = (res: import('node:http').ServerResponse) => void

const answers: Record<string, Answer> = {
  'HTML 502 from a proxy': (res) => {
    res.writeHead(502, {'content-type': 'text/html'})
    res.end('<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>')
  },
  'empty 200': (res) => {
    res.writeHead(200)
    res.end()
  },
  'captive portal 200 page': (res) => {
    res.writeHead(200, {'content-type': 'text/html; charset=utf-8'})
    res.end('<html><head><title>Sign in to Airport Wi-Fi\u001b[31m</title></head><body>Accept the terms</body></html>')
  },
  'emulator 500 in plain text': (res) => {
    res.writeHead(500, {'content-type': 'text/plain'})
    res.end('Internal Server Error\nTraceback (most recent call last): ...')
  },
}

const endpoints: Record<string, FakeEndpoint> = {}
let projectDir: string

async function serve(answer: Answer): Promise<FakeEndpoint> {
  const endpoint = {url: '', requests: 0} as FakeEndpoint
  endpoint.server = createServer((req, res) => {
    endpoint.requests++
    req.resume()
    req.on('end', () => answer(res))
  })
  await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', () => resolve()))
  endpoint.url = `http://127.0.0.1:${(endpoint.server.address() as AddressInfo).port}`
  return endpoint
}

before(async () => {
  for (const [label, answer] of Object.entries(answers)) endpoints[label] = await serve(answer)
  // A deployment whose outputs name everything the commands need; nothing behind it answers as AWS.
  projectDir = writeOutputsProject({
    schema_version: 1,
    project: 'airflow',
    region: 'us-east-1',
    cluster: {name: 'airflow'},
    components: {},
    standalone: {task_definition_family: 'airflow-standalone', subnets: ['subnet-1'], security_groups: ['sg-1'], container: 'airflow'},
    web: {alb_dns_name: 'airflow-web-1.us-east-1.elb.amazonaws.com', alb_arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/airflow-web/1'},
  })
})
after(() => {
  for (const e of Object.values(endpoints)) e.server.close()
})

const cli = (args: string[], endpoint: string, extra: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, {env: {...awsEnv(endpoint), AIRFLOW_ECS_PROJECT_DIR: projectDir, ...extra}, timeoutMs: 90_000})

const COMMANDS: Array<[string[], RegExp]> = [
  [['url'], /DescribeLoadBalancers/],
  [['status'], /DescribeServices|ListTasks|DescribeTargetHealth/],
  [['logs', 'scheduler'], /FilterLogEvents/],
  [['task', 'version'], /RunTask/],
  [['scale', 'list'], /DescribeScheduledActions|DescribeScalableTargets/],
]

const WHAT: Record<string, RegExp> = {
  'HTML 502 from a proxy': /HTTP 502 and an HTML page \("502 Bad Gateway"\)/,
  'empty 200': /HTTP 200 and an empty body/,
  'captive portal 200 page': /HTTP 200 and an HTML page \("Sign in to Airport Wi-Fi \[31m"\)/,
  'emulator 500 in plain text': /HTTP 500 and a body that is not (JSON|XML) \("Internal Server Error Traceback/,
}

describe('an endpoint that does not speak AWS', () => {
  for (const label of Object.keys(answers)) {
    it(`${label}: every command ends in one line naming the endpoint, operation, status and what to check`, async () => {
      const endpoint = endpoints[label]
      for (const [args, operation] of COMMANDS) {
        const before = endpoint.requests
        const r = await cli(args, endpoint.url)
        const where = `airflow-ecs ${args.join(' ')} against ${label}: ${r.stderr}`
        assert.equal(r.code, 1, where)
        assert.equal(r.stdout, '', where)
        assert.ok(endpoint.requests > before, `the command asked the endpoint (${where})`)
        const lines = r.stderr.trim().split('\n')
        assert.equal(lines.length, 2, `one line of what happened, one of what to do: ${where}`)
        assert.match(lines[0], new RegExp(`^Error: ${endpoint.url.replaceAll('.', '\\.')} answered `), where)
        assert.match(lines[0], operation, where)
        assert.match(lines[0], WHAT[label], where)
        assert.match(lines[0], /not an AWS response\.$/, where)
        assert.match(lines[1], /AWS_ENDPOINT_URL.*proxy variables.*region \(us-east-1\)/, where)
        assert.doesNotMatch(r.stderr, /SyntaxError|Unexpected token|is not valid JSON|Deserialization error|\n\s+at /, where)
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(r.stderr, /\u001b/, 'no escape code from the page reaches the terminal')
      }
    })
  }

  it('--json carries the NOT_AWS code; DEBUG=1 adds the stack trace', async () => {
    const endpoint = endpoints['HTML 502 from a proxy']
    const json = parseJson(await cli(['url', '--json'], endpoint.url))
    assert.equal(json.error.code, 'NOT_AWS')
    assert.match(json.error.message, /HTTP 502/)
    assert.match(json.error.hint, /AWS_ENDPOINT_URL/)
    const debug = await cli(['logs', 'scheduler'], endpoint.url, {DEBUG: '1'})
    assert.equal(debug.code, 1)
    assert.match(debug.stderr, /NotAwsAnswer[\s\S]*\n\s+at .+:\d+:\d+/)
    assert.match(debug.stderr, /Error: .* answered FilterLogEvents with HTTP 502/)
  })

  it('a 502 page is retried as the SDK retries a gateway error; a 200 page is not', async () => {
    const bad = endpoints['HTML 502 from a proxy']
    let before = bad.requests
    await cli(['url'], bad.url, {AIRFLOW_ECS_MAX_ATTEMPTS: '3'})
    assert.equal(bad.requests - before, 3)
    const portal = endpoints['captive portal 200 page']
    before = portal.requests
    await cli(['url'], portal.url, {AIRFLOW_ECS_MAX_ATTEMPTS: '3'})
    assert.equal(portal.requests - before, 1)
  })

  it('names the proxy variables that are set, never their values', async () => {
    const endpoint = endpoints['empty 200']
    const r = await cli(['url'], endpoint.url, {HTTPS_PROXY: 'http://user:pr0xy-pass@127.0.0.1:3128', NO_PROXY: '127.0.0.1'})
    assert.match(r.stderr, /proxy variables \(HTTPS_PROXY, NO_PROXY set\)/)
    assert.ok(!r.stderr.includes('pr0xy-pass'))
  })
})
