import type {CommandIO} from '../cli/io.js'
import {plural} from '../render/number.js'
import type {Column} from '../render/table.js'
import type {ImagesInput, ImagesResult} from './action.js'
import type {ContainerRow, ImageRow} from './rows.js'

/** The table on stdout (rows only, so `| wc -l` counts them); what was counted, on stderr. */
export function renderImages(io: CommandIO, input: ImagesInput, result: ImagesResult): void {
  const {summary, scope} = result
  if (result.rows.length === 0) {
    io.say(`No pods${input.selector ? ` matching ${input.selector}` : ''}${input.image ? ` running an image like "${input.image}"` : ''} in ${scope}.`)
    return
  }
  if (result.view === 'pod') io.table(result.rows as ContainerRow[], podColumns(input.wide))
  else io.table(result.rows as ImageRow[], imageColumns)
  io.say(
    `${plural(summary.images, 'distinct image')} in ${plural(summary.containers, 'container')} of ${plural(summary.pods, 'pod')} across ${plural(summary.namespaces, 'namespace')} (${scope})`,
  )
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
