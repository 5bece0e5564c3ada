import {ApiextensionsV1Api, CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import {type ActionContext, type ChangeAction, checkFailed, type ReadAction} from '../cli/action.js'
import {CliError, ExitCode} from '../errors.js'
import {plural} from '../render/number.js'
import {workloadPolicy} from './fluxd.js'
import {type DetectedGeneration, detectGeneration, type FluxGeneration} from './generation.js'
import {findFluxdPod, type FluxdGitSettings, fluxdGitSettings, withFluxd} from './v1.js'
import {listToolkitObjects, type ReconcileResult, reconcileToolkit, type ServedKind, type ToolkitObject, toolkitIdentity} from './v2.js'

/** What the three `flux` commands share: where fluxd is (as fluxctl's flags) and which Flux. */
export interface FluxTarget {
  /** --k8s-fwd-ns: the namespace of the Flux v1 (fluxd) pod. */
  forwardNamespace: string
  generation: 'auto' | FluxGeneration
  /** --fluxd-port: fluxd's API port in the pod. */
  fluxdPort: number
  /** -n as given (each generation has its own default). */
  namespace?: string
  allNamespaces?: boolean
}

/** Flux v1 when a fluxd pod is in --k8s-fwd-ns, else v2 when the toolkit CRDs are served (or --generation). */
function detect({io}: ActionContext, target: FluxTarget): Promise<DetectedGeneration> {
  return io.callApi({verb: 'look for', target: `Flux in ${target.forwardNamespace}`}, () =>
    detectGeneration(
      {core: io.kube.api(CoreV1Api), extensions: io.kube.api(ApiextensionsV1Api)},
      {forwardNamespace: target.forwardNamespace, forced: target.generation === 'auto' ? undefined : target.generation},
    ),
  )
}

/** Flux v2's objects live in flux-system unless -n or -A says otherwise; undefined: all namespaces. */
function toolkitNamespace(target: FluxTarget): string | undefined {
  return target.allNamespaces ? undefined : (target.namespace ?? 'flux-system')
}

function inWhere(namespace: string | undefined): string {
  return namespace ? `in ${namespace}` : 'in all namespaces'
}

// ---------------------------------------------------------------------------------------------
// flux identity

export interface FluxIdentityResult {
  generation: FluxGeneration
  /** The public key(s) to add to the Git repository as a deploy key with write access. */
  keys: Array<{key: string; from: string}>
}

/** `fluxctl identity`: fluxd's public deploy key (v1), or identity.pub of each GitRepository's secret (v2). */
export const fluxIdentityAction: ReadAction<FluxTarget, FluxIdentityResult> = {
  async run(ctx, target) {
    const {io} = ctx
    const detected = await detect(ctx, target)
    const {forwardNamespace} = target
    if (detected.generation === 'v1') {
      const {key, pod} = await io.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
        withFluxd(io.kube.kc, io.kube.api(CoreV1Api), forwardNamespace, target.fluxdPort, async (fluxd, pod) => ({key: (await fluxd.identity()).key, pod})),
      )
      return {generation: 'v1', keys: [{key, from: `fluxd pod ${forwardNamespace}/${pod}`}]}
    }
    const namespace = target.namespace ?? 'flux-system'
    const identities = await io.callApi({verb: 'read', target: `GitRepository secrets in ${namespace}`}, () =>
      toolkitIdentity(io.kube.api(CustomObjectsApi), io.kube.api(CoreV1Api), detected.served, namespace),
    )
    if (identities.length === 0) {
      throw new CliError('not-found', `no GitRepository in ${namespace} has a secretRef Secret with identity.pub`, {
        hint: 'pass -n with the namespace of the GitRepository (flux-system by default), or check it uses an SSH URL',
      })
    }
    return {generation: 'v2', keys: identities.map((i) => ({key: i.key, from: `secret ${namespace}/${i.secret}`}))}
  },
}

// ---------------------------------------------------------------------------------------------
// flux workloads

export interface FluxWorkloadRow {
  workload: string
  container: string
  image: string
  release: string
  policy: string
}

export interface FluxWorkloadsResult {
  generation: FluxGeneration
  /** Flux v1: fluxd's workloads, one row per container, as `fluxctl list-workloads`. */
  workloads: FluxWorkloadRow[]
  /** Flux v2: GitRepositories, Kustomizations and HelmReleases with their Ready condition. */
  objects: ToolkitObject[]
  /** What was listed, for the summary line: e.g. `fluxd in flux, namespace prod`. */
  scope: string
  /** Flux v1: how many workloads fluxd reported (rows are one per container). */
  workloadCount: number
}

/** `fluxctl list-workloads` (v1), or the toolkit objects with their Ready condition (v2). */
export const fluxWorkloadsAction: ReadAction<FluxTarget, FluxWorkloadsResult> = {
  async run(ctx, target) {
    const {io} = ctx
    const detected = await detect(ctx, target)
    const {forwardNamespace} = target
    if (detected.generation === 'v1') {
      const namespace = target.allNamespaces ? '' : (target.namespace ?? io.namespace)
      const statuses = await io.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
        withFluxd(io.kube.kc, io.kube.api(CoreV1Api), forwardNamespace, target.fluxdPort, (fluxd) => fluxd.workloads(namespace)),
      )
      const rows: FluxWorkloadRow[] = []
      for (const status of [...statuses].sort((a, b) => a.ID.localeCompare(b.ID))) {
        const containers = status.Containers ?? []
        const release = status.ReadOnly ? status.ReadOnly : (status.Status ?? '')
        if (containers.length === 0) rows.push({workload: status.ID, container: '', image: '', release, policy: workloadPolicy(status)})
        containers.forEach((container, i) => {
          rows.push({
            workload: i === 0 ? status.ID : '',
            container: container.Name,
            image: container.Current?.ID ?? '',
            release: i === 0 ? release : '',
            policy: i === 0 ? workloadPolicy(status) : '',
          })
        })
      }
      const scope = `fluxd in ${forwardNamespace}${namespace ? ` in namespace ${namespace}` : ' across all namespaces'}`
      return {generation: 'v1', workloads: rows, objects: [], scope, workloadCount: statuses.length}
    }
    const namespace = toolkitNamespace(target)
    const objects = await io.callApi({verb: 'list', target: `Flux v2 objects ${inWhere(namespace)}`}, () =>
      listToolkitObjects(io.kube.api(CustomObjectsApi), detected.served, namespace),
    )
    return {generation: 'v2', workloads: [], objects, scope: inWhere(namespace), workloadCount: 0}
  },
}

// ---------------------------------------------------------------------------------------------
// flux sync

export interface FluxSyncInput extends FluxTarget {
  /** --timeout: how long to wait for Flux to finish. */
  timeoutSeconds: number
}

export interface FluxSyncResult {
  generation: FluxGeneration
  dryRun: boolean
  /** Under --dry-run: what would be asked to sync. */
  wouldSync?: string[]
  /** Flux v1: the repository and the revision fluxd applied. */
  v1?: {gitUrl: string; branch: string; revision: string; pod: string}
  /** Flux v2: each object's reconcile request and its Ready condition after it was handled. */
  v2?: ReconcileResult[]
  /** Why the sync failed (exit 6): the same line as the error. */
  failed?: string
}

export type FluxSyncPlan =
  | {generation: 'v1'; input: FluxSyncInput; pod: string; settings: FluxdGitSettings}
  | {generation: 'v2'; input: FluxSyncInput; served: ServedKind[]; namespace?: string; names: string[]}

/**
 * `fluxctl sync` (v1: ask fluxd through a port-forward) or `flux reconcile` (v2: annotate every
 * GitRepository, Kustomization and HelmRelease). The plan reads only the API server: for v1 the
 * repository and branch from the flux pod's flags, for v2 the objects it would annotate.
 */
export const fluxSyncAction: ChangeAction<FluxSyncInput, FluxSyncPlan, FluxSyncResult> = {
  async plan(ctx, input) {
    const {io} = ctx
    const detected = await detect(ctx, input)
    const {forwardNamespace} = input
    if (detected.generation === 'v1') {
      // Asks fluxd nothing: what it would sync is in the flux pod's own flags.
      const pod = await io.callApi({verb: 'read', target: `the flux pod in ${forwardNamespace}`}, () => findFluxdPod(io.kube.api(CoreV1Api), forwardNamespace))
      return {generation: 'v1', input, pod: pod.metadata?.name ?? '?', settings: fluxdGitSettings(pod)}
    }
    const namespace = toolkitNamespace(input)
    const objects = await io.callApi({verb: 'list', target: `Flux v2 objects ${inWhere(namespace)}`}, () =>
      listToolkitObjects(io.kube.api(CustomObjectsApi), detected.served, namespace),
    )
    if (objects.length === 0) {
      throw new CliError('not-found', `no GitRepository, Kustomization or HelmRelease ${namespace ? `in namespace ${namespace}` : 'in any namespace'}`, {
        hint: 'Flux v2 objects usually live in flux-system: pass -n flux-system, or -A',
      })
    }
    const names = objects.filter((o) => !o.suspended).map((o) => `${o.kind} ${o.namespace}/${o.name}`)
    return {generation: 'v2', input, served: detected.served, namespace, names}
  },

  describe(plan) {
    if (plan.generation === 'v1') {
      const {pod, settings} = plan
      const where = `fluxd (pod ${pod} in ${plan.input.forwardNamespace})`
      return {
        changes: settings.gitUrl ? [`ask ${where} to sync ${settings.branch} of ${settings.gitUrl} (its --git-url and --git-branch)`] : [],
        confirm: `ask fluxd in ${plan.input.forwardNamespace} to sync with Git now`,
        nothingToDo: `${where} has no --git-url, so there is no repository to sync; nothing was asked`,
      }
    }
    return {
      changes: plan.names.map((name) => `set reconcile.fluxcd.io/requestedAt on ${name}`),
      confirm: `request a reconcile of ${plural(plan.names.length, 'Flux v2 object')} ${inWhere(plan.namespace)}`,
      nothingToDo: `every Flux v2 object ${inWhere(plan.namespace)} is suspended, so there is nothing to reconcile; nothing was changed`,
    }
  },

  notExecuted(plan, why) {
    const dryRun = why === 'dry-run'
    if (plan.generation === 'v1') return {generation: 'v1', dryRun, wouldSync: plan.settings.gitUrl ? [`${plan.settings.gitUrl}#${plan.settings.branch}`] : []}
    return {generation: 'v2', dryRun, wouldSync: plan.names}
  },

  async execute(ctx, plan) {
    const {io} = ctx
    const {input} = plan
    if (plan.generation === 'v1') {
      const {forwardNamespace} = input
      try {
        const {result, pod} = await io.callApi({verb: 'port-forward to', target: `the flux pod in ${forwardNamespace}`}, () =>
          withFluxd(io.kube.kc, io.kube.api(CoreV1Api), forwardNamespace, input.fluxdPort, async (fluxd, pod) => {
            io.steps.action(`asking fluxd (pod ${pod} in ${forwardNamespace}) to sync`)
            const result = await fluxd.sync({timeoutMs: input.timeoutSeconds * 1000, onProgress: (message) => io.steps.action(message)})
            return {result, pod}
          }),
        )
        io.steps.done()
        return {generation: 'v1', dryRun: false, v1: {...result, pod}}
      } catch (error) {
        // fluxd answered that it could not sync (repository not ready, job failed, timed out): a failed check.
        if (!(error instanceof CliError) || error.exitCode !== ExitCode.CHECK_FAILED) throw error
        return checkFailed(ctx, {generation: 'v1', dryRun: false, failed: error.line}, error)
      }
    }
    io.steps.action(`requesting a reconcile of Flux v2 objects ${inWhere(plan.namespace)}`)
    const results = await io.callApi({verb: 'reconcile', target: `Flux v2 objects ${inWhere(plan.namespace)}`}, () =>
      reconcileToolkit(io.kube.api(CustomObjectsApi), plan.served, plan.namespace, {
        timeoutMs: input.timeoutSeconds * 1000,
        onProgress: (message) => io.steps.progress(message),
        onHandled: (r) =>
          r.ready === 'True'
            ? io.steps.success(`${r.kind} ${r.namespace}/${r.name} reconciled: Ready${r.revision ? ` at ${r.revision}` : ''}`)
            : io.steps.failure(`${r.kind} ${r.namespace}/${r.name} reconciled: not Ready (${r.reason ?? r.ready}${r.message ? `: ${r.message}` : ''})`),
      }),
    )
    io.steps.done()
    for (const r of results.filter((r) => !r.handled)) io.steps.waiting(`${r.kind} ${r.namespace}/${r.name} is suspended: not reconciled`)
    const handled = results.filter((r) => r.handled).length
    const notReady = results.filter((r) => r.handled && r.ready !== 'True')
    const result: FluxSyncResult = {generation: 'v2', dryRun: false, v2: results}
    if (notReady.length > 0) {
      const error = new CliError(
        'check-failed',
        `Flux v2 reconciled ${handled} objects; ${notReady.length} not Ready: ${notReady.map((r) => `${r.kind} ${r.namespace}/${r.name}`).join(', ')}`,
        {
          hint: "see each object's message above, or `elife-k8s flux workloads --generation v2`",
        },
      )
      return checkFailed(ctx, {...result, failed: error.line}, error)
    }
    return result
  },
}
