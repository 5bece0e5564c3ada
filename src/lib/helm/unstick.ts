import {type CoreV1Api, type CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions, type V1ConfigMap, type V1Secret} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {isConflict, isNotFound} from '../kube/errors.js'
import {helmErrorLine, type HelmTool, isManifestMismatchError, isPendingLockError, type ToolResult} from './binary.js'
import {loadHistory} from './history.js'
import {findOwners, helmReleaseApis, ownerKey, type OwnerRef, ownerRef} from './owners.js'
import {corruptLine, decodeRelease, encodeRelease, isPending, type RevisionRow, revisionRow, type StorageDriver} from './release.js'
import {readHistory, type ReleaseHistory} from './store.js'
import {diagnose, type Plan, planUnstick, type PlanOptions, type Step} from './unstick-plan.js'
import {redactUrlCredentials} from '../render/url.js'

export interface UnstickClients {
  kc: KubeConfig
  core: CoreV1Api
  custom: CustomObjectsApi
}

export interface PreparedUnstick {
  plan: Plan
  history: ReleaseHistory
  owner?: OwnerRef
}

/** Reads the release and its owner, and decides what to do (no change yet). */
export async function prepareUnstick(
  clients: UnstickClients,
  target: {release: string; namespace: string; history?: ReleaseHistory},
  options: Omit<PlanOptions, 'owner'> & {now?: Date; owners?: Map<string, OwnerRef>},
): Promise<PreparedUnstick> {
  const history = target.history ?? (await loadHistory(clients.core, clients.kc, target.release, target.namespace))
  // A newest record nobody can read: what state the release is in is unknown, so nothing is done.
  const newestCorrupt = history.corrupt.at(-1)
  if (newestCorrupt && newestCorrupt.revision > (history.revisions.at(-1)?.labels.revision ?? 0)) {
    throw new CliError(
      'conflict',
      `${corruptLine(newestCorrupt)}, and it is the latest revision of release "${target.release}" in ${target.namespace}: its state is unknown, so nothing was changed`,
      {
        hint: `look at it with \`kubectl get ${newestCorrupt.object.split(' ')[0]?.toLowerCase()} ${newestCorrupt.object.split(' ')[1]} -n ${target.namespace} -o yaml\`; restore it from a backup, or delete it so that helm takes the revision before as the latest, then run this again`,
      },
    )
  }
  const rows = history.revisions.map(({record}) => revisionRow(record))
  const owners = options.owners ?? (await findOwners(clients.kc, target.namespace)).owners
  const found = owners.get(ownerKey(target.namespace, target.release))
  const owner = found ? ownerRef(found) : undefined
  const diagnosis = diagnose(target.release, target.namespace, rows, options.now ?? new Date())
  const plan = planUnstick(diagnosis, rows, {...options, owner})
  return {plan, history, owner}
}

export interface StepOutcome {
  action: Step['action']
  ok: boolean
  detail: string
  /** A failed attempt that a later one (the rollback escalation) went on from. */
  retried?: boolean
  /** Where the record was backed up before it was changed (unlock). */
  backup?: {kind: 'Secret'; namespace: string; name: string}
}

export interface UnstickOutcome {
  steps: StepOutcome[]
  /** The latest revision after acting, read again from the cluster; undefined when uninstalled. */
  now?: RevisionRow
  /** What is true now, in one line. */
  summary: string
  ok: boolean
}

export interface ExecuteHooks {
  onStep?: (text: string) => void
  onDone?: (text: string) => void
  onWarning?: (text: string) => void
}

/** Carries out a plan with the real helm binary, then reads the release again. */
export async function executeUnstick(clients: UnstickClients, helm: HelmTool, prepared: PreparedUnstick, hooks: ExecuteHooks = {}): Promise<UnstickOutcome> {
  const {plan, history} = prepared
  const {release, namespace} = plan.diagnosis
  const env = {HELM_DRIVER: history.driver}
  const helmArgs = (args: string[]) => [...args, '--namespace', namespace, ...helm.clusterArgs]
  const outcomes: StepOutcome[] = []
  let failed = false

  for (const step of plan.steps) {
    if (failed) break
    hooks.onStep?.(step.text)
    if (step.action === 'unlock') {
      const outcome = await unlockPendingRevision(clients.core, history, step.revision)
      outcomes.push(outcome)
      hooks.onDone?.(outcome.detail)
      continue
    }
    if (step.action === 'rollback' || step.action === 'uninstall') {
      const [args, done, what] =
        step.action === 'rollback'
          ? [
              helmArgs(['rollback', release, String(step.toRevision), '--timeout', '5m0s']),
              `rolled back to revision ${step.toRevision}`,
              `helm rollback ${release} ${step.toRevision}`,
            ]
          : [helmArgs(['uninstall', release, '--timeout', '5m0s']), 'uninstalled', `helm uninstall ${release}`]
      let result = await helm.run(args, {env, timeoutMs: 6 * 60_000})
      // helm refuses while a killed operation's pending record holds its lock: back the record
      // up, mark it failed (helm/helm#7653), and ask helm once more.
      if (result.exitCode !== 0 && step.unlockIfRefused !== undefined && isPendingLockError(result)) {
        hooks.onWarning?.(`helm refused: ${helmErrorLine(result)}`)
        const unlock = await unlockPendingRevision(clients.core, history, step.unlockIfRefused)
        outcomes.push(unlock)
        hooks.onDone?.(unlock.detail)
        result = await helm.run(args, {env, timeoutMs: 6 * 60_000})
      }
      if (result.exitCode !== 0 && step.action === 'rollback' && isManifestMismatchError(result)) {
        const escalated = await escalateRollback(
          helm,
          {release, namespace, toRevision: step.toRevision, chart: step.escalate.upgradeChart, env, helmArgs},
          result,
          outcomes,
          hooks,
        )
        if (!escalated) {
          failed = true
          break
        }
        continue
      }
      if (result.exitCode !== 0) {
        failed = true
        outcomes.push({action: step.action, ok: false, detail: `${what} failed: ${helmErrorLine(result)}`})
        break
      }
      outcomes.push({action: step.action, ok: true, detail: done})
      hooks.onDone?.(step.action === 'rollback' ? `helm rolled ${release} back to revision ${step.toRevision}` : `helm uninstalled ${release}`)
      continue
    }
    // Nudge last, and only after helm succeeded: a controller reconciling a still-stuck release
    // would only fail again.
    try {
      const detail = await nudgeOwner(clients.custom, step.owner, new Date())
      outcomes.push({action: 'nudge', ok: true, detail})
      hooks.onDone?.(detail)
    } catch (error) {
      // The release itself is fixed; failing to poke the controller is worth a warning only.
      const detail = `could not ask ${step.owner.controller} to reconcile HelmRelease ${step.owner.namespace}/${step.owner.name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`
      outcomes.push({action: 'nudge', ok: false, detail})
      hooks.onWarning?.(detail)
    }
  }

  const after = await readHistory(clients.core, release, namespace)
  const latest = after?.revisions.at(-1)
  const now = latest ? revisionRow(latest.record) : undefined
  const wanted = plan.steps.some((s) => s.action === 'uninstall') ? 'uninstalled' : 'deployed'
  const reached = wanted === 'uninstalled' ? !now || now.status === 'uninstalled' : now?.status === 'deployed'
  const summary = now
    ? `release "${release}" in ${namespace} is now ${now.status} at revision ${now.revision} (${now.chart})${now.status === 'deployed' ? '; helm can upgrade it again' : ''}`
    : `release "${release}" in ${namespace} is now uninstalled (helm keeps no record of it)`
  return {steps: outcomes, now, summary, ok: !failed && reached}
}

interface EscalationTarget {
  release: string
  namespace: string
  toRevision: number
  chart?: string
  env: NodeJS.ProcessEnv
  helmArgs: (args: string[]) => string[]
}

/**
 * helm refused a rollback because the stuck revision's manifest and the cluster disagree (an
 * object of the target revision exists, but the failed revision's manifest does not list it:
 * pkg/kube Client.update "no <kind> with the name ... found"). Tried in turn, each only if the one
 * before failed the same way: the same rollback again (helm recorded the failed rollback with the
 * target's manifest, so the second compares like with like); `helm rollback --force`; the
 * runbook's `helm upgrade --reuse-values` from the last deployed revision's values, with the chart
 * given (or, without one, the command to run is said). Returns whether one succeeded.
 */
async function escalateRollback(helm: HelmTool, target: EscalationTarget, refused: ToolResult, outcomes: StepOutcome[], hooks: ExecuteHooks): Promise<boolean> {
  const {release, namespace, toRevision, chart, env, helmArgs} = target
  const rollback = ['rollback', release, String(toRevision), '--timeout', '5m0s']
  const attempts: Array<{what: string; args: string[]; done: string}> = [
    {
      what: `helm rollback ${release} ${toRevision} (again)`,
      args: helmArgs(rollback),
      done: `helm rolled ${release} back to revision ${toRevision} at the second attempt`,
    },
    {
      what: `helm rollback ${release} ${toRevision} --force`,
      args: helmArgs([...rollback, '--force']),
      done: `helm rolled ${release} back to revision ${toRevision} with --force`,
    },
  ]
  if (chart) {
    attempts.push({
      what: `helm upgrade ${release} ${redactUrlCredentials(chart)} --reuse-values`,
      args: helmArgs(['upgrade', release, chart, '--reuse-values', '--timeout', '5m0s']),
      done: `helm upgraded ${release} with ${redactUrlCredentials(chart)} and the last deployed revision's values`,
    })
  }
  let last = refused
  let lastWhat = `helm rollback ${release} ${toRevision}`
  for (const attempt of attempts) {
    outcomes.push({action: 'rollback', ok: false, retried: true, detail: `${lastWhat} failed: ${helmErrorLine(last)}`})
    hooks.onWarning?.(`helm refused: ${helmErrorLine(last)}; trying ${attempt.what}`)
    hooks.onStep?.(attempt.what)
    last = await helm.run(attempt.args, {env, timeoutMs: 6 * 60_000})
    lastWhat = attempt.what
    if (last.exitCode === 0) {
      outcomes.push({action: 'rollback', ok: true, detail: attempt.done})
      hooks.onDone?.(attempt.done)
      return true
    }
    if (!isManifestMismatchError(last)) break
  }
  const manual =
    chart || !isManifestMismatchError(last)
      ? ''
      : `; the runbook's last resort is to upgrade from the last deployed revision's values: \`helm upgrade ${release} CHART -n ${namespace} --reuse-values\` with that revision's chart (or rerun with --chart CHART)`
  outcomes.push({action: 'rollback', ok: false, detail: `${lastWhat} failed: ${helmErrorLine(last)}${manual}`})
  return false
}

/** The name of the Secret that keeps a copy of a release record before we change it. */
export function backupName(recordObjectName: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase()
  return `elife-k8s-backup.${recordObjectName}.${stamp}`
}

/**
 * Releases helm's pending-* lock by marking the stuck revision failed, as the fix the maintainers
 * endorse: helm refuses every further operation on a release whose latest record is pending-*
 * (errPending, "another operation (install/upgrade/rollback) is in progress"), and will not
 * recover it itself because the state is unknown (technosophos, helm/helm#7653: restore by hand
 * or delete and recreate). The Flux maintainers' helm-controller does exactly this on its own
 * releases (fluxcd/helm-controller#644, #149: a pending release whose lock holder is gone is
 * marked failed so remediation can roll it back), and it is the label+payload edit suggested in
 * helm/helm#5595 and #7476. Marking failed rather than deleting the record (helm/helm#4558) keeps
 * the revision in `helm history`.
 *
 * Before the change the record is copied, still encoded as helm wrote it, into a Secret in the
 * same namespace labelled app.kubernetes.io/managed-by=elife-k8s (never to a local file: the
 * record holds the release's values, which may be secret). The update carries the
 * resourceVersion we read, so a helm that wakes up meanwhile makes us fail with a conflict
 * instead of clobbering its write.
 */
export async function unlockPendingRevision(core: CoreV1Api, history: ReleaseHistory, revision: number, now = new Date()): Promise<StepOutcome> {
  const entry = history.revisions.find((r) => r.labels.revision === revision)
  if (!entry) throw new CliError('unexpected', `revision ${revision} of "${history.release}" vanished while we were working`, {hint: 'run the command again'})
  const {objectName, namespace, driver} = entry.labels
  const where = `${driver === 'secret' ? 'Secret' : 'ConfigMap'} ${objectName} in ${namespace}`
  const current = await readRecordObject(core, driver, objectName, namespace)
  const payload = current.data?.release
  if (!payload)
    throw new CliError('unexpected', `helm release record ${where} has no data.release`, {
      hint: 'nothing was changed; inspect it with `elife-k8s helm history`',
    })
  const record = decodeRelease(payload, driver)
  const status = record.info?.status ?? ''
  if (!isPending(status)) {
    throw new CliError('conflict', `revision ${revision} of "${history.release}" is ${status} now, not pending: someone else changed it`, {
      hint: 'nothing was changed; run the command again to see the new state',
    })
  }

  const backup: V1Secret = {
    metadata: {
      name: backupName(objectName, now),
      namespace,
      labels: {
        'app.kubernetes.io/managed-by': 'elife-k8s',
        'elife-k8s.elifesciences.org/backup-of': history.release,
        'elife-k8s.elifesciences.org/revision': String(revision),
      },
      annotations: {
        'elife-k8s.elifesciences.org/original': `${driver}/${objectName}`,
        'elife-k8s.elifesciences.org/original-labels': JSON.stringify(current.metadata?.labels ?? {}),
        'elife-k8s.elifesciences.org/reason': `helm unstick marked revision ${revision} failed (was ${status})`,
      },
    },
    type: 'elife-k8s/helm-release-backup',
    // The record exactly as helm stored it (a ConfigMap's text is base64-wrapped once for a Secret).
    data: {release: driver === 'secret' ? payload : Buffer.from(payload, 'latin1').toString('base64')},
  }
  await core.createNamespacedSecret({namespace, body: backup})

  record.info = {
    ...record.info,
    status: 'failed',
    description: `Marked failed by elife-k8s helm unstick: helm was interrupted during this operation (was ${status})`,
  }
  const labels = {...current.metadata?.labels, status: 'failed', modifiedAt: String(Math.floor(now.getTime() / 1000))}
  try {
    if (driver === 'secret') {
      await core.replaceNamespacedSecret({
        name: objectName,
        namespace,
        body: {...(current as V1Secret), metadata: {...current.metadata, labels}, data: {...current.data, release: encodeRelease(record, 'secret')}},
      })
    } else {
      await core.replaceNamespacedConfigMap({
        name: objectName,
        namespace,
        body: {...(current as V1ConfigMap), metadata: {...current.metadata, labels}, data: {...current.data, release: encodeRelease(record, 'configmap')}},
      })
    }
  } catch (error) {
    if (isConflict(error)) {
      throw new CliError('conflict', `${where} changed while we were unlocking it (a helm process may still be running)`, {
        hint: `nothing was changed; its backup is Secret ${backup.metadata?.name} in ${namespace}; run the command again`,
        cause: error,
      })
    }
    throw error
  }
  return {
    action: 'unlock',
    ok: true,
    detail: `backed up ${where} to Secret ${backup.metadata?.name} and marked revision ${revision} failed`,
    backup: {kind: 'Secret', namespace, name: backup.metadata?.name ?? ''},
  }
}

async function readRecordObject(core: CoreV1Api, driver: StorageDriver, name: string, namespace: string): Promise<V1Secret | V1ConfigMap> {
  try {
    return driver === 'secret' ? await core.readNamespacedSecret({name, namespace}) : await core.readNamespacedConfigMap({name, namespace})
  } catch (error) {
    if (isNotFound(error))
      throw new CliError('conflict', `helm release record ${name} in ${namespace} disappeared while we were working`, {
        hint: 'nothing was changed; run the command again',
        cause: error,
      })
    throw error
  }
}

/** helm-operator reconciles on any HelmRelease update that is not status-only. */
export const helmOperatorNudgeAnnotation = 'elife-k8s.elifesciences.org/reconcile-requested-at'

/**
 * Asks the owning controller to reconcile now rather than at its next interval.
 * helm-operator (helm.fluxcd.io/v1): its informer enqueues every update except those that change
 * only .status (pkg/operator/operator.go enqueueUpdateJob), so changing an annotation is enough.
 * Flux v2 (helm.toolkit.fluxcd.io): reconcile.fluxcd.io/requestedAt is its documented trigger;
 * resetAt with the same value also resets its failure counters, as `flux reconcile hr --reset`
 * does, so a release that exhausted its retries is tried again.
 */
export async function nudgeOwner(custom: CustomObjectsApi, owner: OwnerRef, now: Date): Promise<string> {
  const token = now.toISOString()
  const annotations: Record<string, string> =
    owner.controller === 'helm-operator'
      ? {[helmOperatorNudgeAnnotation]: token}
      : {'reconcile.fluxcd.io/requestedAt': token, 'reconcile.fluxcd.io/resetAt': token}
  const [group, version] = owner.apiVersion.split('/')
  if (!helmReleaseApis.some((a) => a.group === group)) throw new Error(`unknown HelmRelease API ${owner.apiVersion}`)
  await custom.patchNamespacedCustomObject(
    {group: group ?? '', version: version ?? '', namespace: owner.namespace, plural: 'helmreleases', name: owner.name, body: {metadata: {annotations}}},
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )
  return `asked ${owner.controller} to reconcile HelmRelease ${owner.namespace}/${owner.name} (annotated ${Object.keys(annotations).join(', ')})`
}
