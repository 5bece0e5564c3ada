import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import http2 from 'node:http2'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {childEnv, repoRoot} from '../helpers/cli.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {selfSignedCert} from '../helpers/tls.js'

// Ctrl-C at a confirmation prompt (in a real pseudo-terminal, through script(1)), SIGINT/SIGTERM
// during a change, stdout's reader going away (`| head`), and --debug stack traces. The API
// server is a stand-in on loopback that records every request and can hold a write until the test
// has sent its signal.
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-interrupt-'))
const {keyFile, certFile} = selfSignedCert(scratch)
const template = path.join(repoRoot, 'test/fixtures/alertmanager/good/01-minimal.yaml')

interface Seen {
  method: string
  path: string
}

let requests: Seen[] = []
/** Called when a write arrives; answer it by calling `release`. */
let onWrite: (release: () => void) => void = (release) => release()
/** Called when a secret is read; answer it by calling `release`. */
let onSecretRead: (release: () => void) => void = (release) => release()
let server: http2.Http2SecureServer
let kubeconfig: string

const pod = (name: string) => ({
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {name, namespace: 'flux', uid: `uid-${name}`, labels: {app: 'flux'}, creationTimestamp: '2026-01-01T00:00:00Z'},
  spec: {containers: [{name: 'flux', image: 'docker.io/fluxcd/flux:1.25.4'}]},
  status: {
    phase: 'Running',
    containerStatuses: [{name: 'flux', ready: true, restartCount: 0, image: 'docker.io/fluxcd/flux:1.25.4', imageID: '', state: {running: {}}}],
  },
})

function answer(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): void {
  const url = new URL(req.url, 'https://stand-in')
  requests.push({method: req.method, path: url.pathname})
  const json = (status: number, body: unknown) => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const notFound = () => json(404, {kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found'})
  if (req.method !== 'GET') {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => onWrite(() => json(201, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'))))
    return
  }
  let match: RegExpExecArray | null
  if ((match = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname))) return json(200, {kind: 'Namespace', apiVersion: 'v1', metadata: {name: match[1]}})
  if (/\/secrets\//.test(url.pathname)) return onSecretRead(notFound)
  if (url.pathname === '/api/v1/pods') {
    // Enough rows that the table does not fit in a pipe's buffer.
    return json(200, {
      kind: 'PodList',
      apiVersion: 'v1',
      metadata: {},
      items: Array.from({length: 4000}, (_, i) => ({...pod(`p${i}`), spec: {containers: [{name: 'c', image: `registry.example/team/app-${i}:v${i}`}]}})),
    })
  }
  if (url.pathname === '/api/v1/namespaces/flux/pods') return json(200, {kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [pod('flux-1')]})
  if (url.pathname === '/api/v1/namespaces/flux/pods/flux-1') return json(200, pod('flux-1'))
  if (url.pathname === '/api/v1/namespaces/flux/pods/flux-1/log') {
    // A log that never ends, as `-f` on a busy fluxd.
    res.writeHead(200, {'content-type': 'text/plain'})
    let n = 0
    const timer = setInterval(() => res.write(`ts=2026-01-01T00:00:00Z caller=loop.go:1 line=${n++} ${'x'.repeat(200)}\n`), 5)
    res.on('close', () => clearInterval(timer))
    return
  }
  notFound()
}

beforeAll(async () => {
  server = http2.createSecureServer({key: readFileSync(keyFile), cert: readFileSync(certFile), allowHTTP1: true}, answer)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  kubeconfig = writeKubeconfig(path.join(scratch, 'kubeconfig'), `https://127.0.0.1:${(server.address() as AddressInfo).port}`, {user: {token: 'a-token'}})
})

afterAll(() => {
  server?.close()
})

beforeEach(() => {
  requests = []
  onWrite = (release) => release()
  onSecretRead = (release) => release()
})

interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function finished(child: ChildProcess, output: {stdout: string; stderr: string}): Promise<Finished> {
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal, ...output})))
}

function start(args: string[], extra: NodeJS.ProcessEnv = {}): {child: ChildProcess; output: {stdout: string; stderr: string}} {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...args, '--kubeconfig', kubeconfig], {
    env: childEnv({HOME: scratch, KUBECONFIG: '', ...extra}),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output = {stdout: '', stderr: ''}
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')))
  return {child, output}
}

/** One argument as sh reads it: script(1) runs its command through a shell. */
const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`

describe('Ctrl-C at a confirmation prompt, in a terminal', () => {
  it('alertmanager apply: exit 8, one line, nothing changed', async () => {
    const command = [process.execPath, path.join(repoRoot, 'bin/run.js'), 'alertmanager', 'apply', '--template', template, '--kubeconfig', kubeconfig]
      .map(quote)
      .join(' ')
    // script -e: its exit code is the command's; -f: output as it comes; -q: no banner.
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: childEnv({HOME: scratch, KUBECONFIG: '', TERM: 'dumb'}),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let screen = ''
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        screen += chunk.toString('utf8')
        if (screen.includes('Go ahead? [y/N]')) resolve()
      })
      child.on('close', (code) => reject(new Error(`ended (${code}) before asking: ${screen}`)))
    })
    child.stdin!.write('\u0003')
    const code = await done
    child.stdin!.end()
    expect(code, screen).toBe(ExitCode.ABORTED)
    const afterPrompt = screen
      .slice(screen.indexOf('Go ahead? [y/N]'))
      .split(/\r?\n/)
      .slice(1)
      .filter((line) => line.trim() !== '')
    expect(afterPrompt, screen).toHaveLength(1)
    expect(afterPrompt[0]).toMatch(
      /^error: not confirmed: create secret "alertmanager-prometheus-operator" in adm; interrupted at the prompt; nothing was changed$/,
    )
    expect(screen).not.toMatch(/unexpected failure|please report/)
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([])
  })
})

describe('a signal during a change: stop at a safe point, say the state, exit 130/143', () => {
  for (const [signal, exitCode] of [
    ['SIGTERM', ExitCode.TERMINATED],
    ['SIGINT', ExitCode.INTERRUPTED],
  ] as const) {
    it(`${signal} while the secret is being created`, async () => {
      const {child, output} = start(['alertmanager', 'apply', '--template', template, '--yes'])
      onWrite = (release) => {
        child.kill(signal)
        // The write is answered after the signal: the CLI must let it finish, then stop.
        setTimeout(release, 200)
      }
      const result = await finished(child, output)
      expect(result.signal, result.stderr).toBeNull()
      expect(result.code, result.stderr).toBe(exitCode)
      const last = result.stderr.trim().split('\n').at(-1)
      expect(last).toMatch(new RegExp(`^error: interrupted by ${signal}: stopped at a safe point; the change had started: the ✔ lines above are what was done`))
      // Nothing was sent after the write in flight.
      expect(requests.at(-1)?.method).toBe('POST')
    })
  }

  it('SIGTERM while reading, before the change: exit 143, "nothing was changed", nothing written', async () => {
    const {child, output} = start(['alertmanager', 'apply', '--template', template, '--yes'])
    onSecretRead = (release) => {
      child.kill('SIGTERM')
      setTimeout(release, 200)
    }
    const result = await finished(child, output)
    expect(result.signal, result.stderr).toBeNull()
    expect(result.code, result.stderr).toBe(ExitCode.TERMINATED)
    expect(result.stderr.trim().split('\n').at(-1)).toBe('error: interrupted by SIGTERM: stopped at a safe point; nothing was changed')
    expect(requests.filter((r) => r.method !== 'GET')).toEqual([])
  })
})

describe('a command that ends itself on Ctrl-C', () => {
  it('logs -f: SIGINT ends the stream, exit 0, no interruption line', async () => {
    const {child, output} = start(['logs', 'flux', '-n', 'flux', '-f', '--no-color'])
    child.stdout!.once('data', () => child.kill('SIGINT'))
    const result = await finished(child, output)
    expect(result.code, result.stderr).toBe(ExitCode.OK)
    expect(result.stderr).not.toMatch(/interrupted|error/)
  })
})

describe('stdout closed by its reader (`| head`): quiet exit 141, as kubectl', () => {
  const readFirstChunkThenClose = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const {child, output} = start(args, extra)
    child.stdout!.once('data', () => child.stdout!.destroy())
    return finished(child, output)
  }

  for (const [name, extra] of [
    ['fast path', {}],
    ['oclif', {ELIFE_K8S_FAST_PATH: '0'}],
  ] as const) {
    it(`images (${name})`, async () => {
      const result = await readFirstChunkThenClose(['images', '-A'], extra)
      expect(result.code, result.stderr).toBe(ExitCode.PIPE_CLOSED)
      expect(result.stderr).toBe('')
    })
  }

  it('logs -f stops when its reader goes away, without a message', async () => {
    const result = await readFirstChunkThenClose(['logs', 'flux', '-n', 'flux', '-f', '--no-color'])
    expect(result.code, result.stderr).toBe(ExitCode.PIPE_CLOSED)
    expect(result.stderr).not.toMatch(/error|EPIPE|MaxListeners/i)
  })
})

describe('--debug', () => {
  for (const [name, extra] of [
    ['fast path', {}],
    ['oclif', {ELIFE_K8S_FAST_PATH: '0'}],
  ] as const) {
    it(`a failure's stack names src/ .ts lines, not dist/ bundles (${name})`, async () => {
      const {child, output} = start(['images', '--debug', '--context', 'no-such-context'], extra)
      const result = await finished(child, output)
      expect(result.code, result.stderr).toBe(ExitCode.USAGE)
      expect(result.stderr).toMatch(/at loadKubeConfig \(.*\/src\/lib\/kube\/config\.ts:\d+:\d+\)/)
      expect(result.stderr).not.toMatch(/dist\/.*\.c?js:\d+/)
    })
  }
})

describe('parse errors name the flag, never its value', () => {
  const secret = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET'
  const cases: Array<[string[], RegExp]> = [
    [['alertmanager', 'apply', `--slack-url=${secret}`], /^error: Nonexistent flag: --slack-url$/m],
    [['images', `--by=${secret}`], /^error: Expected --by to be one of: image, pod$/m],
    [['helm', 'list', `--token=${secret}`, '--json'], /"message": "Nonexistent flag: --token\\nSee more help with --help"/],
    [['logs', 'flux', '--tail', secret, '--debug'], /Expected an integer but received something else/],
  ]
  for (const [args, shown] of cases) {
    it(args.filter((a) => !a.includes('SECRET')).join(' '), async () => {
      const {child, output} = start(args)
      const result = await finished(child, output)
      expect(result.code, result.stderr).toBe(ExitCode.USAGE)
      expect(result.stdout + result.stderr).toMatch(shown)
      expect(result.stdout + result.stderr).not.toContain('SECRET')
      expect(result.stdout + result.stderr).not.toContain('hooks.slack.com')
    })
  }
})
