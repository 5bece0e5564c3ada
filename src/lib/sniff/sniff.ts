import {readFileSync, statSync} from 'node:fs'

import {type CoreV1Api, type KubeConfig, PatchStrategy, setHeaderOptions, type V1ContainerState, type V1Pod} from '@kubernetes/client-node'

import {CliError, isCliError} from '../errors.js'
import {httpStatus, isNotFound} from '../kube/errors.js'
import {type CaptureProgress, type CaptureResult, remoteFailure, runCapture, type StopReason} from './capture.js'
import {openSession, type RemoteEnd, type SessionTarget} from './channel.js'
import type {PcapSink} from './sink.js'
import {
  type CaptureOptions,
  earlierSniffContainers,
  ephemeralContainerSpec,
  helperPodName,
  nextEphemeralName,
  PRIVILEGED_SCRIPT,
  privilegedPodSpec,
  randomSuffix,
  type SniffMode,
  tcpdumpArgs,
  UPLOAD_SCRIPT,
  COPY_SCRIPT,
} from './specs.js'
import {checkPodRunning, chooseContainer} from './target.js'
import type {StepLogger} from '../render/log.js'

export interface SniffOptions {
  namespace: string
  pod: string
  container?: string
  mode: SniffMode
  image: string
  capture: CaptureOptions
  durationMs?: number
  /** upload mode: the static tcpdump to copy in, and where. */
  tcpdumpBinary?: string
  uploadDir: string
  /** privileged mode: where the helper pod runs (default: the target's namespace). */
  helperNamespace?: string
  /** How long the debug container or helper pod may take to start (image pull included). */
  startTimeoutMs: number
}

/** What sniff leaves behind or removed, for the final line and --json. */
export interface SniffHelper {
  kind: 'ephemeral-container' | 'helper-pod' | 'uploaded-binary'
  name: string
  namespace: string
  node?: string
  /** What is true about it now. */
  state: string
  /** Ephemeral mode: debug containers earlier sniffs left in the pod, with what became of them. */
  earlier?: string[]
}

export interface SniffResult {
  namespace: string
  pod: string
  container: string
  /** Why that container (no -c: the app container, not a sidecar). */
  containerReason: string
  mode: SniffMode
  image?: string
  command: string[]
  dryRun: boolean
  helper: SniffHelper
  output?: string
  packets: number
  bytes: number
  stoppedBy?: StopReason
  droppedPartialBytes: number
}

/** The step lines sniff draws: the shared step logger's, minus failure (errors are thrown). */
export type SniffSteps = Omit<StepLogger, 'failure'>

export interface SniffDeps {
  core: CoreV1Api
  /** The kubeconfig the exec/attach WebSocket connects with (normally the same as core's). */
  streamKc: KubeConfig
  steps: SniffSteps
  /** The one API-error wrapper (CommandIO.callApi): a failed call becomes one line naming what we were doing. */
  callApi<R>(action: {verb: string; target?: string}, fn: () => Promise<R>): Promise<R>
  signal?: AbortSignal
  onProgress?(progress: CaptureProgress): void
  pollIntervalMs?: number
  stopGraceMs?: number
}

/** What a sniff will do, decided and checked with the API server (a server-side dry run) before anything changes. */
export type SniffPlan = Base &
  (
    | {
        mode: 'ephemeral'
        options: SniffOptions
        name: string
        image: string
        command: string[]
        node?: string
        earlier: string[]
        patch: (dryRun: boolean) => Promise<unknown>
      }
    | {mode: 'upload'; options: SniffOptions; binary: Buffer; remotePath: string; command: string[]}
    | {
        mode: 'privileged'
        options: SniffOptions
        name: string
        image: string
        command: string[]
        helperNamespace: string
        node: string
        create: (dryRun: boolean) => Promise<unknown>
      }
  )

const pullFailures = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable', 'SignatureValidationFailed'])
const startFailures = new Set(['CreateContainerError', 'CreateContainerConfigError', 'RunContainerError', 'StartError', 'ContainerCannotRun'])

/**
 * Reads a container state the kubelet reported for the debug container or helper pod: `running`,
 * still starting (undefined), or the one-line error it amounts to. Pure, tested on plain states.
 */
export function classifyStart(state: V1ContainerState | undefined, what: string, image: string): 'running' | CliError | undefined {
  if (state?.running) return 'running'
  const waiting = state?.waiting
  if (waiting?.reason && pullFailures.has(waiting.reason)) {
    return new CliError('tool-failed', `image ${image} cannot be pulled for ${what}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`, {
      hint: 'check the image name and that the node can reach its registry, or pass another --image',
    })
  }
  if (waiting?.reason && startFailures.has(waiting.reason)) {
    return startError(`${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`, what, image)
  }
  const terminated = state?.terminated
  if (terminated) {
    const end: RemoteEnd = {exitCode: terminated.exitCode, stderr: terminated.message ?? '', failure: terminated.exitCode === 0 ? undefined : terminated.reason}
    if (terminated.exitCode === 127 || /executable file not found/.test(terminated.message ?? ''))
      return startError(terminated.message ?? 'exit code 127', what, image)
    return (
      remoteFailure(end, what) ??
      new CliError('tool-failed', `${what} ended before the capture started (${terminated.reason ?? 'exit ' + terminated.exitCode})`)
    )
  }
  return undefined
}

function startError(detail: string, what: string, image: string): CliError {
  if (/executable file not found|not found in \$PATH|exit code 127/.test(detail)) {
    const missing = /"sh"/.test(detail) ? 'sh' : 'tcpdump'
    return new CliError('tool-failed', `${missing} is missing in image ${image} (${what}): ${detail}`, {
      hint: 'use an --image that has sh and tcpdump (the default is fine)',
    })
  }
  return new CliError('tool-failed', `${what} cannot start: ${detail}`, {hint: "see `kubectl describe pod` for the kubelet's events"})
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}

function interrupted(what: string): CliError {
  return new CliError('aborted', `interrupted while waiting for ${what}`, {hint: 'nothing was captured'})
}

/**
 * Reads the pod, picks the container and decides how to capture: what a --dry-run shows and the
 * confirmation asks about. The debug container or helper pod is sent to the API server as a
 * server-side dry run, so a namespace's PodSecurity or missing RBAC refuses it here, before
 * anything changes.
 */
export async function planSniff(options: SniffOptions, deps: SniffDeps): Promise<SniffPlan> {
  const {core, steps} = deps
  const {namespace} = options
  const podRef = `pod "${options.pod}" in ${namespace}`
  const pod = await deps.callApi({verb: 'get pod', target: `"${options.pod}" in ${namespace}`}, async () => {
    try {
      return await core.readNamespacedPod({name: options.pod, namespace})
    } catch (error) {
      if (!isNotFound(error)) throw error
      throw new CliError('not-found', `pod "${options.pod}" not found in namespace ${namespace}`, {
        hint: `list the pods with \`kubectl get pods -n ${namespace}\``,
      })
    }
  })
  const chosen = chooseContainer(pod, options.container)
  checkPodRunning(pod, chosen.name)
  steps.action(`sniffing container "${chosen.name}" of ${podRef} (${chosen.reason})`)

  const base: Base = {namespace, pod: options.pod, container: chosen.name, containerReason: chosen.reason, mode: options.mode}
  switch (options.mode) {
    case 'ephemeral':
      return planEphemeral(options, deps, pod, base)
    case 'upload':
      return planUpload(options, base)
    case 'privileged':
      return planPrivileged(options, deps, pod, base)
  }
}

/** The changes a plan makes, one line each; what the prompt asks; what cannot be undone. */
export function describeSniff(plan: SniffPlan): {changes: string[]; confirm: string; consequence?: string} {
  const {namespace} = plan
  switch (plan.mode) {
    case 'ephemeral':
      return {
        changes: [
          `add debug container "${plan.name}" (image ${plan.image}, tcpdump as root with NET_RAW/NET_ADMIN) to pod "${plan.pod}" in ${namespace}, targeting container "${plan.container}"`,
        ],
        confirm: `add debug container "${plan.name}" (${plan.image}, tcpdump as root with NET_RAW/NET_ADMIN) to pod "${plan.pod}" in ${namespace}; ephemeral containers cannot be removed: it stays in the pod's spec, stopped, until the pod is replaced`,
        consequence: `an ephemeral container cannot be removed from a pod once added (a Kubernetes limit): "${plan.name}" will stay in the pod's spec, stopped, until the pod is replaced`,
      }
    case 'upload': {
      const copy = `copy ${plan.options.tcpdumpBinary} (${plan.binary.length} bytes) to ${plan.remotePath} in container "${plan.container}" of pod "${plan.pod}" in ${namespace}`
      return {changes: [`${copy} and run it`, `remove ${plan.remotePath} when the capture ends`], confirm: `${copy} and run it`}
    }
    case 'privileged':
      return {
        changes: [
          `create privileged pod "${plan.name}" (hostPID, hostNetwork, image ${plan.image}) in ${plan.helperNamespace} on node ${plan.node}`,
          `delete it when the capture ends`,
        ],
        confirm: `create privileged pod "${plan.name}" (hostPID, hostNetwork, image ${plan.image}) in ${plan.helperNamespace} on node ${plan.node}; it is deleted when the capture ends`,
      }
  }
}

/** The result of a plan that was not carried out (--dry-run): what would have been done. */
export function sniffNotRun(plan: SniffPlan): SniffResult {
  const result = resultOf(plan)
  result.helper.state =
    plan.mode === 'ephemeral'
      ? 'would be added (the API server accepted it in a dry run)'
      : plan.mode === 'privileged'
        ? 'would be created (the API server accepted it in a dry run)'
        : `would be copied (${plan.binary.length} bytes) and run`
  return result
}

/** Carries out a plan: opens the sink, makes the change, captures, cleans up. */
export function executeSniff(plan: SniffPlan, deps: SniffDeps, openSink: () => PcapSink): Promise<SniffResult> {
  switch (plan.mode) {
    case 'ephemeral':
      return runEphemeral(plan, deps, openSink)
    case 'upload':
      return runUpload(plan, deps, openSink)
    case 'privileged':
      return runPrivileged(plan, deps, openSink)
  }
}

/** The result before anything was done. */
function resultOf(plan: SniffPlan): SniffResult {
  const base = {
    namespace: plan.namespace,
    pod: plan.pod,
    container: plan.container,
    containerReason: plan.containerReason,
    mode: plan.mode,
    command: plan.command,
    dryRun: true,
    packets: 0,
    bytes: 0,
    droppedPartialBytes: 0,
  }
  switch (plan.mode) {
    case 'ephemeral':
      return {
        ...base,
        image: plan.image,
        helper: {kind: 'ephemeral-container', name: plan.name, namespace: plan.namespace, node: plan.node, state: 'not added', earlier: plan.earlier},
      }
    case 'upload':
      return {...base, helper: {kind: 'uploaded-binary', name: plan.remotePath, namespace: plan.namespace, state: 'not copied'}}
    case 'privileged':
      return {...base, image: plan.image, helper: {kind: 'helper-pod', name: plan.name, namespace: plan.helperNamespace, node: plan.node, state: 'not created'}}
  }
}

type Base = Pick<SniffResult, 'namespace' | 'pod' | 'container' | 'containerReason' | 'mode'>

function describeStop(capture: CaptureResult): string {
  return {
    count: 'the packet count was reached',
    duration: 'the duration ran out',
    interrupted: 'interrupted',
    'remote-ended': 'tcpdump ended',
    'reader-gone': 'the reader went away',
  }[capture.stoppedBy]
}

async function capture(
  options: SniffOptions,
  deps: SniffDeps,
  kind: 'exec' | 'attach',
  target: SessionTarget,
  command: string[],
  where: string,
  sendStart: boolean,
  sink: PcapSink,
) {
  deps.steps.action(`capturing into ${sink.description}${options.capture.filter ? ` (filter: ${options.capture.filter})` : ''}; Ctrl-C stops`)
  try {
    return await runCapture({
      open: (onStdout) => openSession(deps.streamKc, kind, target, command, onStdout),
      onOpen: (session) => {
        if (sendStart) session.write('start\n')
      },
      sink,
      count: options.capture.count,
      durationMs: options.durationMs,
      signal: deps.signal,
      onProgress: deps.onProgress,
      stopGraceMs: deps.stopGraceMs,
      where,
    })
  } catch (error) {
    if (isCliError(error)) throw error
    // A refused WebSocket upgrade: "Unexpected server response: 403" and the like.
    const message = error instanceof Error ? error.message : String(error)
    const code = /Unexpected server response: (\d+)/.exec(message)?.[1]
    if (code === '403' || code === '401') {
      throw new CliError('forbidden', `cannot ${kind} into ${where}: the API server answered ${code}`, {
        hint: `this needs the \`create\` verb on pods/${kind}; use a context that has it`,
      })
    }
    throw new CliError('unreachable', `cannot ${kind} into ${where}: ${message}`, {
      hint: "check that the API server can reach the node's kubelet (and retry)",
      cause: error,
    })
  }
}

/** The API server's refusal of our debug container or helper pod, in one line; other failures go to callApi's wording. */
function refusal(error: unknown, kind: 'ephemeral' | 'privileged', pod: string, namespace: string): unknown {
  const status = httpStatus(error)
  const apiMessage = (parseBody(error)?.message ?? (error instanceof Error ? error.message : String(error))).replace(/\s+/g, ' ')
  if (kind === 'privileged') {
    if (status === 403 && /PodSecurity/.test(apiMessage)) {
      return new CliError('forbidden', `PodSecurity in namespace ${namespace} does not allow sniff's privileged helper pod: ${apiMessage}`, {
        hint: 'pass --helper-namespace with a namespace that allows privileged pods (e.g. kube-system), or use --mode ephemeral',
      })
    }
    return error
  }
  if (status === 403 && /PodSecurity/.test(apiMessage)) {
    return new CliError('forbidden', `PodSecurity in namespace ${namespace} does not allow sniff's debug container in pod "${pod}": ${apiMessage}`, {
      hint: 'tcpdump needs root with NET_RAW/NET_ADMIN; use --mode privileged with --helper-namespace set to a namespace that allows privileged pods, or ask an admin',
    })
  }
  if (status === 403) {
    return new CliError('forbidden', `not allowed to add an ephemeral container to pod "${pod}" in ${namespace}: ${apiMessage}`, {
      hint: 'this needs the `patch` verb on pods/ephemeralcontainers; use a context that has it, or --mode upload',
    })
  }
  if (status === 422 || status === 400 || status === 404) {
    return new CliError('forbidden', `the cluster does not accept ephemeral containers in pod "${pod}" in ${namespace}: ${apiMessage}`, {
      hint: 'use --mode upload or --mode privileged instead',
    })
  }
  return error
}

async function planEphemeral(options: SniffOptions, deps: SniffDeps, pod: V1Pod, base: Base): Promise<SniffPlan> {
  const {core, steps} = deps
  const {namespace} = options
  // Ephemeral containers cannot be removed from a pod once added (a Kubernetes limit), so every
  // try leaves one: number them, so a pod's earlier tries are recognisable, and say which exist.
  const existing = (pod.spec?.ephemeralContainers ?? []).map((c) => c.name)
  const name = nextEphemeralName(existing)
  const earlier = describeEarlier(pod, earlierSniffContainers(existing))
  const spec = ephemeralContainerSpec({name, image: options.image, targetContainer: base.container, ...options.capture})
  if (earlier.length) {
    steps.warning(
      `pod "${options.pod}" already has ${earlier.length} debug container${earlier.length === 1 ? '' : 's'} from earlier sniffs: ${earlier.join(', ')}`,
    )
  }
  const patch = (dryRun: boolean) =>
    deps.callApi({verb: 'add an ephemeral container to pod', target: `"${options.pod}" in ${namespace}`}, () =>
      core
        .patchNamespacedPodEphemeralcontainers(
          {name: options.pod, namespace, body: {spec: {ephemeralContainers: [spec]}}, dryRun: dryRun ? 'All' : undefined, fieldManager: 'elife-k8s-sniff'},
          // client-node 1.x sends JSON Patch unless told otherwise; a strategic merge patch adds our
          // container to the list (merge key: name), as kubectl debug does.
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        )
        .catch((error: unknown) => {
          throw refusal(error, 'ephemeral', options.pod, namespace)
        }),
    )
  await patch(true)
  return {...base, mode: 'ephemeral', options, name, image: options.image, command: spec.command ?? [], node: pod.spec?.nodeName, earlier, patch}
}

async function runEphemeral(plan: Extract<SniffPlan, {mode: 'ephemeral'}>, deps: SniffDeps, openSink: () => PcapSink): Promise<SniffResult> {
  const {core, steps} = deps
  const {options, name, namespace} = plan
  const where = `debug container "${name}" of pod "${options.pod}" in ${namespace}`
  const result = {...resultOf(plan), dryRun: false}
  const sink = openSink()
  try {
    await plan.patch(false)
    result.helper.state = 'added'
    steps.success(`added debug container "${name}" (image ${options.image}) targeting "${plan.container}"`)
    const readState = async () => {
      const current = await core.readNamespacedPod({name: options.pod, namespace})
      return current.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state
    }
    await waitForStart(deps, options, `debug container "${name}"`, readState)
    result.helper.state = 'running'
    const captured = await capture(options, deps, 'attach', {namespace, pod: options.pod, container: name}, [], where, true, sink)
    recordCapture(result, captured, sink.description, steps)
    // Attach carries no exit code: read the one the kubelet reports for the container.
    const ended = await waitForTermination(deps, readState)
    if (ended?.terminated) {
      result.helper.state = `stopped (exit code ${ended.terminated.exitCode})`
      if (captured.packets === 0 && ended.terminated.exitCode !== 0) {
        const failure = classifyStart(ended, where, options.image)
        if (failure instanceof CliError) throw failure
      }
    } else {
      result.helper.state = 'still running (its stdin is closed, so tcpdump should stop at once; check with kubectl describe pod)'
    }
    return result
  } finally {
    await sink.close()
  }
}

function planUpload(options: SniffOptions, base: Base): SniffPlan {
  if (!options.tcpdumpBinary) {
    throw new CliError('usage', "--mode upload needs --tcpdump-binary PATH (a statically linked tcpdump for the node's CPU architecture)", {
      hint: 'or use the default --mode ephemeral',
    })
  }
  let binary: Buffer
  try {
    if (!statSync(options.tcpdumpBinary).isFile()) throw new Error('not a regular file')
    binary = readFileSync(options.tcpdumpBinary)
  } catch (error) {
    throw new CliError('usage', `cannot read --tcpdump-binary ${options.tcpdumpBinary}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const remotePath = `${options.uploadDir.replace(/\/+$/, '')}/sniff-tcpdump-${randomSuffix()}`
  const command = ['sh', '-c', UPLOAD_SCRIPT, 'sniff', remotePath, ...tcpdumpArgs(options.capture)]
  return {...base, mode: 'upload', options, binary, remotePath, command}
}

async function runUpload(plan: Extract<SniffPlan, {mode: 'upload'}>, deps: SniffDeps, openSink: () => PcapSink): Promise<SniffResult> {
  const {options, remotePath, binary, namespace} = plan
  const target = {namespace, pod: options.pod, container: plan.container}
  const where = `container "${plan.container}" of pod "${options.pod}" in ${namespace}`
  const result = {...resultOf(plan), dryRun: false}
  const sink = openSink()
  let copied = false
  try {
    const copy = await openSession(deps.streamKc, 'exec', target, ['sh', '-c', COPY_SCRIPT, 'sniff-copy', String(binary.length), remotePath], () => {})
    copy.write(binary)
    const copiedEnd = await copy.ended
    copied = true
    if (copiedEnd.exitCode !== 0) {
      const detail = copiedEnd.failure ?? (copiedEnd.stderr.trim().split('\n').at(-1) || `exit code ${copiedEnd.exitCode ?? 'unknown'}`)
      const noShell = /"sh": executable file not found|no such file or directory/i.test(detail)
      throw new CliError('tool-failed', `cannot copy tcpdump into ${where}: ${noShell ? 'the container has no sh' : detail}`, {
        hint: noShell
          ? 'upload mode needs sh in the container (distroless images have none); use --mode ephemeral'
          : `check that ${options.uploadDir} is writable (--upload-dir)`,
      })
    }
    result.helper.state = 'copied'
    deps.steps.success(`copied tcpdump to ${remotePath} in container "${plan.container}"`)
    const captured = await capture(options, deps, 'exec', target, plan.command, where, false, sink)
    Object.assign(result, {
      packets: captured.packets,
      bytes: captured.bytes,
      stoppedBy: captured.stoppedBy,
      droppedPartialBytes: captured.droppedPartialBytes,
      output: sink.description,
    })
    deps.steps.done()
    deps.steps.success(`captured ${captured.packets} packets (${captured.bytes} bytes) into ${sink.description}; stopped because ${describeStop(captured)}`)
    return result
  } finally {
    await sink.close()
    if (copied) {
      const removed = await openSession(deps.streamKc, 'exec', target, ['rm', '-f', remotePath], () => {})
        .then((session) => session.ended)
        .catch(() => undefined)
      result.helper.state = removed?.exitCode === 0 ? 'removed' : `left behind at ${remotePath}; remove it with kubectl exec`
    }
  }
}

async function planPrivileged(options: SniffOptions, deps: SniffDeps, pod: V1Pod, base: Base): Promise<SniffPlan> {
  const nodeName = pod.spec?.nodeName
  const containerId = pod.status?.containerStatuses?.find((s) => s.name === base.container)?.containerID?.replace(/^[a-z-]+:\/\//, '')
  if (!nodeName || !containerId) {
    throw new CliError(
      'conflict',
      `container "${base.container}" of pod "${options.pod}" in ${options.namespace} has no ${nodeName ? 'container ID' : 'node'} yet`,
      {hint: 'wait until it runs, or use --mode ephemeral'},
    )
  }
  const helperNamespace = options.helperNamespace ?? options.namespace
  const name = helperPodName(options.pod, randomSuffix())
  const lifetimeSeconds = Math.ceil((options.durationMs ?? 12 * 3600 * 1000) / 1000) + 600
  const podSpec = privilegedPodSpec({name, namespace: helperNamespace, nodeName, image: options.image, targetPod: options.pod, lifetimeSeconds})
  const command = ['sh', '-c', PRIVILEGED_SCRIPT, 'sniff', containerId, ...tcpdumpArgs(options.capture)]
  const create = (dryRun: boolean) =>
    deps.callApi({verb: 'create helper pod', target: `"${name}" in ${helperNamespace}`}, () =>
      deps.core
        .createNamespacedPod({namespace: helperNamespace, body: podSpec, dryRun: dryRun ? 'All' : undefined, fieldManager: 'elife-k8s-sniff'})
        .catch((error: unknown) => {
          throw refusal(error, 'privileged', options.pod, helperNamespace)
        }),
    )
  await create(true)
  return {...base, mode: 'privileged', options, name, image: options.image, command, helperNamespace, node: nodeName, create}
}

async function runPrivileged(plan: Extract<SniffPlan, {mode: 'privileged'}>, deps: SniffDeps, openSink: () => PcapSink): Promise<SniffResult> {
  const {core, steps} = deps
  const {options, name, helperNamespace, node} = plan
  const where = `helper pod "${name}" in ${helperNamespace} on node ${node}`
  const result = {...resultOf(plan), dryRun: false}
  const sink = openSink()
  let created = false
  try {
    await plan.create(false)
    created = true
    result.helper.state = 'created'
    steps.success(`created helper pod "${name}" on node ${node}`)
    await waitForStart(deps, options, `helper pod "${name}"`, async () => {
      const current = await core.readNamespacedPod({name, namespace: helperNamespace})
      if (current.status?.phase === 'Failed' || current.status?.phase === 'Succeeded') {
        return {
          terminated: {
            exitCode: -1,
            reason: `pod ${current.status.phase}${current.status.reason ? `: ${current.status.reason}` : ''}`,
            message: current.status.message,
          },
        }
      }
      return current.status?.containerStatuses?.find((s) => s.name === 'sniff')?.state
    })
    const captured = await capture(options, deps, 'exec', {namespace: helperNamespace, pod: name, container: 'sniff'}, plan.command, where, false, sink)
    recordCapture(result, captured, sink.description, steps)
    return result
  } finally {
    await sink.close()
    if (created) result.helper.state = await deleteHelper(core, name, helperNamespace)
  }
}

/** `elife-k8s-sniff-1 (exited 0)`, `sniff-bcdfg (never started)`: an earlier try and what became of it. */
export function describeEarlier(pod: V1Pod, names: string[]): string[] {
  return names.map((name) => {
    const state = pod.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state
    const what = state?.running
      ? 'running'
      : state?.terminated
        ? `exited ${state.terminated.exitCode}`
        : state?.waiting
          ? `waiting: ${state.waiting.reason ?? 'unknown'}`
          : 'never started'
    return `${name} (${what})`
  })
}

/** Deletes the helper pod; the state line says whether that worked. */
async function deleteHelper(core: CoreV1Api, name: string, namespace: string): Promise<string> {
  try {
    await core.deleteNamespacedPod({name, namespace, gracePeriodSeconds: 0})
    return 'deleted'
  } catch (error) {
    if (isNotFound(error)) return 'deleted'
    return `NOT deleted (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); delete it with: kubectl delete pod -n ${namespace} ${name}`
  }
}

async function waitForStart(deps: SniffDeps, options: SniffOptions, what: string, read: () => Promise<V1ContainerState | undefined>): Promise<void> {
  const deadline = Date.now() + options.startTimeoutMs
  let last: V1ContainerState | undefined
  for (;;) {
    if (deps.signal?.aborted) throw interrupted(`${what} to start`)
    last = await deps.callApi({verb: 'read the status of', target: what}, read)
    const verdict = classifyStart(last, `${what} in ${options.namespace}`, options.image)
    if (verdict === 'running') {
      deps.steps.done()
      return
    }
    if (verdict instanceof CliError) throw verdict
    if (Date.now() > deadline) {
      throw new CliError(
        'tool-failed',
        `${what} did not start within ${Math.round(options.startTimeoutMs / 1000)}s (${last?.waiting?.reason ?? 'no status from the kubelet yet'})`,
        {
          hint: "see `kubectl describe pod` for the kubelet's events, or raise --start-timeout",
        },
      )
    }
    deps.steps.progress(`waiting for ${what} to start (${last?.waiting?.reason ?? 'no status yet'})…`)
    await sleep(deps.pollIntervalMs ?? 1000, deps.signal)
  }
}

/** After the capture: a few seconds for the kubelet to report the container stopped. */
async function waitForTermination(deps: SniffDeps, read: () => Promise<V1ContainerState | undefined>): Promise<V1ContainerState | undefined> {
  let state: V1ContainerState | undefined
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      state = await read()
    } catch {
      return state
    }
    if (state?.terminated) return state
    await sleep(deps.pollIntervalMs ?? 1000)
  }
  return state
}

function parseBody(error: unknown): {message?: string} | undefined {
  const body = (error as {body?: unknown})?.body
  if (body && typeof body === 'object') return body as {message?: string}
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as {message?: string}
    } catch {
      return {message: body}
    }
  }
  return undefined
}

/** What a capture got, into the result and as the ✔ line (both ways of sniffing end the same). */
function recordCapture(result: SniffResult, captured: CaptureResult, output: string, steps: SniffSteps): void {
  Object.assign(result, {
    packets: captured.packets,
    bytes: captured.bytes,
    stoppedBy: captured.stoppedBy,
    droppedPartialBytes: captured.droppedPartialBytes,
    output,
  })
  steps.done()
  steps.success(`captured ${captured.packets} packets (${captured.bytes} bytes) into ${output}; stopped because ${describeStop(captured)}`)
}
