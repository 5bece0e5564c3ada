import type {AppsV1Api, CoreV1Api, V1ConfigMap, V1DaemonSet, V1Node, V1NodeSelectorRequirement, V1Pod, V1PodSpec, VersionApi} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {isNotFound} from '../kube/errors.js'
import {configDataKey} from './config.js'

export const daemonSetName = 'kube-proxy'
export const configMapName = 'kube-proxy-config'
export const containerName = 'kube-proxy'
const annotationPrefix = 'kube-proxy.elife-k8s.elifesciences.org'
/** On the pod template: a digest of the config the pods should run, so a new config rolls them. */
export const configHashAnnotation = `${annotationPrefix}/config-hash`
/** On the DaemonSet while a restart runs: its own updateStrategy, restored when the restart ends. */
export const savedStrategyAnnotation = `${annotationPrefix}/update-strategy`

export interface KubeProxyClients {
  core: CoreV1Api
  apps: AppsV1Api
  version: VersionApi
}

/** Everything the checks and the plan look at, read once. */
export interface KubeProxyState {
  namespace: string
  daemonSet: V1DaemonSet
  configMap: V1ConfigMap
  /** The embedded KubeProxyConfiguration text (ConfigMap key `config`). */
  configText: string
  /** When the ConfigMap last changed (newest managedFields time), if the server says. */
  configChangedAt?: Date
  apiServerVersion: string
  nodes: V1Node[]
  pods: V1Pod[]
}

export function where(namespace: string, kind: 'configmap' | 'daemonset', name: string): string {
  return `${kind} "${name}" in ${namespace}`
}

export async function readKubeProxyState(clients: KubeProxyClients, namespace: string): Promise<KubeProxyState> {
  const read = async <T>(kind: 'configmap' | 'daemonset', name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (error) {
      if (isNotFound(error)) {
        throw new CliError('not-found', `${where(namespace, kind, name)} does not exist`, {
          hint: 'is this an EKS cluster with self-managed kube-proxy? check the --context and -n (default kube-system)',
          cause: error,
        })
      }
      throw error
    }
  }
  const daemonSet = await read('daemonset', daemonSetName, () => clients.apps.readNamespacedDaemonSet({name: daemonSetName, namespace}))
  const configMap = await read('configmap', configMapName, () => clients.core.readNamespacedConfigMap({name: configMapName, namespace}))
  const configText = configMap.data?.[configDataKey]
  if (configText === undefined) {
    throw new CliError(
      'conflict',
      `${where(namespace, 'configmap', configMapName)} has no "${configDataKey}" key (keys: ${Object.keys(configMap.data ?? {}).join(', ') || 'none'}); nothing was changed`,
      {
        hint: 'EKS keeps the KubeProxyConfiguration under "config"; inspect it with `kubectl -n kube-system get configmap kube-proxy-config -o yaml`',
      },
    )
  }
  const times = (configMap.metadata?.managedFields ?? [])
    .map((field) => (field.time ? new Date(field.time).getTime() : Number.NaN))
    .filter((t) => !Number.isNaN(t))
  const apiServerVersion = (await clients.version.getCode()).gitVersion
  const nodes = (await clients.core.listNode()).items
  const selector = Object.entries(daemonSet.spec?.selector?.matchLabels ?? {'k8s-app': 'kube-proxy'})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  const pods = (await clients.core.listNamespacedPod({namespace, labelSelector: selector})).items
  return {
    namespace,
    daemonSet,
    configMap,
    configText,
    configChangedAt: times.length > 0 ? new Date(Math.max(...times)) : undefined,
    apiServerVersion,
    nodes,
    pods,
  }
}

export function kubeProxyImage(daemonSet: V1DaemonSet): string {
  const container = daemonSet.spec?.template?.spec?.containers?.find((c) => c.name === containerName) ?? daemonSet.spec?.template?.spec?.containers?.[0]
  return container?.image ?? ''
}

/** EKS manages an add-on's objects with server-side apply under the field manager "eks". */
export function eksManagedFields(state: Pick<KubeProxyState, 'daemonSet' | 'configMap'>): string[] {
  const found: string[] = []
  if (state.daemonSet.metadata?.managedFields?.some((f) => f.manager === 'eks')) found.push(`daemonset "${daemonSetName}"`)
  if (state.configMap.metadata?.managedFields?.some((f) => f.manager === 'eks')) found.push(`configmap "${configMapName}"`)
  return found
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
}

export interface NodePod {
  node: string
  pod?: string
  ready: boolean
  /** The pod runs the DaemonSet's current template (config hash and image). */
  current: boolean
  createdAt?: Date
}

/** One row per node the DaemonSet runs on (pods being deleted are ignored). */
export function podsByNode(state: Pick<KubeProxyState, 'pods' | 'daemonSet'>): NodePod[] {
  const wantHash = state.daemonSet.spec?.template?.metadata?.annotations?.[configHashAnnotation]
  const wantImage = kubeProxyImage(state.daemonSet)
  const rows = new Map<string, NodePod>()
  for (const pod of state.pods) {
    if (pod.metadata?.deletionTimestamp) continue
    const node = pod.spec?.nodeName
    if (!node) continue
    const image = pod.spec?.containers?.find((c) => c.name === containerName)?.image ?? pod.spec?.containers?.[0]?.image
    const row: NodePod = {
      node,
      pod: pod.metadata?.name,
      ready: isReady(pod),
      current: image === wantImage && pod.metadata?.annotations?.[configHashAnnotation] === wantHash,
      createdAt: pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : undefined,
    }
    const previous = rows.get(node)
    if (!previous || (row.current && !previous.current)) rows.set(node, row)
  }
  return [...rows.values()].sort((a, b) => a.node.localeCompare(b.node))
}

/** The DaemonSet controller's own view: every scheduled pod updated and available. */
export function rolloutComplete(daemonSet: V1DaemonSet): boolean {
  const status = daemonSet.status
  if (!status) return false
  const desired = status.desiredNumberScheduled ?? 0
  return (
    (status.observedGeneration ?? 0) >= (daemonSet.metadata?.generation ?? 0) &&
    (status.updatedNumberScheduled ?? 0) === desired &&
    (status.numberAvailable ?? 0) === desired &&
    (status.numberUnavailable ?? 0) === 0
  )
}

function matchesRequirement(values: Record<string, string>, requirement: V1NodeSelectorRequirement): boolean {
  const value = values[requirement.key]
  const wanted = requirement.values ?? []
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && wanted.includes(value)
    case 'NotIn':
      return value === undefined || !wanted.includes(value)
    case 'Exists':
      return value !== undefined
    case 'DoesNotExist':
      return value === undefined
    case 'Gt':
      return value !== undefined && Number.parseInt(value, 10) > Number.parseInt(wanted[0] ?? '', 10)
    case 'Lt':
      return value !== undefined && Number.parseInt(value, 10) < Number.parseInt(wanted[0] ?? '', 10)
    default:
      return false
  }
}

/**
 * Whether the DaemonSet controller places a pod of this template on the node: its nodeSelector,
 * required node affinity, and the node's NoSchedule/NoExecute taints against its tolerations
 * (the controller's own predicates; DaemonSet pods tolerate unschedulable nodes).
 */
export function daemonPodFits(node: V1Node, podSpec: V1PodSpec | undefined): boolean {
  const labels = node.metadata?.labels ?? {}
  for (const [key, value] of Object.entries(podSpec?.nodeSelector ?? {})) if (labels[key] !== value) return false
  const terms = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms
  if (terms && terms.length > 0) {
    const fields = {'metadata.name': node.metadata?.name ?? ''}
    const fits = terms.some(
      (term) =>
        (term.matchExpressions?.length || term.matchFields?.length) &&
        (term.matchExpressions ?? []).every((r) => matchesRequirement(labels, r)) &&
        (term.matchFields ?? []).every((r) => matchesRequirement(fields, r)),
    )
    if (!fits) return false
  }
  const tolerations = podSpec?.tolerations ?? []
  return (node.spec?.taints ?? [])
    .filter((taint) => taint.effect === 'NoSchedule' || taint.effect === 'NoExecute')
    .every((taint) =>
      tolerations.some(
        (t) =>
          (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
          (t.operator === 'Exists'
            ? t.key === undefined || t.key === '' || t.key === taint.key
            : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')),
      ),
    )
}

/** The nodes the DaemonSet should run kube-proxy on that have no kube-proxy pod (not even one being replaced). */
export function nodesWithoutPod(state: Pick<KubeProxyState, 'pods' | 'daemonSet' | 'nodes'>): string[] {
  const withPod = new Set(state.pods.map((pod) => pod.spec?.nodeName).filter((node): node is string => !!node))
  return state.nodes
    .filter((node) => daemonPodFits(node, state.daemonSet.spec?.template?.spec))
    .map((node) => node.metadata?.name ?? '')
    .filter((name) => name !== '' && !withPod.has(name))
    .sort()
}
