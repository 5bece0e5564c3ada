import {byCodeUnit} from '../render/order.js'
import type {Column} from '../render/table.js'
import {shortTime, statusColor} from './format.js'
import {describeOwner, type OwnerRef, ownerKey} from './owner-names.js'
import {chartLabel, isStuckStatus, type RecordLabels, type ReleaseRecord, type StorageDriver} from './release.js'

// Rows of `helm list` and how they are shown: pure, with no Kubernetes client.

/** One release, at its latest revision. */
export interface ReleaseRow {
  namespace: string
  name: string
  revision: number
  status: string
  chart: string
  appVersion: string
  /** RFC 3339 time the latest revision was deployed (or attempted). */
  updated: string
  /** Where helm keeps its records. */
  storage: StorageDriver
  /** The HelmRelease managing it, if any. */
  owner?: Omit<OwnerRef, 'kind'> & {kind: 'HelmRelease'}
  /** Failed or pending-*: needs a human (see `elife-k8s helm unstick`). */
  stuck: boolean
}

export function releaseRow(labels: RecordLabels, record: ReleaseRecord, owners?: Map<string, OwnerRef>): ReleaseRow {
  // The payload is the truth; labels are what helm selects by and agree with it unless edited.
  const status = record.info?.status ?? labels.status
  const owner = owners?.get(ownerKey(labels.namespace, labels.release))
  return {
    namespace: labels.namespace,
    name: record.name ?? labels.release,
    revision: record.version ?? labels.revision,
    status,
    chart: chartLabel(record),
    appVersion: record.chart?.metadata?.appVersion ?? '',
    updated: record.info?.last_deployed ?? '',
    storage: labels.driver,
    owner: owner ? {controller: owner.controller, apiVersion: owner.apiVersion, kind: 'HelmRelease', namespace: owner.namespace, name: owner.name} : undefined,
    stuck: isStuckStatus(status),
  }
}

/**
 * helm's order: by name (Go's string order, byte by byte, as helm's SortByName), then namespace.
 * Not localeCompare, which would differ from helm on mixed names and load ICU's collator.
 */
export function sortReleaseRows(rows: ReleaseRow[]): ReleaseRow[] {
  return rows.sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.namespace, b.namespace))
}

/** The table of `helm list` (without the namespace column when listing one namespace). */
export function releaseColumns(oneNamespace: boolean): ReadonlyArray<Column<ReleaseRow>> {
  const all: Array<Column<ReleaseRow>> = [
    {header: 'namespace', value: (r) => r.namespace},
    {header: 'name', value: (r) => r.name},
    {header: 'revision', value: (r) => r.revision, align: 'right'},
    {header: 'status', value: (r) => r.status, color: (r, c) => statusColor(r.status, c)},
    {header: 'chart', value: (r) => r.chart},
    {header: 'app version', value: (r) => r.appVersion || '-'},
    {header: 'updated', value: (r) => shortTime(r.updated)},
    {header: 'owner', value: (r) => describeOwner(r.owner), color: (r, c) => (r.owner ? undefined : c.dim)},
  ]
  return oneNamespace ? all.slice(1) : all
}

/** What `helm list` prints around the table: the empty message, or the closing summary line. */
export function listEmptyLine(scope: string, stuckOnly: boolean): string {
  return stuckOnly ? `No failed or pending helm releases in ${scope}.` : `No helm releases in ${scope}.`
}

export function listSummaryLine(rows: readonly ReleaseRow[], scope: string, stuckOnly: boolean): string {
  const stuck = rows.filter((r) => r.stuck).length
  const count = `${rows.length} ${rows.length === 1 ? 'release' : 'releases'} in ${scope}`
  if (stuckOnly) return count
  return stuck > 0 ? `${count}; ${stuck} failed or stuck (see \`elife-k8s helm unstick\`)` : `${count}; none failed or stuck`
}
