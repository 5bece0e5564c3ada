import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand} from '../../base-command.js'
import {runAction} from '../../lib/cli/action.js'
import {type HelmUnstickResult, unstickAction, type UnstickInput} from '../../lib/helm/unstick-action.js'

export type {HelmUnstickResult, UnstickReleaseResult} from '../../lib/helm/unstick-action.js'

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

RELEASE may also be the name of the HelmRelease that manages the release (said on stderr). The diagnosis, the plan, the steps and the final state are on stderr; stdout carries only --json.

helm is found with --helm-binary, else $ELIFE_K8S_HELM, else "helm" on PATH, and must be v3.x; it is given the same kubeconfig and context as this command.`

  static override examples = [
    {description: 'See what would be done, change nothing', command: '<%= config.bin %> <%= command.id %> libero-reviewer--prod -n prod --dry-run'},
    {description: 'Unstick a release (asks first)', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm'},
    {
      description: 'Roll back to a chosen revision without asking',
      command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --to-revision 41 --yes',
    },
    {description: 'Remove a release whose first install never deployed', command: '<%= config.bin %> <%= command.id %> journal--stg -n stg --uninstall'},
    {description: 'Every failed or stuck release in the cluster', command: '<%= config.bin %> <%= command.id %> --all -A --dry-run'},
  ]

  static override args = {
    release: Args.string({description: "The helm release name, or its HelmRelease's name (omit with --all).", required: false}),
  }

  static override flags = {
    all: Flags.boolean({description: 'Unstick every failed or pending release in the namespace (-n) or cluster (-A).', default: false}),
    'all-namespaces': allNamespacesFlag,
    'to-revision': Flags.integer({description: 'Roll back to this revision instead of the last deployed one.', min: 1}),
    uninstall: Flags.boolean({description: 'Allowed to uninstall a release that never deployed (nothing to roll back to).', default: false}),
    chart: Flags.string({
      description:
        "The chart (directory, archive or repo/name) for the last resort when helm cannot roll back: `helm upgrade --reuse-values` from the last deployed revision's values.",
    }),
    'pending-timeout': Flags.string({
      description: 'Treat a pending-* release as abandoned only once it has been pending this long (e.g. 90s, 10m).',
      default: '5m',
    }),
    'dry-run': Flags.boolean({description: 'Print the diagnosis and plan; change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
    'helm-binary': Flags.string({description: 'The helm 3 binary to act with (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
  }

  public async run(): Promise<HelmUnstickResult> {
    const {flags, args} = this
    const input: UnstickInput = {
      name: args.release,
      all: flags.all,
      // -A: no namespace is needed (nor a context's namespace read).
      namespace: flags['all-namespaces'] ? '' : this.namespace,
      allNamespaces: flags['all-namespaces'],
      toRevision: flags['to-revision'],
      uninstall: flags.uninstall,
      chart: flags.chart,
      pendingTimeout: flags['pending-timeout'],
      dryRun: flags['dry-run'],
      helmBinary: flags['helm-binary'],
      kubeconfig: flags.kubeconfig,
    }
    return runAction(this.ctx, unstickAction, input, {dryRun: flags['dry-run'], yes: flags.yes})
  }
}
