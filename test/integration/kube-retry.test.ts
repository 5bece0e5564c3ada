import {mkdtempSync, readFileSync} from 'node:fs'
import http2 from 'node:http2'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {runCli} from '../helpers/cli.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {selfSignedCert} from '../helpers/tls.js'

// An API server stand-in on loopback that answers each request as the test scripts it: refuse the
// HTTP/2 stream (NGHTTP2_REFUSED_STREAM, as an API server shedding load or rejecting a token
// does), reset the connection, answer 429 "storage is (re)initializing" with a Retry-After, 401,
// 400, or an empty list. The CLI must retry reads (bounded) and map what remains to the
// documented exit codes, over HTTP/2, HTTP/1.1 and client-node's typed calls.
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-retry-'))
const {keyFile, certFile} = selfSignedCert(scratch)

type Answer = 'refuse' | 'reset' | '429' | '401' | '400' | 'ok'

let script: Answer[] = []
let seen: Answer[] = []
let server: http2.Http2SecureServer
let kubeconfig: string

const status = (code: number, reason: string, message: string) =>
  JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code})

beforeAll(async () => {
  server = http2.createSecureServer({key: readFileSync(keyFile), cert: readFileSync(certFile), allowHTTP1: true}, (req, res) => {
    // Once the script is used up, every request gets the last answer.
    const answer = script.length > 1 ? script.shift()! : (script[0] ?? 'ok')
    seen.push(answer)
    switch (answer) {
      case 'refuse':
        if (req.stream) req.stream.close(http2.constants.NGHTTP2_REFUSED_STREAM)
        else req.socket.destroy()
        return
      case 'reset':
        if (req.stream) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)
        else req.socket.destroy()
        return
      case '429':
        res.writeHead(429, {'content-type': 'application/json', 'retry-after': '1'})
        res.end(status(429, 'TooManyRequests', 'storage is (re)initializing'))
        return
      case '401':
        res.writeHead(401, {'content-type': 'application/json'})
        res.end(status(401, 'Unauthorized', 'Unauthorized'))
        return
      case '400':
        res.writeHead(400, {'content-type': 'application/json'})
        res.end(status(400, 'BadRequest', "unable to parse requirement: found '(', expected: identifier"))
        return
      default:
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(JSON.stringify({kind: 'List', apiVersion: 'v1', metadata: {resourceVersion: '1'}, items: []}))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  kubeconfig = writeKubeconfig(path.join(scratch, 'kubeconfig'), url, {user: {token: 'rejected-token-value'}})
})

afterAll(() => server?.close())

beforeEach(() => {
  seen = []
})

const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  runCli([...args, '--kubeconfig', kubeconfig], {env: {HOME: scratch, KUBECONFIG: '', ...extra}, timeoutMs: 90_000})

const transports: Array<[string, NodeJS.ProcessEnv]> = [
  ['HTTP/2', {}],
  ['HTTP/1.1', {ELIFE_K8S_HTTP1: '1'}],
]

describe('reads are retried on refused streams, resets and 429 (bounded), and what remains maps to its exit code', () => {
  for (const [transport, env] of transports) {
    it(`images over ${transport}: a refused stream, then a 429 with Retry-After, then the list`, async () => {
      script = ['refuse', '429', 'ok']
      const result = await run(['images', '-A'], env)
      expect(result.exitCode, result.stderr).toBe(ExitCode.OK)
      expect(seen).toEqual(['refuse', '429', 'ok'])
    })

    it(`helm list over ${transport}: 429 "storage is (re)initializing" once, then the list`, async () => {
      script = ['429', 'ok']
      const result = await run(['helm', 'list', '-A'], env)
      expect(result.exitCode, result.stderr).toBe(ExitCode.OK)
      expect(seen.slice(0, 2)).toEqual(['429', 'ok'])
    })

    it(`images over ${transport}: refused, then the token is rejected: exit 4, not 1`, async () => {
      script = ['refuse', '401']
      const result = await run(['images', '-A'], env)
      expect(result.exitCode, result.stderr).toBe(ExitCode.FORBIDDEN)
      expect(result.stderr).toMatch(/did not accept our credentials/)
      expect(result.stderr).not.toContain('rejected-token-value')
    })

    it(`images over ${transport}: reset every time: a few tries, then exit 5 in one line`, async () => {
      script = ['reset']
      const result = await run(['images', '-A'], env)
      expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
      expect(result.stderr.trim().split('\n')).toHaveLength(1)
      expect(seen.length).toBeGreaterThan(1)
      expect(seen.length).toBeLessThanOrEqual(4)
    })
  }

  it('client-node typed calls (logs): refused, 429, then the (empty) pod list: exit 3 "no pod", not 1', async () => {
    script = ['refuse', '429', 'ok']
    const result = await run(['logs', 'flux', '-n', 'flux'])
    expect(result.exitCode, result.stderr).toBe(ExitCode.NOT_FOUND)
    expect(result.stderr).toMatch(/no flux pod/)
    expect(seen).toEqual(['refuse', '429', 'ok'])
  })

  it('429 that never ends: bounded tries, then exit 5 saying the server is not answering now', async () => {
    script = ['429']
    const result = await run(['images', '-A'])
    expect(result.exitCode, result.stderr).toBe(ExitCode.UNREACHABLE)
    expect(result.stderr).toMatch(/429: storage is \(re\)initializing/)
    expect(seen.length).toBeLessThanOrEqual(4)
  })

  it('a 400 (a label selector the server cannot parse) is a usage error, exit 2, and is not retried', async () => {
    script = ['400']
    for (const args of [
      ['images', '-A', '-l', 'app in (x'],
      ['images', '-A', '-l', 'app in (x', '--no-color', '--by', 'pod'],
    ]) {
      seen = []
      const result = await run(args)
      expect(result.exitCode, result.stderr).toBe(ExitCode.USAGE)
      expect(result.stderr).toMatch(/unable to parse requirement/)
      expect(seen).toEqual(['400'])
    }
  })
})
