import {CoreV1Api} from '@kubernetes/client-node'

import type {ReadAction} from '../cli/action.js'
import {CliError} from '../errors.js'
import {jsonLines, type LogLineSource} from './json-lines.js'
import {type Component, parseSince, streamComponentLogs} from './logs.js'

export interface LogsInput {
  component: Component
  namespace: string
  release?: string
  container?: string
  follow: boolean
  /** --since, a Go duration (kubectl's). */
  since?: string
  tail?: number
  timestamps: boolean
}

export interface LogsResult {
  component: Component
  namespace: string
  /** The pods read, in order (more than one when following across a restart). */
  pods: string[]
}

/**
 * `kubectl logs [-f]` of the component's pod, found by label, following across restarts. The log
 * lines are the data: on stdout as they come (under --json one JSON object per line, so there is
 * no result object at the end: undefined). Ctrl-C ends the stream (exit 0).
 */
export const logsAction: ReadAction<LogsInput, LogsResult | undefined> = {
  async run({io}, input) {
    const sinceSeconds = input.since ? parseSince(input.since) : undefined
    // kubectl's --tail: -1 means every line; below that is refused (the API server would answer 422).
    if (input.tail !== undefined && input.tail < -1) {
      throw new CliError('usage', '--tail must be -1 (all lines) or a number of lines (0 or more)', {hint: 'e.g. --tail 100'})
    }
    const tailLines = input.tail === -1 ? undefined : input.tail
    const {namespace, component} = input
    let current: LogLineSource = {pod: '', container: ''}
    const sink = io.json ? jsonLines(() => current, input.timestamps) : undefined
    sink?.pipe(process.stdout)
    const abort = new AbortController()
    const stop = () => abort.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const {pods} = await io.callApi({verb: 'read logs of', target: `${component} in ${namespace}`}, () =>
        streamComponentLogs(io.kube.kc, io.kube.api(CoreV1Api), sink ?? process.stdout, {
          namespace,
          component,
          release: input.release,
          container: input.container,
          follow: input.follow,
          sinceSeconds,
          tailLines,
          timestamps: input.timestamps,
          signal: abort.signal,
          onPod: ({pod, container, replaced}) => {
            current = {pod, container}
            if (replaced) io.steps.warning(`pod ${replaced} went away; following the new pod ${pod} (container ${container}) from its start`)
            else if (input.follow) io.steps.action(`following pod ${pod} (container ${container}) in ${namespace}`)
          },
          onWaiting: (message) => io.steps.waiting(message),
        }),
      )
      if (sink) await new Promise<void>((resolve) => sink.end(resolve))
      return io.json ? undefined : {component, namespace, pods}
    } finally {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
    }
  },
}
