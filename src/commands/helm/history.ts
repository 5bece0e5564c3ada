import {CoreV1Api} from '@kubernetes/client-node'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../../base-command.js'
import {shortTime, statusColor} from '../../lib/helm/format.js'
import {historyRows, loadHistory} from '../../lib/helm/history.js'
import type {RevisionRow, StorageDriver} from '../../lib/helm/release.js'
import type {Column} from '../../lib/render/table.js'

export interface HelmHistoryResult {
  release: string
  namespace: string
  storage: StorageDriver
  /** Oldest first, as `helm history`. */
  revisions: RevisionRow[]
}

export default class HelmHistory extends BaseCommand<typeof HelmHistory> {
  static override summary = 'Every revision of a helm release, with status, chart and description.'

  static override description = `Replaces the runbook's "helm -n adm history adm-prometheus-operator". Read straight from helm's release records in the cluster; no helm binary needed. The DESCRIPTION column holds helm's reason for a failure ("Upgrade \\"x\\" failed: ...").`

  static override examples = [
    {description: 'History of the prometheus-operator release in adm', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm'},
    {description: 'Only the last revisions', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --max 5'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --json'},
  ]

  static override args = {
    release: Args.string({description: 'The helm release name (see `elife-k8s helm list`).', required: true}),
  }

  static override flags = {
    max: Flags.integer({description: 'Show at most this many of the newest revisions.', min: 1}),
  }

  public async run(): Promise<HelmHistoryResult> {
    const {release} = this.args
    const namespace = this.namespace
    const history = await this.callApi({verb: 'read helm release records', target: `of "${release}" in ${namespace}`}, () =>
      loadHistory(this.kube.api(CoreV1Api), this.kube.kc, release, namespace),
    )
    let revisions = historyRows(history)
    if (this.flags.max) revisions = revisions.slice(-this.flags.max)
    const result: HelmHistoryResult = {release, namespace, storage: history.driver, revisions}
    this.table(revisions, columns)
    const latest = revisions.at(-1)
    if (latest) {
      this.log('')
      this.log(`release "${release}" in ${namespace} is ${latest.status} at revision ${latest.revision} (${latest.chart})`)
    }
    return result
  }
}

const columns: ReadonlyArray<Column<RevisionRow>> = [
  {header: 'revision', value: (r) => r.revision, align: 'right'},
  {header: 'updated', value: (r) => shortTime(r.updated)},
  {header: 'status', value: (r) => r.status, color: (r, c) => statusColor(r.status, c)},
  {header: 'chart', value: (r) => r.chart},
  {header: 'app version', value: (r) => r.appVersion || '-'},
  {header: 'description', value: (r) => r.description},
]
