import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand} from '../../base-command.js'
import {helmListFlags, oclifOptions} from '../../lib/cli/flags.js'
import {helmList, helmListInput, type HelmListResult, showHelmList} from '../../lib/helm/list-action.js'

export type {HelmListResult} from '../../lib/helm/list-action.js'

export default class HelmList extends BaseCommand<typeof HelmList> {
  static override summary = 'List helm releases straight from the cluster, with the controller that owns each.'

  /** As helm's (the fast path knows it too: src/lib/cli/fast.ts). */
  static override aliases = ['helm:ls']

  static override description = `Replaces the runbook's "helm list --all-namespaces" (Observing flux state). Reads helm's own release records (Secrets, and ConfigMaps for HELM_DRIVER=configmap, labelled owner=helm) page by page and decodes only the latest revision of each release, so it is fast and light on a cluster with long histories. No helm binary is needed.

Unlike plain \`helm list\`, releases stuck in pending-install/pending-upgrade/pending-rollback are shown (helm hides them unless -a) and stand out with failed ones; the OWNER column names the HelmRelease (helm-operator helm.fluxcd.io/v1 or Flux v2 helm.toolkit.fluxcd.io) that manages each release. --stuck shows only the ones that need \`elife-k8s helm unstick\`.

The table goes to stdout and the summary line to stderr. -o json and -o yaml print exactly what \`helm list -o json|yaml\` prints for the same releases (pending ones included, as \`helm list -a\`), so scripts written for helm keep working; -o name prints release names, one a line; --json is elife-k8s's own result, with owners and notes.`

  static override examples = [
    {description: 'Every release in the cluster', command: '<%= config.bin %> <%= command.id %> -A'},
    {description: 'Only the releases that are failed or stuck mid-operation', command: '<%= config.bin %> <%= command.id %> -A --stuck'},
    {description: 'Releases in adm', command: '<%= config.bin %> <%= command.id %> -n adm'},
    {description: 'As `helm list -A -a -o json` prints it, for scripts written for helm', command: '<%= config.bin %> <%= command.id %> -A -o json'},
    {
      description: 'As JSON, for jq',
      command: '<%= config.bin %> <%= command.id %> -A --json | jq -r \'.releases[] | select(.stuck) | "\\(.namespace)/\\(.name) \\(.status)"\'',
    },
  ]

  static override flags = {
    'all-namespaces': allNamespacesFlag,
    stuck: Flags.boolean(oclifOptions(helmListFlags.stuck)),
    strict: Flags.boolean(oclifOptions(helmListFlags.strict)),
    output: Flags.option(oclifOptions(helmListFlags.output))(),
  }

  public async run(): Promise<HelmListResult> {
    const input = helmListInput(this.ctx, this.flags)
    const result = await helmList.run(this.ctx, input)
    showHelmList(this.ctx, input, result)
    return result
  }
}
