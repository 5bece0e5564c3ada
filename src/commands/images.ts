import * as Flags from '@oclif/core/flags'

import {allNamespacesFlag, BaseCommand} from '../base-command.js'
import {collectContainerRows, podLister} from '../lib/images/collect.js'
import {type ContainerRow, groupByImage, type ImageRow, type ImagesSummary, summarize} from '../lib/images/rows.js'
import type {Column} from '../lib/render/table.js'

export interface ImagesResult {
  /** Which rows `rows` holds: one per image, or one per container (`--by pod`). */
  view: 'image' | 'pod'
  rows: ImageRow[] | ContainerRow[]
  summary: ImagesSummary
  /** What was listed, e.g. "all namespaces" or `namespace "prod"`. */
  scope: string
}

export default class Images extends BaseCommand<typeof Images> {
  static override summary = 'List the container images running on the cluster.'

  static override description = `Replaces the runbook's "List all image versions running on cluster" one-liner (kubectl get pods -o jsonpath=... | sort | column -t), counting init and ephemeral containers too, and reading pods in pages so memory stays flat on a large cluster.

The default view has one row per image, with how many pods and containers run it and in which namespaces. --by pod has one row per container (init and ephemeral containers marked); --wide adds the digest actually running and the pod's phase.`

  static override examples = [
    {description: 'Every image in use, cluster-wide', command: '<%= config.bin %> <%= command.id %> -A'},
    {description: 'Where does the journal image run, and which digest?', command: '<%= config.bin %> <%= command.id %> -A --by pod --wide --image journal'},
    {description: 'Containers of the reviewer pods in prod', command: '<%= config.bin %> <%= command.id %> -n prod -l app=libero-reviewer --by pod'},
    {description: 'As JSON, for jq', command: '<%= config.bin %> <%= command.id %> -A --by pod --json | jq -r \'.rows[] | [.namespace, .pod, .image] | @tsv\''},
  ]

  static override flags = {
    'all-namespaces': allNamespacesFlag,
    by: Flags.option({options: ['image', 'pod'] as const, default: 'image', description: 'One row per image, or one row per container of each pod.'})(),
    wide: Flags.boolean({description: 'With --by pod: add the running digest and the pod phase.', default: false}),
    selector: Flags.string({char: 'l', description: 'Only pods matching this label selector (e.g. app=journal).'}),
    image: Flags.string({description: 'Only images matching this pattern (substring, or a glob with *).'}),
  }

  public async run(): Promise<ImagesResult> {
    const {flags} = this
    const namespace = flags['all-namespaces'] ? undefined : this.namespace
    const scope = namespace ? `namespace "${namespace}"` : 'all namespaces'
    const rows = await this.callApi({verb: 'list pods', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'}, () =>
      collectContainerRows(podLister(this.kube.kc), {
        namespace,
        labelSelector: flags.selector,
        imagePattern: flags.image,
        onProgress: (seen) => this.steps.progress(`listed ${seen.toLocaleString('en')} pods…`),
        onRestart: (attempt) => this.steps.warning(`the pod list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
      }),
    )
    this.steps.done()
    const summary = summarize(rows)
    const result: ImagesResult =
      flags.by === 'pod' ? {view: 'pod', rows, summary, scope} : {view: 'image', rows: groupByImage(rows), summary, scope}

    if (rows.length === 0) {
      this.log(`No pods${flags.selector ? ` matching ${flags.selector}` : ''}${flags.image ? ` running an image like "${flags.image}"` : ''} in ${scope}.`)
      return result
    }
    if (result.view === 'pod') this.table(result.rows as ContainerRow[], podColumns(flags.wide))
    else this.table(result.rows as ImageRow[], imageColumns)
    this.log('')
    this.log(
      `${summary.images} distinct ${plural(summary.images, 'image')} in ${summary.containers} ${plural(summary.containers, 'container')} of ${summary.pods} ${plural(summary.pods, 'pod')} across ${summary.namespaces} ${plural(summary.namespaces, 'namespace')} (${scope})`,
    )
    return result
  }
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`
}

const imageColumns: ReadonlyArray<Column<ImageRow>> = [
  {header: 'image', value: (r) => r.image},
  {header: 'pods', value: (r) => r.pods, align: 'right'},
  {header: 'containers', value: (r) => r.containers, align: 'right'},
  {header: 'namespaces', value: (r) => r.namespaces.join(',')},
]

function podColumns(wide: boolean): ReadonlyArray<Column<ContainerRow>> {
  const columns: Array<Column<ContainerRow>> = [
    {header: 'namespace', value: (r) => r.namespace},
    {header: 'pod', value: (r) => r.pod},
    {header: 'container', value: (r) => (r.kind === 'container' ? r.container : `${r.container} (${r.kind})`), color: (r, c) => (r.kind === 'container' ? undefined : c.dim)},
    {header: 'image', value: (r) => r.image},
  ]
  if (wide) {
    columns.push(
      {header: 'digest', value: (r) => r.digest || '-'},
      {header: 'phase', value: (r) => r.phase, color: (r, c) => (r.phase === 'Running' || r.phase === 'Succeeded' ? undefined : c.yellow)},
    )
  }
  return columns
}
