import {CoreV1Api} from '@kubernetes/client-node'
import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../../base-command.js'
import {shortTime, statusColor} from '../../lib/helm/format.js'
import {historyRows, loadHistory} from '../../lib/helm/history.js'
import {type CorruptRecord, reportCorrupt} from '../../lib/helm/corrupt.js'
import type {RevisionRow, StorageDriver} from '../../lib/helm/release.js'
import {type Column, escapeControl} from '../../lib/render/table.js'

export interface HelmHistoryResult {
  release: string
  namespace: string
  storage: StorageDriver
  /** Oldest first, as `helm history`. */
  revisions: RevisionRow[]
  /** Revisions whose record cannot be decoded: not shown (helm skips them too). */
  corrupt: CorruptRecord[]
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
    strict: Flags.boolean({description: 'Exit 6 if a revision\'s record cannot be decoded (it is skipped with a warning either way, as helm skips it).', default: false}),
  }

  public async run(): Promise<HelmHistoryResult> {
    const {release} = this.args
    const namespace = this.namespace
    const history = await this.callApi({verb: 'read helm release records', target: `of "${release}" in ${namespace}`}, () =>
      loadHistory(this.kube.api(CoreV1Api), this.kube.kc, release, namespace),
    )
    let revisions = historyRows(history)
    if (this.flags.max) revisions = revisions.slice(-this.flags.max)
    const result: HelmHistoryResult = {release, namespace, storage: history.driver, revisions, corrupt: history.corrupt}
    this.table(revisions, columns)
    const latest = revisions.at(-1)
    const newest = Math.max(latest?.revision ?? 0, ...history.corrupt.map((c) => c.revision))
    if (latest && newest === latest.revision) {
      this.log('')
      this.log(escapeControl(`release "${release}" in ${namespace} is ${latest.status} at revision ${latest.revision} (${latest.chart})`))
    } else if (newest > 0) {
      this.log('')
      this.log(`release "${release}" in ${namespace}: its latest revision, ${newest}, cannot be decoded`)
    }
    reportCorrupt(history.corrupt, {warn: (line) => this.steps.warning(line), json: this.jsonEnabled(), strict: this.flags.strict})
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
