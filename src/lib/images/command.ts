import type {CommandIO} from '../cli/io.js'
import {CliError} from '../errors.js'
import {thousands} from '../render/number.js'
import type {Column} from '../render/table.js'
import {collectContainerRows, podLister} from './collect.js'
import {type ContainerRow, groupByImage, type ImageRow, type ImagesSummary, summarize} from './rows.js'

export interface ImagesFlags {
  'all-namespaces': boolean
  by: 'image' | 'pod'
  wide: boolean
  selector?: string
  image?: string
  /** -o: `wide` is --wide (json and yaml are the result document, printed by the caller). */
  output?: string
}

export interface ImagesResult {
  /** Which rows `rows` holds: one per image, or one per container (`--by pod`). */
  view: 'image' | 'pod'
  rows: ImageRow[] | ContainerRow[]
  summary: ImagesSummary
  /** What was listed, e.g. "all namespaces" or `namespace "prod"`. */
  scope: string
}

/** `elife-k8s images`, whether oclif runs it (src/commands/images.ts) or the fast path. */
export async function runImages(io: CommandIO, asked: ImagesFlags): Promise<ImagesResult> {
  const flags = {...asked, wide: asked.wide || asked.output === 'wide'}
  checkImagesFlags(flags, asked.output === 'wide' ? '-o wide' : '--wide')
  const namespace = flags['all-namespaces'] ? undefined : io.namespace
  const scope = namespace ? `namespace "${namespace}"` : 'all namespaces'
  const rows = await io.callApi({verb: 'list pods', target: namespace ? `in namespace "${namespace}"` : 'in all namespaces'}, () =>
    collectContainerRows(podLister(io.kube.kc), {
      namespace,
      labelSelector: flags.selector,
      imagePattern: flags.image,
      onProgress: (seen) => io.steps.progress(`listed ${thousands(seen)} pods…`),
      onRestart: (attempt) => io.steps.warning(`the pod list expired while paging (410 Gone); listing again from the start (attempt ${attempt})`),
    }),
  )
  io.steps.done()
  const summary = summarize(rows)
  const result: ImagesResult =
    flags.by === 'pod' ? {view: 'pod', rows, summary, scope} : {view: 'image', rows: groupByImage(rows), summary, scope}

  if (rows.length === 0) {
    io.log(`No pods${flags.selector ? ` matching ${flags.selector}` : ''}${flags.image ? ` running an image like "${flags.image}"` : ''} in ${scope}.`)
    return result
  }
  if (result.view === 'pod') io.table(result.rows as ContainerRow[], podColumns(flags.wide))
  else io.table(result.rows as ImageRow[], imageColumns)
  io.log('')
  io.log(
    `${summary.images} distinct ${plural(summary.images, 'image')} in ${summary.containers} ${plural(summary.containers, 'container')} of ${summary.pods} ${plural(summary.pods, 'pod')} across ${summary.namespaces} ${plural(summary.namespaces, 'namespace')} (${scope})`,
  )
  return result
}

/**
 * --wide adds per-container columns (the running digest, the pod phase), which the per-image view
 * has no place for: one image may run under several digests in pods of several phases. Asked for
 * there, it is refused before any request rather than ignored.
 */
export function checkImagesFlags(flags: Pick<ImagesFlags, 'by' | 'wide'>, asked = '--wide'): void {
  if (flags.wide && flags.by !== 'pod') {
    throw new CliError('usage', `${asked} adds the digest and phase columns of the per-container view, and the default --by image view has one row per image`, {hint: 'add --by pod (e.g. `elife-k8s images -A --by pod --wide`)'})
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
