import {isAlias, isCollection, isPair, isScalar, parseAllDocuments, visit, type Document} from 'yaml'

/**
 * Redaction for anything shown to a person (diffs, --json). Three layers, each applied to both
 * sides of a diff:
 *
 * 1. Every value of a secret-bearing key is replaced whole, whatever the key's case and wherever
 *    it sits (a scalar, a list, a mapping, a multi-line block): URLs by `scheme://host/…redacted`
 *    (enough to tell Slack from a pager), anything else by `<redacted>`.
 * 2. Every value substituted into the template in this run is masked wherever it appears.
 * 3. Any remaining http(s) URL (any case) loses everything after its host.
 */

/**
 * The keys Alertmanager's own config types declare as secrets, read from the Go structs:
 * prometheus/alertmanager (commit 68fb2d5759b3) config/config.go GlobalConfig, config/notifiers.go
 * and notify/<notifier>/config.go, whose fields of type `Secret` (commoncfg.Secret) or
 * `SecretURL`/`SecretTemplateURL` are printed as `<secret>` by Alertmanager itself; and
 * prometheus/common (commit d2417e2cbb82) config/http_config.go and headers.go, for every
 * `http_config` (basic_auth.password, authorization.credentials, oauth2.client_secret and
 * client_certificate_key, bearer_token, tls_config.key, http_headers.*.secrets,
 * proxy_connect_header). Their `*_file` and `*_ref` siblings hold paths and names, not secrets.
 */
const alertmanagerSecretKeys = [
  // config/config.go GlobalConfig: Secret
  'smtp_auth_password',
  'smtp_auth_secret',
  'slack_app_token',
  'opsgenie_api_key',
  'wechat_api_secret',
  'victorops_api_key',
  'telegram_bot_token',
  'rocketchat_token',
  'rocketchat_token_id',
  // config/config.go GlobalConfig: SecretURL
  'slack_api_url',
  'mattermost_webhook_url',
  // config/notifiers.go (email, slack, wechat, victorops) and notify/*/config.go: Secret
  'auth_password',
  'auth_secret',
  'app_token',
  'api_secret',
  'api_key',
  'alert_source_token',
  'service_key',
  'routing_key',
  'user_key',
  'token',
  'token_id',
  'bot_token',
  // slack api_url, discord/msteams/msteamsv2/mattermost webhook_url: SecretURL; webhook url: SecretTemplateURL
  'api_url',
  'webhook_url',
  'url',
  // prometheus/common config: Secret (and ProxyHeader, a map of Secret lists)
  'password',
  'credentials',
  'client_secret',
  'client_certificate_key',
  'bearer_token',
  'key',
  'secrets',
  'proxy_connect_header',
]
const secretKeySet = new Set(alertmanagerSecretKeys)

/**
 * Beyond the schema: keys that look secret (a newer notifier, sigv4's secret_key, a misspelt or
 * mis-cased key in a configuration Alertmanager would refuse, which --rollback may still show),
 * and every URL-valued key (URLs carry tokens in their paths and queries).
 */
const secretLookingKey = /password|secret|token|credential|authorization|api_?key|private_?key|_key$|url$/

/** Whether a mapping key's value is a secret (case-insensitive; `*_file`/`*_ref` are not). */
export function isSecretKey(key: string): boolean {
  const lower = key.trim().toLowerCase()
  if (/_(file|ref)$/.test(lower)) return false
  return secretKeySet.has(lower) || secretLookingKey.test(lower)
}

const urlPattern = /\b(https?):\/\/(?:[^\s/@'"]*@)?([^\s/?#'"]+)[^\s'"]*/gi

/** What a redacted value is shown as: the scheme and host of a URL, otherwise <redacted>. */
function redactedValue(value: string): string {
  const url = /^\s*["']?(https?):\/\/(?:[^\s/@'"]*@)?([^\s/?#'"]+)/i.exec(value)
  return url ? `${url[1]}://${url[2]}/…redacted` : '<redacted>'
}

interface Range {
  start: number
  end: number
  replacement: string
}

/** Trims a range to its value, so it never swallows the line breaks around a block value. */
function rangeOf(text: string, start: number, end: number): Range | undefined {
  let trimmedStart = start
  let trimmedEnd = end
  while (trimmedEnd > trimmedStart && /\s/.test(text[trimmedEnd - 1])) trimmedEnd--
  while (trimmedStart < trimmedEnd && /\s/.test(text[trimmedStart])) trimmedStart++
  if (trimmedEnd <= trimmedStart) return undefined
  return {start: trimmedStart, end: trimmedEnd, replacement: redactedValue(text.slice(trimmedStart, trimmedEnd))}
}

/** Secret values found through the YAML syntax tree, or undefined when the text is not YAML. */
function secretRangesFromYaml(text: string): Range[] | undefined {
  let docs: Document[]
  try {
    docs = parseAllDocuments(text) as Document[]
  } catch {
    return undefined
  }
  if (!Array.isArray(docs) || docs.some((doc) => doc.errors.length > 0)) return undefined
  const ranges: Range[] = []
  for (const doc of docs) {
    visit(doc, {
      Pair(_key, pair) {
        if (!isPair(pair) || !isScalar(pair.key) || !isSecretKey(String(pair.key.value))) return
        let node: unknown = pair.value
        if (isAlias(node)) {
          // The anchored value is the secret; it is shown where it is defined.
          node = node.resolve(doc)
        }
        if ((isScalar(node) || isCollection(node)) && node.range) {
          const range = rangeOf(text, node.range[0], node.range[1])
          if (range) ranges.push(range)
        }
      },
    })
  }
  return ranges
}

const blockKeyLine = /^(\s*(?:-\s+)?)(["']?)([^\s:"'#{}[\],][^:"'#{}[\],]*)\2\s*:(?=\s|$)\s*(.*)$/
const flowPair = /[{,]\s*(["']?)([^\s:"'{}[\],]+)\1\s*:\s*([^,}\]\n]*)/g

/**
 * For text that is not valid YAML (a --rollback may show whatever the secret held): secret keys
 * in `key: value` lines, with the more-indented lines of a block value below them, and in flow
 * mappings `{key: value}`.
 */
function secretRangesFromLines(text: string): Range[] {
  const ranges: Range[] = []
  const lines = text.split('\n')
  let offset = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const match = blockKeyLine.exec(line)
    if (match && isSecretKey(match[3])) {
      const valueStart = offset + line.length - match[4].length
      const indent = match[1].length
      let end = offset + line.length
      let next = offset + line.length + 1
      // A value continued on the lines below (block scalar, nested list or mapping).
      for (let j = i + 1; j < lines.length; j++) {
        const continued = lines[j]
        if (continued.trim() !== '' && continued.length - continued.trimStart().length <= indent) break
        if (continued.trim() !== '') end = next + continued.length
        next += continued.length + 1
      }
      const range = rangeOf(text, valueStart, end)
      if (range) ranges.push(range)
    }
    for (const pair of line.matchAll(flowPair)) {
      if (!isSecretKey(pair[2]) || pair.index === undefined) continue
      const start = offset + pair.index + pair[0].length - pair[3].length
      const range = rangeOf(text, start, start + pair[3].length)
      if (range) ranges.push(range)
    }
    offset += line.length + 1
  }
  return ranges
}

export interface ShownLine {
  /** The line as it may be printed. */
  shown: string
  /** The raw text the line stands for (with a collapsed multi-line value): compared, never printed. */
  raw: string
}

/** Every form a known secret can take in YAML source: as is, and escaped inside double quotes. */
function knownForms(knownSecrets: readonly string[]): string[] {
  const forms = new Set<string>()
  for (const secret of knownSecrets) {
    if (secret.length < 4) continue
    forms.add(secret)
    forms.add(JSON.stringify(secret).slice(1, -1))
  }
  // Longest first, so a value that contains another is masked whole.
  return [...forms].sort((a, b) => b.length - a.length)
}

function maskLine(line: string, forms: readonly string[]): string {
  let out = line
  for (const form of forms) out = out.split(form).join(redactedValue(form))
  return out.replace(urlPattern, (_match, scheme: string, host: string) => `${scheme}://${host}/…redacted`)
}

/**
 * The configuration as printable lines: every secret-bearing value replaced (a multi-line one
 * collapses onto its key's line), known values masked, URLs cut after the host. Each line keeps
 * the raw text it stands for, so a diff can compare raw text and print redacted text.
 */
export function redactLines(text: string, knownSecrets: readonly string[] = []): ShownLine[] {
  if (text === '') return []
  const source = text.endsWith('\n') ? text : `${text}\n`
  const ranges = (secretRangesFromYaml(source) ?? secretRangesFromLines(source)).sort((a, b) => a.start - b.start || b.end - a.end)
  const forms = knownForms(knownSecrets)
  const lines: ShownLine[] = []
  // Raw text is masked; replacements are already safe (and masking them again would eat what follows).
  let shown = ''
  let pending = ''
  let lineStart = 0
  let next = 0
  for (let i = 0; i < source.length;) {
    while (next < ranges.length && ranges[next].end <= i) next++
    const range = ranges[next]
    if (range && range.start < i) {
      // Overlaps one already replaced (only the line fallback can produce that): its text is gone.
      next++
      continue
    }
    if (range && range.start === i) {
      shown += maskLine(pending, forms) + range.replacement
      pending = ''
      i = range.end
      next++
      continue
    }
    if (source[i] === '\n') {
      lines.push({shown: shown + maskLine(pending, forms), raw: source.slice(lineStart, i)})
      shown = ''
      pending = ''
      lineStart = i + 1
    } else {
      pending += source[i]
    }
    i++
  }
  return lines
}

/** A whole configuration, redacted for printing (see redactLines). */
export function redactText(text: string, knownSecrets: readonly string[] = []): string {
  return redactLines(text, knownSecrets)
    .map((line) => line.shown)
    .join('\n')
}

export interface DiffLine {
  op: ' ' | '-' | '+'
  text: string
}

/** A line diff (longest common subsequence) of two sequences; configs are small, so O(n·m) is fine. */
function diffIndices(a: readonly string[], b: readonly string[]): Array<{op: ' ' | '-' | '+'; index: number}> {
  const lcs: number[][] = Array.from({length: a.length + 1}, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  }
  const out: Array<{op: ' ' | '-' | '+'; index: number}> = []
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({op: ' ', index: i})
      i++
      j++
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({op: '-', index: i++})
    else out.push({op: '+', index: j++})
  }
  while (i < a.length) out.push({op: '-', index: i++})
  while (j < b.length) out.push({op: '+', index: j++})
  return out
}

/** A plain line diff of two texts (no redaction). */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n')
  const b = after === '' ? [] : after.replace(/\n$/, '').split('\n')
  return diffIndices(a, b).map(({op, index}) => ({op, text: op === '+' ? b[index] : a[index]}))
}

/**
 * A unified-style diff of two configurations, both sides redacted the same way: lines are compared
 * raw (so a changed secret is still a changed line) and printed redacted (so neither value shows).
 * Unchanged runs are trimmed to `context` lines around each change.
 */
export function redactedDiff(before: string, after: string, knownSecrets: readonly string[], context = 3): string[] {
  const a = redactLines(before, knownSecrets)
  const b = redactLines(after, knownSecrets)
  const rendered: DiffLine[] = diffIndices(
    a.map((line) => line.raw),
    b.map((line) => line.raw),
  ).map(({op, index}) => ({op, text: (op === '+' ? b[index] : a[index]).shown}))
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
