import type {KubeConfig} from '@kubernetes/client-node'

export {releaseColumns, releaseRow, type ReleaseRow, sortReleaseRows} from './rows.js'

import {findOwners} from './owners.js'
import {releaseRow, type ReleaseRow, sortReleaseRows} from './rows.js'
import type {CorruptRecord} from './release.js'
import {listLatestRecords, type ListRecordsOptions} from './store.js'

export interface ListReleasesOptions extends ListRecordsOptions {
  stuckOnly?: boolean
}

export interface ListReleasesResult {
  releases: ReleaseRow[]
  recordsSeen: number
  notes: string[]
  /** Releases left out because their latest record cannot be decoded. */
  corrupt: CorruptRecord[]
}

export async function listReleases(kc: KubeConfig, options: ListReleasesOptions = {}): Promise<ListReleasesResult> {
  const [latest, owners] = await Promise.all([listLatestRecords(kc, options), findOwners(kc, options.namespace)])
  let releases = latest.records.map(({labels, record}) => releaseRow(labels, record, owners.owners))
  if (options.stuckOnly) releases = releases.filter((r) => r.stuck)
  const notes = [...owners.notes]
  if (latest.configMapsSkipped) notes.push(latest.configMapsSkipped)
  return {releases: sortReleaseRows(releases), recordsSeen: latest.recordsSeen, notes, corrupt: latest.corrupt}
}
