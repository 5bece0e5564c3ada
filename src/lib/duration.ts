/**
 * Go's duration syntax (time.ParseDuration), the one kubectl and helm flags take: a sequence of
 * decimal numbers with units, `300ms`, `1.5h`, `2h45m`, `90s`; a bare `0` is zero. Returns
 * milliseconds, or undefined when the text is not a duration.
 */
const units: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}

export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y
  let total = 0
  let index = 0
  while (index < trimmed.length) {
    part.lastIndex = index
    const match = part.exec(trimmed)
    if (!match) return undefined
    total += Number(match[1]) * units[match[2]]
    index = part.lastIndex
  }
  return index === 0 ? undefined : total
}

/** `90s`, `5m`, `1h30m`: how a duration reads back in flags' help and messages. */
export function formatGoDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = s % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest || (!h && !m) ? `${rest}s` : ''}`
}
