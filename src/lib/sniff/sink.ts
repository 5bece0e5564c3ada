import {closeSync, fsyncSync, ftruncateSync, openSync, writeSync} from 'node:fs'

import {execa} from 'execa'

import {findOnPath} from '../which.js'

/**
 * Where the pcap goes. `write` receives only what PcapFramer emitted (the header, then whole
 * records), so every sink holds a valid capture whenever it stops.
 */
export interface PcapSink {
  /** "file capture.pcap", "stdout", "wireshark" — for the final line. */
  readonly description: string
  write(bytes: Buffer): void
  close(): Promise<void>
  /** Resolves when the reader went away (wireshark closed, `| head` exited): the capture should stop. */
  readonly gone: Promise<string>
}

const never = new Promise<string>(() => {})

/**
 * A file written synchronously, record by record: a crash or SIGKILL between two writes leaves the
 * records written so far. Opened on the first write, so a capture that fails before any byte
 * arrives neither creates the file nor empties an existing one. Created 0600 because a capture
 * can hold credentials sent in clear. `close()` truncates to what was completely written, in case
 * a write itself was cut short.
 */
export function fileSink(path: string): PcapSink {
  let fd: number | undefined
  let written = 0
  let closed = false
  return {
    description: `file ${path}`,
    write(bytes) {
      if (closed || bytes.length === 0) return
      fd ??= openSync(path, 'w', 0o600)
      let offset = 0
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
      written += bytes.length
    },
    async close() {
      if (closed) return
      closed = true
      if (fd === undefined) return
      ftruncateSync(fd, written)
      fsyncSync(fd)
      closeSync(fd)
    },
    gone: never,
  }
}

/** stdout for a pipe (`-o - | tshark -r -`); EPIPE means the reader exited. */
export function stdoutSink(stream: NodeJS.WritableStream = process.stdout): PcapSink {
  let markGone!: (why: string) => void
  const gone = new Promise<string>((resolve) => {
    markGone = resolve
  })
  let broken = false
  stream.on('error', (error: NodeJS.ErrnoException) => {
    broken = true
    markGone(error.code === 'EPIPE' ? 'the reader on stdout exited' : `stdout failed: ${error.message}`)
  })
  return {
    description: 'stdout',
    write(bytes) {
      if (!broken && bytes.length > 0) stream.write(bytes)
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (broken) return resolve()
        stream.write('', () => resolve())
      }),
    gone,
  }
}

export type Viewer = {tool: 'wireshark' | 'tshark'; path: string}

/** Finds wireshark (only where there is a display to show it on), else tshark, on PATH. */
export function findViewer(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Viewer | undefined {
  const hasDisplay = platform === 'darwin' || platform === 'win32' || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
  const candidates: Array<Viewer['tool']> = hasDisplay ? ['wireshark', 'tshark'] : ['tshark']
  for (const tool of candidates) {
    const path = findOnPath(tool, env)
    if (path) return {tool, path}
  }
  return undefined
}

/**
 * The capture piped live into wireshark (`-k -i -`: start capturing from stdin at once) or tshark
 * (`-i -`, packets printed as they arrive). Closing the viewer stops the capture.
 */
export function viewerSink(viewer: Viewer): PcapSink {
  const args = viewer.tool === 'wireshark' ? ['-k', '-i', '-'] : ['-l', '-i', '-']
  const child = execa(viewer.path, args, {stdin: 'pipe', stdout: 'inherit', stderr: 'inherit', reject: false})
  let exited = false
  const gone = child.then((result) => {
    exited = true
    return `${viewer.tool} exited${result.exitCode ? ` with code ${result.exitCode}` : ''}`
  })
  child.stdin?.on('error', () => {
    // EPIPE once the viewer exits; `gone` reports it.
  })
  return {
    description: viewer.tool,
    write(bytes) {
      if (!exited && bytes.length > 0) child.stdin?.write(bytes)
    },
    async close() {
      // Ending stdin lets tshark finish printing; wireshark keeps its window open with the capture.
      child.stdin?.end()
      if (viewer.tool === 'tshark') await child
    },
    gone,
  }
}
