import {CliError} from './errors.js'

/**
 * The one duration grammar of every flag and rule: Go's time.ParseDuration, as kubectl and helm
 * flags and Flagger's intervals take it. A sequence of decimal numbers with units, `300ms`,
 * `1.5h`, `2h45m`, `90s`; a bare `0` is zero. Returns milliseconds, or undefined when the value is
 * not a duration.
 */
const units: Record<string, number> = {ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}

export function parseGoDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  if (text === '0') return 0
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y
  let total = 0
  let index = 0
  while (index < text.length) {
    part.lastIndex = index
    const match = part.exec(text)
    if (!match) return undefined
    total += Number(match[1]) * units[match[2]]
    index = part.lastIndex
  }
  return index === 0 ? undefined : total
}

/**
 * A duration flag's value in milliseconds, or one usage line naming the flag (never its value:
 * error lines name flags and keys only). `bareSeconds`: a plain integer is seconds, as kubectl's
 * --request-timeout takes it.
 */
export function durationFlag(text: string, flag: string, options: {allowZero?: boolean; bareSeconds?: boolean} = {}): number {
  const trimmed = text.trim()
  const ms = options.bareSeconds && /^\d+$/.test(trimmed) ? Number(trimmed) * 1000 : parseGoDuration(trimmed)
  if (ms === undefined)
    throw new CliError('usage', `${flag} is not a duration`, {
      hint: `use Go duration syntax as kubectl does, e.g. 500ms, 30s, 10m, 1h30m${options.allowZero ? ' (0: none)' : ''}`,
    })
  if (ms === 0 && !options.allowZero) throw new CliError('usage', `${flag} must be more than 0`, {hint: 'e.g. 30s, 10m, 1h'})
  return Math.ceil(ms)
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
