import {parseAllDocuments} from 'yaml'

import {findOwners, type OwnerIndex} from '../helm/owners.js'
import {isStuckStatus} from '../helm/release.js'
import {releaseRow} from '../helm/rows.js'
import {type LatestRecords, listLatestRecords} from '../helm/store.js'
import {apiRemoved, parseMinor} from '../rules/deprecations.js'
import type {SourcedDocument} from '../rules/types.js'
import {httpStatus} from '../kube/errors.js'
import {type CheckOutcome, type DoctorCheck, listSome, ok, plural} from './check.js'
import {ForbiddenError, type ClusterReader, type KubeObject} from './reader.js'
import {runLiveRules} from './rules.js'

/** Every HelmRelease of both generations, read once for both helm checks. */
function owners(reader: ClusterReader): Promise<OwnerIndex> {
  return reader.shared('helm owners', () => findOwners(reader.kc, undefined, {withStatus: true}))
}

/** The latest record of every release, read once for the helm and upgrade checks. */
function latestRecords(reader: ClusterReader): Promise<LatestRecords> {
  return reader.shared('helm records', async () => {
    try {
      return await listLatestRecords(reader.kc)
    } catch (error) {
      if (httpStatus(error) === 403) throw new ForbiddenError('list secrets in all namespaces (helm keeps its release records there)')
      throw error
    }
  })
}

export const helmReleases: DoctorCheck = {
  id: 'helm-releases',
  title: 'Helm releases',
  async run({reader}) {
    const latest = await latestRecords(reader)
    const index = await owners(reader).catch(() => undefined)
    const rows = latest.records.map(({labels, record}) => releaseRow(labels, record, index?.owners))
    const stuck = rows.filter((row) => isStuckStatus(row.status))
    if (stuck.length === 0) return ok(`${plural(rows.length, 'release')}, none failed or pending`)
    const line = (row: (typeof rows)[number]) =>
      `${row.namespace}/${row.name} ${row.status} (revision ${row.revision}${row.owner ? `, HelmRelease ${row.owner.namespace}/${row.owner.name}` : ''})`
    const first = stuck[0]
    return {
      status: 'fail',
      message: `${stuck.length} of ${plural(rows.length, 'release')} failed or stuck mid-operation: ${listSome(stuck.map(line))}`,
      objects: stuck.map(line),
      fix:
        stuck.length === 1 ? `elife-k8s helm unstick ${first.name} -n ${first.namespace}` : 'elife-k8s helm unstick --all -A --dry-run, then without --dry-run',
    }
  },
}

interface Condition {
  type?: string
  status?: string
  reason?: string
  message?: string
  lastTransitionTime?: string
}

/** Why a HelmRelease is not ready in its controller's own words, or undefined when it is. */
export function helmReleaseProblem(controller: 'helm-operator' | 'flux-v2', hr: KubeObject): string | undefined {
  const status = (hr.status ?? {}) as {phase?: string; conditions?: Condition[]; releaseStatus?: string}
  const conditions = status.conditions ?? []
  const said = (c: Condition) => [c.reason, c.message?.split('\n')[0]].filter(Boolean).join(': ')
  if (controller === 'helm-operator') {
    // helm-operator (pkg/apis/helm.fluxcd.io/v1): phases ending in Failed, and the Released condition.
    const released = conditions.find((c) => c.type === 'Released')
    if (released?.status === 'False') return `not released: ${said(released) || status.phase || 'no reason given'}`
    if (status.phase && /Failed$/.test(status.phase)) return `${status.phase}${status.releaseStatus ? ` (helm: ${status.releaseStatus})` : ''}`
    return undefined
  }
  const ready = conditions.find((c) => c.type === 'Ready')
  if (!ready) return 'no Ready condition yet (never reconciled: is helm-controller running?)'
  if (ready.status === 'False') return `not Ready: ${said(ready) || 'no reason given'}`
  if (ready.status === 'Unknown') return `reconciling: ${said(ready) || 'in progress'}`
  return undefined
}

export const helmReleaseObjects: DoctorCheck = {
  id: 'helmreleases',
  title: 'HelmReleases (helm-operator and Flux v2)',
  async run({reader}): Promise<CheckOutcome> {
    const index = await owners(reader)
    const all = [...index.owners.values()]
    if (all.length === 0) return {status: 'skipped', message: `no HelmRelease in the cluster${index.notes.length ? ` (${index.notes.join('; ')})` : ''}`}
    const problems = all
      .map((owner) => ({owner, problem: helmReleaseProblem(owner.controller, {status: owner.status})}))
      .filter((p): p is {owner: (typeof all)[number]; problem: string} => p.problem !== undefined)
    if (problems.length === 0) return ok(`${plural(all.length, 'HelmRelease')} ready`)
    const line = ({owner, problem}: (typeof problems)[number]) => `HelmRelease ${owner.namespace}/${owner.name} (${owner.controller}): ${problem}`
    const first = problems[0].owner
    return {
      status: 'fail',
      message: `${problems.length} of ${plural(all.length, 'HelmRelease')} not ready: ${listSome(problems.map(line), 3)}`,
      objects: problems.map(line),
      fix: `elife-k8s helm debug ${first.name} -n ${first.namespace} (renders the chart with its values and shows helm's error)`,
    }
  },
}

/**
 * pluto's `detect-helm`: the apiVersions in each release's latest manifest that the target
 * Kubernetes minor no longer serves, by lint's own rule (api-removed) run on the manifests'
 * objects. helm keeps the manifest it applied, and the next upgrade diffs against it: a release
 * installed years ago with extensions/v1beta1 fails to upgrade (or to roll back) after the
 * cluster moves past 1.22, even though the live objects were converted.
 */
export const deprecatedApis: DoctorCheck = {
  id: 'deprecated-apis',
  title: 'Removed APIs in helm releases (upgrade readiness)',
  async run({reader}, options) {
    const version = await reader.raw<{gitVersion?: string}>('/version', 'get /version')
    const current = parseMinor(version.gitVersion ?? '')
    const target: readonly [number, number] | undefined = options.targetVersion ? parseMinor(options.targetVersion) : current && [current[0], current[1] + 1]
    if (!target) return {status: 'skipped', message: `cannot read a Kubernetes version from ${options.targetVersion ?? version.gitVersion}`}
    const latest = await latestRecords(reader)
    const documents: SourcedDocument[] = []
    for (const {record} of latest.records) {
      for (const doc of parseAllDocuments(record.manifest ?? '')) {
        const value: unknown = doc.toJS()
        if (value && typeof value === 'object') documents.push({value, source: {cluster: `release ${record.namespace}/${record.name}`}})
      }
    }
    const removed = (minor: readonly [number, number]) => runLiveRules(documents, [apiRemoved], `${minor[0]}.${minor[1]}`)
    const atTarget = removed(target)
    if (atTarget.length === 0)
      return ok(`no helm release manifest uses an API removed by Kubernetes ${target.join('.')} (${plural(latest.records.length, 'release')})`)
    // Already unserved by the running cluster: the next upgrade of that release fails today.
    const failsNow = current !== undefined && removed(current).length > 0
    const lines = atTarget.map((f) => `${f.cluster}: ${f.object?.kind} ${f.object?.name}: ${f.message}`)
    return {
      status: failsNow ? 'fail' : 'warn',
      message: `${plural(lines.length, 'object')} in helm manifests use APIs Kubernetes ${target.join('.')} does not serve: ${listSome(lines, 3)}`,
      objects: lines,
      fix: 'bump the chart to the replacement apiVersion and upgrade the release before upgrading the cluster; a release already past it needs `helm mapkubeapis` (then `elife-k8s helm unstick`)',
    }
  },
}
