import {Transform, type TransformCallback} from 'node:stream'

export interface LogLineSource {
  pod: string
  container: string
}

/**
 * `logs --json`: one JSON object per log line (NDJSON), so a stream that never ends can still be
 * read line by line with jq. Each object names the pod and container it came from, which changes
 * when following moves to a new pod: `source()` is asked for every line.
 */
export function jsonLines(source: () => LogLineSource, timestamps: boolean): Transform {
  let pending = ''
  const emit = (stream: Transform, text: string) => {
    const {pod, container} = source()
    if (timestamps) {
      const space = text.indexOf(' ')
      stream.push(`${JSON.stringify({pod, container, time: space > 0 ? text.slice(0, space) : '', line: space > 0 ? text.slice(space + 1) : text})}\n`)
    } else {
      stream.push(`${JSON.stringify({pod, container, line: text})}\n`)
    }
  }
  return new Transform({
    transform(chunk: Buffer | string, _encoding, callback: TransformCallback) {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) emit(this, line)
      callback()
    },
    flush(callback: TransformCallback) {
      if (pending) emit(this, pending)
      pending = ''
      callback()
    },
  })
}
