import {mkdtempSync, readFileSync} from 'node:fs'
import net, {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import tls from 'node:tls'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {runCli} from '../helpers/cli.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {selfSignedCert} from '../helpers/tls.js'

// Servers on loopback that accept a connection and then never answer: one never starts TLS, one
// completes TLS (offering HTTP/1.1 only, or HTTP/2) and never answers a request. Before
// --request-timeout existed, every command below waited forever (runCli's own limit would kill it).
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-hung-'))
const {keyFile, certFile} = selfSignedCert(scratch)

interface Hung {
  url: string
  close(): void
}

function listen(server: net.Server, scheme: string): Promise<Hung> {
  const sockets = new Set<net.Socket>()
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket)
    socket.on('error', () => undefined)
  })
  server.on('secureConnection', (socket: net.Socket) => socket.on('error', () => undefined))
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => {
          for (const socket of sockets) socket.destroy()
          server.close()
        },
      })
    })
  })
}

let silentTcp: Hung
let silentHttp1: Hung
let silentHttp2: Hung

beforeAll(async () => {
  const tlsOptions = {key: readFileSync(keyFile), cert: readFileSync(certFile)}
  silentTcp = await listen(net.createServer(), 'https')
  silentHttp1 = await listen(tls.createServer({...tlsOptions, ALPNProtocols: ['http/1.1']}), 'https')
  silentHttp2 = await listen(tls.createServer({...tlsOptions, ALPNProtocols: ['h2']}), 'https')
})

afterAll(() => {
  for (const server of [silentTcp, silentHttp1, silentHttp2]) server?.close()
})

function kubeconfigFor(server: string): string {
  return writeKubeconfig(path.join(scratch, `kubeconfig-${new URL(server).port}`), server, {name: 'hung'})
}

const env = (extra: NodeJS.ProcessEnv = {}) => ({HOME: scratch, KUBECONFIG: '', ...extra})

function expectTimeout(result: {exitCode: number; stderr: string}, server: string, phrase: RegExp) {
  expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
  const lines = result.stderr.trim().split('\n')
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toContain(server)
  expect(lines[0]).toMatch(phrase)
  expect(lines[0]).toMatch(/--request-timeout/)
}

describe('a server that accepts and never answers ends in exit 5, naming it', () => {
  const commands: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    ['images (raw GET)', ['images', '-A']],
    ['helm list (raw GET, fast path)', ['helm', 'list', '-A']],
    ['helm list through oclif', ['helm', 'list', '-A'], {ELIFE_K8S_FAST_PATH: '0'}],
    ['logs (client-node typed call)', ['logs', 'flux', '-n', 'flux']],
  ]
  for (const [name, args, extra] of commands) {
    it(`${name}: no TLS handshake`, async () => {
      const result = await runCli([...args, '--kubeconfig', kubeconfigFor(silentTcp.url), '--request-timeout', '1s'], {env: env(extra), timeoutMs: 60_000})
      // client-node 2 sends its typed calls through undici, which does not open sockets through the
      // kubeconfig's agent: there the handshake is bounded by the whole request's limit, not on its own.
      expectTimeout(
        result,
        silentTcp.url,
        name.includes('typed call') ? /(did not complete the TLS handshake|did not answer) within 1s/ : /did not complete the TLS handshake within 1s/,
      )
    })

    it(`${name}: TLS, then no HTTP/1.1 answer`, async () => {
      // 3s: on a loaded 2-core machine the loopback TLS handshake alone can take more than 1s.
      const result = await runCli([...args, '--kubeconfig', kubeconfigFor(silentHttp1.url), '--request-timeout', '3s'], {env: env(extra), timeoutMs: 60_000})
      expectTimeout(result, silentHttp1.url, /did not answer within 3s/)
    })

    it(`${name}: TLS, then no HTTP/2 answer`, async () => {
      const result = await runCli([...args, '--kubeconfig', kubeconfigFor(silentHttp2.url), '--request-timeout', '3s'], {env: env(extra), timeoutMs: 60_000})
      expectTimeout(result, silentHttp2.url, /did not answer within 3s/)
    })
  }

  it('an AWS endpoint (EKS DescribeCluster) that accepts and never answers', async () => {
    for (const endpoint of [silentTcp.url, silentTcp.url.replace('https:', 'http:')]) {
      const result = await runCli(['kubeconfig', '--cluster', 'elife-test', '--region', 'us-east-1', '--dry-run', '--request-timeout', '1s'], {
        env: env({
          KUBECONFIG: path.join(scratch, 'aws-kubeconfig'),
          AWS_ENDPOINT_URL_EKS: endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret-example',
          AWS_MAX_ATTEMPTS: '1',
          AWS_PROFILE: undefined,
        }),
        timeoutMs: 60_000,
      })
      expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
      expect(result.stderr).toContain(`the AWS endpoint ${endpoint}`)
      expect(result.stderr).toMatch(/did not answer within 1s/)
      expect(result.stderr).not.toContain('secret-example')
    }
  })

  it("the SDK's retries do not multiply --request-timeout: EKS and STS calls end in exit 5 after one limit, not three", async () => {
    // No AWS_MAX_ATTEMPTS: the SDK's default of three attempts. Before src/lib/eks/clients.ts bounded
    // the whole call, each attempt waited the full 4s (12s and more); runCli kills the run at 10s.
    const base = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-example',
      AWS_MAX_ATTEMPTS: undefined,
      AWS_PROFILE: undefined,
      XDG_CACHE_HOME: path.join(scratch, 'cache'),
    }
    const endpoint = silentTcp.url.replace('https:', 'http:')
    const runs: Array<[string[], NodeJS.ProcessEnv]> = [
      [
        ['kubeconfig', '--cluster', 'elife-test', '--region', 'us-east-1', '--dry-run'],
        {AWS_ENDPOINT_URL_EKS: endpoint, KUBECONFIG: path.join(scratch, 'aws-kubeconfig')},
      ],
      [
        ['token', '--cluster', 'elife-test', '--region', 'us-east-1', '--role-arn', 'arn:aws:iam::123456789012:role/elife-test'],
        {AWS_ENDPOINT_URL_STS: endpoint},
      ],
    ]
    for (const [args, extra] of runs) {
      const result = await runCli([...args, '--request-timeout', '4s'], {env: env({...base, ...extra}), timeoutMs: 10_000})
      expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
      expect(result.stderr).toContain(`the AWS endpoint ${endpoint}`)
      expect(result.stderr).toMatch(/did not answer within 4s/)
      expect(result.stdout).toBe('')
    }
  })

  it('--request-timeout that is not a duration is a usage error naming the flag, not the value', async () => {
    for (const args of [
      ['images', '--request-timeout', 'soon-ish'],
      ['logs', 'flux', '--request-timeout', 'soon-ish'],
    ]) {
      const result = await runCli([...args, '--kubeconfig', kubeconfigFor(silentTcp.url)], {env: env(), timeoutMs: 60_000})
      expect(result.exitCode, result.stderr).toBe(ExitCode.USAGE)
      expect(result.stderr).toMatch(/--request-timeout is not a duration/)
      expect(result.stderr).not.toContain('soon-ish')
    }
  })
})
