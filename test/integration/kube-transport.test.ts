import {readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import net, {type AddressInfo} from 'node:net'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {cli, clients, kubeconfig} from './helm-support.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {waitForNoTerminatingNamespaces} from '../helpers/namespaces.js'

// How list commands reach the API server (src/lib/kube/raw.ts): one HTTP/2 connection by default,
// HTTP/1.1 when asked or when the server offers no HTTP/2, and an exec credential plugin started
// once per command however many requests go out together. The relays below stand between the CLI
// and the real API server and record the HTTP version of every request they forward.
const pki = path.join(path.dirname(kubeconfig), 'pki')
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-transport-'))
const config = YAML.parse(readFileSync(kubeconfig, 'utf8')) as {
  clusters: Array<{cluster: {server: string; 'certificate-authority-data': string}}>
  users: Array<{user: {'client-certificate-data': string; 'client-key-data': string}}>
}
const upstream = new URL(config.clusters[0].cluster.server)
const ca = Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64')
const admin = config.users[0].user
const adminCert = Buffer.from(admin['client-certificate-data'], 'base64')
const adminKey = Buffer.from(admin['client-key-data'], 'base64')

interface Relay {
  port: number
  versions: string[]
  /** The flow-control window each HTTP/2 client asked for (its SETTINGS). */
  windows: number[]
  close(): void
}

/** Forwards every request to the real API server as the admin user, noting its HTTP version. */
function startRelay(kind: 'h2' | 'h1-only'): Promise<Relay> {
  const versions: string[] = []
  const windows: number[] = []
  const tls = {key: readFileSync(path.join(pki, 'apiserver.key')), cert: readFileSync(path.join(pki, 'apiserver.crt'))}
  const handler = (
    req: http2.Http2ServerRequest | import('node:http').IncomingMessage,
    res: http2.Http2ServerResponse | import('node:http').ServerResponse,
  ) => {
    versions.push(req.httpVersion)
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(req.headers))
      if (!key.startsWith(':') && key !== 'host' && key !== 'connection' && typeof value === 'string') headers[key] = value
    const forward = https.request(
      {host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, ca, cert: adminCert, key: adminKey},
      (answer) => {
        const back: Record<string, string> = {}
        for (const [key, value] of Object.entries(answer.headers))
          if (!['connection', 'transfer-encoding', 'keep-alive'].includes(key) && typeof value === 'string') back[key] = value
        ;(res as import('node:http').ServerResponse).writeHead(answer.statusCode ?? 502, back)
        answer.pipe(res as import('node:http').ServerResponse)
      },
    )
    forward.on('error', () => (res as import('node:http').ServerResponse).destroy())
    forward.end()
  }
  const server = kind === 'h2' ? http2.createSecureServer({...tls, allowHTTP1: true}, handler) : https.createServer(tls, handler)
  if (kind === 'h2') {
    ;(server as http2.Http2SecureServer).on('session', (session) =>
      session.on('remoteSettings', (settings) => windows.push(settings.initialWindowSize ?? 65_535)),
    )
  }
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({port: (server.address() as AddressInfo).port, versions, windows, close: () => server.close()}))
  })
}

function kubeconfigFor(server: string, user: Record<string, unknown>, name: string, proxyUrl?: string): string {
  const cluster = {'certificate-authority-data': ca.toString('base64'), ...(proxyUrl ? {'proxy-url': proxyUrl} : {})}
  return writeKubeconfig(path.join(scratch, name), server, {name: 'relay', user, cluster})
}

let h2Relay: Relay
let h1Relay: Relay
let direct: string

beforeAll(async () => {
  ;[h2Relay, h1Relay] = await Promise.all([startRelay('h2'), startRelay('h1-only')])
  // Output taken at two moments is compared: wait until earlier files' namespaces are gone.
  await waitForNoTerminatingNamespaces(clients().core)
  direct = (await cli(['images', '-A', '--by', 'pod', '--kubeconfig', kubeconfig])).stdout
})

afterAll(() => {
  h2Relay?.close()
  h1Relay?.close()
})

describe('the connection to the API server', () => {
  const certUser = {'client-certificate-data': admin['client-certificate-data'], 'client-key-data': admin['client-key-data']}

  it('is one HTTP/2 connection by default, with flow-control windows sized for a remote server', async () => {
    h2Relay.versions.length = 0
    h2Relay.windows.length = 0
    const result = await cli(['images', '-A', '--by', 'pod', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${h2Relay.port}`, certUser, 'h2')])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toBe(direct)
    expect(h2Relay.versions.length).toBeGreaterThan(0)
    expect(new Set(h2Relay.versions)).toEqual(new Set(['2.0']))
    // not HTTP/2's default 64 KiB, which over a 40 ms link caps a response at 13 Mbit/s
    expect(Math.min(...h2Relay.windows)).toBeGreaterThanOrEqual(1024 * 1024)
  })

  it('is HTTP/1.1 with ELIFE_K8S_HTTP1=1', async () => {
    h2Relay.versions.length = 0
    const result = await cli(['images', '-A', '--by', 'pod', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${h2Relay.port}`, certUser, 'h2-forced-h1')], {
      ELIFE_K8S_HTTP1: '1',
    })
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toBe(direct)
    expect(new Set(h2Relay.versions)).toEqual(new Set(['1.1']))
  })

  it('falls back to HTTP/1.1 when the server offers no HTTP/2', async () => {
    h1Relay.versions.length = 0
    const result = await cli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${h1Relay.port}`, certUser, 'h1-only')])
    expect(result.exitCode, result.stderr).toBe(0)
    const viaRelay = JSON.parse(result.stdout) as {releases: unknown[]}
    const straight = JSON.parse((await cli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfig])).stdout) as {releases: unknown[]}
    expect(viaRelay.releases).toEqual(straight.releases)
    expect(new Set(h1Relay.versions)).toEqual(new Set(['1.1']))
  })
})

describe('an exec credential plugin', () => {
  // The plugin hands out the admin's client certificate (ExecCredential status.clientCertificateData)
  // and notes each time it is started.
  const counter = path.join(scratch, 'plugin-starts')
  const plugin = path.join(scratch, 'plugin.cjs')
  beforeAll(() => {
    writeFileSync(
      plugin,
      `require('node:fs').appendFileSync(${JSON.stringify(counter)}, 'started\\n')
process.stdout.write(JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: {
  clientCertificateData: ${JSON.stringify(adminCert.toString('utf8'))},
  clientKeyData: ${JSON.stringify(adminKey.toString('utf8'))},
  expirationTimestamp: new Date(Date.now() + 600000).toISOString(),
}}))
`,
    )
  })
  const execUser = () => ({exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], interactiveMode: 'Never'}})

  for (const args of [
    ['helm', 'list', '-A'],
    ['images', '-A'],
  ]) {
    it(`is started once for \`${args.join(' ')}\`, which sends several requests at once`, async () => {
      writeFileSync(counter, '')
      const result = await cli([...args, '--kubeconfig', kubeconfigFor(upstream.origin, execUser(), `exec-${args[0]}`)])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1)
    })
  }
})

interface Proxy {
  url: string
  /** host:port of every tunnel the proxy opened. */
  tunnels: string[]
  close(): void
}

function listen(server: net.Server, scheme: string, tunnels: string[]): Promise<Proxy> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels, close: () => server.close()}))
  })
}

/** An HTTP proxy that opens CONNECT tunnels (what client-node uses for an https server). */
function startHttpProxy(): Promise<Proxy> {
  const tunnels: string[] = []
  const server = http.createServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, port] = (req.url ?? '').split(':')
    tunnels.push(`${host}:${port}`)
    const target = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      target.write(head)
      target.pipe(client).pipe(target)
    })
    target.on('error', () => client.destroy())
    client.on('error', () => target.destroy())
  })
  return listen(server, 'http', tunnels)
}

/** A SOCKS5 proxy (RFC 1928: no authentication, CONNECT to an IPv4 address, a name or IPv6). */
function startSocksProxy(): Promise<Proxy> {
  const tunnels: string[] = []
  const server = net.createServer((client) => {
    client.on('error', () => client.destroy())
    client.once('data', (greeting: Buffer) => {
      if (greeting[0] !== 5) return client.destroy()
      client.write(Buffer.from([5, 0]))
      client.once('data', (request: Buffer) => {
        const type = request[3]
        let host: string
        let at: number
        if (type === 1) [host, at] = [[...request.subarray(4, 8)].join('.'), 8]
        else if (type === 3) [host, at] = [request.subarray(5, 5 + request[4]).toString(), 5 + request[4]]
        else [host, at] = [(request.subarray(4, 20).toString('hex').match(/.{4}/g) ?? []).join(':'), 20]
        const port = request.readUInt16BE(at)
        tunnels.push(`${host}:${port}`)
        const target = net.connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]))
          target.write(request.subarray(at + 2))
          target.pipe(client).pipe(target)
        })
        target.on('error', () => client.destroy())
      })
    })
  })
  return listen(server, 'socks5', tunnels)
}

describe("a cluster's proxy-url", () => {
  // client-node's proxy agents are bundled to load on first use (scripts/build.mjs): these prove
  // they are there when a kubeconfig asks for them, and that requests go through the proxy.
  const certUser = {'client-certificate-data': admin['client-certificate-data'], 'client-key-data': admin['client-key-data']}
  for (const start of [startHttpProxy, startSocksProxy]) {
    it(`takes helm list and images through ${start === startHttpProxy ? 'an HTTP (CONNECT)' : 'a SOCKS5'} proxy`, async () => {
      const proxy = await start()
      try {
        const file = kubeconfigFor(upstream.origin, certUser, `proxy-${start.name}`, proxy.url)
        // both bundles: the fast path's (CommonJS) and the oclif command's (ES module)
        for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
          const images = await cli(['images', '-A', '--by', 'pod', '--kubeconfig', file], env)
          expect(images.exitCode, images.stderr).toBe(0)
          expect(images.stdout).toBe(direct)
        }
        const viaProxy = await cli(['helm', 'list', '-A', '--json', '--kubeconfig', file])
        expect(viaProxy.exitCode, viaProxy.stderr).toBe(0)
        const straight = await cli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfig])
        expect((JSON.parse(viaProxy.stdout) as {releases: unknown[]}).releases).toEqual((JSON.parse(straight.stdout) as {releases: unknown[]}).releases)
        expect(proxy.tunnels.length).toBeGreaterThan(0)
        expect(new Set(proxy.tunnels)).toEqual(new Set([`${upstream.hostname}:${upstream.port}`]))
      } finally {
        proxy.close()
      }
    })
  }
})
