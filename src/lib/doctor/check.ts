import type {KubeAccess} from '../kube/clients.js'
import {httpStatus, statusMessage} from '../kube/errors.js'
import {isForbiddenError, type ClusterReader} from './reader.js'

/**
 * The doctor's checks: small functions that all run (flux2's `flux check` shape), each answering
 * one question about the live cluster with a status, a one-line message, the objects concerned and
 * the command (or runbook step) that fixes it.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped'

export interface CheckOutcome {
  status: CheckStatus
  /** One line: what is true, or what is wrong and on what. Never a secret value. */
  message: string
  /** The objects concerned, as `kind namespace/name` (worst first), for --json and the details. */
  objects?: string[]
  /** The elife-k8s command or runbook step that fixes it. */
  fix?: string
}

export interface CheckResult extends CheckOutcome {
  id: string
  title: string
  /** Wall time of this check, milliseconds (in --json, to spot the slow one). */
  durationMs: number
}

export interface DoctorOptions {
  /** Where Flux v1 (fluxd, helm-operator) runs; the runbook's `--k8s-fwd-ns flux`. */
  fluxNamespace: string
  /** The runbook's monitoring namespace: Grafana's sidecar, the alertmanager secret, the ingress controller. */
  monitoringNamespace: string
  alertmanagerSecret: string
  /** A pod Pending or a Canary Progressing longer than this is reported, milliseconds. */
  stuckAfterMs: number
  /** Namespaces whose broken pods fail the check (elsewhere: a warning). */
  systemNamespaces: readonly string[]
  /** The Kubernetes minor to check upgrade readiness against, e.g. "1.36". */
  targetVersion?: string
  /** --sync-stale-after: a Kustomization not applied for longer warns (default: 3 × its interval, at least 30m). */
  syncStaleAfterMs?: number
  /** --eks-cluster / --region: the EKS cluster to ask AWS about (default: from the kubeconfig). */
  eks?: {cluster?: string; region?: string}
  now: Date
}

/** What a check reads the cluster with: plain JSON lists shared by all checks, or client-node's typed API. */
export interface DoctorContext {
  reader: ClusterReader
  api: KubeAccess['api']
  /** Aborted when the check's time is up: what it started beside the reader (a port-forward to fluxd) ends with it. */
  signal?: AbortSignal
}

export interface DoctorCheck {
  id: string
  title: string
  run(ctx: DoctorContext, options: DoctorOptions): Promise<CheckOutcome>
}

export const ok = (message: string, objects?: string[]): CheckOutcome => ({status: 'ok', message, objects})
export const skipped = (message: string): CheckOutcome => ({status: 'skipped', message})

/**
 * Runs every check at once, each under its own timeout: a check that fails, hangs or may not read
 * what it needs never hides the others. A check the user's RBAC does not allow is skipped with the
 * permission it needs; one that throws anything else fails with the error's first line.
 */
export async function runChecks(
  checks: readonly DoctorCheck[],
  ctx: DoctorContext,
  options: DoctorOptions,
  limits: {timeoutMs: number; onDone?: (result: CheckResult) => void},
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async (check) => {
      const started = performance.now()
      let timer: NodeJS.Timeout | undefined
      const abort = new AbortController()
      const timedOut = new Promise<CheckOutcome>((resolve) => {
        timer = setTimeout(() => {
          abort.abort()
          resolve({
            status: 'fail',
            message: `no answer within ${formatMs(limits.timeoutMs)}: the API server (or what the check asks through it) is slow or hanging`,
            fix: 'rerun with --check-timeout to give it longer, or see `kubectl get --raw /readyz?verbose`',
          })
        }, limits.timeoutMs)
      })
      let outcome: CheckOutcome
      try {
        outcome = await Promise.race([check.run({...ctx, signal: abort.signal}, options), timedOut])
      } catch (error) {
        const permission = isForbiddenError(error) ? error.permission : httpStatus(error) === 403 ? forbiddenWhat(error) : undefined
        outcome = permission
          ? {
              status: 'skipped',
              message: `not allowed to ${permission}`,
              fix: 'ask a cluster admin for that permission (read-only), or use a context that has it',
            }
          : {status: 'fail', message: `could not check: ${firstLine(error)}`}
      } finally {
        clearTimeout(timer)
      }
      const result: CheckResult = {id: check.id, title: check.title, ...outcome, durationMs: Math.round(performance.now() - started)}
      limits.onDone?.(result)
      return result
    }),
  )
}

/** What a typed client call was refused, from the API server's Status message (`... cannot list resource "pods" ...`). */
function forbiddenWhat(error: unknown): string {
  const message = statusMessage(error) ?? ''
  const match = /cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(message)
  if (!match) return 'read what it needs (HTTP 403)'
  const [, verb, resource, group, namespace] = match
  return `${verb} ${group ? `${resource}.${group}` : resource}${namespace ? ` in namespace "${namespace}"` : ''}`
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0] ?? message
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
export function objectRef(kind: string, meta: {namespace?: string; name?: string} | undefined): string {
  return meta?.namespace ? `${kind} ${meta.namespace}/${meta.name}` : `${kind} ${meta?.name}`
}

export {plural} from '../render/number.js'

/** At most `max` items, then "and N more". */
export function listSome(items: readonly string[], max = 5): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}
