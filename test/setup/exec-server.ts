/**
 * A stand-in for the kubelet's streaming server, for the one thing the local cluster cannot do:
 * attach to a running container's process (kwok has no containers; its attach replays a canned
 * CRI log and ignores stdin). It speaks the same wire protocol the API server relays to clients,
 * so sniff's code path (client-node's Attach/Exec over WebSocket) is exercised unchanged:
 *
 * - an HTTP upgrade on /api/v1/namespaces/{ns}/pods/{pod}/{attach|exec}?container=...&command=...
 *   with subprotocol v5.channel.k8s.io (preferred) or v4.channel.k8s.io;
 * - binary frames whose first byte is the channel: 0 stdin (client → server), 1 stdout,
 *   2 stderr, 3 the final metav1.Status as JSON (server → client), and on v5 [255, 0] from the
 *   client to half-close stdin;
 * - at the end a Status on channel 3: {"status":"Success"} or, for a non-zero exit,
 *   {"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"<n>"}]}},
 *   as kubelet's remotecommand server writes it; then the socket closes.
 *
 * What runs is up to the test: typically the container's real command as a local process.
 */
import {spawn} from 'node:child_process'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {PassThrough, type Readable} from 'node:stream'

import {KubeConfig} from '@kubernetes/client-node'
import {WebSocketServer, type WebSocket} from 'ws'

export interface StreamRequest {
  kind: 'exec' | 'attach'
  namespace: string
  pod: string
  container: string
  command: string[]
  protocol: string
  stdin: Readable
  stdout(data: Buffer | string): void
  stderr(data: Buffer | string): void
  /** Aborted when the client hangs up. */
  signal: AbortSignal
}

/** The process's exit code, or a failure message (as the kubelet reports a runtime error). */
export type StreamOutcome = {exitCode: number} | {failure: string}

export type StreamHandler = (request: StreamRequest) => Promise<StreamOutcome>

export interface ExecServer {
  /** A kubeconfig whose cluster is this server (plain ws://, no auth). */
  kubeConfig(): KubeConfig
  /** Every request seen, for assertions. */
  requests: Array<Omit<StreamRequest, 'stdin' | 'stdout' | 'stderr' | 'signal'> & {stdinBytes: number; stdinClosedByClient: boolean}>
  close(): Promise<void>
}

const CHANNEL = {stdin: 0, stdout: 1, stderr: 2, error: 3, close: 255}

function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data
  return Buffer.concat([Buffer.from([channel]), payload])
}

export async function startExecServer(handler: StreamHandler): Promise<ExecServer> {
  const http: Server = createServer((_req, res) => {
    res.writeHead(400).end('this test server only serves exec/attach upgrades')
  })
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : offered.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  })
  const requests: ExecServer['requests'] = []
  const sockets = new Set<WebSocket>()

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(exec|attach)$/.exec(url.pathname)
    if (!match) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      const [, namespace, pod, kind] = match
      const record = {
        kind: kind as 'exec' | 'attach',
        namespace,
        pod,
        container: url.searchParams.get('container') ?? '',
        command: url.searchParams.getAll('command'),
        protocol: ws.protocol,
        stdinBytes: 0,
        stdinClosedByClient: false,
      }
      requests.push(record)
      const stdin = new PassThrough()
      const hangup = new AbortController()
      ws.on('message', (data: Buffer) => {
        if (data.length === 0) return
        if (data[0] === CHANNEL.stdin) {
          record.stdinBytes += data.length - 1
          stdin.write(data.subarray(1))
        } else if (data[0] === CHANNEL.close && data[1] === CHANNEL.stdin) {
          record.stdinClosedByClient = true
          stdin.end()
        }
      })
      ws.on('close', () => {
        // The kubelet closes the process's stdin when the client goes away.
        stdin.end()
        hangup.abort()
      })
      const send = (channel: number) => (data: Buffer | string) => {
        if (ws.readyState === ws.OPEN) ws.send(frame(channel, data))
      }
      handler({...record, stdin, stdout: send(CHANNEL.stdout), stderr: send(CHANNEL.stderr), signal: hangup.signal})
        .catch((error: unknown) => ({failure: error instanceof Error ? error.message : String(error)}))
        .then((outcome) => {
          const status =
            'failure' in outcome
              ? {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: outcome.failure, reason: 'InternalError', code: 500}
              : outcome.exitCode === 0
                ? {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success'}
                : {
                    kind: 'Status',
                    apiVersion: 'v1',
                    metadata: {},
                    status: 'Failure',
                    reason: 'NonZeroExitCode',
                    message: `command terminated with non-zero exit code: error executing command, exit status ${outcome.exitCode}`,
                    details: {causes: [{reason: 'ExitCode', message: String(outcome.exitCode)}]},
                  }
          send(CHANNEL.error)(JSON.stringify(status))
          ws.close(1000)
        })
    })
  })

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const {port} = http.address() as AddressInfo
  return {
    requests,
    kubeConfig() {
      const kc = new KubeConfig()
      kc.loadFromOptions({
        clusters: [{name: 'exec-server', server: `http://127.0.0.1:${port}`, skipTLSVerify: true}],
        users: [{name: 'nobody'}],
        contexts: [{name: 'exec-server', cluster: 'exec-server', user: 'nobody'}],
        currentContext: 'exec-server',
      })
      return kc
    },
    async close() {
      for (const ws of sockets) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/**
 * Runs `command` as a local process in place of the container's, wiring its stdin/stdout/stderr to
 * the stream (what the container runtime does for an attach or exec).
 */
export function runLocally(request: StreamRequest, command: string[], env: NodeJS.ProcessEnv): Promise<StreamOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {env, stdio: ['pipe', 'pipe', 'pipe']})
    child.stdout.on('data', (d: Buffer) => request.stdout(d))
    child.stderr.on('data', (d: Buffer) => request.stderr(d))
    child.stdin.on('error', () => {})
    request.stdin.pipe(child.stdin)
    child.on('error', (error) => resolve({failure: `exec: "${command[0]}": ${error.message}`}))
    child.on('close', (code, signal) => resolve({exitCode: code ?? (signal ? 128 + 15 : 1)}))
  })
}
