import {CliError} from '../errors.js'
import type {RemoteEnd, RemoteSession} from './channel.js'
import {PcapFramer, PcapStreamError} from './pcap.js'
import type {PcapSink} from './sink.js'

export type StopReason = 'count' | 'duration' | 'interrupted' | 'remote-ended' | 'reader-gone'

export interface CaptureProgress {
  packets: number
  bytes: number
}

export interface CaptureResult extends CaptureProgress {
  stoppedBy: StopReason
  /** How the remote side ended, when it did before we hung up. */
  remote?: RemoteEnd
  /** Bytes of a last, incomplete record that were left out of the file. */
  droppedPartialBytes: number
}

export interface CaptureOptions {
  /** Opens the exec/attach session; every stdout chunk must go to `onStdout`. */
  open(onStdout: (chunk: Buffer) => void): Promise<RemoteSession>
  /** Called once the session is open (the ephemeral container uses it to send its start line). */
  onOpen?(session: RemoteSession): void
  sink: PcapSink
  count?: number
  durationMs?: number
  /** Ctrl-C: the command aborts it from its SIGINT/SIGTERM handler. */
  signal?: AbortSignal
  onProgress?(progress: CaptureProgress): void
  /** How long to wait for tcpdump to stop after stdin is closed before hanging up. */
  stopGraceMs?: number
  /** What runs the capture, for error lines: `debug container "sniff-x" of pod "a" in prod`. */
  where: string
}

/** tcpdump's own words when it is missing: sh's 127, the runtime's "executable file not found". */
export function isMissingExecutable(end: RemoteEnd): boolean {
  return (
    end.exitCode === 127 || /executable file not found|not found in \$PATH|: not found|no such file or directory/i.test(`${end.failure ?? ''}\n${end.stderr}`)
  )
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^(tcpdump: )?listening on|^Got \d+|packets? (captured|received|dropped)/.test(line))
  return lines.at(-1) ?? ''
}

/** Turns a remote end before any packet into the one-line error it deserves. */
export function remoteFailure(end: RemoteEnd, where: string): CliError | undefined {
  if (isMissingExecutable(end)) {
    return new CliError('tool-failed', `tcpdump is missing in ${where}: ${lastLine(`${end.failure ?? ''}\n${end.stderr}`) || 'exit code 127'}`, {
      hint: 'use an --image that has sh and tcpdump, or --mode upload with --tcpdump-binary',
    })
  }
  if (end.failure) return new CliError('tool-failed', `the capture in ${where} failed: ${end.failure}`, {hint: 'rerun with --debug for details'})
  if (end.exitCode !== undefined && end.exitCode !== 0) {
    return new CliError('tool-failed', `tcpdump in ${where} exited with code ${end.exitCode}${lastLine(end.stderr) ? `: ${lastLine(end.stderr)}` : ''}`, {
      hint: 'check the filter expression (man pcap-filter) and the interface (-i)',
    })
  }
  return undefined
}

/**
 * Streams one capture into the sink until --count, --duration, Ctrl-C, the reader going away or
 * the remote end finishing. Stopping closes the remote stdin first (our scripts then stop
 * tcpdump), waits briefly for it to end, then hangs up.
 */
export async function runCapture(options: CaptureOptions): Promise<CaptureResult> {
  const framer = new PcapFramer()
  const maxRecords = options.count ?? Number.POSITIVE_INFINITY
  let stopRequested: StopReason | undefined
  let streamError: Error | undefined
  let requestStop!: (reason: StopReason) => void
  const stopped = new Promise<StopReason>((resolve) => {
    requestStop = (reason) => {
      if (!stopRequested) {
        stopRequested = reason
        resolve(reason)
      }
    }
  })

  const onStdout = (chunk: Buffer) => {
    if (streamError || framer.records >= maxRecords) return
    try {
      const framed = framer.push(chunk, maxRecords)
      options.sink.write(framed.bytes)
      if (framed.bytes.length > 0) options.onProgress?.({packets: framer.records, bytes: framer.bytes})
      if (framer.records >= maxRecords) requestStop('count')
    } catch (error) {
      streamError = error instanceof Error ? error : new Error(String(error))
      requestStop('remote-ended')
    }
  }

  if (options.signal?.aborted) requestStop('interrupted')
  const onAbort = () => requestStop('interrupted')
  options.signal?.addEventListener('abort', onAbort, {once: true})
  const timer = options.durationMs ? setTimeout(() => requestStop('duration'), options.durationMs) : undefined
  void options.sink.gone.then(() => requestStop('reader-gone'))

  let session: RemoteSession | undefined
  let remote: RemoteEnd | undefined
  try {
    session = await options.open(onStdout)
    const remoteEnded = session.ended.then((end) => {
      remote = end
      requestStop('remote-ended')
      return end
    })
    options.onOpen?.(session)
    const reason = await stopped
    if (reason !== 'remote-ended') {
      session.closeStdin()
      const grace = new Promise<void>((resolve) => setTimeout(resolve, options.stopGraceMs ?? 5000).unref())
      await Promise.race([remoteEnded, grace])
    }
    session.close()
  } finally {
    if (timer) clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
    await options.sink.close()
  }

  if (streamError instanceof PcapStreamError) {
    const detail = lastLine(remote?.stderr ?? '')
    throw new CliError('tool-failed', `${streamError.message} from ${options.where}${detail ? ` (tcpdump said: ${detail})` : ''}`, {
      hint: 'the --image must run tcpdump writing classic pcap (-w -)',
    })
  }
  if (streamError) throw streamError
  const stoppedBy = stopRequested ?? 'remote-ended'
  if (stoppedBy === 'remote-ended' && remote) {
    // A tcpdump that dies on its own after writing packets (e.g. its -c was reached) is a normal end.
    const failure = remoteFailure(remote, options.where)
    if (failure && (framer.records === 0 || isMissingExecutable(remote))) throw failure
  }
  return {packets: framer.records, bytes: framer.bytes, stoppedBy, remote, droppedPartialBytes: framer.pending}
}
