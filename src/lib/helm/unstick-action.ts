import {CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import type {ChangeAction} from '../cli/action.js'
import {durationFlag} from '../duration.js'
import {CliError} from '../errors.js'
import {escapeControl} from '../render/table.js'
import {type HelmTool, resolveHelm} from './binary.js'
import {findOwners} from './owners.js'
import {corruptLine, isStuckStatus} from './release.js'
import {resolveRelease} from './resolve.js'
import {listLatestRecords} from './store.js'
import type {Diagnosis, PlanOptions, Refusal, Step} from './unstick-plan.js'
import {executeUnstick, prepareUnstick, type PreparedUnstick, type UnstickClients, type UnstickOutcome} from './unstick.js'

export interface UnstickInput {
  /** The helm release's name or its HelmRelease's; undefined with --all. */
  name?: string
  all: boolean
  /** -n (or the context's namespace). */
  namespace: string
  /** -A (with --all only). */
  allNamespaces: boolean
  toRevision?: number
  uninstall: boolean
  chart?: string
  /** --pending-timeout, a Go duration. */
  pendingTimeout: string
  /** Only --dry-run can do without a helm binary: helm is found and checked before anything is read. */
  dryRun: boolean
  helmBinary?: string
  /** Given to helm, so that it acts on the cluster we read. */
  kubeconfig?: string
}

export interface UnstickReleaseResult {
  release: string
  namespace: string
  diagnosis: Diagnosis
  /** The plan: what was (or, under --dry-run, would be) done. */
  steps: Step[]
  /** done: acted and the release is healthy; failed: acted and it is not; refused/nothing/planned: no change. */
  outcome: 'done' | 'failed' | 'refused' | 'nothing' | 'planned'
  refusal?: Refusal
  result?: UnstickOutcome
}

export interface HelmUnstickResult {
  dryRun: boolean
  releases: UnstickReleaseResult[]
}

export interface UnstickPlan {
  dryRun: boolean
  /** Undefined under --dry-run. */
  helm?: HelmTool
  clients: UnstickClients
  prepared: PreparedUnstick[]
  /** With --all: "in adm", "in all namespaces". */
  scope?: string
}

function check(input: UnstickInput): void {
  if (input.all === Boolean(input.name)) {
    throw new CliError('usage', input.all ? 'give either a RELEASE or --all, not both' : 'which release? give RELEASE -n NAMESPACE, or --all', {
      hint: 'see `elife-k8s helm list -A --stuck` for the ones that need it',
    })
  }
  if (input.allNamespaces && !input.all) throw new CliError('usage', '-A only goes with --all', {hint: "name the release's namespace with -n"})
  if (input.toRevision !== undefined && input.all) throw new CliError('usage', '--to-revision only goes with a single RELEASE', {hint: 'drop --all'})
  if (input.chart !== undefined && input.all) throw new CliError('usage', '--chart only goes with a single RELEASE', {hint: 'drop --all'})
}

function actionable(plan: UnstickPlan): PreparedUnstick[] {
  return plan.prepared.filter(({plan: p}) => p.steps.length > 0)
}

function releaseResults(plan: UnstickPlan): UnstickReleaseResult[] {
  return plan.prepared.map(({plan: p}) => ({
    release: p.diagnosis.release,
    namespace: p.diagnosis.namespace,
    diagnosis: p.diagnosis,
    steps: p.steps,
    outcome: p.refusal ? 'refused' : p.nothing ? 'nothing' : 'planned',
    refusal: p.refusal,
  }))
}

/**
 * `helm unstick`: diagnose (plan), show the escalation (describe), act with the real helm and read
 * the release back (execute). runAction does the --dry-run and confirmation in between.
 */
export const unstickAction: ChangeAction<UnstickInput, UnstickPlan, HelmUnstickResult> = {
  async plan({io}, input) {
    check(input)
    const pendingTimeoutMs = durationFlag(input.pendingTimeout, '--pending-timeout', {allowZero: true})
    // Find and check helm before reading anything, so a missing or wrong helm fails first and
    // plainly (only --dry-run can do without it).
    const helm = input.dryRun ? undefined : await resolveHelm({flag: input.helmBinary, kubeconfig: input.kubeconfig, context: io.kube.context})
    const clients: UnstickClients = {kc: io.kube.kc, core: io.kube.api(CoreV1Api), custom: io.kube.api(CustomObjectsApi)}
    const planOptions: Omit<PlanOptions, 'owner'> = {toRevision: input.toRevision, uninstall: input.uninstall, chart: input.chart, pendingTimeoutMs}
    const prepared: PreparedUnstick[] = []
    let scope: string | undefined
    if (input.all) {
      const namespace = input.allNamespaces ? undefined : input.namespace
      scope = namespace ? `in ${namespace}` : 'in all namespaces'
      const [latest, owners] = await io.callApi({verb: 'list helm release records', target: scope}, () =>
        Promise.all([listLatestRecords(clients.kc, {namespace}), findOwners(clients.kc, namespace)]),
      )
      for (const c of latest.corrupt) io.steps.warning(`${corruptLine(c)}; skipped, as helm does`)
      const stuck = latest.records.filter(({record}) => isStuckStatus(record.info?.status ?? ''))
      stuck.sort((a, b) => a.labels.namespace.localeCompare(b.labels.namespace) || a.labels.release.localeCompare(b.labels.release))
      for (const {labels} of stuck) {
        prepared.push(
          await io.callApi({verb: 'read helm release', target: `"${labels.release}" in ${labels.namespace}`}, () =>
            prepareUnstick(clients, {release: labels.release, namespace: labels.namespace}, {...planOptions, owners: owners.owners}),
          ),
        )
      }
    } else {
      const resolved = await resolveRelease(io, input.name ?? '', input.namespace)
      const one = await io.callApi({verb: 'read helm release', target: `"${resolved.release}" in ${resolved.namespace}`}, () =>
        prepareUnstick(clients, {release: resolved.release, namespace: resolved.namespace, history: resolved.history}, planOptions),
      )
      // One release that must not be touched: the refusal is the one line.
      if (one.plan.refusal) throw new CliError(one.plan.refusal.kind, one.plan.refusal.message, {hint: one.plan.refusal.hint})
      prepared.push(one)
    }
    // Older revisions that cannot be decoded do not change the plan (helm skips them too): said once.
    for (const {history} of prepared) for (const c of history.corrupt) io.steps.warning(`${corruptLine(c)}; skipped, as helm does`)
    // Why each is stuck (cluster data, quoting helm: escaped), before the plan.
    for (const {plan, owner} of prepared) {
      if (plan.nothing) continue
      const {diagnosis} = plan
      io.say(escapeControl(`${diagnosis.namespace}/${diagnosis.release}: ${diagnosis.reason}`))
      if (owner) io.say(`  owned by HelmRelease ${owner.namespace}/${owner.name} (${owner.apiVersion}, ${owner.controller})`)
      if (plan.refusal) io.say(escapeControl(`  ◎ no change: ${plan.refusal.message}; ${plan.refusal.hint}`))
    }
    return {dryRun: input.dryRun, helm, clients, prepared, scope}
  },

  describe(plan) {
    const acting = actionable(plan)
    const steps = acting.flatMap(({plan: p}) => p.steps)
    let nothingToDo: string
    if (plan.scope !== undefined && plan.prepared.length === 0) nothingToDo = `No failed or pending helm releases ${plan.scope}; nothing to unstick.`
    else if (plan.scope !== undefined) nothingToDo = 'Nothing can be done without a flag (see ◎ above); nothing was changed.'
    else nothingToDo = plan.prepared[0]?.plan.nothing ?? 'nothing to do'
    return {
      // Each step names its release (and, for the rollback, the whole escalation, --force's consequence included).
      changes: steps.map((s) => escapeControl(s.text)),
      confirm: acting.length === 1 ? steps.map((s) => s.text).join(', then ') : `unstick ${acting.length} helm releases as planned above`,
      nothingToDo,
    }
  },

  async execute({io}, plan) {
    const results = releaseResults(plan)
    const {helm, clients} = plan
    if (!helm) throw new CliError('unexpected', 'no helm binary to act with', {hint: 'this is a bug; rerun with --debug'})
    for (const item of actionable(plan)) {
      const {release, namespace} = item.plan.diagnosis
      const entry = results.find((r) => r.release === release && r.namespace === namespace)
      if (!entry) continue
      try {
        const outcome = await io.callApi({verb: 'unstick helm release', target: `"${release}" in ${namespace}`}, () =>
          executeUnstick(clients, helm, item, {
            onStep: (text) => io.steps.action(text),
            onDone: (text) => io.steps.success(text),
            onWarning: (text) => io.steps.warning(text),
          }),
        )
        entry.result = outcome
        entry.outcome = outcome.ok ? 'done' : 'failed'
        for (const step of outcome.steps) if (!step.ok && !step.retried && step.action !== 'nudge') io.steps.failure(step.detail)
      } catch (error) {
        if (plan.scope === undefined) throw error
        entry.outcome = 'failed'
        io.steps.failure(`${release} in ${namespace}: ${error instanceof Error ? ((error as CliError).line ?? error.message) : String(error)}`)
      }
    }
    // What is true now, once per release, last.
    for (const r of results) if (r.result) io.say(escapeControl(r.result.summary))
    const failures = results.filter((r) => r.outcome === 'failed')
    if (failures.length > 0) {
      const first = failures[0]
      const failedStep = first?.result?.steps.findLast((s) => !s.ok && s.action !== 'nudge')
      throw new CliError(
        'tool-failed',
        failures.length === 1 && first
          ? `could not unstick release "${first.release}" in ${first.namespace}: ${failedStep?.detail ?? first.result?.summary ?? 'see above'}`
          : `${failures.length} releases could not be unstuck (see ✗ above)`,
        {
          hint: `see \`elife-k8s helm history ${first?.release ?? 'RELEASE'} -n ${first?.namespace ?? 'NS'}\`; helm's own error is above`,
        },
      )
    }
    return {dryRun: false, releases: results}
  },

  notExecuted(plan) {
    return {dryRun: plan.dryRun, releases: releaseResults(plan)}
  },
}
