/**
 * Values of a HelmRelease may hold secrets (passwords, tokens, webhook URLs). Whatever we print
 * goes through redactValues: the structure and every key stay visible, string values that look
 * secret are replaced by a marker saying how long they were.
 */

const secretKey = /(pass(word|wd)?|secret|token|api[-_]?key|access[-_]?key|private|credential|auth|cert|dsn|salt|webhook|cookie|session)/i

/** A string that looks like key material: long, no spaces, mostly base64/hex, not a plain word or URL path. */
export function looksSecretValue(value: string): boolean {
  if (value.length < 20 || /\s/.test(value)) return false
  if (/^[a-z]+:\/\/[^@]*$/i.test(value)) return false // a URL without credentials in it
  if (/^[a-z]+:\/\/[^/]*:[^/]*@/i.test(value)) return true // user:password@host
  if (!/^[A-Za-z0-9+/=_.-]+$/.test(value)) return false
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length
  return classes >= 2 && !/^[a-z0-9.-]+$/.test(value)
}

export function redactString(key: string, value: string): string {
  if (secretKey.test(key) || looksSecretValue(value)) return `<redacted: ${value.length} chars>`
  return value
}

export function redactValues(values: unknown, key = ''): unknown {
  if (typeof values === 'string') return redactString(key, values)
  if (Array.isArray(values)) return values.map((v) => redactValues(v, key))
  if (values && typeof values === 'object') {
    return Object.fromEntries(Object.entries(values as Record<string, unknown>).map(([k, v]) => [k, redactValues(v, k)]))
  }
  return values
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value)
}

/** helm's merge of values files: maps merge key by key, anything else is replaced. */
export function mergeValues(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {...base}
  for (const [k, v] of Object.entries(override)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k] as Record<string, unknown>, v) : v
  }
  return out
}

/** The value at a dotted path (`image.tag`), or undefined. */
export function valueAt(values: unknown, path: string): unknown {
  let node: unknown = values
  for (const part of path.split('.').filter(Boolean)) {
    if (!isPlainObject(node)) return undefined
    node = node[part]
  }
  return node
}

/** `.Values.image.tag` references in a template line or an error message. */
export function valuePathsIn(text: string): string[] {
  const paths = new Set<string>()
  for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][\w-]*)+)/g)) paths.add((match[1] ?? '').slice(1))
  // `required "image.tag is required"` style messages name the path in words.
  for (const match of text.matchAll(/\b([a-zA-Z_][\w-]*(?:\.[a-zA-Z_][\w-]*)+) is required\b/g)) paths.add(match[1] ?? '')
  return [...paths].filter(Boolean)
}

/** Every leaf path in a values tree (for "which keys did we pass"). */
export function valuePaths(values: unknown, prefix = ''): string[] {
  if (!isPlainObject(values)) return prefix ? [prefix] : []
  const entries = Object.entries(values)
  if (entries.length === 0) return prefix ? [prefix] : []
  return entries.flatMap(([k, v]) => valuePaths(v, prefix ? `${prefix}.${k}` : k))
}
