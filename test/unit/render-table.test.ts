import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {createStepLogger} from '../../src/lib/render/log.js'
import {escapeControl, renderTable} from '../../src/lib/render/table.js'

const plain = new Chalk({level: 0})
const columns = [
  {header: 'name', value: (r: {name: string; n: number}) => r.name},
  {header: 'count', value: (r: {name: string; n: number}) => r.n, align: 'right' as const},
]

describe('renderTable', () => {
  it('lays out kubectl-style columns with no trailing blanks', () => {
    expect(
      renderTable(
        [
          {name: 'journal', n: 3},
          {name: 'a', n: 12},
        ],
        columns,
        plain,
      ).split('\n'),
    ).toEqual(['NAME      COUNT', 'journal       3', 'a            12'])
  })

  it('measures column widths over every row, however late the widest comes', () => {
    const rows = Array.from({length: 1000}, (_, i) => ({name: i === 999 ? 'the-longest-name-at-the-end' : `pod-${i}`, n: i}))
    const lines = renderTable(rows, columns, plain).split('\n')
    expect(lines).toHaveLength(1001)
    expect(lines[0]).toBe(`NAME${' '.repeat('the-longest-name-at-the-end'.length - 4)}   COUNT`)
    // Every count ends in the same column.
    expect(new Set(lines.map((l) => l.length))).toEqual(new Set([lines[0].length]))
    expect(lines[1]).toBe(`pod-0${' '.repeat(lines[0].length - 6)}0`)
  })

  it('keeps one row on one line: line breaks and tabs inside a cell become spaces', () => {
    const lines = renderTable(
      [
        {name: 'upgrade failed:\n  timed out\twaiting', n: 1},
        {name: 'b', n: 2},
      ],
      columns,
      plain,
    ).split('\n')
    expect(lines).toEqual([
      'NAME                                COUNT',
      'upgrade failed: timed out waiting       1',
      'b                                       2',
    ])
  })

  it('counts wide East Asian characters as two columns', () => {
    expect(
      renderTable(
        [
          {name: '日本', n: 1},
          {name: 'abcde', n: 2},
        ],
        columns,
        plain,
      ).split('\n'),
    ).toEqual(['NAME    COUNT', '日本        1', 'abcde       2'])
  })

  it('renders only the header for no rows', () => {
    expect(renderTable([], columns, plain)).toBe('NAME   COUNT')
  })

  it('colours cells without shifting columns', () => {
    const colored = new Chalk({level: 1})
    const text = renderTable([{name: 'x', n: 1}], [{...columns[0], color: (_r: unknown, c: typeof colored) => c.red}, columns[1]], colored)
    expect(text).toContain('\u001B[31mx\u001B[39m')
    // eslint-disable-next-line no-control-regex
    expect(text.replace(/\u001B\[\d+m/g, '').split('\n')).toEqual(['NAME   COUNT', 'x          1'])
  })
})

describe('terminal control characters from cluster data', () => {
  it('a table cell cannot reach the terminal with an escape sequence: ESC shows as ^[ (as kubectl), others in caret notation', () => {
    const rows = [
      {name: 'evil\u001B]0;pwned\u0007\u001B[2J', n: 1},
      {name: 'bell\u0007del\u007Fcsi\u009B', n: 2},
    ]
    const text = renderTable(rows, columns, plain)
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/)
    expect(text.split('\n')).toEqual(['NAME                    COUNT', 'evil^[]0;pwned^G^[[2J       1', 'bell^Gdel^?csi\\u009b        2'])
  })

  it('leaves plain text, colours and wide characters as they were', () => {
    expect(escapeControl('journal--prod 日本 ✔')).toBe('journal--prod 日本 ✔')
  })

  it('step lines escape the message, not their own glyph colours or progress redraws', () => {
    let out = ''
    const steps = createStepLogger({chalk: new Chalk({level: 1}), write: (t) => (out += t), interactive: true})
    steps.progress('read \u001B[31m3 records')
    steps.failure('helm said: \u001B[2J\rboom\nsecond line')
    expect(out).toBe('\r\u001B[2K\u001B[2mread ^[[31m3 records\u001B[22m\r\u001B[2K\u001B[31m✗\u001B[39m helm said: ^[[2J\\rboom\nsecond line\n')
  })
})

describe('thousands', () => {
  it('groups digits as toLocaleString("en") does', async () => {
    const {thousands} = await import('../../src/lib/render/number.js')
    for (const n of [0, 7, 999, 1000, 12345, 999999, 1000000, 1234567.5, 300000]) expect(thousands(n)).toBe(n.toLocaleString('en', {maximumFractionDigits: 20}))
  })
})
