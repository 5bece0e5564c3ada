import Table from 'cli-table3'
import type {ChalkInstance} from 'chalk'

export interface Column<Row> {
  header: string
  value: (row: Row) => string | number
  align?: 'left' | 'right'
  /** Optional colouring of the cell text (applied only when colour is on). */
  color?: (row: Row, chalk: ChalkInstance) => ((s: string) => string) | undefined
}

/**
 * The one table renderer: kubectl's borderless look (upper-case headers, columns separated by
 * three spaces), so output reads like `kubectl get` and pipes cleanly into sort/awk/column.
 */
export function renderTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, chalk: ChalkInstance): string {
  const table = new Table({
    head: columns.map((c) => c.header.toUpperCase()),
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
      bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
      left: '', 'left-mid': '', mid: '', 'mid-mid': '',
      right: '', 'right-mid': '', middle: '   ',
    },
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true},
    colAligns: columns.map((c) => c.align ?? 'left'),
    wordWrap: false,
  })
  for (const row of rows) {
    table.push(
      columns.map((c) => {
        const text = String(c.value(row))
        const paint = c.color?.(row, chalk)
        return paint ? paint(text) : text
      }),
    )
  }
  // cli-table3 pads the last column too; kubectl does not, and trailing blanks upset diff/grep.
  return table
    .toString()
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
}
