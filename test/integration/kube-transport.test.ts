import {readFileSync, writeFileSync} from 'node:fs'
import http2 from 'node:http2'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'

import {cli, kubeconfig} from './helm-support.js'

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
  const handler = (req: http2.Http2ServerRequest | import('node:http').IncomingMessage, res: http2.Http2ServerResponse | import('node:http').ServerResponse) => {
    versions.push(req.httpVersion)
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(req.headers)) if (!key.startsWith(':') && key !== 'host' && key !== 'connection' && typeof value === 'string') headers[key] = value
    const forward = https.request({host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, ca, cert: adminCert, key: adminKey}, (answer) => {
      const back: Record<string, string> = {}
      for (const [key, value] of Object.entries(answer.headers)) if (!['connection', 'transfer-encoding', 'keep-alive'].includes(key) && typeof value === 'string') back[key] = value
      ;(res as import('node:http').ServerResponse).writeHead(answer.statusCode ?? 502, back)
      answer.pipe(res as import('node:http').ServerResponse)
    })
    forward.on('error', () => (res as import('node:http').ServerResponse).destroy())
    forward.end()
  }
  const server = kind === 'h2' ? http2.createSecureServer({...tls, allowHTTP1: true}, handler) : https.createServer(tls, handler)
  if (kind === 'h2') {
    ;(server as http2.Http2SecureServer).on('session', (session) => session.on('remoteSettings', (settings) => windows.push(settings.initialWindowSize ?? 65_535)))
  }
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({port: (server.address() as AddressInfo).port, versions, windows, close: () => server.close()}))
  })
}

function kubeconfigFor(server: string, user: Record<string, unknown>, name: string): string {
  const file = path.join(scratch, name)
  writeFileSync(file, YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: 'relay', cluster: {server, 'certificate-authority-data': ca.toString('base64')}}],
    users: [{name: 'user', user}],
    contexts: [{name: 'relay', context: {cluster: 'relay', user: 'user', namespace: 'default'}}],
    'current-context': 'relay',
  }), {mode: 0o600})
  return file
}

let h2Relay: Relay
let h1Relay: Relay
let direct: string

beforeAll(async () => {
  ;[h2Relay, h1Relay] = await Promise.all([startRelay('h2'), startRelay('h1-only')])
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
    const result = await cli(['images', '-A', '--by', 'pod', '--kubeconfig', kubeconfigFor(`https://127.0.0.1:${h2Relay.port}`, certUser, 'h2-forced-h1')], {ELIFE_K8S_HTTP1: '1'})
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
    writeFileSync(plugin, `require('node:fs').appendFileSync(${JSON.stringify(counter)}, 'started\\n')
process.stdout.write(JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: {
  clientCertificateData: ${JSON.stringify(adminCert.toString('utf8'))},
  clientKeyData: ${JSON.stringify(adminKey.toString('utf8'))},
  expirationTimestamp: new Date(Date.now() + 600000).toISOString(),
}}))
`)
  })
  const execUser = () => ({exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], interactiveMode: 'Never'}})

  for (const args of [['helm', 'list', '-A'], ['images', '-A']]) {
    it(`is started once for \`${args.join(' ')}\`, which sends several requests at once`, async () => {
      writeFileSync(counter, '')
      const result = await cli([...args, '--kubeconfig', kubeconfigFor(upstream.origin, execUser(), `exec-${args[0]}`)])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(readFileSync(counter, 'utf8').split('\n').filter(Boolean)).toHaveLength(1)
    })
  }
})
