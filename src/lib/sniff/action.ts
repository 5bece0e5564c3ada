import {accessSync, constants, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {CoreV1Api} from '@kubernetes/client-node'

import type {ActionContext, ChangeAction} from '../cli/action.js'
import type {CommandIO} from '../cli/io.js'
import {CliError} from '../errors.js'
import {thousands} from '../render/number.js'
import {fileSink, findViewer, type PcapSink, stdoutSink, viewerSink} from './sink.js'
import {describeSniff, executeSniff, planSniff, type SniffDeps, sniffNotRun, type SniffOptions, type SniffPlan, type SniffResult} from './sniff.js'

export interface SniffInput extends SniffOptions {
  /** -o: a file, "-" for stdout, or undefined to open wireshark/tshark. */
  output?: string
  /** Ends the capture (Ctrl-C; see stopOnSignals). */
  signal?: AbortSignal
}

interface Plan {
  sniff: SniffPlan
  deps: SniffDeps
  openSink: () => PcapSink
}

/**
 * Where the capture goes, decided in the plan so that every refusal that can be known before the
 * prompt comes before it (a bad -o, `-o -` to a terminal, no viewer installed); the sink itself is
 * made only when the capture starts (a refused plan creates no file and starts no viewer).
 */
function outputOpener(io: CommandIO, output: string | undefined, stdoutIsTTY: boolean | undefined = process.stdout.isTTY): () => PcapSink {
  if (output === '-') {
    if (io.json) throw new CliError('usage', '-o - and --json both want stdout', {hint: 'write the capture to a file with -o FILE'})
    if (stdoutIsTTY) throw new CliError('usage', 'refusing to write a binary pcap to a terminal (-o -)', {hint: 'pipe it (| tshark -r -) or use -o FILE'})
    return () => stdoutSink()
  }
  if (output) {
    try {
      if (statSync(resolve(output), {throwIfNoEntry: false})?.isDirectory()) throw new Error('it is a directory')
      accessSync(dirname(resolve(output)), constants.W_OK)
    } catch (error) {
      throw new CliError('usage', `cannot write the capture to ${output}: ${error instanceof Error ? error.message : String(error)}`, {
        hint: 'pick a writable path for -o',
      })
    }
    return () => fileSink(resolve(output))
  }
  const viewer = findViewer()
  if (!viewer)
    throw new CliError('usage', 'no -o given and neither wireshark nor tshark is installed', {
      hint: 'write to a file with -o capture.pcap, or to stdout with -o -',
    })
  return () => viewerSink(viewer)
}

function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The collaborators sniff talks to, from the command's cluster access; tests replace some (sniff-stream). */
function depsFor({io}: ActionContext, input: SniffInput, overrides: Partial<SniffDeps>): SniffDeps {
  let lastProgress = 0
  return {
    core: io.kube.api(CoreV1Api),
    streamKc: io.kube.kc,
    steps: io.steps,
    callApi: (action, fn) => io.callApi(action, fn),
    signal: input.signal,
    onProgress: ({packets, bytes}) => {
      const now = Date.now()
      if (now - lastProgress < 200) return
      lastProgress = now
      io.steps.progress(`captured ${thousands(packets)} packets, ${humanBytes(bytes)}…`)
    },
    ...overrides,
  }
}

/**
 * `sniff`: capture packets in a pod. The plan reads the pod, picks the container and has the API
 * server dry-run the debug container or helper pod; execute adds it (or copies tcpdump in), streams
 * the pcap into the sink and cleans up what can be cleaned up.
 */
export function sniffAction(overrides: Partial<SniffDeps> = {}): ChangeAction<SniffInput, Plan, SniffResult> {
  return {
    async plan(ctx, input) {
      const openSink = outputOpener(ctx.io, input.output)
      const deps = depsFor(ctx, input, overrides)
      return {sniff: await planSniff(input, deps), deps, openSink}
    },
    describe(plan) {
      return describeSniff(plan.sniff)
    },
    notExecuted(plan) {
      return sniffNotRun(plan.sniff)
    },
    execute(_ctx, plan) {
      return executeSniff(plan.sniff, plan.deps, plan.openSink)
    },
  }
}

/**
 * Ctrl-C (or SIGTERM) ends a capture: the first stops it and cleans up, a second quits at once.
 * sniff handles the signals itself (BaseCommand.handlesSignals), for the whole run.
 */
export function stopOnSignals(io: CommandIO): {signal: AbortSignal; dispose(): void} {
  const controller = new AbortController()
  let interrupts = 0
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++
    if (interrupts === 1) {
      io.steps.warning(`${signal}: stopping the capture and cleaning up (press Ctrl-C again to quit at once)`)
      controller.abort()
      return
    }
    io.steps.warning(
      'quitting without cleaning up: a privileged helper pod may be left; find it with `kubectl get pods -A -l app.kubernetes.io/name=elife-k8s-sniff`',
    )
    process.exit(130)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}

export {humanBytes}
