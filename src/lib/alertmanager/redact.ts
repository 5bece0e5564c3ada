/**
 * Redaction for anything shown to a person: webhook URLs become scheme://host/…redacted (enough
 * to tell Slack from a pager without leaking the token in the path), values of secret-looking
 * keys become <redacted>, and every value substituted into the template is masked wherever it
 * appears, whatever its shape.
 */
const urlPattern = /\b(https?):\/\/(?:[^\s/@'"]*@)?([^\s/?#'"]+)[^\s'"]*/g
const secretKeyPattern = /^(\s*-?\s*[A-Za-z0-9_]*(?:password|secret|token|api_key|apikey|routing_key|service_key|credentials)[A-Za-z0-9_]*\s*:\s*)(\S.*)$/i

export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  let out = text
  // Longest first, so a value that contains another is masked whole.
  for (const secret of [...knownSecrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(redactedValue(secret))
  }
  out = out.replace(urlPattern, (_match, scheme: string, host: string) => `${scheme}://${host}/…redacted`)
  return out
    .split('\n')
    .map((line) => line.replace(secretKeyPattern, (_m, prefix: string) => `${prefix}<redacted>`))
    .join('\n')
}

function redactedValue(secret: string): string {
  const url = /^(https?):\/\/(?:[^\s/@]*@)?([^\s/?#]+)/.exec(secret)
  return url ? `${url[1]}://${url[2]}/…redacted` : '<redacted>'
}

export interface DiffLine {
  op: ' ' | '-' | '+'
  text: string
}

/** A line diff (longest common subsequence); configs are small, so O(n·m) is fine. */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n')
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n')
  const lcs: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({op: ' ', text: a[i]})
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({op: '-', text: a[i++]})
    else out.push({op: '+', text: b[j++]})
  }
  while (i < a.length) out.push({op: '-', text: a[i++]})
  while (j < b.length) out.push({op: '+', text: b[j++]})
  return out
}

/**
 * A unified-style diff of two configurations, redacted line by line before comparing, so a
 * changed URL shows as a changed line without either value. Unchanged runs are trimmed to
 * `context` lines around each change.
 */
export function redactedDiff(before: string, after: string, knownSecrets: readonly string[], context = 3): string[] {
  const rawBefore = before.replace(/\n$/, '').split('\n')
  const rawAfter = after.replace(/\n$/, '').split('\n')
  const diff = lineDiff(before, after)
  // Diff on raw lines (so a changed secret is still a change), render redacted lines.
  let ia = 0
  let ib = 0
  const rendered: DiffLine[] = diff.map((line) => {
    const raw = line.op === '+' ? rawAfter[ib++] : rawBefore[ia++]
    if (line.op === ' ') ib++
    return {op: line.op, text: redactText(raw, knownSecrets)}
  })
  const keep = rendered.map(() => false)
  rendered.forEach((line, index) => {
    if (line.op === ' ') return
    for (let k = Math.max(0, index - context); k <= Math.min(rendered.length - 1, index + context); k++) keep[k] = true
  })
  const lines: string[] = []
  let skipped = false
  rendered.forEach((line, index) => {
    if (!keep[index]) {
      if (!skipped) lines.push('  …')
      skipped = true
      return
    }
    skipped = false
    lines.push(`${line.op} ${line.text}`)
  })
  return lines
}
