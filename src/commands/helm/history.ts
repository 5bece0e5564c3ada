import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../../base-command.js'
import {helmHistory, type HelmHistoryInput, type HelmHistoryResult, showHelmHistory} from '../../lib/helm/history-action.js'

export type {HelmHistoryResult} from '../../lib/helm/history-action.js'

export default class HelmHistory extends BaseCommand<typeof HelmHistory> {
  static override summary = 'Every revision of a helm release, with status, chart and description.'

  static override description = `Replaces the runbook's "helm -n adm history adm-prometheus-operator". Read straight from helm's release records in the cluster; no helm binary needed. RELEASE may also be the name of the HelmRelease that manages it (said on stderr). The table goes to stdout, the release's current state to stderr. The DESCRIPTION column holds helm's reason for a failure ("Upgrade \\"x\\" failed: ...").`

  static override examples = [
    {description: 'History of the prometheus-operator release in adm', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm'},
    {description: 'Only the last revisions', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --max 5'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> adm-prometheus-operator -n adm --json'},
  ]

  static override args = {
    release: Args.string({description: "The helm release name (see `elife-k8s helm list`), or its HelmRelease's name.", required: true}),
  }

  static override flags = {
    max: Flags.integer({description: 'Show at most this many of the newest revisions.', min: 1}),
    strict: Flags.boolean({
      description: "Exit 6 if a revision's record cannot be decoded (it is skipped with a warning either way, as helm skips it).",
      default: false,
    }),
  }

  public async run(): Promise<HelmHistoryResult> {
    const input: HelmHistoryInput = {name: this.args.release, namespace: this.namespace, max: this.flags.max, strict: this.flags.strict}
    const result = await helmHistory.run(this.ctx, input)
    showHelmHistory(this.ctx, input, result)
    return result
  }
}
