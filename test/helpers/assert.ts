import {expect} from 'vitest'

/**
 * The one `error:` line of a refusal, after checking it is the only line on stderr (blank lines,
 * `► ` progress lines and the plan printed before a change, `plan:` and its `  - ` lines, aside):
 * what an admin reads when a command refuses.
 */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('► ') && l !== 'plan:' && !l.startsWith('  - '))
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(/^error: /)
  return lines[0]
}
