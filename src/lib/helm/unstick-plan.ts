import type {OwnerRef} from './owners.js'
import {isPending, type RevisionRow} from './release.js'
import {redactUrlCredentials} from '../render/url.js'

/**
 * Deciding what `helm unstick` does, kept pure so every case is tested with plain objects.
 * The talking-to-the-cluster half is unstick.ts.
 */

export type StuckKind = 'failed' | 'pending-install' | 'pending-upgrade' | 'pending-rollback' | 'uninstalling'

export interface Diagnosis {
  release: string
  namespace: string
  latest: RevisionRow
  /** Why it is stuck, in the runbook's words; undefined when it is not stuck. */
  kind?: StuckKind
  reason: string
  /** The newest revision that was deployed (status deployed, else superseded). */
  lastDeployed?: RevisionRow
  /** How long the latest revision has been pending, in ms (pending-* only). */
  pendingForMs?: number
}

/** The newest revision that reached the cluster: deployed, else the newest superseded one. */
export function lastDeployedRevision(revisions: readonly RevisionRow[], below?: number): RevisionRow | undefined {
  const candidates = revisions.filter((r) => below === undefined || r.revision < below)
  const newestFirst = [...candidates].sort((a, b) => b.revision - a.revision)
  return newestFirst.find((r) => r.status === 'deployed') ?? newestFirst.find((r) => r.status === 'superseded')
}

export function diagnose(release: string, namespace: string, revisions: readonly RevisionRow[], now: Date): Diagnosis {
  const latest = [...revisions].sort((a, b) => b.revision - a.revision)[0]
  if (!latest) throw new Error('diagnose needs at least one revision')
  const lastDeployed = lastDeployedRevision(revisions, latest.revision)
  const base = {release, namespace, latest, lastDeployed}
  const at = `revision ${latest.revision} (${latest.chart})`
  const why = latest.description ? `: ${latest.description}` : ''
  if (latest.status === 'failed') {
    return {
      ...base,
      kind: 'failed',
      reason: lastDeployed ? `${at} failed${why}` : `${at} failed and no revision was ever deployed (a first install that never deployed)${why}`,
    }
  }
  if (isPending(latest.status)) {
    const since = Date.parse(latest.updated)
    const pendingForMs = Number.isNaN(since) ? undefined : Math.max(0, now.getTime() - since)
    const never = lastDeployed ? '' : ' and no revision was ever deployed (a first install that never deployed)'
    return {
      ...base,
      kind: latest.status as StuckKind,
      pendingForMs,
      reason: `${at} is ${latest.status}${pendingForMs === undefined ? '' : ` since ${latest.updated} (${humanDuration(pendingForMs)})`}: helm holds its lock on the release until that operation ends, which never happens if helm was killed${never}`,
    }
  }
  if (latest.status === 'uninstalling') {
    return {...base, kind: 'uninstalling', reason: `${at} is uninstalling: \`helm uninstall\` was interrupted`}
  }
  return {...base, reason: `${at} is ${latest.status}`}
}

export type Step =
  | {
      action: 'rollback'
      toRevision: number
      /** Pending-*: if helm refuses with its lock error, unlock this revision and roll back again. */
      unlockIfRefused?: number
      /**
       * If helm refuses because the stuck revision's manifest and the cluster disagree ("no
       * ConfigMap with the name ... found"): roll back again, then with --force, then upgrade
       * from the last deployed revision's values (with this chart; without one, that last
       * command is only printed).
       */
      escalate: {upgradeChart?: string}
      text: string
    }
  | {action: 'unlock'; revision: number; text: string}
  | {action: 'uninstall'; unlockIfRefused?: number; text: string}
  | {action: 'nudge'; owner: OwnerRef; text: string}

export interface PlanOptions {
  /** --to-revision */
  toRevision?: number
  /** --uninstall: allowed to remove a release that never deployed. */
  uninstall?: boolean
  /** --chart: the chart for the last resort, `helm upgrade --reuse-values`. */
  chart?: string
  /** A pending-* younger than this may still be running: refuse (--pending-timeout). */
  pendingTimeoutMs: number
  owner?: OwnerRef
}

export interface Refusal {
  kind: 'conflict' | 'usage'
  message: string
  hint: string
}

export interface Plan {
  diagnosis: Diagnosis
  steps: Step[]
  /** Set when nothing should be done, and why (not stuck: `nothing`; refused: `refusal`). */
  nothing?: string
  refusal?: Refusal
}

export function planUnstick(diagnosis: Diagnosis, revisions: readonly RevisionRow[], options: PlanOptions): Plan {
  const {release, namespace, latest, kind} = diagnosis
  const name = `release "${release}" in ${namespace}`
  if (!kind) return {diagnosis, steps: [], nothing: `${name} is ${latest.status} at revision ${latest.revision}; nothing to unstick`}

  if (kind.startsWith('pending-') && diagnosis.pendingForMs !== undefined && diagnosis.pendingForMs < options.pendingTimeoutMs) {
    return {
      diagnosis,
      steps: [],
      refusal: {
        kind: 'conflict',
        message: `${name} has been ${latest.status} for only ${humanDuration(diagnosis.pendingForMs)}: helm (or its controller) may still be working on it`,
        hint: `wait for it to finish or time out, or, if you know the helm process is gone, rerun with --pending-timeout ${Math.max(0, Math.floor(diagnosis.pendingForMs / 1000))}s`,
      },
    }
  }

  let target: RevisionRow | undefined = diagnosis.lastDeployed
  if (options.toRevision !== undefined) {
    target = revisions.find((r) => r.revision === options.toRevision)
    if (!target) {
      return {
        diagnosis,
        steps: [],
        refusal: {
          kind: 'usage',
          message: `${name} has no revision ${options.toRevision}`,
          hint: `its revisions are ${revisions.map((r) => r.revision).join(', ')} (see \`elife-k8s helm history ${release} -n ${namespace}\`)`,
        },
      }
    }
    if (target.revision === latest.revision) {
      return {
        diagnosis,
        steps: [],
        refusal: {kind: 'usage', message: `--to-revision ${target.revision} is the stuck revision itself`, hint: 'pick an earlier revision that was deployed'},
      }
    }
    if (target.status !== 'deployed' && target.status !== 'superseded') {
      return {
        diagnosis,
        steps: [],
        refusal: {
          kind: 'usage',
          message: `revision ${target.revision} of ${name} is ${target.status}, never deployed: rolling back to it would bring back a broken release`,
          hint: `pick a deployed or superseded revision${diagnosis.lastDeployed ? ` (the last deployed is ${diagnosis.lastDeployed.revision})` : ''}`,
        },
      }
    }
  }

  const steps: Step[] = []
  if (kind === 'uninstalling') {
    if (!options.uninstall) {
      return {
        diagnosis,
        steps: [],
        refusal: {kind: 'conflict', message: `${name} is half uninstalled (status uninstalling)`, hint: 'rerun with --uninstall to finish removing it'},
      }
    }
    steps.push({action: 'uninstall', text: `finish uninstalling ${name} with \`helm uninstall\``})
  } else if (target) {
    const pending = kind.startsWith('pending-')
    steps.push({
      action: 'rollback',
      toRevision: target.revision,
      unlockIfRefused: pending ? latest.revision : undefined,
      escalate: {upgradeChart: options.chart},
      text:
        `roll ${name} back to revision ${target.revision} (${target.chart}, ${target.status}) with \`helm rollback\`` +
        (pending
          ? `; if helm refuses because of the ${latest.status} lock, back up revision ${latest.revision}'s record and mark it failed, then roll back again`
          : '') +
        `; if helm refuses because revision ${latest.revision}'s manifest and the cluster disagree ("no <kind> with the name ... found"), ${escalationText(release, namespace, target, options.chart)}`,
    })
  } else if (options.uninstall) {
    const pending = kind.startsWith('pending-')
    steps.push({
      action: 'uninstall',
      unlockIfRefused: pending ? latest.revision : undefined,
      text:
        `uninstall ${name} with \`helm uninstall\` (it never deployed; its HelmRelease, if any, will install it afresh)` +
        (pending
          ? `; if helm refuses because of the ${latest.status} lock, back up revision ${latest.revision}'s record and mark it failed, then uninstall again`
          : ''),
    })
  } else {
    return {
      diagnosis,
      steps: [],
      refusal: {
        kind: 'conflict',
        message: `${name} has no deployed revision to roll back to`,
        hint: 'rerun with --uninstall to remove it (its controller can then install it afresh)',
      },
    }
  }
  if (options.owner) {
    steps.push({
      action: 'nudge',
      owner: options.owner,
      text: `ask ${options.owner.controller} to reconcile HelmRelease ${options.owner.namespace}/${options.owner.name}`,
    })
  }
  return {diagnosis, steps}
}

/** What `--force` does to a release's objects, said before it is used. */
export const forceConsequence =
  'which replaces each object of the release instead of patching it: changes made to them outside helm are lost, and an object whose immutable fields differ is deleted and recreated (its pods restart)'

/** The rollback escalation, in the order it is tried. */
export function escalationText(release: string, namespace: string, target: RevisionRow, chart: string | undefined): string {
  const upgrade = chart
    ? `\`helm upgrade --reuse-values\` with chart ${redactUrlCredentials(chart)} and the values of the last deployed revision (the runbook's manual upgrade)`
    : `print the runbook's manual upgrade to run with the chart of revision ${target.revision} (\`helm upgrade ${release} CHART -n ${namespace} --reuse-values\`; pass --chart to have it run)`
  return `roll back once more (helm has then recorded the failed rollback with revision ${target.revision}'s manifest, which the cluster matches); if that fails, \`helm rollback --force\`, ${forceConsequence}; if that fails too, ${upgrade}`
}

export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 120) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`
  return `${Math.floor(h / 24)}d`
}
