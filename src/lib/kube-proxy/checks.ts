import {CliError} from '../errors.js'
import {configMapName, eksManagedFields, type KubeProxyState, kubeProxyImage, nodesWithoutPod, podsByNode, savedStrategyAnnotation, where} from './state.js'
import {readMetricsBindAddress} from './config.js'
import type {EksKubeProxyInfo} from './eks.js'
import {minorOf, parseImage, parseVersion, skewAgainstApiServer, skewAgainstKubelet} from './version.js'

/** One finding: ✔ when ok, ✗ when not, ◎ when it could not be checked (skipped). */
export interface Finding {
  check: string
  status: 'ok' | 'failed' | 'skipped'
  message: string
}

export interface CheckOptions {
  bindAddress: string
  eks?: EksKubeProxyInfo
}

type Check = (state: KubeProxyState, options: CheckOptions) => Finding

const selfManaged: Check = (state) => {
  const managed = eksManagedFields(state)
  return managed.length === 0
    ? {check: 'self-managed', status: 'ok', message: 'kube-proxy is self-managed (no fields managed by the EKS add-on)'}
    : {
        check: 'self-managed',
        status: 'failed',
        message: `kube-proxy is an EKS managed add-on (${managed.join(' and ')} have fields managed by "eks"); change it through the add-on, not by hand`,
      }
}

const metricsBindAddress: Check = (state, options) => {
  try {
    const current = readMetricsBindAddress(state.configText, where(state.namespace, 'configmap', configMapName))
    return current === options.bindAddress
      ? {check: 'metrics-bind-address', status: 'ok', message: `metricsBindAddress is ${current}`}
      : {
          check: 'metrics-bind-address',
          status: 'failed',
          message: `metricsBindAddress is ${current}, not ${options.bindAddress}: Prometheus cannot scrape kube-proxy metrics`,
        }
  } catch (error) {
    return {check: 'metrics-bind-address', status: 'failed', message: error instanceof CliError ? error.message : String(error)}
  }
}

const podsRunCurrentConfig: Check = (state) => {
  const rows = podsByNode(state)
  const changedAt = state.configChangedAt
  const stale = changedAt ? rows.filter((row) => row.createdAt && row.createdAt.getTime() < changedAt.getTime()) : []
  const outdated = rows.filter((row) => !row.current)
  if (stale.length > 0) {
    return {
      check: 'pods-current',
      status: 'failed',
      message: `${stale.length} of ${rows.length} kube-proxy pods started before ${configMapName} last changed (${changedAt!.toISOString()}), so they run the old config: ${stale.map((r) => r.node).join(', ')}`,
    }
  }
  if (outdated.length > 0)
    return {
      check: 'pods-current',
      status: 'failed',
      message: `${outdated.length} of ${rows.length} kube-proxy pods do not run the DaemonSet's current template yet: ${outdated.map((r) => r.node).join(', ')}`,
    }
  return {check: 'pods-current', status: 'ok', message: `all ${rows.length} kube-proxy pods run the current config`}
}

const podsReady: Check = (state) => {
  const rows = podsByNode(state)
  const desired = state.daemonSet.status?.desiredNumberScheduled ?? rows.length
  const ready = rows.filter((row) => row.ready).length
  const missing = nodesWithoutPod(state)
  const why = [
    ...(rows.some((r) => !r.ready)
      ? [
          `not ready: ${rows
            .filter((r) => !r.ready)
            .map((r) => r.node)
            .join(', ')}`,
        ]
      : []),
    ...(missing.length > 0 ? [`no kube-proxy pod: ${missing.join(', ')}`] : []),
  ]
  return ready >= desired && missing.length === 0
    ? {check: 'pods-ready', status: 'ok', message: `kube-proxy is Ready on ${ready}/${desired} nodes`}
    : {check: 'pods-ready', status: 'failed', message: `kube-proxy is Ready on only ${ready}/${desired} nodes${why.length > 0 ? ` (${why.join('; ')})` : ''}`}
}

const noUnfinishedRestart: Check = (state) =>
  state.daemonSet.metadata?.annotations?.[savedStrategyAnnotation] === undefined
    ? {check: 'restart-finished', status: 'ok', message: 'no kube-proxy restart left unfinished'}
    : {
        check: 'restart-finished',
        status: 'failed',
        message:
          'an earlier `kube-proxy fix` restart did not finish (the DaemonSet still has its temporary one-node-at-a-time strategy); run `elife-k8s kube-proxy fix` again',
      }

const apiServerSkew: Check = (state) => {
  const image = kubeProxyImage(state.daemonSet)
  const proxy = parseVersion(parseImage(image).tag)
  const apiServer = parseVersion(state.apiServerVersion)
  if (!proxy || !apiServer)
    return {
      check: 'version-skew',
      status: 'failed',
      message: `cannot read a version from the kube-proxy image "${image}" or the API server version "${state.apiServerVersion}"`,
    }
  const verdict = skewAgainstApiServer(proxy, apiServer)
  return {
    check: 'version-skew',
    status: verdict.ok ? 'ok' : 'failed',
    message: `kube-proxy ${parseImage(image).tag} vs API server ${state.apiServerVersion}: ${verdict.reason}`,
  }
}

const kubeletSkew: Check = (state) => {
  const proxy = parseVersion(parseImage(kubeProxyImage(state.daemonSet)).tag)
  if (!proxy) return {check: 'kubelet-skew', status: 'failed', message: 'cannot read a version from the kube-proxy image'}
  const problems: string[] = []
  const minors = new Set<string>()
  for (const node of state.nodes) {
    const kubelet = parseVersion(node.status?.nodeInfo?.kubeletVersion)
    if (!kubelet) continue
    minors.add(minorOf(kubelet))
    const verdict = skewAgainstKubelet(proxy, kubelet)
    if (!verdict.ok) problems.push(`${node.metadata?.name}: ${verdict.reason}`)
  }
  return problems.length === 0
    ? {
        check: 'kubelet-skew',
        status: 'ok',
        message: `kube-proxy ${minorOf(proxy)} is within the supported skew of every kubelet (${[...minors].sort().join(', ') || 'none'})`,
      }
    : {check: 'kubelet-skew', status: 'failed', message: problems.join('; ')}
}

const eksRecommended: Check = (state, options) => {
  const eks = options.eks
  if (!eks) return {check: 'eks-recommended', status: 'skipped', message: 'EKS recommended version not compared (pass --eks-cluster and --region to compare)'}
  if (eks.skipped) return {check: 'eks-recommended', status: 'skipped', message: `EKS recommended version not compared: ${eks.reason}`}
  if (eks.managedAddon)
    return {
      check: 'eks-recommended',
      status: 'failed',
      message: `kube-proxy is an EKS managed add-on on cluster ${eks.cluster} (version ${eks.addonVersion ?? '?'}); change it with \`aws eks update-addon\`, not by hand`,
    }
  if (!eks.recommendedVersion)
    return {check: 'eks-recommended', status: 'skipped', message: `EKS lists no default kube-proxy version for Kubernetes ${eks.clusterVersion}`}
  const tag = parseImage(kubeProxyImage(state.daemonSet)).tag
  return tag === eks.recommendedVersion
    ? {check: 'eks-recommended', status: 'ok', message: `kube-proxy ${tag} is the version EKS recommends for Kubernetes ${eks.clusterVersion}`}
    : {
        check: 'eks-recommended',
        status: 'failed',
        message: `kube-proxy ${tag} is not the version EKS recommends for Kubernetes ${eks.clusterVersion} (${eks.recommendedVersion})`,
      }
}

export const checks: readonly Check[] = [
  selfManaged,
  metricsBindAddress,
  podsRunCurrentConfig,
  podsReady,
  noUnfinishedRestart,
  apiServerSkew,
  kubeletSkew,
  eksRecommended,
]

/** Runs every check (none stops the others) and returns all findings. */
export function runChecks(state: KubeProxyState, options: CheckOptions): Finding[] {
  return checks.map((check) => check(state, options))
}
