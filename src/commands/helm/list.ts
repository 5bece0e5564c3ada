import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand} from '../../base-command.js'
import {listReleases, type ReleaseRow} from '../../lib/helm/list.js'
import {listEmptyLine, listSummaryLine, releaseColumns} from '../../lib/helm/rows.js'

export interface HelmListResult {
  /** What was listed, e.g. "all namespaces" or `namespace "adm"`. */
  scope: string
  releases: ReleaseRow[]
  /** Releases whose latest revision is failed or pending-*. */
  stuck: number
  /** Revision records read (all revisions of all releases); only the latest of each is decoded. */
  recordsSeen: number
  notes: string[]
}

export default class HelmList extends BaseCommand<typeof HelmList> {
  static override summary = 'List helm releases straight from the cluster, with the controller that owns each.'

  static override description = `Replaces the runbook's "helm list --all-namespaces" (Observing flux state). Reads helm's own release records (Secrets, and ConfigMaps for HELM_DRIVER=configmap, labelled owner=helm) page by page and decodes only the latest revision of each release, so it is fast and light on a cluster with long histories. No helm binary is needed.

Unlike plain \`helm list\`, releases stuck in pending-install/pending-upgrade/pending-rollback are shown (helm hides them unless -a) and stand out with failed ones; the OWNER column names the HelmRelease (helm-operator helm.fluxcd.io/v1 or Flux v2 helm.toolkit.fluxcd.io) that manages each release. --stuck shows only the ones that need \`elife-k8s helm unstick\`.`

  static override examples = [
    {description: 'Every release in the cluster', command: '<%= config.bin %> <%= command.id %> -A'},
    {description: 'Only the releases that are failed or stuck mid-operation', command: '<%= config.bin %> <%= command.id %> -A --stuck'},
    {description: 'Releases in adm', command: '<%= config.bin %> <%= command.id %> -n adm'},
    {description: 'As JSON, for jq', command: '<%= config.bin %> <%= command.id %> -A --json | jq -r \'.releases[] | select(.stuck) | "\\(.namespace)/\\(.name) \\(.status)"\''},
  ]

  static override flags = {
    'all-namespaces': allNamespacesFlag,
    stuck: Flags.boolean({description: 'Only releases whose latest revision is failed or pending-*.', default: false}),
  }

  public async run(): Promise<HelmListResult> {
    const {flags} = this
    const namespace = flags['all-namespaces'] ? undefined : this.namespace
    const scope = namespace ? `namespace "${namespace}"` : 'all namespaces'
    const listed = await this.callApi({verb: 'list helm release records (Secrets with owner=helm)', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'}, () =>
      listReleases(this.kube.kc, {
        namespace,
        stuckOnly: flags.stuck,
        onProgress: (seen) => this.steps.progress(`read ${seen.toLocaleString('en')} release records…`),
        onRestart: (attempt) => this.steps.warning(`the release list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
      }),
    )
    this.steps.done()
    const result: HelmListResult = {
      scope,
      releases: listed.releases,
      stuck: listed.releases.filter((r) => r.stuck).length,
      recordsSeen: listed.recordsSeen,
      notes: listed.notes,
    }
    for (const note of listed.notes) this.steps.warning(note)
    if (result.releases.length === 0) {
      this.log(listEmptyLine(scope, flags.stuck))
      return result
    }
    this.table(result.releases, releaseColumns(Boolean(namespace)))
    this.log('')
    this.log(listSummaryLine(result.releases, scope, flags.stuck))
    return result
  }
}
