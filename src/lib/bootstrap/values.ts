import {CliError} from '../errors.js'

/** The runbook's `--set` values for the two charts (bootstrap step 2), as ordered pairs. */
export function fluxValues(gitUrl: string): Array<[string, string]> {
  return [
    ['git.url', gitUrl],
    ['syncGarbageCollection.enabled', 'true'],
    ['prometheus.serviceMonitor.create', 'true'],
    ['prometheus.serviceMonitor.namespace', 'adm'],
  ]
}

export function helmOperatorValues(): Array<[string, string]> {
  return [
    ['git.ssh.secretName', 'flux-git-deploy'],
    ['helm.versions', 'v3'],
    ['statusUpdateInterval', '90s'],
    ['resources.limits.memory', '1Gi'],
    ['resources.requests.memory', '500Mi'],
    ['resources.requests.cpu', '400m'],
    ['prometheus.serviceMonitor.create', 'true'],
    ['prometheus.serviceMonitor.namespace', 'adm'],
  ]
}

/**
 * What `helm get values -o json` reports after `--set key=value` (helm's strvals: true/false
 * become booleans, integers numbers, the rest strings), so a release can be compared with them.
 */
export function setValuesToObject(pairs: ReadonlyArray<[string, string]>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [key, raw] of pairs) {
    const parts = key.split('.')
    let node = root
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
    let value: unknown = raw
    if (raw === 'true' || raw === 'false') value = raw === 'true'
    else if (/^-?(0|[1-9]\d*)$/.test(raw)) value = Number(raw)
    node[parts.at(-1)!] = value
  }
  return root
}

/** Whether every wanted value is set to the same thing in `actual` (other values may exist). */
export function valuesInclude(actual: unknown, wanted: unknown): boolean {
  if (wanted !== null && typeof wanted === 'object' && !Array.isArray(wanted)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false
    return Object.entries(wanted).every(([key, value]) => valuesInclude((actual as Record<string, unknown>)[key], value))
  }
  return actual === wanted
}

/** Differences, as "key: actual → wanted" lines, for the plan. */
export function valueDifferences(actual: unknown, wanted: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(wanted)) {
    const path = prefix ? `${prefix}.${key}` : key
    const current = actual !== null && typeof actual === 'object' ? (actual as Record<string, unknown>)[key] : undefined
    if (value !== null && typeof value === 'object') out.push(...valueDifferences(current, value as Record<string, unknown>, path))
    else if (current !== value) out.push(`${path}: ${current === undefined ? '(unset)' : JSON.stringify(current)} → ${JSON.stringify(value)}`)
  }
  return out
}

/**
 * The values helm is given for the flux chart: the runbook's, typed as `--set` would type them,
 * with git.url always the string given. They reach helm as a values file on stdin (`--values -`),
 * never through `--set`, whose parser splits on commas and `=` in a value.
 */
export function fluxValuesObject(gitUrl: string): Record<string, unknown> {
  const values = setValuesToObject(fluxValues(gitUrl).filter(([key]) => key !== 'git.url'))
  return {git: {url: gitUrl}, ...values}
}

export function helmOperatorValuesObject(): Record<string, unknown> {
  return setValuesToObject(helmOperatorValues())
}

const gitUrlHint = 'pass the repository flux syncs as git@github.com:OWNER/REPO(.git), ssh://git@HOST[:PORT]/OWNER/REPO(.git) or https://HOST/OWNER/REPO(.git)'
/** A repository path: what GitHub, GitLab and Bitbucket allow in owner and repository names, and `/`. */
const repoPath = /^~?[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._~-]+)*\/?$/

/**
 * --git-url as flux v1 clones it (git clone <url>): scp-like `user@host:path`, or an ssh:// or
 * https:// URL with a host and a path. The message names the flag, never the value: an https URL
 * may carry a token.
 */
export function validateGitUrl(url: string): void {
  const refuse = (problem: string) => new CliError('usage', `--git-url is not a Git repository URL flux can clone (${problem})`, {hint: gitUrlHint})
  if (url.length === 0) throw refuse('it is empty')
  if (url.length > 2048) throw refuse('it is longer than 2048 characters')
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) throw refuse('it contains a space or a control character')
  if (url.startsWith('-')) throw refuse('it starts with "-", which git would read as an option')
  const scp = /^([A-Za-z0-9._-]+)@([A-Za-z0-9.-]+):(.+)$/.exec(url)
  if (scp && !url.includes('://')) {
    if (!repoPath.test(scp[3]) || scp[3].startsWith('/'))
      throw refuse('the path after "host:" has characters other than letters, digits, ".", "_", "-", "~" and "/"')
    return
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw refuse('it is neither user@host:path nor a URL')
  }
  if (parsed.protocol !== 'ssh:' && parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw refuse(`scheme "${parsed.protocol.replace(/:$/, '')}" is not ssh, https or http`)
  if (!/^[A-Za-z0-9.-]+$/.test(parsed.hostname) && !/^\[[0-9A-Fa-f:.]+\]$/.test(parsed.hostname)) throw refuse('it has no valid host')
  if (parsed.password) throw refuse("it carries a password: helm would keep it in the release values in plain text; use an SSH URL with flux's deploy key")
  if (parsed.search || parsed.hash || url.includes('?') || url.includes('#')) throw refuse('it has a query or a fragment')
  const pathname = decodeURIComponent(parsed.pathname).replace(/^\//, '')
  if (pathname === '' || !repoPath.test(pathname)) throw refuse('its path has characters other than letters, digits, ".", "_", "-", "~" and "/", or is empty')
}
