import {findOwners, type OwnerIndex} from '../helm/owners.js'
import {isStuckStatus} from '../helm/release.js'
import {releaseRow} from '../helm/rows.js'
import {listLatestRecords} from '../helm/store.js'
import {httpStatus} from '../kube/errors.js'
import {type CheckOutcome, type DoctorCheck, listSome, ok, plural} from './check.js'
import {ForbiddenError, type ClusterReader, type KubeObject} from './reader.js'

/** Every HelmRelease of both generations, read once for both helm checks. */
function owners(reader: ClusterReader): Promise<OwnerIndex> {
  return reader.shared('helm owners', () => findOwners(reader.kc))
}

export const helmReleases: DoctorCheck = {
  id: 'helm-releases',
  title: 'Helm releases',
  async run({reader}) {
    let latest
    try {
      latest = await listLatestRecords(reader.kc)
    } catch (error) {
      if (httpStatus(error) === 403) throw new ForbiddenError('list secrets in all namespaces (helm keeps its release records there)')
      throw error
    }
    const index = await owners(reader).catch(() => undefined)
    const rows = latest.records.map(({labels, record}) => releaseRow(labels, record, index?.owners))
    const stuck = rows.filter((row) => isStuckStatus(row.status))
    if (stuck.length === 0) return ok(`${plural(rows.length, 'release')}, none failed or pending`)
    const line = (row: (typeof rows)[number]) => `${row.namespace}/${row.name} ${row.status} (revision ${row.revision}${row.owner ? `, HelmRelease ${row.owner.namespace}/${row.owner.name}` : ''})`
    const first = stuck[0]
    return {
      status: 'fail',
      message: `${stuck.length} of ${plural(rows.length, 'release')} failed or stuck mid-operation: ${listSome(stuck.map(line))}`,
      objects: stuck.map(line),
      fix: stuck.length === 1 ? `elife-k8s helm unstick ${first.name} -n ${first.namespace}` : 'elife-k8s helm unstick --all -A --dry-run, then without --dry-run',
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
      .map((owner) => ({owner, problem: helmReleaseProblem(owner.controller, owner.object as KubeObject)}))
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
