import type {CoreV1Api, CustomObjectsApi} from '@kubernetes/client-node'

import {findOwners, ownerKey, type OwnerIndex, type OwnerRef} from './owners.js'
import {chartLabel, isStuckStatus, type RecordLabels, type ReleaseRecord, type StorageDriver} from './release.js'
import {listLatestRecords, type ListRecordsOptions} from './store.js'

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

export function releaseRow(labels: RecordLabels, record: ReleaseRecord, owners?: OwnerIndex['owners']): ReleaseRow {
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

/** helm's order: by name, then namespace. */
export function sortReleaseRows(rows: ReleaseRow[]): ReleaseRow[] {
  return rows.sort((a, b) => a.name.localeCompare(b.name) || a.namespace.localeCompare(b.namespace))
}

export interface ListReleasesOptions extends ListRecordsOptions {
  stuckOnly?: boolean
  /** Skip looking up HelmRelease owners (the benchmark compares raw listing too). */
  withOwners?: boolean
}

export interface ListReleasesResult {
  releases: ReleaseRow[]
  recordsSeen: number
  notes: string[]
}

export async function listReleases(core: CoreV1Api, custom: CustomObjectsApi, options: ListReleasesOptions = {}): Promise<ListReleasesResult> {
  const [latest, owners] = await Promise.all([
    listLatestRecords(core, options),
    options.withOwners === false ? Promise.resolve<OwnerIndex>({owners: new Map(), notes: []}) : findOwners(custom, options.namespace),
  ])
  let releases = latest.records.map(({labels, record}) => releaseRow(labels, record, owners.owners))
  if (options.stuckOnly) releases = releases.filter((r) => r.stuck)
  const notes = [...owners.notes]
  if (latest.configMapsSkipped) notes.push(latest.configMapsSkipped)
  return {releases: sortReleaseRows(releases), recordsSeen: latest.recordsSeen, notes}
}
