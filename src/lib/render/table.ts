import Table from 'cli-table3'
import type {ChalkInstance} from 'chalk'

export interface Column<Row> {
  header: string
  value: (row: Row) => string | number
  align?: 'left' | 'right'
  /** Optional colouring of the cell text (applied only when colour is on). */
  color?: (row: Row, chalk: ChalkInstance) => ((s: string) => string) | undefined
}

/** Rows per cli-table3 call: its layout pass compares every cell with every earlier row. */
const CHUNK_ROWS = 256

const noBorders = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '   ',
}

/**
 * The one table renderer: kubectl's borderless look (upper-case headers, columns separated by
 * three spaces), so output reads like `kubectl get` and pipes cleanly into sort/awk/column.
 *
 * cli-table3 lays a table out in time quadratic in its rows (each cell is checked against every
 * earlier row, for row spans), which takes half a minute at 30,000 rows. So column widths are
 * measured once over all rows, and the rows go through cli-table3 in fixed-width chunks.
 */
export function renderTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, chalk: ChalkInstance): string {
  const head = columns.map((c) => c.header.toUpperCase())
  const cells = rows.map((row) => columns.map((c) => String(c.value(row))))
  const widths = head.map((h, i) => cells.reduce((max, r) => Math.max(max, displayWidth(r[i])), displayWidth(h)))
  const makeTable = (withHead: boolean) =>
    new Table({
      head: withHead ? head : [],
      chars: noBorders,
      style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true},
      colAligns: columns.map((c) => c.align ?? 'left'),
      colWidths: widths,
      wordWrap: false,
    })
  const out: string[] = []
  for (let start = 0; start === 0 || start < rows.length; start += CHUNK_ROWS) {
    const table = makeTable(start === 0)
    for (let i = start; i < Math.min(rows.length, start + CHUNK_ROWS); i++) {
      table.push(
        columns.map((c, j) => {
          const paint = c.color?.(rows[i], chalk)
          return paint ? paint(cells[i][j]) : cells[i][j]
        }),
      )
    }
    const text = table.toString()
    if (text) out.push(text)
  }
  // cli-table3 pads the last column too; kubectl does not, and trailing blanks upset diff/grep.
  return out
    .join('\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
}

/** Terminal columns a plain (uncoloured) cell takes: wide East Asian characters count twice. */
function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) width += /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(ch) ? 2 : 1
  return width
}
