import {redactUrlCredentials} from '../render/url.js'

/**
 * When fluxd (Flux v1) last synced, and how it went, from its own log: its HTTP API has no time
 * of the last sync (git-repo-config gives the repository's state, sync?ref= the commits not yet
 * applied), and its /metrics only count syncs. fluxd logs through go-kit (logfmt by default,
 * JSON with --log-format=json), every line with `ts` and `caller`; the sync loop's lines
 * (fluxcd/flux pkg/daemon/loop.go and sync.go, 1.x) are:
 *
 *   component=daemon info="trying to sync git changes to the cluster" old=<rev> new=<rev>
 *       every sync that got as far as comparing revisions, at its start;
 *   component=sync-loop err="<error>"
 *       a sync that failed (before that line, e.g. reading Git, or after it: cloning, loading
 *       the manifests, the sync tag, the refresh that follows);
 *   component=daemon err="<resource id>: <error>; ..."
 *       a sync that went on but could not apply some resources (cluster.SyncError).
 *
 * A sync that succeeds logs nothing more of its own (only kubectl's lines, and the sync tag's move
 * when the revision changed): a sync started without an error logged after it is taken as done.
 * Other lines of the sync-loop component that carry err (the mirror's `url=… err=…`, a job's
 * `jobID=…`, a GPG `revision=…`) are not a sync's outcome.
 */
export interface FluxdLogLine {
  at: Date
  fields: Record<string, string>
}

const tryingToSync = 'trying to sync git changes to the cluster'

/**
 * One line of `kubectl logs --timestamps` (the kubelet's RFC 3339 time, a space, then what fluxd
 * wrote): fluxd's own `ts` when it parses, else the kubelet's. undefined: not a go-kit line.
 */
export function parseFluxdLogLine(text: string): FluxdLogLine | undefined {
  const match = /^(\d{4}-\d\d-\d\dT\S+)\s(.*)$/.exec(text)
  const payload = (match ? match[2] : text).trim()
  const fields = payload.startsWith('{') ? parseJsonFields(payload) : parseLogfmt(payload)
  if (!fields || Object.keys(fields).length === 0) return undefined
  const at = [fields.ts, match?.[1]].map((t) => (t ? Date.parse(t) : Number.NaN)).find((t) => Number.isFinite(t))
  return at === undefined ? undefined : {at: new Date(at), fields}
}

function parseJsonFields(text: string): Record<string, string> | undefined {
  try {
    const value = JSON.parse(text) as unknown
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
  } catch {
    return undefined
  }
}

/** go-logfmt's encoding: key=value pairs, a value with spaces, quotes or `=` in double quotes with Go's escapes. */
export function parseLogfmt(text: string): Record<string, string> | undefined {
  const fields: Record<string, string> = {}
  let i = 0
  while (i < text.length) {
    while (text[i] === ' ') i++
    if (i >= text.length) break
    const keyStart = i
    while (i < text.length && text[i] !== '=' && text[i] !== ' ') i++
    const key = text.slice(keyStart, i)
    if (!key) return undefined
    if (text[i] !== '=') {
      fields[key] = ''
      continue
    }
    i++
    if (text[i] === '"') {
      const start = i
      i++
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1
      const quoted = text.slice(start, i + 1)
      i++
      try {
        fields[key] = JSON.parse(quoted) as string
      } catch {
        fields[key] = quoted.slice(1, -1)
      }
    } else {
      const start = i
      while (i < text.length && text[i] !== ' ') i++
      fields[key] = text.slice(start, i)
    }
  }
  return fields
}

export interface FluxdSync {
  /** When the sync started (its "trying to sync" line, or its error line when it failed before). */
  at: Date
  /** The sync-loop's error: the sync failed. */
  failed?: {at: Date; err: string}
  /** The daemon's error during the sync: it went on, but some resources were not applied. */
  resourceErrors?: string
}

export interface FluxdSyncHistory {
  syncs: FluxdSync[]
  /** The first line read (how far back the log read goes), and how many lines were read. */
  firstAt?: Date
  lines: number
}

/** The syncs in fluxd's log, oldest first. */
export function fluxdSyncHistory(text: string): FluxdSyncHistory {
  const syncs: FluxdSync[] = []
  let firstAt: Date | undefined
  let lines = 0
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue
    lines++
    const line = parseFluxdLogLine(raw)
    if (!line) continue
    firstAt ??= line.at
    const {fields} = line
    const current = syncs.at(-1)
    const open = current && !current.failed
    if (fields.component === 'daemon' && fields.info === tryingToSync) syncs.push({at: line.at})
    else if (fields.component === 'sync-loop' && 'err' in fields && !('url' in fields) && !('jobID' in fields) && !('revision' in fields)) {
      const failed = {at: line.at, err: fields.err}
      if (open) current.failed = failed
      else syncs.push({at: line.at, failed})
    } else if (fields.component === 'daemon' && 'err' in fields && open) current.resourceErrors ??= fields.err
  }
  return {syncs, firstAt, lines}
}

/** fluxd's error for a message: its first line, credentials in URLs hidden, at most `max` characters. */
export function fluxdErrorLine(err: string, max = 300): string {
  const line = redactUrlCredentials(err.split('\n')[0]?.trim() ?? '')
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}
