import {PassThrough, type Readable, type Writable} from 'node:stream'

import {type CoreV1Api, type KubeConfig, Log, type V1Pod} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {durationFlag} from '../duration.js'
import {isNotFound} from '../kube/errors.js'

/** The components the runbook tails, by the labels their charts put on their pods. */
export const components = {
  'helm-operator': {app: 'helm-operator', container: 'flux-helm-operator'},
  flux: {app: 'flux', container: 'flux'},
} as const

export type Component = keyof typeof components

export function labelSelector(component: Component, release?: string): string {
  return [`app=${components[component].app}`, ...(release ? [`release=${release}`] : [])].join(',')
}

/** "90s", "10m", "2h", "1h30m" → seconds, as kubectl's --since. */
export function parseSince(text: string): number {
  // kubectl logs --since: a Go duration, rounded up to whole seconds.
  return Math.ceil(durationFlag(text, '--since') / 1000)
}

function alive(pod: V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed'
}

function started(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' || Boolean(pod.status?.containerStatuses?.some((c) => c.state?.running || c.state?.terminated))
}

/**
 * The pod to read: by label, not by its hash-suffixed name. A running pod wins over one still
 * starting; among equals the newest (after a rollout, the new pod is the one that matters).
 */
export function choosePod(pods: V1Pod[], exclude?: string): V1Pod | undefined {
  const candidates = pods.filter((p) => alive(p) && p.metadata?.uid !== exclude)
  const newest = (a: V1Pod, b: V1Pod) => (b.metadata?.creationTimestamp?.getTime() ?? 0) - (a.metadata?.creationTimestamp?.getTime() ?? 0)
  return [...candidates.filter(started).sort(newest), ...candidates.filter((p) => !started(p)).sort(newest)][0]
}

export function chooseContainer(pod: V1Pod, component: Component, wanted?: string): string {
  const names = pod.spec?.containers.map((c) => c.name) ?? []
  if (wanted) {
    if (!names.includes(wanted))
      throw new CliError('not-found', `pod ${pod.metadata?.name} has no container "${wanted}" (it has ${names.join(', ')})`, {
        hint: 'leave out --container, or name one of those',
      })
    return wanted
  }
  return names.includes(components[component].container) ? components[component].container : (names[0] ?? '')
}

export interface LogsOptions {
  namespace: string
  component: Component
  release?: string
  container?: string
  follow: boolean
  sinceSeconds?: number
  timestamps?: boolean
  tailLines?: number
  /** How often to check that the followed pod is still there. */
  pollMs?: number
  signal?: AbortSignal
  /** Told when a pod is picked, and when following moves to a new pod. */
  onPod?: (event: {pod: string; container: string; replaced?: string}) => void
  onWaiting?: (message: string) => void
}

/** Waits `ms`, or less if `signal` aborts; leaves no listener on the signal either way. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, {once: true})
  })
}

async function waitForPod(core: CoreV1Api, options: LogsOptions, exclude: string | undefined): Promise<V1Pod | undefined> {
  const selector = labelSelector(options.component, options.release)
  let told = false
  while (!options.signal?.aborted) {
    const pods = (await core.listNamespacedPod({namespace: options.namespace, labelSelector: selector})).items
    const pod = choosePod(pods, exclude)
    if (pod && started(pod)) return pod
    if (!options.follow) return pod
    if (!told) options.onWaiting?.(`waiting for a new ${options.component} pod (${selector}) in ${options.namespace} to start…`)
    told = true
    await pause(options.pollMs ?? 1000, options.signal)
  }
  return undefined
}

/**
 * `kubectl logs <pod> [-f] [--since]` for the component's pod, found by label. With follow, when
 * the pod goes away (deleted, replaced by its Deployment) the next one is found and followed too.
 * Resolves when the log ends (without follow), or when `signal` aborts.
 */
export async function streamComponentLogs(kc: KubeConfig, core: CoreV1Api, out: Writable, options: LogsOptions): Promise<{pods: string[]}> {
  const selector = labelSelector(options.component, options.release)
  const first = await waitForPod(core, {...options, follow: false}, undefined)
  if (!first) {
    throw new CliError('not-found', `no ${options.component} pod (label ${selector}) in namespace ${options.namespace}`, {
      hint: `check the namespace (-n; the runbook's is flux) and the release label (--release), e.g. \`kubectl get pods -A -l ${selector}\``,
    })
  }
  const log = new Log(kc)
  const followed: string[] = []
  let pod: V1Pod | undefined = first
  let previous: string | undefined
  while (pod && !options.signal?.aborted) {
    const name = pod.metadata!.name!
    const uid = pod.metadata!.uid
    const container = chooseContainer(pod, options.component, options.container)
    options.onPod?.({pod: name, container, replaced: previous})
    followed.push(name)
    const sink = new PassThrough()
    // client-node 2 pipes the response (undici's web stream as a Node stream) into the sink with no
    // 'error' listener on it: aborting the request (the pod went away, Ctrl-C) would crash the
    // process with an unhandled AbortError. Its errors end this pod's stream here instead.
    sink.on('pipe', (source: Readable) => source.on('error', () => sink.end()))
    sink.pipe(out, {end: false})
    const ended = new Promise<void>((resolve) =>
      sink
        .on('end', resolve)
        .on('close', resolve)
        .on('error', () => resolve()),
    )
    const controller = await log
      .log(options.namespace, name, container, sink, {
        follow: options.follow,
        // A replacement pod is read from its start: nothing of it was shown yet.
        sinceSeconds: previous ? undefined : options.sinceSeconds,
        timestamps: options.timestamps,
        tailLines: previous ? undefined : options.tailLines,
      })
      .catch((error: unknown) => {
        throw isNotFound(error)
          ? new CliError('not-found', `pod ${name} in ${options.namespace} went away before its log could be read`, {hint: 'run the command again'})
          : error
      })
    if (!options.follow) {
      await ended
      break
    }
    // The log stream may stay open after the pod is gone: watch the pod as well.
    let gone = false
    const stop = () => controller.abort()
    options.signal?.addEventListener('abort', stop)
    const watchPod = (async () => {
      while (!options.signal?.aborted) {
        const result = await Promise.race([ended.then(() => 'ended' as const), pause(options.pollMs ?? 1000, options.signal).then(() => 'tick' as const)])
        if (result === 'ended') return
        try {
          const current = await core.readNamespacedPod({name, namespace: options.namespace})
          if (current.metadata?.uid !== uid || !alive(current)) gone = true
        } catch (error) {
          if (!isNotFound(error)) throw error
          gone = true
        }
        if (gone) {
          controller.abort()
          return
        }
      }
    })()
    await Promise.race([ended, watchPod])
    controller.abort()
    await watchPod
    options.signal?.removeEventListener('abort', stop)
    sink.unpipe(out)
    if (options.signal?.aborted) break
    previous = name
    pod = await waitForPod(core, options, uid)
  }
  return {pods: followed}
}
