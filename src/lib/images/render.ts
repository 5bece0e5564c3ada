import type {CommandIO} from '../cli/io.js'
import {plural} from '../render/number.js'
import type {Column} from '../render/table.js'
import type {ImagesInput, ImagesResult} from './action.js'
import type {ContainerRow, ImageRow} from './rows.js'

/** The table on stdout (rows only, so `| wc -l` counts them); what was counted, on stderr. */
export async function renderImages(io: CommandIO, input: ImagesInput, result: ImagesResult): Promise<void> {
  const {summary, scope} = result
  if (result.rows.length === 0) {
    io.say(`No pods${input.selector ? ` matching ${input.selector}` : ''}${input.image ? ` running an image like "${input.image}"` : ''} in ${scope}.`)
    return
  }
  if (result.view === 'pod') io.table(result.rows as ContainerRow[], podColumns(input.wide))
  else io.table(result.rows as ImageRow[], imageColumns)
  await stdoutTaken()
  // stdout's reader went away (`| head`): the command ends quietly with exit 141 (interrupt.ts).
  if (process.stdout.destroyed) return
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
    {
      header: 'container',
      value: (r) => (r.kind === 'container' ? r.container : `${r.container} (${r.kind})`),
      color: (r, c) => (r.kind === 'container' ? undefined : c.dim),
    },
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

/**
 * Resolves once stdout has taken what was written. When its reader went away (`| head`), the
 * EPIPE is reported first and the command stops quietly (exit 141, src/lib/cli/interrupt.ts)
 * without a summary about rows nobody reads.
 */
function stdoutTaken(): Promise<void> {
  return new Promise((resolve) => {
    process.stdout.write('', () => resolve())
  })
}
