// A recording proxy in front of moto's S3: every request the CLI makes is counted (method and
// path), and a test can make chosen requests fail, to see what a failure midway leaves live.
import {type IncomingMessage, type ServerResponse, createServer, request} from 'node:http'
import {type AddressInfo} from 'node:net'

export interface Recorded {
  method: string
  path: string
}

export interface S3Proxy {
  endpoint: string
  requests: Recorded[]
  /** Requests that write: PUT (upload, copy), POST (multi-delete), DELETE. */
  writes(): Recorded[]
  /** Answer 403 AccessDenied to the requests `deny` picks (it sees each request in order). */
  deny: ((r: Recorded) => boolean) | undefined
  reset(): void
  stop(): Promise<void>
}

export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target)
  const proxy: S3Proxy = {
    endpoint: '',
    requests: [],
    deny: undefined,
    writes: () => proxy.requests.filter((r) => r.method === 'PUT' || r.method === 'POST' || r.method === 'DELETE'),
    reset: () => {
      proxy.requests = []
      proxy.deny = undefined
    },
    stop: () => new Promise((r) => server.close(() => r())),
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const rec = {method: req.method ?? 'GET', path: decodeURIComponent(req.url ?? '/')}
    proxy.requests.push(rec)
    if (proxy.deny?.(rec)) {
      req.resume()
      res.writeHead(403, {'content-type': 'application/xml'})
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>')
      return
    }
    const out = request({host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: {...req.headers, host: upstream.host}}, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    out.on('error', (e) => {
      res.writeHead(502)
      res.end(String(e))
    })
    req.pipe(out)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  proxy.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return proxy
}
