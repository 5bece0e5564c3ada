import {formatGoDuration, parseGoDuration} from '../duration.js'
import {conditionOf, type KubeObject} from './reader.js'

/**
 * When Flux v2 last applied what Git holds. kustomize-controller (Flux 2.5+) keeps the last few
 * reconciliations in Kustomization status.history, one snapshot per applied set of objects, with
 * lastReconciled updated on every reconciliation of that set and lastReconciledStatus its outcome
 * (ReconciliationSucceeded, or the failure's reason). The Ready condition's lastTransitionTime is
 * NOT an apply time (it moves only when status, reason or message change, so a quiet repository
 * keeps an old one), and lastHandledReconcileAt is only the last manual request's token.
 */
interface Snapshot {
  lastReconciled?: string
  lastReconciledStatus?: string
}

const succeeded = 'ReconciliationSucceeded'
/** The threshold without --sync-stale-after: three of the object's own intervals, at least this. */
export const minStaleAfterMs = 30 * 60_000
export const staleIntervals = 3

/** The newest successful reconciliation in status.history; undefined when the controller keeps none. */
export function lastSuccessfulApply(kustomization: KubeObject): Date | undefined {
  const history = (kustomization.status as {history?: Snapshot[]} | undefined)?.history ?? []
  let latest: number | undefined
  for (const snapshot of history) {
    if (snapshot.lastReconciledStatus !== succeeded) continue
    const at = Date.parse(snapshot.lastReconciled ?? '')
    if (Number.isFinite(at) && (latest === undefined || at > latest)) latest = at
  }
  return latest === undefined ? undefined : new Date(latest)
}

/** --sync-stale-after when given; else 3 × spec.interval, at least 30m. */
export function staleAfterMs(object: KubeObject, flagMs: number | undefined): {ms: number; why: string} {
  if (flagMs !== undefined) return {ms: flagMs, why: `--sync-stale-after ${formatGoDuration(flagMs)}`}
  const interval = parseGoDuration((object.spec as {interval?: unknown} | undefined)?.interval)
  if (interval === undefined || interval * staleIntervals < minStaleAfterMs) return {ms: minStaleAfterMs, why: `${formatGoDuration(minStaleAfterMs)}`}
  return {ms: interval * staleIntervals, why: `${staleIntervals} × its interval ${formatGoDuration(interval)}`}
}

/** An age for a message: whole minutes from a minute on ("2h10m", "4m"), seconds below. */
export function formatAge(ms: number): string {
  return ms >= 60_000 ? formatGoDuration(Math.round(ms / 60_000) * 60_000) : formatGoDuration(Math.max(0, Math.round(ms / 1000) * 1000))
}

export interface SyncTime {
  ref: string
  /** The last successful apply; undefined when not recorded. */
  appliedAt?: Date
  stale?: {ageMs: number; limit: string}
  /** One line for --json's objects. */
  line: string
}

/** Each Kustomization's last successful apply, and whether it is older than its threshold. */
export function kustomizationSyncTime(object: KubeObject, now: Date, flagMs: number | undefined): SyncTime {
  const ref = `Kustomization ${object.metadata?.namespace}/${object.metadata?.name}`
  const revision = (object.status as {lastAppliedRevision?: string} | undefined)?.lastAppliedRevision
  const appliedAt = lastSuccessfulApply(object)
  if (!appliedAt) {
    const readySince = conditionOf(object, 'Ready')?.lastTransitionTime
    return {
      ref,
      line: `${ref}: ${revision ? `applied ${revision}, ` : ''}no apply time recorded (no status.history)${readySince ? `; Ready condition last changed ${readySince}` : ''}`,
    }
  }
  const ageMs = now.getTime() - appliedAt.getTime()
  const limit = staleAfterMs(object, flagMs)
  const line = `${ref}: ${revision ? `${revision} ` : ''}last applied ${formatAge(ageMs)} ago (${appliedAt.toISOString()})`
  return ageMs > limit.ms ? {ref, appliedAt, stale: {ageMs, limit: limit.why}, line} : {ref, appliedAt, line}
}

/** A GitRepository's artifact: the revision and when it was stored (a new revision, not every fetch). */
export function sourceArtifactLine(object: KubeObject, now: Date): string {
  const ref = `${object.kind ?? 'GitRepository'} ${object.metadata?.namespace}/${object.metadata?.name}`
  const artifact = (object.status as {artifact?: {revision?: string; lastUpdateTime?: string}} | undefined)?.artifact
  const at = Date.parse(artifact?.lastUpdateTime ?? '')
  if (!artifact?.revision) return `${ref}: no artifact yet`
  return `${ref}: artifact ${artifact.revision}${Number.isFinite(at) ? ` stored ${formatAge(now.getTime() - at)} ago (a new revision; fetches of the same one do not move it)` : ''}`
}
