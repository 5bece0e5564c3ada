import type {CoreV1Api, KubeConfig, V1ConfigMap, V1Secret} from '@kubernetes/client-node'

import {CliError} from '../errors.js'
import {httpStatus} from '../kube/errors.js'
import {type Page, pagedList} from '../kube/list.js'
import {getJson} from '../kube/raw.js'
import {decodeOrExplain, type LabelledObject, type RecordLabels, recordLabels, type ReleaseRecord, type StorageDriver} from './release.js'

/** Helm's own rule for release names (helm.sh/helm/v3/pkg/chartutil ValidateReleaseName). */
const releaseNamePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function checkReleaseName(name: string): void {
  if (name.length > 53 || !releaseNamePattern.test(name)) {
    throw new CliError('usage', `"${name}" is not a valid helm release name`, {
      hint: 'release names are lower-case letters, digits, "-" and ".", at most 53 characters (see `elife-k8s helm list -A`)',
    })
  }
}

interface Candidate {
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
}

const helmSelector = 'owner=helm'
/** Records per page with their payloads: a release record can be up to 1 MiB, so pages stay modest. */
const payloadPageSize = 200
/** Records per page when only their metadata (~1 KB each) is listed: each page is a round trip. */
const metadataPageSize = 5000

/** A Secret or ConfigMap as the API server sends it (only the fields read here). */
interface RawRecordObject extends LabelledObject {
  data?: {release?: string}
}

interface RawList {
  items: RawRecordObject[] | null
  metadata?: {continue?: string}
}

/** Lists one kind of helm's record objects page by page, as plain JSON (see getJson). */
function recordPages(kc: KubeConfig, resource: 'secrets' | 'configmaps', namespace: string | undefined, headers: Record<string, string> = {}) {
  const apiPath = namespace ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}` : `/api/v1/${resource}`
  return async (labelSelector: string, limit: number, token: string | undefined): Promise<Page<RawRecordObject>> => {
    const page = await getJson<RawList>(kc, apiPath, {labelSelector, limit, continue: token}, headers)
    // An empty PartialObjectMetadataList comes back with "items": null.
    return {items: page.items ?? [], metadata: {_continue: page.metadata?.continue}}
  }
}

/**
 * The latest revision of every release, the way `helm list -a` finds them, but fetching and
 * decoding only those. helm lists every record of every release with its payload and decodes them
 * all; here the labels (name, version, status) of all records are listed first, metadata only, to
 * find the latest revision of each release, and only payloads of records that can be a latest one
 * (status other than superseded) are fetched, page by page, keeping just the latest's payload
 * (still encoded) until it is decoded at the end. Memory stays at one page plus one compressed
 * payload per release. The lists are read as plain JSON through client-node's connection set-up:
 * its typed API would run each of thousands of objects through its ObjectSerializer first.
 */
export async function listLatestRecords(kc: KubeConfig, options: ListRecordsOptions = {}): Promise<LatestRecords> {
  const {namespace} = options
  let secretCount = 0
  const keep = (acc: Map<string, Candidate>, labels: RecordLabels | undefined, data: string | undefined) => {
    if (!labels) return
    const key = `${labels.driver}/${labels.namespace}/${labels.release}`
    const current = acc.get(key)
    if (!current || labels.revision > current.labels.revision) acc.set(key, {labels, data})
  }
  // The three lists below are independent, so they go out together.
  // Pass 1: labels only (PartialObjectMetadataList), so the payloads of the thousands of old
  // revisions never cross the wire: this finds the latest revision of every release.
  const metadataPage = recordPages(kc, 'secrets', namespace, {Accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'})
  const labelsPass = pagedList<RawRecordObject, Map<string, Candidate>>({
    fetchPage: (token) => metadataPage(helmSelector, metadataPageSize, token),
    init: () => {
      secretCount = 0
      return new Map()
    },
    add(acc, secrets) {
      secretCount += secrets.length
      for (const secret of secrets) keep(acc, recordLabels(secret, 'secret'), undefined)
    },
    onProgress: options.onProgress,
    onRestart: options.onRestart,
  })
  // Pass 2: the payloads, of records that can be a latest revision. helm marks every revision it
  // replaces superseded, so the latest of a release is (almost) never superseded.
  const secretPage = recordPages(kc, 'secrets', namespace)
  const payloadPass = pagedList<RawRecordObject, Map<string, Candidate>>({
    fetchPage: (token) => secretPage(`${helmSelector},status!=superseded`, payloadPageSize, token),
    init: () => new Map(),
    add(acc, secrets) {
      for (const secret of secrets) keep(acc, recordLabels(secret, 'secret'), secret.data?.release ?? '')
    },
    onRestart: options.onRestart,
  })
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
  const [latestSecrets, payloads, latestConfigMaps] = await Promise.all([labelsPass, payloadPass, configMapPass])
  // The latest revision pass 1 found, or one written since: take its payload from pass 2.
  for (const [key, withPayload] of payloads) {
    const known = latestSecrets.get(key)
    if (!known || withPayload.labels.revision >= known.labels.revision) latestSecrets.set(key, withPayload)
  }
  // Pass 3: the odd release whose latest record is superseded (edited by hand, or a rollback
  // that failed half-way) is read one by one.
  for (const candidate of latestSecrets.values()) {
    if (candidate.data !== undefined) continue
    const {objectName, namespace: recordNamespace} = candidate.labels
    const secret = await getJson<RawRecordObject>(kc, `/api/v1/namespaces/${encodeURIComponent(recordNamespace)}/secrets/${encodeURIComponent(objectName)}`)
    candidate.data = secret.data?.release
  }
  const records: LatestRecords['records'] = []
  for (const candidate of [...latestSecrets.values(), ...latestConfigMaps.values()]) {
    records.push({labels: candidate.labels, record: decodeOrExplain(candidate.data, candidate.labels)})
  }
  return {records, recordsSeen: secretCount + configMapCount, configMapsSkipped}
}

export interface ReleaseHistory {
  release: string
  namespace: string
  driver: StorageDriver
  /** Every revision, oldest first, with the labels of the object that stores it. */
  revisions: Array<{labels: RecordLabels; record: ReleaseRecord; resourceVersion?: string}>
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
  for (const object of objects) {
    const labels = recordLabels(object, driver)
    if (!labels) continue
    revisions.push({labels, record: decodeOrExplain(object.data?.release, labels), resourceVersion: object.metadata?.resourceVersion})
  }
  if (revisions.length === 0) return undefined
  revisions.sort((a, b) => a.labels.revision - b.labels.revision)
  return {release, namespace, driver, revisions}
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
