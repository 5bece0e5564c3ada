import type {CoreV1Api, KubeConfig, V1ConfigMap, V1Secret} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {httpStatus} from '../kube/errors.js'
import {type Page, pagedList} from '../kube/list.js'
import {getJson} from '../kube/raw.js'
import {type CorruptRecord, type LabelledObject, type RecordLabels, recordLabels, type ReleaseRecord, type StorageDriver, tryDecode} from './release.js'

/** Helm's own rule for release names (helm.sh/helm/v3/pkg/chartutil ValidateReleaseName). */
const releaseNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function isReleaseName(name: string): boolean {
  return name.length <= 53 && releaseNamePattern.test(name)
}

export function checkReleaseName(name: string): void {
  if (!isReleaseName(name)) {
    throw new CliError('usage', `"${name}" is not a valid helm release name`, {
      hint: 'release names are lower-case letters, digits, "-" and ".", at most 53 characters (see `elife-k8s helm list -A`)',
    })
  }
}

export interface Candidate {
  labels: RecordLabels
  /** The still-encoded payload of the newest revision seen so far. */
  data?: string
}

export interface ListRecordsOptions {
  /** A namespace, or undefined for all namespaces. */
  namespace?: string
  onProgress?: (recordsSeen: number) => void
  onRestart?: (attempt: number) => void
}

export interface LatestRecords {
  records: Array<{labels: RecordLabels; record: ReleaseRecord}>
  /** How many revision records were looked at (all revisions of all releases). */
  recordsSeen: number
  /** Set when the ConfigMap driver could not be read (RBAC); Secrets were still read. */
  configMapsSkipped?: string
  /** Latest records that cannot be decoded: their releases are left out, as helm skips such records. */
  corrupt: CorruptRecord[]
}

const helmSelector = 'owner=helm'
/**
 * Records per page with their payloads: kubectl's page size. Most records are a few KB (this one
 * page holds every release of a cluster with up to 500); a record can be up to 1 MiB, and helm
 * itself reads all records of all revisions in one unpaged list.
 */
const payloadPageSize = 500
/** Rows per page when only names (~60 bytes each) or metadata (~1 KB each) are listed. */
const namePageSize = 5000
/** Above this many releases to look at closer, one metadata list of every record is cheaper. */
const maxCloserLooks = 16

const asMetadata = {Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'}
const asTable = {Accept: 'application/json;as=Table;g=meta.k8s.io;v=v1,application/json'}

/** A Secret or ConfigMap as the API server sends it (only the fields read here). */
interface RawRecordObject extends LabelledObject {
  data?: {release?: string}
}

interface RawList {
  items: RawRecordObject[] | null
  metadata?: {continue?: string}
}

/** A meta.k8s.io Table (what `kubectl get` reads), with includeObject=None: cells only. */
interface RawTable {
  kind?: string
  columnDefinitions?: Array<{name?: string; format?: string}>
  rows?: Array<{cells?: unknown[]}> | null
  metadata?: {continue?: string}
}

function apiPathOf(resource: 'secrets' | 'configmaps', namespace: string | undefined): string {
  return namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}` : `/api/v1/${resource}`
}

/** Lists one kind of helm's record objects page by page, as plain JSON (see getJson). */
function recordPages(kc: KubeConfig, resource: 'secrets' | 'configmaps', namespace: string | undefined, headers: Record<string, string> = {}) {
  const apiPath = apiPathOf(resource, namespace)
  return async (labelSelector: string, limit: number, token: string | undefined): Promise<Page<RawRecordObject>> => {
    const page = await getJson<RawList>(kc, apiPath, {labelSelector, limit, continue: token}, headers)
    // An empty PartialObjectMetadataList comes back with "items": null.
    return {items: page.items ?? [], metadata: {_continue: page.metadata?.continue}}
  }
}

/** helm's record names: sh.helm.release.v1.<release>.v<revision> (storage/driver/util.go makeKey). */
const recordNamePattern = /^sh\.helm\.release\.v1\.(.+)\.v([0-9]+)$/

/** A superseded record known by its name only: which release, which revision (namespace unknown). */
interface NamedRecord {
  release: string
  revision: number
}

/**
 * The names of the records matching a selector, as a Table without objects: ~60 bytes a record
 * where even metadata alone is ~1 KB (mostly managedFields). A record whose name is not helm's
 * (or a server that answers with something else than a Table) gives `undefined`: look at everything.
 */
async function recordNames(
  kc: KubeConfig,
  namespace: string | undefined,
  labelSelector: string,
  onRestart?: (attempt: number) => void,
): Promise<NamedRecord[] | undefined> {
  const apiPath = apiPathOf('secrets', namespace)
  const names = await pagedList<NamedRecord | undefined, Array<NamedRecord | undefined>>({
    async fetchPage(token) {
      const page = await getJson<RawTable>(kc, apiPath, {labelSelector, limit: namePageSize, continue: token, includeObject: 'None'}, asTable)
      const column = page.kind === 'Table' ? (page.columnDefinitions ?? []).findIndex((c) => c.format === 'name' || c.name === 'Name') : -1
      // Not a Table with names: one name that cannot be read, and no further pages.
      if (column === -1) return {items: [undefined]}
      const items = (page.rows ?? []).map((row) => {
        const match = recordNamePattern.exec(String(row.cells?.[column] ?? ''))
        return match ? {release: match[1], revision: Number(match[2])} : undefined
      })
      return {items, metadata: {_continue: page.metadata?.continue}}
    },
    init: () => [],
    add: (acc, items) => acc.push(...items),
    onRestart,
  })
  return names.includes(undefined) ? undefined : (names as NamedRecord[])
}

/**
 * The latest revision of every release, the way `helm list -a` finds them, but fetching and
 * decoding only those. helm lists every record of every release with its payload and decodes them
 * all. Here:
 *  1. the records that can be a latest one (status other than superseded) are listed with their
 *     payloads, keeping per release only the newest (still encoded) until it is decoded at the end;
 *  2. at the same time, the superseded records are listed by name only (a Table, as `kubectl get`
 *     reads) to check that none is newer than what (1) found. helm marks a revision superseded only
 *     once a newer one exists, so none is, unless a record was edited by hand; a release with such
 *     a record (or one whose name is in several namespaces, where names alone cannot tell) gets a
 *     closer look at its superseded records' labels, and the odd latest-but-superseded record is
 *     then read on its own. If names cannot be used at all, every record's labels are listed.
 * Memory stays at one page plus one compressed payload per release, and only the 1 in N records
 * that matter crosses the wire whole. The lists are read as plain JSON (see getJson).
 */
export async function listLatestRecords(kc: KubeConfig, options: ListRecordsOptions = {}): Promise<LatestRecords> {
  const {namespace} = options
  const keep = (acc: Map<string, Candidate>, labels: RecordLabels | undefined, data: string | undefined) => {
    if (!labels) return
    const key = `${labels.driver}/${labels.namespace}/${labels.release}`
    const current = acc.get(key)
    if (!current || labels.revision > current.labels.revision) acc.set(key, {labels, data})
  }
  // The three lists below are independent, so they go out together (one HTTP/2 connection).
  let payloadCount = 0
  const secretPage = recordPages(kc, 'secrets', namespace)
  const payloadPass = pagedList<RawRecordObject, Map<string, Candidate>>({
    fetchPage: (token) => secretPage(`${helmSelector},status!=superseded`, payloadPageSize, token),
    init: () => {
      payloadCount = 0
      return new Map()
    },
    add(acc, secrets) {
      payloadCount += secrets.length
      for (const secret of secrets) keep(acc, recordLabels(secret, 'secret'), secret.data?.release ?? '')
    },
    onProgress: options.onProgress,
    onRestart: options.onRestart,
  })
  const namesPass = recordNames(kc, namespace, `${helmSelector},status=superseded`, options.onRestart)
  let configMapsSkipped: string | undefined
  let configMapCount = 0
  const configMapPage = recordPages(kc, 'configmaps', namespace)
  const configMapPass = pagedList<RawRecordObject, Map<string, Candidate>>({
    fetchPage: (token) => configMapPage(helmSelector, payloadPageSize, token),
    init: () => {
      configMapCount = 0
      return new Map()
    },
    add(acc, configMaps) {
      configMapCount += configMaps.length
      for (const configMap of configMaps) keep(acc, recordLabels(configMap, 'configmap'), configMap.data?.release)
    },
    onRestart: options.onRestart,
  }).catch((error: unknown) => {
    // The ConfigMap driver is rare; a user allowed to read helm's Secrets but not ConfigMaps
    // still gets the Secret-backed releases, with a note.
    if (httpStatus(error) !== 403) throw error
    configMapsSkipped = 'not allowed to list ConfigMaps, so releases stored with HELM_DRIVER=configmap are not shown'
    return new Map<string, Candidate>()
  })
  const [latestSecrets, superseded, latestConfigMaps] = await Promise.all([payloadPass, namesPass, configMapPass])

  // The superseded records' labels, for the releases that need them (or for all).
  const metadataPage = recordPages(kc, 'secrets', namespace, asMetadata)
  const labelsOf = (labelSelector: string) =>
    pagedList<RawRecordObject, RawRecordObject[]>({
      fetchPage: (token) => metadataPage(labelSelector, namePageSize, token),
      init: () => [],
      add: (acc, records) => acc.push(...records),
      onRestart: options.onRestart,
    })
  const closer = superseded ? releasesToLookAt(latestSecrets, superseded) : undefined
  let supersededLabels: RawRecordObject[]
  if (!closer || closer.size > maxCloserLooks) {
    supersededLabels = await labelsOf(`${helmSelector},status=superseded`)
  } else {
    const lists = await Promise.all(
      [...closer].map(([release, above]) => labelsOf(`${helmSelector},status=superseded,name=${release}${above > 0 ? `,version>${above}` : ''}`)),
    )
    supersededLabels = lists.flat()
  }
  for (const record of supersededLabels) keep(latestSecrets, recordLabels(record, 'secret'), undefined)

  // The odd release whose latest record is superseded: read that record on its own.
  for (const candidate of latestSecrets.values()) {
    if (candidate.data !== undefined) continue
    const {objectName, namespace: recordNamespace} = candidate.labels
    const secret = await getJson<RawRecordObject>(kc, `/api/v1/namespaces/${encodeURIComponent(recordNamespace)}/secrets/${encodeURIComponent(objectName)}`)
    candidate.data = secret.data?.release
  }
  const records: LatestRecords['records'] = []
  const corrupt: CorruptRecord[] = []
  for (const candidate of [...latestSecrets.values(), ...latestConfigMaps.values()]) {
    const decoded = tryDecode(candidate.data, candidate.labels)
    if ('record' in decoded) records.push({labels: candidate.labels, record: decoded.record})
    else corrupt.push(decoded.corrupt)
  }
  const supersededCount = superseded?.length ?? supersededLabels.length
  return {records, recordsSeen: payloadCount + supersededCount + configMapCount, configMapsSkipped, corrupt}
}

/**
 * Releases (by name) with a superseded record that may be newer than the latest revision found
 * among the others, with the revision above which to look (0: all of that release's records).
 * Exported for its tests.
 */
export function releasesToLookAt(latest: ReadonlyMap<string, Candidate>, superseded: readonly NamedRecord[]): Map<string, number> {
  // The latest revision found per release name, one per namespace that has one.
  const latestRevisions = new Map<string, number[]>()
  for (const {labels} of latest.values()) latestRevisions.set(labels.release, [...(latestRevisions.get(labels.release) ?? []), labels.revision])
  // How many superseded records each name has at each revision.
  const counts = new Map<string, Map<number, number>>()
  for (const {release, revision} of superseded) {
    const byRevision = counts.get(release) ?? new Map<number, number>()
    byRevision.set(revision, (byRevision.get(revision) ?? 0) + 1)
    counts.set(release, byRevision)
  }
  const closer = new Map<string, number>()
  for (const [release, byRevision] of counts) {
    const found = latestRevisions.get(release)
    // No other record of that release (all superseded): look at all of them.
    if (!found) {
      closer.set(release, 0)
      continue
    }
    const floor = Math.min(...found)
    for (const [revision, count] of byRevision) {
      // One above a latest found: whose it is needs the labels of the records above that latest.
      if (revision > floor) {
        if (!closer.has(release)) closer.set(release, floor)
        continue
      }
      // More records at a revision than namespaces whose latest is above it: the extra one is in a
      // namespace with no latest record of that name (its records are all superseded, a hand
      // edit), which names alone cannot place: look at all of that name's records.
      if (count > found.filter((latestRevision) => latestRevision > revision).length) {
        closer.set(release, 0)
        break
      }
    }
  }
  return closer
}

export interface ReleaseHistory {
  release: string
  namespace: string
  driver: StorageDriver
  /** Every revision that can be decoded, oldest first, with the labels of the object that stores it. */
  revisions: Array<{labels: RecordLabels; record: ReleaseRecord; resourceVersion?: string}>
  /** Revisions whose record cannot be decoded (helm skips them too), oldest first. */
  corrupt: CorruptRecord[]
}

/** Every revision of one release in one namespace (both drivers; Secrets win if both exist). */
export async function readHistory(core: CoreV1Api, release: string, namespace: string): Promise<ReleaseHistory | undefined> {
  const labelSelector = `${helmSelector},name=${release}`
  const secrets = await core.listNamespacedSecret({namespace, labelSelector})
  let driver: StorageDriver = 'secret'
  let objects: Array<V1Secret | V1ConfigMap> = secrets.items
  if (objects.length === 0) {
    try {
      objects = (await core.listNamespacedConfigMap({namespace, labelSelector})).items
      driver = 'configmap'
    } catch (error) {
      if (httpStatus(error) !== 403) throw error
    }
  }
  const revisions: ReleaseHistory['revisions'] = []
  const corrupt: CorruptRecord[] = []
  for (const object of objects) {
    const labels = recordLabels(object, driver)
    if (!labels) continue
    const decoded = tryDecode(object.data?.release, labels)
    if ('record' in decoded) revisions.push({labels, record: decoded.record, resourceVersion: object.metadata?.resourceVersion})
    else corrupt.push(decoded.corrupt)
  }
  if (revisions.length === 0 && corrupt.length === 0) return undefined
  revisions.sort((a, b) => a.labels.revision - b.labels.revision)
  corrupt.sort((a, b) => a.revision - b.revision)
  return {release, namespace, driver, revisions, corrupt}
}

/** Namespaces (other than `except`) that hold records of a release with this name. */
export async function namespacesWithRelease(core: CoreV1Api, release: string, except: string): Promise<string[]> {
  try {
    const found = await core.listSecretForAllNamespaces({labelSelector: `${helmSelector},name=${release}`, limit: 100})
    return [...new Set(found.items.map((s) => s.metadata?.namespace ?? '').filter((ns) => ns && ns !== except))].sort()
  } catch {
    // Only a hint for the error message: a user who may not list cluster-wide just gets none.
    return []
  }
}
