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
