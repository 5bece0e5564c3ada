import {setTimeout as sleep} from 'node:timers/promises'

import type {V1DaemonSet, V1DaemonSetUpdateStrategy} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {isConflict, toCliError} from '../kube/errors.js'
import {configDataKey, configHash, setMetricsBindAddress, verifyEdit} from './config.js'
import type {EksKubeProxyInfo} from './eks.js'
import {
  configHashAnnotation,
  configMapName,
  containerName,
  daemonSetName,
  eksManagedFields,
  type KubeProxyClients,
  type KubeProxyState,
  kubeProxyImage,
  nodesWithoutPod,
  podsByNode,
  readKubeProxyState,
  rolloutComplete,
  savedStrategyAnnotation,
  where,
} from './state.js'
import {parseImage, parseVersion, skewAgainstApiServer, validateImageTag, withTag} from './version.js'

export interface FixOptions {
  bindAddress: string
  /** --image TAG: the tag to run (registry, account, region kept). */
  imageTag?: string
  eks?: EksKubeProxyInfo
}

/** What `fix` will change. Pure data, printed under --dry-run and returned under --json. */
export interface FixPlan {
  namespace: string
  metricsBindAddress: {from: string; to: string; changed: boolean}
  image: {from: string; to: string; changed: boolean; why?: string}
  /** Whether the pods must be restarted (one node at a time) and why. */
  restart: {needed: boolean; why?: string; nodes: string[]}
  /** The ConfigMap text after the edit (kube-proxy's config holds no secrets). */
  updatedConfig: string
  /** The format of the embedded config, kept by the edit. */
  configFormat: 'json' | 'yaml'
}

function refuseManaged(state: KubeProxyState, eks?: EksKubeProxyInfo): void {
  const managed = eksManagedFields(state)
  const byEks = eks && !eks.skipped && eks.managedAddon
  if (managed.length === 0 && !byEks) return
  const evidence =
    managed.length > 0
      ? `${managed.join(' and ')} have fields managed by "eks"`
      : `DescribeAddon lists kube-proxy on cluster ${(eks as {cluster: string}).cluster}`
  throw new CliError(
    'conflict',
    `kube-proxy in ${state.namespace} is an EKS managed add-on (${evidence}); editing it by hand stops EKS managing it and EKS may overwrite the change`,
    {
      hint: 'change it through the add-on: `aws eks describe-addon-configuration --addon-name kube-proxy --addon-version <version>` shows what it accepts, then `aws eks update-addon --configuration-values …`',
    },
  )
}

/** Refusals while planning: nothing has been written yet, and the line says so. */
function nothingChanged<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof CliError) throw new CliError(error.kind, `${error.message}; nothing was changed`, {hint: error.hint, cause: error.cause})
    throw error
  }
}

/** Decides what to change. Pure: all inputs are in `state` and `options`. */
export function planFix(state: KubeProxyState, options: FixOptions): FixPlan {
  refuseManaged(state, options.eks)
  const edit = nothingChanged(() => setMetricsBindAddress(state.configText, options.bindAddress, where(state.namespace, 'configmap', configMapName)))
  const currentImage = kubeProxyImage(state.daemonSet)
  if (!currentImage)
    throw new CliError('conflict', `${where(state.namespace, 'daemonset', daemonSetName)} has no "${containerName}" container image`, {
      hint: 'inspect it with `kubectl -n kube-system get ds kube-proxy -o yaml`',
    })
  const apiServer = parseVersion(state.apiServerVersion)
  const current = parseVersion(parseImage(currentImage).tag)
  const currentSkew = current && apiServer ? skewAgainstApiServer(current, apiServer) : undefined

  let targetImage = currentImage
  let why: string | undefined
  if (options.imageTag) {
    const wanted = validateImageTag(options.imageTag)
    const verdict = apiServer ? skewAgainstApiServer(wanted, apiServer) : undefined
    if (verdict && !verdict.ok)
      throw new CliError('usage', `--image ${options.imageTag}: ${verdict.reason}`, {
        hint: `pick a kube-proxy tag for Kubernetes ${apiServer!.major}.${apiServer!.minor} or up to 3 minors older`,
      })
    targetImage = withTag(currentImage, options.imageTag)
    why = '--image'
  } else if (currentSkew && !currentSkew.ok) {
    const recommended = options.eks && !options.eks.skipped ? options.eks.recommendedVersion : undefined
    if (!recommended) {
      throw new CliError(
        'check-failed',
        `the kube-proxy image ${currentImage} breaks the version-skew policy (${currentSkew.reason}) and no replacement tag is known; nothing was changed`,
        {
          hint: `pass --image with the EKS kube-proxy tag for ${apiServer!.major}.${apiServer!.minor} (\`aws eks describe-addon-versions --addon-name kube-proxy --kubernetes-version ${apiServer!.major}.${apiServer!.minor}\`), or --eks-cluster NAME --region REGION to look it up`,
        },
      )
    }
    targetImage = withTag(currentImage, recommended)
    why = `version skew (${currentSkew.reason}); EKS recommends ${recommended}`
  }

  const rows = podsByNode(state)
  const changedAt = state.configChangedAt
  const staleNodes = rows.filter((row) => !row.current || (changedAt && row.createdAt && row.createdAt.getTime() < changedAt.getTime())).map((row) => row.node)
  const unfinished = state.daemonSet.metadata?.annotations?.[savedStrategyAnnotation] !== undefined
  let restartWhy: string | undefined
  if (edit.changed) restartWhy = 'kube-proxy reads its config only at start'
  else if (targetImage !== currentImage) restartWhy = 'new image'
  else if (staleNodes.length > 0) restartWhy = `pods on ${staleNodes.length} node${staleNodes.length === 1 ? '' : 's'} still run an older config or template`
  else if (unfinished) restartWhy = 'an earlier restart did not finish'
  else if (!rolloutComplete(state.daemonSet)) restartWhy = 'the DaemonSet rollout is not complete'
  return {
    namespace: state.namespace,
    metricsBindAddress: {from: edit.current, to: options.bindAddress, changed: edit.changed},
    image: {from: currentImage, to: targetImage, changed: targetImage !== currentImage, why},
    restart: {needed: restartWhy !== undefined, why: restartWhy, nodes: rows.map((row) => row.node)},
    updatedConfig: edit.updated,
    configFormat: edit.format,
  }
}

export interface ApplyHooks {
  onNodeDone?: (node: string, pod: string, done: number, total: number) => void
  onProgress?: (message: string) => void
  /** The API server could not be reached for a moment; we keep waiting. */
  onRetry?: (message: string) => void
}

export interface FixOutcome {
  /** Nodes whose kube-proxy pod runs the current template and is Ready. */
  nodesDone: string[]
  /** Nodes with a kube-proxy pod that is old, not Ready yet, or being replaced. */
  nodesPending: string[]
  /** Nodes the DaemonSet should run kube-proxy on that have no kube-proxy pod at all. */
  nodesWithoutPod: string[]
  /** The DaemonSet controller's count of nodes that should run kube-proxy. */
  nodesDesired: number
}

/** Counts nodes, not pods: every node the DaemonSet should run on is done, pending or without a pod. */
export function restartProgress(state: Pick<KubeProxyState, 'pods' | 'daemonSet' | 'nodes'>, nodesDone: string[]): FixOutcome {
  const done = new Set(nodesDone)
  const withoutPod = nodesWithoutPod(state)
  const withPod = new Set(state.pods.map((pod) => pod.spec?.nodeName).filter((node): node is string => !!node))
  const nodesPending = [...withPod].filter((node) => !done.has(node)).sort()
  return {
    nodesDone: [...done].sort(),
    nodesPending,
    nodesWithoutPod: withoutPod,
    nodesDesired: state.daemonSet.status?.desiredNumberScheduled ?? done.size + nodesPending.length + withoutPod.length,
  }
}

function nodeList(nodes: string[]): string {
  return `${nodes.length} node${nodes.length === 1 ? '' : 's'}${nodes.length > 0 ? ` (${nodes.join(', ')})` : ''}`
}

/** One clause for the timeout line: done on …, not yet on …, no kube-proxy pod on …. */
export function describeProgress(outcome: FixOutcome): string {
  const parts = [`done on ${nodeList(outcome.nodesDone)}`, `not yet on ${nodeList(outcome.nodesPending)}`]
  if (outcome.nodesWithoutPod.length > 0) parts.push(`no kube-proxy pod at all on ${nodeList(outcome.nodesWithoutPod)}`)
  const counted = outcome.nodesDone.length + outcome.nodesPending.length + outcome.nodesWithoutPod.length
  if (outcome.nodesDesired > counted) parts.push(`the DaemonSet wants ${outcome.nodesDesired} nodes, ${outcome.nodesDesired - counted} more than these`)
  return parts.join(', ')
}

/** Updates the ConfigMap's `config` key only, against the resourceVersion that was read. */
export async function writeConfig(clients: KubeProxyClients, state: KubeProxyState, plan: FixPlan): Promise<void> {
  if (!plan.metricsBindAddress.changed) return
  const body = {...state.configMap, data: {...state.configMap.data, [configDataKey]: plan.updatedConfig}}
  try {
    await clients.core.replaceNamespacedConfigMap({name: configMapName, namespace: state.namespace, body})
  } catch (error) {
    if (isConflict(error)) {
      throw new CliError('conflict', `${where(state.namespace, 'configmap', configMapName)} changed while we were editing it; nothing was changed`, {
        hint: 'run the command again',
        cause: error,
      })
    }
    throw error
  }
}

/** The ConfigMap read back after our write is not what we wrote; the message says what it holds now. */
export class WrittenConfigMismatch extends CliError {}

/**
 * Reads the ConfigMap back after `writeConfig` and checks that what is stored now parses as the
 * config kube-proxy will read, with the new metricsBindAddress and nothing else changed. If not
 * (someone edited it in between, or a webhook rewrote it), the config we replaced is put back
 * when nobody changed it since, and nothing is restarted: kube-proxy never starts on a config it
 * cannot read. Returns the text to restart onto.
 */
export async function confirmWritten(clients: KubeProxyClients, state: KubeProxyState, plan: FixPlan): Promise<string> {
  const object = where(state.namespace, 'configmap', configMapName)
  const stored = await clients.core.readNamespacedConfigMap({name: configMapName, namespace: state.namespace})
  const text = stored.data?.[configDataKey]
  let problem: string | undefined
  if (text === undefined) problem = `it has no "${configDataKey}" key`
  else {
    try {
      verifyEdit(state.configText, text, plan.metricsBindAddress.to, object)
    } catch (error) {
      problem = error instanceof CliError ? error.message : String(error)
    }
  }
  if (problem === undefined) return text!
  let restored = false
  if (text !== undefined && text === plan.updatedConfig) {
    // Our own write reads wrong: put the previous config back.
    try {
      await clients.core.replaceNamespacedConfigMap({
        name: configMapName,
        namespace: state.namespace,
        body: {...stored, data: {...stored.data, [configDataKey]: state.configText}},
      })
      restored = true
    } catch {
      restored = false
    }
  }
  throw new WrittenConfigMismatch(
    'conflict',
    `${object} read back after the edit is not the config we wrote (${problem}); ${restored ? 'the previous config was put back and' : 'it was left as it is now, and'} no kube-proxy pod was restarted`,
    {
      hint: 'inspect it with `kubectl -n kube-system get configmap kube-proxy-config -o yaml`, then run the command again',
    },
  )
}

/**
 * Makes the DaemonSet controller restart kube-proxy one node at a time: the pod template gets
 * the new config's digest (and the new image), and the update strategy is set to RollingUpdate
 * with maxUnavailable 1 and maxSurge 0 until the restart ends (the original is saved in an
 * annotation and restored by `finishRestart`). The controller then deletes one old pod, waits
 * for its replacement to be Ready, and only then moves to the next node - and keeps doing so
 * even if this process or the API server goes away mid-way.
 */
export async function startRestart(clients: KubeProxyClients, state: KubeProxyState, plan: FixPlan): Promise<void> {
  let daemonSet = state.daemonSet
  for (let attempt = 1; ; attempt++) {
    const body = restartBody(daemonSet, plan)
    try {
      await clients.apps.replaceNamespacedDaemonSet({name: daemonSetName, namespace: state.namespace, body})
      return
    } catch (error) {
      // The edits are idempotent, so on 409 they are made again on the fresh object.
      if (!isConflict(error) || attempt >= 3) throw error
      daemonSet = await clients.apps.readNamespacedDaemonSet({name: daemonSetName, namespace: state.namespace})
    }
  }
}

const oneAtATime: V1DaemonSetUpdateStrategy = {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}

function restartBody(daemonSet: V1DaemonSet, plan: FixPlan): V1DaemonSet {
  const body = structuredClone(daemonSet)
  const annotations = (body.metadata!.annotations ??= {})
  if (annotations[savedStrategyAnnotation] === undefined) annotations[savedStrategyAnnotation] = JSON.stringify(daemonSet.spec?.updateStrategy ?? {})
  body.spec!.updateStrategy = oneAtATime
  const template = body.spec!.template
  const templateAnnotations = (template.metadata!.annotations ??= {})
  const hash = configHash(plan.updatedConfig)
  if (templateAnnotations[configHashAnnotation] === hash && !plan.image.changed) {
    // Same config digest and image, yet pods are stale (the config was edited by hand before):
    // change the template the way `kubectl rollout restart` does.
    templateAnnotations['kubectl.kubernetes.io/restartedAt'] = new Date().toISOString()
  }
  templateAnnotations[configHashAnnotation] = hash
  const container = template.spec!.containers.find((c) => c.name === containerName) ?? template.spec!.containers[0]
  container.image = plan.image.to
  return body
}

/** Puts the DaemonSet's own update strategy back and drops the saved copy. */
export async function finishRestart(clients: KubeProxyClients, namespace: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const daemonSet = await clients.apps.readNamespacedDaemonSet({name: daemonSetName, namespace})
    const saved = daemonSet.metadata?.annotations?.[savedStrategyAnnotation]
    if (saved === undefined) return
    const body = structuredClone(daemonSet)
    delete body.metadata!.annotations![savedStrategyAnnotation]
    const strategy = JSON.parse(saved) as V1DaemonSetUpdateStrategy
    body.spec!.updateStrategy = Object.keys(strategy).length > 0 ? strategy : undefined
    try {
      await clients.apps.replaceNamespacedDaemonSet({name: daemonSetName, namespace, body})
      return
    } catch (error) {
      if (!isConflict(error) || attempt >= 3) throw error
    }
  }
}

function isTransient(error: unknown): boolean {
  const cli = toCliError(error, {verb: 'watch'})
  if (cli instanceof CliError) return cli.kind === 'unreachable' || /answered 5\d\d/.test(cli.message)
  return false
}

/**
 * Follows the restart node by node until every node runs a Ready pod of the current template
 * and the controller reports the rollout complete, or the timeout passes. Short API outages
 * (an API server restart) are waited out: the controller carries on meanwhile.
 */
export async function waitForRestart(
  clients: KubeProxyClients,
  namespace: string,
  options: {timeoutMs: number; pollMs?: number} & ApplyHooks,
): Promise<FixOutcome> {
  const deadline = Date.now() + options.timeoutMs
  const reported = new Set<string>()
  let last: FixOutcome = {nodesDone: [], nodesPending: [], nodesWithoutPod: [], nodesDesired: 0}
  let outage = false
  for (;;) {
    try {
      const state = await readKubeProxyState(clients, namespace)
      if (outage) options.onRetry?.('the API server answers again')
      outage = false
      const rows = podsByNode(state)
      const desired = state.daemonSet.status?.desiredNumberScheduled ?? rows.length
      const done = rows.filter((row) => row.current && row.ready)
      for (const row of done) {
        if (reported.has(row.node)) continue
        reported.add(row.node)
        options.onNodeDone?.(row.node, row.pod ?? '?', reported.size, desired)
      }
      last = restartProgress(
        state,
        done.map((r) => r.node),
      )
      if (rolloutComplete(state.daemonSet) && done.length >= desired) return last
      options.onProgress?.(`kube-proxy restarted on ${done.length}/${desired} nodes…`)
    } catch (error) {
      if (!isTransient(error)) throw error
      if (!outage) options.onRetry?.('the API server is not answering; waiting (the DaemonSet controller carries on)')
      outage = true
    }
    if (Date.now() > deadline) {
      throw new CliError('check-failed', `kube-proxy restart did not finish in ${Math.round(options.timeoutMs / 1000)}s: ${describeProgress(last)}`, {
        hint:
          last.nodesWithoutPod.length > 0
            ? `a node without a kube-proxy pod has no working Services; see why with \`kubectl -n ${namespace} describe daemonset kube-proxy\` (events) and \`kubectl get events -n ${namespace}\`, then run \`elife-k8s kube-proxy fix\` again to finish`
            : `the DaemonSet controller keeps going one node at a time; check \`kubectl -n ${namespace} get pods -l k8s-app=kube-proxy -o wide\`, then run \`elife-k8s kube-proxy fix\` again to finish`,
      })
    }
    await sleep(options.pollMs ?? 500)
  }
}
