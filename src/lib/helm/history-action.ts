import type {ActionContext, ReadAction} from '../cli/action.js'
import {type Column, escapeControl} from '../render/table.js'
import {type CorruptRecord, reportCorrupt} from './corrupt.js'
import {shortTime, statusColor} from './format.js'
import {historyRows} from './history.js'
import type {RevisionRow, StorageDriver} from './release.js'
import {type HelmReleaseName, resolveRelease} from './resolve.js'

export interface HelmHistoryInput {
  /** The helm release's name, or the HelmRelease's. */
  name: string
  namespace: string
  /** --max: at most this many of the newest revisions. */
  max?: number
  strict: boolean
}

export interface HelmHistoryResult {
  release: string
  namespace: string
  /** The HelmRelease whose name was given, when it was a HelmRelease's name. */
  helmRelease?: HelmReleaseName
  storage: StorageDriver
  /** Oldest first, as `helm history`. */
  revisions: RevisionRow[]
  /** Revisions whose record cannot be decoded: not shown (helm skips them too). */
  corrupt: CorruptRecord[]
}

/** Every revision of a release, read from helm's records (the name may be the HelmRelease's). */
export const helmHistory: ReadAction<HelmHistoryInput, HelmHistoryResult> = {
  async run({io}, input) {
    const resolved = await resolveRelease(io, input.name, input.namespace)
    const {history} = resolved
    let revisions = historyRows(history)
    if (input.max) revisions = revisions.slice(-input.max)
    return {
      release: resolved.release,
      namespace: resolved.namespace,
      helmRelease: resolved.helmRelease,
      storage: history.driver,
      revisions,
      corrupt: history.corrupt,
    }
  },
}

/** The table on stdout; undecodable records, then where the release is now, on stderr. */
export function showHelmHistory({io}: ActionContext, input: HelmHistoryInput, result: HelmHistoryResult): void {
  const {release, namespace, revisions} = result
  io.table(revisions, historyColumns)
  const corrupt = (strict: boolean) => reportCorrupt(result.corrupt, {warn: (line) => io.steps.warning(line), json: io.json, strict})
  if (!input.strict) corrupt(false)
  const latest = revisions.at(-1)
  const newest = Math.max(latest?.revision ?? 0, ...result.corrupt.map((c) => c.revision))
  if (latest && newest === latest.revision)
    io.say(escapeControl(`release "${release}" in ${namespace} is ${latest.status} at revision ${latest.revision} (${latest.chart})`))
  else if (newest > 0) io.say(`release "${release}" in ${namespace}: its latest revision, ${newest}, cannot be decoded`)
  if (input.strict) corrupt(true)
}

const historyColumns: ReadonlyArray<Column<RevisionRow>> = [
  {header: 'revision', value: (r) => r.revision, align: 'right'},
  {header: 'updated', value: (r) => shortTime(r.updated)},
  {header: 'status', value: (r) => r.status, color: (r, c) => statusColor(r.status, c)},
  {header: 'chart', value: (r) => r.chart},
  {header: 'app version', value: (r) => r.appVersion || '-'},
  {header: 'description', value: (r) => r.description},
]
