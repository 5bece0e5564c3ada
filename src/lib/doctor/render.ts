import type {ChalkInstance} from 'chalk'

import type {CheckResult, CheckStatus} from './check.js'

const glyphs: Record<CheckStatus, (chalk: ChalkInstance) => string> = {
  ok: (c) => c.green('✔'),
  warn: (c) => c.yellow('⚠'),
  fail: (c) => c.red('✗'),
  skipped: (c) => c.dim('◎'),
}

/**
 * One line per check in the order they are listed (not the order they finished, so two runs
 * compare line by line), the glyphs of the step logger, and the fix under each problem.
 */
export function renderCheckLines(results: readonly CheckResult[], chalk: ChalkInstance): string[] {
  const width = Math.max(...results.map((r) => r.id.length))
  const lines: string[] = []
  for (const result of results) {
    lines.push(`${glyphs[result.status](chalk)} ${result.id.padEnd(width)}  ${result.message}`)
    if (result.fix && result.status !== 'ok') lines.push(`  ${' '.repeat(width)}  ${chalk.dim('fix:')} ${result.fix}`)
  }
  return lines
}

export function summaryLine(summary: Record<CheckStatus, number>): string {
  return `${summary.ok} ok, ${summary.warn} warn, ${summary.fail} fail, ${summary.skipped} skipped`
}
