import {CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand, CliError} from '../../base-command.js'
import {resolveHelm} from '../../lib/helm/binary.js'
import {findOwners} from '../../lib/helm/owners.js'
import {corruptLine} from '../../lib/helm/release.js'
import {listLatestRecords} from '../../lib/helm/store.js'
import {durationFlag} from '../../lib/duration.js'
import {type Diagnosis, type Refusal, type Step} from '../../lib/helm/unstick-plan.js'
import {executeUnstick, prepareUnstick, type PreparedUnstick, type UnstickOutcome} from '../../lib/helm/unstick.js'
import {confirm} from '../../lib/render/confirm.js'
import {escapeControl} from '../../lib/render/table.js'

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

export default class HelmUnstick extends BaseCommand<typeof HelmUnstick> {
  static override summary = 'Get a failed or stuck helm release deployed again, so its controller can carry on.'

  static override description = `Replaces the runbook's "helm-operator can't upgrade due to failed helm state". Diagnoses why the release is stuck, prints the plan, asks, then acts with the real helm 3 binary:

  failed                 helm rollback to the last deployed revision (or --to-revision)
  pending-upgrade/-rollback  (helm was killed mid-operation) helm rollback likewise; if helm refuses because of its
                         pending lock, the stuck revision's record is first backed up into a Secret in the same
                         namespace (labelled app.kubernetes.io/managed-by=elife-k8s) and marked failed
  never deployed         (a first install that failed or was killed) only removed with --uninstall

If helm refuses the rollback because the failed revision's manifest and the cluster disagree ("no ConfigMap with the name ... found"), it escalates, each step only if the one before failed that way: the same rollback once more, then \`helm rollback --force\` (which replaces the release's objects instead of patching them: changes made outside helm are lost and objects whose immutable fields changed are recreated), then, with --chart, the runbook's \`helm upgrade --reuse-values\` from the last deployed revision's values (without --chart, that command is printed). --dry-run shows the whole escalation; --yes (or the prompt) confirms all of it.

Then it reads the release again, says what is true now, and asks the owning HelmRelease's controller (helm-operator or Flux v2) to reconcile. A pending-* revision younger than --pending-timeout is left alone: helm may still be working on it.

helm is found with --helm-binary, else $ELIFE_K8S_HELM, else "helm" on PATH, and must be v3.x; it is given the same kubeconfig and context as this command.`

  static override examples = [
    {description: 'See what would be done, change nothing', command: '<%= config.bin %> <%= command.id %> libero-reviewer--prod -n prod --dry-run'},
    {description: 'Unstick a release (asks first)', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm'},
    {description: 'Roll back to a chosen revision without asking', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --to-revision 41 --yes'},
    {description: 'Remove a release whose first install never deployed', command: '<%= config.bin %> <%= command.id %> journal--stg -n stg --uninstall'},
    {description: 'Every failed or stuck release in the cluster', command: '<%= config.bin %> <%= command.id %> --all -A --dry-run'},
  ]

  static override args = {
    release: Args.string({description: 'The helm release name (omit with --all).', required: false}),
  }

  static override flags = {
    all: Flags.boolean({description: 'Unstick every failed or pending release in the namespace (-n) or cluster (-A).', default: false}),
    'all-namespaces': allNamespacesFlag,
    'to-revision': Flags.integer({description: 'Roll back to this revision instead of the last deployed one.', min: 1}),
    uninstall: Flags.boolean({description: 'Allowed to uninstall a release that never deployed (nothing to roll back to).', default: false}),
    chart: Flags.string({description: 'The chart (directory, archive or repo/name) for the last resort when helm cannot roll back: `helm upgrade --reuse-values` from the last deployed revision\'s values.'}),
    'pending-timeout': Flags.string({description: 'Treat a pending-* release as abandoned only once it has been pending this long (e.g. 90s, 10m).', default: '5m'}),
    'dry-run': Flags.boolean({description: 'Print the diagnosis and plan; change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
    'helm-binary': Flags.string({description: 'The helm 3 binary to act with (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
  }

  public async run(): Promise<HelmUnstickResult> {
    const {flags, args} = this
    if (flags.all === Boolean(args.release)) {
      throw new CliError('usage', flags.all ? 'give either a RELEASE or --all, not both' : 'which release? give RELEASE -n NAMESPACE, or --all', {
        hint: 'see `elife-k8s helm list -A --stuck` for the ones that need it',
      })
    }
    if (flags['all-namespaces'] && !flags.all) throw new CliError('usage', '-A only goes with --all', {hint: 'name the release\'s namespace with -n'})
    if (flags['to-revision'] !== undefined && flags.all) throw new CliError('usage', '--to-revision only goes with a single RELEASE', {hint: 'drop --all'})
    if (flags.chart !== undefined && flags.all) throw new CliError('usage', '--chart only goes with a single RELEASE', {hint: 'drop --all'})
    const pendingTimeoutMs = durationFlag(flags['pending-timeout'], '--pending-timeout', {allowZero: true})

    // Find and check helm before reading anything, so a missing or wrong helm fails first and
    // plainly (only --dry-run can do without it).
    const helm = flags['dry-run']
      ? undefined
      : await resolveHelm({flag: flags['helm-binary'], kubeconfig: flags.kubeconfig, context: this.kube.context})

    const clients = {kc: this.kube.kc, core: this.kube.api(CoreV1Api), custom: this.kube.api(CustomObjectsApi)}
    const planOptions = {toRevision: flags['to-revision'], uninstall: flags.uninstall, chart: flags.chart, pendingTimeoutMs}
    const prepared: PreparedUnstick[] = []
    if (flags.all) {
      const namespace = flags['all-namespaces'] ? undefined : this.namespace
      const scope = namespace ? `in ${namespace}` : 'in all namespaces'
      const [latest, owners] = await this.callApi({verb: 'list helm release records', target: scope}, () =>
        Promise.all([listLatestRecords(this.kube.kc, {namespace}), findOwners(clients.kc, namespace)]),
      )
      for (const c of latest.corrupt) this.steps.warning(`${corruptLine(c)}; skipped, as helm does`)
      const stuck = latest.records.filter(({record}) => ['failed', 'uninstalling', 'pending-install', 'pending-upgrade', 'pending-rollback'].includes(record.info?.status ?? ''))
      if (stuck.length === 0) {
        this.log(`No failed or pending helm releases ${scope}; nothing to unstick.`)
        return {dryRun: flags['dry-run'], releases: []}
      }
      for (const {labels} of stuck.sort((a, b) => a.labels.namespace.localeCompare(b.labels.namespace) || a.labels.release.localeCompare(b.labels.release))) {
        prepared.push(
          await this.callApi({verb: 'read helm release', target: `"${labels.release}" in ${labels.namespace}`}, () =>
            prepareUnstick(clients, {release: labels.release, namespace: labels.namespace}, {...planOptions, owners: owners.owners}),
          ),
        )
      }
    } else {
      const release = args.release as string
      const namespace = this.namespace
      prepared.push(await this.callApi({verb: 'read helm release', target: `"${release}" in ${namespace}`}, () => prepareUnstick(clients, {release, namespace}, planOptions)))
    }

    // Older revisions that cannot be decoded do not change the plan (helm skips them too): said once.
    for (const {history} of prepared) for (const c of history.corrupt) this.steps.warning(`${corruptLine(c)}; skipped, as helm does`)
    const results: UnstickReleaseResult[] = prepared.map(({plan}) => ({
      release: plan.diagnosis.release,
      namespace: plan.diagnosis.namespace,
      diagnosis: plan.diagnosis,
      steps: plan.steps,
      outcome: plan.refusal ? 'refused' : plan.nothing ? 'nothing' : 'planned',
      refusal: plan.refusal,
    }))
    this.printPlans(prepared)
    const actionable = prepared.filter(({plan}) => plan.steps.length > 0)

    if (!flags.all && results[0]?.refusal) {
      const {refusal} = results[0]
      throw new CliError(refusal.kind, refusal.message, {hint: refusal.hint})
    }
    if (actionable.length === 0) {
      if (!flags.all) this.log(prepared[0]?.plan.nothing ?? 'nothing to do')
      else this.log('Nothing can be done without a flag (see ◎ above); nothing was changed.')
      return {dryRun: flags['dry-run'], releases: results}
    }
    if (flags['dry-run']) {
      this.log(`Dry run: nothing was changed. Rerun without --dry-run to unstick ${actionable.length === 1 ? 'it' : `these ${actionable.length} releases`}.`)
      return {dryRun: true, releases: results}
    }
    const what = actionable.length === 1
      ? `${actionable[0]?.plan.steps.map((s) => s.text).join(', then ')}`
      : `unstick ${actionable.length} helm releases as planned above`
    await confirm({yes: flags.yes, action: what})

    for (const item of actionable) {
      const {release, namespace} = item.plan.diagnosis
      const entry = results.find((r) => r.release === release && r.namespace === namespace)
      if (!entry || !helm) continue
      try {
        const outcome = await this.callApi({verb: 'unstick helm release', target: `"${release}" in ${namespace}`}, () =>
          executeUnstick(clients, helm, item, {
            onStep: (text) => this.steps.action(text),
            onDone: (text) => this.steps.success(text),
            onWarning: (text) => this.steps.warning(text),
          }),
        )
        entry.result = outcome
        entry.outcome = outcome.ok ? 'done' : 'failed'
        for (const step of outcome.steps) if (!step.ok && !step.retried && step.action !== 'nudge') this.steps.failure(step.detail)
        if (outcome.ok) this.steps.success(outcome.summary)
        else this.steps.failure(outcome.summary)
      } catch (error) {
        if (!flags.all) throw error
        entry.outcome = 'failed'
        this.steps.failure(`${release} in ${namespace}: ${error instanceof Error ? (error as CliError).line ?? error.message : String(error)}`)
      }
    }

    for (const r of results) if (r.result) this.log(escapeControl(r.result.summary))
    const failures = results.filter((r) => r.outcome === 'failed')
    if (failures.length > 0) {
      const first = failures[0]
      const failedStep = first?.result?.steps.findLast((s) => !s.ok && s.action !== 'nudge')
      throw new CliError('tool-failed', failures.length === 1 && first
        ? `could not unstick release "${first.release}" in ${first.namespace}: ${failedStep?.detail ?? first.result?.summary ?? 'see above'}`
        : `${failures.length} releases could not be unstuck (see ✗ above)`, {
        hint: `see \`elife-k8s helm history ${first?.release ?? 'RELEASE'} -n ${first?.namespace ?? 'NS'}\`; helm's own error is above`,
      })
    }
    return {dryRun: false, releases: results}
  }

  private printPlans(prepared: PreparedUnstick[]): void {
    for (const {plan, owner} of prepared) {
      const {diagnosis} = plan
      const name = `${diagnosis.namespace}/${diagnosis.release}`
      // The reason quotes helm's description of the failure: cluster data, so escaped.
      this.log(escapeControl(`${name}: ${diagnosis.reason}`))
      if (owner) this.log(`  owned by HelmRelease ${owner.namespace}/${owner.name} (${owner.apiVersion}, ${owner.controller})`)
      if (plan.refusal) {
        this.log(escapeControl(`  ◎ no change: ${plan.refusal.message}; ${plan.refusal.hint}`))
        continue
      }
      if (plan.nothing) continue
      plan.steps.forEach((step, i) => this.log(escapeControl(`  ${i + 1}. ${step.text}`)))
    }
  }
}
