import {PassThrough, Writable} from 'node:stream'

import {Attach, Exec, type KubeConfig, type V1Status} from '@kubernetes/client-node'

/**
 * One exec or attach session over the API server's WebSocket (client-node's Exec/Attach, which
 * speak v5/v4.channel.k8s.io: every frame starts with its channel, 0 stdin, 1 stdout, 2 stderr,
 * 3 the final status as JSON). The kubelet ends an exec with a status on channel 3; an attach
 * just closes when the container's process exits.
 */
export interface RemoteSession {
  /** Sends bytes on stdin (the ephemeral container's start line, upload mode's tar archive). */
  write(data: string | Buffer): void
  /** Closes stdin: on v5 a half-close, on older protocols the whole socket. Our scripts stop tcpdump on it. */
  closeStdin(): void
  /** Hangs up the socket. */
  close(): void
  /** Resolves once the session is over, however it ended. */
  ended: Promise<RemoteEnd>
}

export interface RemoteEnd {
  /** The process's exit code when the kubelet reported one (exec only). */
  exitCode?: number
  /** The status's message when the kubelet reported a failure other than an exit code. */
  failure?: string
  /** The last few KiB of stderr, for error lines. */
  stderr: string
  /** The WebSocket close code, when it closed before a status arrived. */
  closeCode?: number
}

export interface SessionTarget {
  namespace: string
  pod: string
  container: string
}

const STDERR_KEEP = 8 * 1024

/** Exit code and message from the channel-3 status the kubelet sends when an exec ends. */
export function readExitStatus(status: V1Status): Pick<RemoteEnd, 'exitCode' | 'failure'> {
  if (status.status === 'Success') return {exitCode: 0}
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode')
  if (status.reason === 'NonZeroExitCode' && cause?.message && /^\d+$/.test(cause.message)) return {exitCode: Number(cause.message)}
  // Some kubelet implementations (kwok among them) report a process's exit as a generic failure
  // whose message ends with Go's "exit status N"; that is still an exit code, not a runtime error.
  const exited = /exit status (\d+)$/.exec(status.message ?? '')
  if (exited) return {exitCode: Number(exited[1])}
  return {failure: status.message ?? status.reason ?? 'the remote command failed'}
}

function sink(onChunk: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onChunk(chunk)
      callback()
    },
  })
}

export async function openSession(
  kc: KubeConfig,
  kind: 'exec' | 'attach',
  target: SessionTarget,
  command: string[],
  onStdout: (chunk: Buffer) => void,
): Promise<RemoteSession> {
  let stderr = ''
  const stdout = sink(onStdout)
  const stderrSink = sink((chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEEP)
  })
  const stdin = new PassThrough()
  let resolveEnded!: (end: RemoteEnd) => void
  const ended = new Promise<RemoteEnd>((resolve) => {
    resolveEnded = resolve
  })
  let status: Pick<RemoteEnd, 'exitCode' | 'failure'> | undefined
  const socket =
    kind === 'exec'
      ? await new Exec(kc).exec(target.namespace, target.pod, target.container, command, stdout, stderrSink, stdin, false, (s) => {
          status = readExitStatus(s)
        })
      : await new Attach(kc).attach(target.namespace, target.pod, target.container, stdout, stderrSink, stdin, false)
  socket.on('close', (code: number) => resolveEnded({...status, stderr, closeCode: status ? undefined : code}))
  socket.on('error', () => {
    // 'close' follows every 'error' in ws; the end is reported there.
  })
  let stdinClosed = false
  return {
    write(data) {
      if (!stdinClosed) stdin.write(data)
    },
    closeStdin() {
      if (stdinClosed) return
      stdinClosed = true
      stdin.end()
    },
    close() {
      socket.close()
    },
    ended,
  }
}
