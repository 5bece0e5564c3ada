import type {ChalkInstance} from 'chalk'

export interface Column<Row> {
  header: string
  value: (row: Row) => string | number
  align?: 'left' | 'right'
  /** Optional colouring of the cell text (applied only when colour is on). */
  color?: (row: Row, chalk: ChalkInstance) => ((s: string) => string) | undefined
}

/** Between columns, as kubectl's printer (a tabwriter with padding 3). */
const GAP = '   '

/**
 * The one table renderer: kubectl's borderless look (upper-case headers, columns separated by
 * three spaces, no trailing blanks), so output reads like `kubectl get` and pipes cleanly into
 * sort/awk/column. One row is one line: line breaks inside a cell (helm's failure descriptions
 * have them) become spaces.
 *
 * This was cli-table3 until the benchmarks measured it: it spends about 0.33 ms per row on layout
 * this look never needs (per-cell option merging, ANSI-aware truncation, row spans), which was a
 * sixth of `helm list` on 300 releases and 3.2 s of `images` on 10,000 pods. Widths are measured
 * once here and each line is padded directly: 10,000 rows take a few milliseconds.
 */
export function renderTable<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>, chalk: ChalkInstance): string {
  const head = columns.map((c) => c.header.toUpperCase())
  const cells = rows.map((row) => columns.map((c) => escapeControl(oneLine(String(c.value(row))))))
  const widths = head.map((h, i) => cells.reduce((max, r) => Math.max(max, displayWidth(r[i])), displayWidth(h)))
  const last = columns.length - 1
  const line = (texts: string[], paint: (j: number, text: string) => string) => {
    let out = ''
    for (let j = 0; j <= last; j++) {
      const text = texts[j]
      const pad = ' '.repeat(widths[j] - displayWidth(text))
      if (j > 0) out += GAP
      // Right-aligned cells pad on the left; the last column gets no trailing padding.
      if (columns[j].align === 'right') out += pad + paint(j, text)
      else out += paint(j, text) + (j === last ? '' : pad)
    }
    return out.trimEnd()
  }
  const out = [line(head, (_j, text) => text)]
  for (let i = 0; i < rows.length; i++) {
    out.push(
      line(cells[i], (j, text) => {
        const paint = columns[j].color?.(rows[i], chalk)
        return paint && text ? paint(text) : text
      }),
    )
  }
  return out.join('\n')
}

// eslint-disable-next-line no-control-regex
const control = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/

/**
 * Terminal control characters in text that came from the cluster (a release name, a helm failure
 * description, a log line) shown as inert text, so such data cannot move the cursor, recolour,
 * retitle or clear the terminal. As kubectl (cli-runtime printers.EscapeTerminal) ESC becomes
 * "^[" and CR "\r"; any other C0 control and DEL in caret notation (as `cat -v`: ^G, ^?), a C1
 * control as \u009b. Tab and line feed are left to the caller (a table cell makes them spaces).
 * Every table cell and step line goes through it; it is exported for plain lines built from
 * cluster data.
 */
export function escapeControl(text: string): string {
  if (!control.test(text)) return text
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, (ch) => {
    const code = ch.charCodeAt(0)
    if (ch === '\r') return '\\r'
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`
    if (code === 0x7f) return '^?'
    return `\\u${code.toString(16).padStart(4, '0')}`
  })
}

function oneLine(text: string): string {
  return /[\r\n\t]/.test(text) ? text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\t/g, ' ') : text
}

const wide = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u

/** Terminal columns a plain (uncoloured) cell takes: wide East Asian characters count twice. */
function displayWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u10FF]*$/.test(text)) return text.length
  let width = 0
  for (const ch of text) width += wide.test(ch) ? 2 : 1
  return width
}
