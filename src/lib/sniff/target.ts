import type {V1Container, V1Pod} from '@kubernetes/client-node'

import {CliError} from '../errors.js'

/**
 * Sidecars that sit next to the application in eLife's pods and in the charts it uses: the service
 * mesh proxies, Prometheus exporters and reloaders, log shippers, auth proxies. Sniffing one of
 * these by accident shows the wrong traffic (or only the proxy's loopback leg), so with no -c we
 * skip them.
 */
const knownSidecars = new Set([
  'istio-proxy',
  'istio-init',
  'linkerd-proxy',
  'linkerd-init',
  'envoy',
  'envoy-sidecar',
  'cloud-sql-proxy',
  'cloudsql-proxy',
  'config-reloader',
  'prometheus-config-reloader',
  'configmap-reload',
  'config-reload',
  'reloader',
  'memcached-exporter',
  'redis-exporter',
  'nginx-exporter',
  'statsd-exporter',
  'postgres-exporter',
  'mysqld-exporter',
  'node-exporter',
  'vault-agent',
  'vault-agent-init',
  'fluent-bit',
  'fluentd',
  'filebeat',
  'promtail',
  'oauth2-proxy',
  'kube-rbac-proxy',
  'git-sync',
])
const sidecarSuffix = /-(sidecar|exporter|reloader|config-reloader|rbac-proxy)$/

export function isKnownSidecar(containerName: string): boolean {
  return knownSidecars.has(containerName) || sidecarSuffix.test(containerName)
}

export interface ChosenContainer {
  name: string
  /** Why this one, in words for the "sniffing container X (reason)" line. */
  reason: string
}

/** The Deployment/StatefulSet/... name a pod belongs to: its owner, minus a ReplicaSet's hash. */
export function workloadName(pod: V1Pod): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.controller) ?? pod.metadata?.ownerReferences?.[0]
  if (!owner) return undefined
  const hash = pod.metadata?.labels?.['pod-template-hash']
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return owner.name.slice(0, -hash.length - 1)
  return owner.name
}

/**
 * Picks the container to capture in: -c when given (it must exist), else the application
 * container. Pure, so the heuristic is tested on plain pods.
 */
export function chooseContainer(pod: V1Pod, requested?: string): ChosenContainer {
  const containers: V1Container[] = pod.spec?.containers ?? []
  const names = containers.map((c) => c.name)
  const podRef = `pod "${pod.metadata?.name}" in ${pod.metadata?.namespace}`
  if (requested) {
    if (names.includes(requested)) return {name: requested, reason: 'given with -c'}
    throw new CliError('not-found', `container "${requested}" not found in ${podRef}`, {hint: `its containers are: ${names.join(', ') || '(none)'}`})
  }
  if (containers.length === 0) throw new CliError('not-found', `${podRef} has no containers`)
  if (containers.length === 1) return {name: names[0], reason: 'the only container'}

  // kubectl's own convention for "the main container" (kubectl logs/exec honour it too).
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container']
  if (annotated && names.includes(annotated)) return {name: annotated, reason: 'the kubectl.kubernetes.io/default-container annotation'}

  const labels = pod.metadata?.labels ?? {}
  const hints: Array<[string | undefined, string]> = [
    [labels['app.kubernetes.io/name'], 'matches the app.kubernetes.io/name label'],
    [labels.app, 'matches the app label'],
    [labels['k8s-app'], 'matches the k8s-app label'],
    [labels['app.kubernetes.io/component'], 'matches the app.kubernetes.io/component label'],
    [workloadName(pod), "matches the owning workload's name"],
    [labels['app.kubernetes.io/instance'], 'matches the app.kubernetes.io/instance label'],
  ]
  for (const [value, reason] of hints) {
    if (value && names.includes(value) && !isKnownSidecar(value)) return {name: value, reason}
  }
  const applications = names.filter((name) => !isKnownSidecar(name))
  const sidecars = names.filter((name) => isKnownSidecar(name))
  if (applications.length === 1) return {name: applications[0], reason: `the only one that is not a sidecar (${sidecars.join(', ')})`}
  if (applications.length > 1) {
    return {name: applications[0], reason: `the first of ${applications.join(', ')}; pass -c to pick another`}
  }
  return {name: names[0], reason: `all containers look like sidecars, so the first; pass -c to pick another`}
}

/** Refuses pods we cannot capture in: not scheduled, not running, or the container not started. */
export function checkPodRunning(pod: V1Pod, container: string): void {
  const podRef = `pod "${pod.metadata?.name}" in ${pod.metadata?.namespace}`
  if (pod.metadata?.deletionTimestamp) {
    throw new CliError('conflict', `${podRef} is being deleted`, {hint: 'pick another replica (kubectl get pods -n ' + pod.metadata?.namespace + ')'})
  }
  const phase = pod.status?.phase ?? 'Unknown'
  if (phase !== 'Running') {
    const why = pod.status?.reason ? ` (${pod.status.reason})` : !pod.spec?.nodeName ? ' (not scheduled on a node yet)' : ''
    throw new CliError('conflict', `${podRef} is not running: its phase is ${phase}${why}`, {
      hint: 'packets can only be captured in a running pod; see `kubectl describe pod` for why it is not',
    })
  }
  const status = pod.status?.containerStatuses?.find((s) => s.name === container)
  if (status && !status.state?.running) {
    const state = status.state?.waiting
      ? `waiting (${status.state.waiting.reason ?? 'unknown'})`
      : status.state?.terminated
        ? `terminated (${status.state.terminated.reason ?? 'exit ' + status.state.terminated.exitCode})`
        : 'not running'
    throw new CliError('conflict', `container "${container}" of ${podRef} is ${state}`, {hint: 'wait for it to run, or pick another container with -c'})
  }
}
