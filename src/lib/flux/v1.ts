import type {CoreV1Api, KubeConfig, V1Pod} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {redactUrlCredentials} from '../render/url.js'
import {FluxdClient} from './fluxd.js'
import {forwardPodPort} from './port-forward.js'

/** fluxctl's defaults: --k8s-fwd-ns / FLUX_FORWARD_NAMESPACE, else "default"; eLife runs it in "flux". */
export const defaultFluxNamespace = 'flux'
export const fluxdLabelSelector = 'app=flux'
export const fluxdPort = 3030

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !pod.metadata?.deletionTimestamp &&
    Boolean(pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  )
}

/** The fluxd pods (label app=flux, as the fluxcd/flux chart and fluxctl's port-forward use). */
export async function listFluxdPods(core: CoreV1Api, namespace: string): Promise<V1Pod[]> {
  const pods = await core.listNamespacedPod({namespace, labelSelector: fluxdLabelSelector})
  return pods.items
}

/** A Running and Ready fluxd pod, the newest first; a one-line not-found error otherwise. */
export async function findFluxdPod(core: CoreV1Api, namespace: string): Promise<V1Pod> {
  const pods = await listFluxdPods(core, namespace)
  const ready = pods.filter(isReady).sort((a, b) => (b.metadata?.creationTimestamp?.getTime() ?? 0) - (a.metadata?.creationTimestamp?.getTime() ?? 0))
  if (ready[0]) return ready[0]
  if (pods.length > 0) {
    const states = pods.map((p) => `${p.metadata?.name} ${p.status?.phase ?? 'unknown'}`).join(', ')
    throw new CliError('not-found', `no Running and Ready flux pod (label ${fluxdLabelSelector}) in namespace ${namespace} (${states})`, {
      hint: `see why with \`elife-k8s logs flux -n ${namespace}\` or \`kubectl -n ${namespace} describe pod -l ${fluxdLabelSelector}\``,
    })
  }
  throw new CliError('not-found', `no flux pod (label ${fluxdLabelSelector}) in namespace ${namespace}`, {
    hint: 'pass --k8s-fwd-ns (or FLUX_FORWARD_NAMESPACE) naming the namespace flux runs in, or --generation v2 for Flux v2',
  })
}

/** Runs `fn` with a fluxd client reached through a port-forward to the flux pod; closes it after. */
export async function withFluxd<R>(
  kc: KubeConfig,
  core: CoreV1Api,
  namespace: string,
  port: number,
  fn: (fluxd: FluxdClient, pod: string) => Promise<R>,
  signal?: AbortSignal,
): Promise<R> {
  const pod = await findFluxdPod(core, namespace)
  const name = pod.metadata!.name!
  const forward = await forwardPodPort(kc, namespace, name, port)
  try {
    return await fn(new FluxdClient(`http://127.0.0.1:${forward.port}`, `pod "${name}" in ${namespace}`, signal), name)
  } finally {
    await forward.close()
  }
}

/** What fluxd is configured to sync, read from its pod spec (no request to fluxd). */
export interface FluxdGitSettings {
  /** --git-url, with any password or token in it replaced by ***; undefined when the flag is absent. */
  gitUrl?: string
  /** --git-branch (fluxd's default: master). */
  branch: string
}

/**
 * fluxd's --git-url and --git-branch from the flux container's command and args, in either
 * `--flag=value` or `--flag value` form; the last one wins, as with Go's flag package.
 */
export function fluxdGitSettings(pod: V1Pod): FluxdGitSettings {
  const containers = pod.spec?.containers ?? []
  const container = containers.find((c) => c.name === 'flux') ?? containers.find((c) => /(^|\/)flux[:@]/.test(c.image ?? '')) ?? containers[0]
  const argv = [...(container?.command ?? []), ...(container?.args ?? [])]
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const match = /^--?(git-url|git-branch)(?:=(.*))?$/.exec(argv[i])
    if (!match) continue
    const value = match[2] ?? argv[i + 1]
    if (match[2] === undefined) i++
    if (value !== undefined) flags.set(match[1], value)
  }
  const gitUrl = flags.get('git-url')
  return {gitUrl: gitUrl === undefined || gitUrl === '' ? undefined : redactUrlCredentials(gitUrl), branch: flags.get('git-branch') || 'master'}
}
