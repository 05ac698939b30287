// Every SDK client built from clientConfig (src/lib/aws/context.ts) sends its requests
// through this check: an answer that is not the service's protocol (an HTML page from a
// proxy or a captive portal, an emulator's 500 page, an empty body where AWS always sends
// one) becomes a `NotAwsAnswer` error, which the error mapper turns into one line naming
// the endpoint, the operation and the HTTP status. Without it the SDK's parser fails deep
// inside with "Unexpected token '<' … is not valid JSON", or an empty answer reads as
// "nothing there".
//
// Content types are not trusted (moto sends text/html for JSON answers); the body is:
// JSON protocols (x-amz-target) answer with a JSON object, query protocols (Action=…)
// with XML, and every AWS answer carries a request id header.
import {Readable} from 'node:stream'

import {oneLine} from '../errors.js'

interface HttpRequestLike {
  protocol?: string
  hostname?: string
  port?: number
  path?: string
  method?: string
  headers: Record<string, string>
  body?: unknown
}

interface HttpResponseLike {
  statusCode: number
  headers: Record<string, string | undefined>
  body?: unknown
}

interface HandlerLike {
  handle(request: HttpRequestLike, options?: unknown): Promise<{response: HttpResponseLike}>
}

/** The part of the SDK's runtime extension configuration used here. */
interface HttpHandlerExtension {
  httpHandler(): HandlerLike
  setHttpHandler(handler: HandlerLike): void
}

export interface RuntimeExtension {
  configure(extension: HttpHandlerExtension): void
}

/** What the error mapper needs to say what answered and what to check. */
export interface NotAwsAnswerFields {
  endpoint: string
  operation: string
  status: number
  what: string
  region?: string
}

const REQUEST_ID = ['x-amzn-requestid', 'x-amzn-request-id', 'x-amz-request-id', 'x-amz-id-2']
/** Enough of a body to tell what it is, and to read an HTML page's title. */
const SNIFF = 4096

type Protocol = 'json' | 'query' | 'rest'

function header(headers: Record<string, string | undefined>, name: string): string | undefined {
  const found = Object.keys(headers).find((k) => k.toLowerCase() === name)
  return found === undefined ? undefined : headers[found]
}

function protocolOf(request: HttpRequestLike): Protocol {
  if (header(request.headers, 'x-amz-target')) return 'json'
  const type = header(request.headers, 'content-type') ?? ''
  if (/^application\/x-amz-json/i.test(type)) return 'json'
  if (/^application\/x-www-form-urlencoded/i.test(type) && typeof request.body === 'string' && /(^|&)Action=/.test(request.body)) return 'query'
  return 'rest'
}

function operationOf(request: HttpRequestLike, protocol: Protocol): string {
  if (protocol === 'json') return (header(request.headers, 'x-amz-target') ?? '').split('.').pop() || 'a request'
  if (protocol === 'query') return /(?:^|&)Action=([\w]+)/.exec(String(request.body))?.[1] ?? 'a request'
  return `${request.method ?? 'GET'} ${request.path ?? '/'}`
}

export function endpointOf(request: HttpRequestLike): string {
  const port = request.port ? `:${request.port}` : ''
  return `${request.protocol ?? 'https:'}//${request.hostname ?? ''}${port}`
}

/** What a body is, in words, when it is not what the protocol sends; undefined when it looks right. */
export function describeBody(body: string, protocol: Protocol, hasRequestId: boolean, status: number): string | undefined {
  const text = body.replace(/^\uFEFF/, '').trimStart()
  if (/^<(!doctype\s+html|html[\s>])/i.test(text) || /^<(head|body|title|h1|p|div)[\s>]/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1] ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(text)?.[1]
    return title && oneLine(title) ? `an HTML page ("${oneLine(title, 60)}")` : 'an HTML page'
  }
  if (text === '') {
    // AWS answers a void operation with an empty body, but always with a request id.
    return hasRequestId ? undefined : 'an empty body'
  }
  if (protocol === 'json' && !text.startsWith('{')) return `a body that is not JSON ("${oneLine(text, 40)}")`
  if (protocol === 'query' && !text.startsWith('<')) return `a body that is not XML ("${oneLine(text, 40)}")`
  if (protocol === 'rest' && status >= 300 && !hasRequestId && !text.startsWith('<') && !text.startsWith('{')) {
    return `a body that is not an AWS error ("${oneLine(text, 40)}")`
  }
  return undefined
}

async function readAll(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0)
  if (typeof body === 'string') return Buffer.from(body)
  if (body instanceof Uint8Array) return Buffer.from(body)
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks)
}

/**
 * Looks at one answer. JSON and query answers are read whole (they are small, a page at
 * most) and handed on as a fresh stream; REST answers (S3) are left streaming and only
 * their headers, or an error's body, are looked at.
 */
export async function checkAnswer(request: HttpRequestLike, response: HttpResponseLike, region?: string): Promise<void> {
  const protocol = protocolOf(request)
  const hasRequestId = REQUEST_ID.some((h) => header(response.headers, h) !== undefined)
  const type = header(response.headers, 'content-type') ?? ''
  let sniffed: string | undefined
  if (protocol !== 'rest' || (response.statusCode >= 300 && request.method !== 'HEAD')) {
    const buffer = await readAll(response.body)
    response.body = Readable.from([buffer])
    sniffed = buffer.subarray(0, SNIFF).toString('utf8')
  } else if (!hasRequestId && /^text\/html/i.test(type)) {
    sniffed = '<html>'
  }
  const what = sniffed === undefined ? undefined : describeBody(sniffed, protocol, hasRequestId, response.statusCode)
  if (!what) return
  const fields: NotAwsAnswerFields = {endpoint: endpointOf(request), operation: operationOf(request, protocol), status: response.statusCode, what, region}
  const error = Object.assign(new Error(`${fields.endpoint} answered ${fields.operation} with HTTP ${fields.status} and ${what}, not an AWS response.`), {
    name: 'NotAwsAnswer',
    ...fields,
  })
  // A 5xx or 429 stays retryable as the SDK would treat it (a gateway's hiccup); anything
  // else fails at once.
  if (response.statusCode >= 500 || response.statusCode === 429) Object.assign(error, {$metadata: {httpStatusCode: response.statusCode}})
  throw error
}

/** The SDK runtime extension that puts checkAnswer under every request of a client. */
export function answerCheck(region?: string): RuntimeExtension {
  return {
    configure(extension) {
      const inner = extension.httpHandler()
      if (!inner || (inner as {checksAnswers?: boolean}).checksAnswers) return
      const handle = async (request: HttpRequestLike, options?: unknown) => {
        const out = await inner.handle(request, options)
        await checkAnswer(request, out.response, region)
        return out
      }
      extension.setHttpHandler(
        new Proxy(inner, {
          get(target, prop) {
            if (prop === 'handle') return handle
            if (prop === 'checksAnswers') return true
            const value = Reflect.get(target, prop, target) as unknown
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
          },
        }),
      )
    },
  }
}
