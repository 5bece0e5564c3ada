import {gunzipSync, gzipSync} from 'node:zlib'

/**
 * Helm 3 keeps one record per release revision, named `sh.helm.release.v1.<name>.v<revision>`,
 * in a Secret (the default driver) or a ConfigMap (HELM_DRIVER=configmap) in the release's
 * namespace, labelled owner=helm, name=<release>, status=<status>, version=<revision>.
 * These are the fields of that record we read (helm.sh/helm/v3/pkg/release.Release).
 */
export interface ReleaseRecord {
  name: string
  namespace: string
  version: number
  info?: {
    first_deployed?: string
    last_deployed?: string
    deleted?: string
    description?: string
    status?: string
    notes?: string
  }
  chart?: {metadata?: {name?: string; version?: string; appVersion?: string}}
  /** The user-supplied values of this revision: may hold secrets. */
  config?: Record<string, unknown>
  manifest?: string
  [key: string]: unknown
}

export type StorageDriver = 'secret' | 'configmap'

/** Statuses helm writes (helm.sh/helm/v3/pkg/release/status.go). */
export const pendingStatuses = ['pending-install', 'pending-upgrade', 'pending-rollback'] as const
export type ReleaseStatus = 'unknown' | 'deployed' | 'uninstalled' | 'superseded' | 'failed' | 'uninstalling' | (typeof pendingStatuses)[number]

export function isPending(status: string): boolean {
  return (pendingStatuses as readonly string[]).includes(status)
}

/** A release needs a human when its latest revision failed or is stuck mid-operation. */
export function isStuckStatus(status: string): boolean {
  return status === 'failed' || status === 'uninstalling' || isPending(status)
}

export function recordName(release: string, revision: number): string {
  return `sh.helm.release.v1.${release}.v${revision}`
}

const gzipMagic = Buffer.from([0x1f, 0x8b, 0x08])

/**
 * Decodes helm's payload: base64 of gzip of JSON (helm.sh/helm/v3/pkg/storage/driver/util.go
 * decodeRelease). For a Secret, `data.release` holds that base64 text base64-encoded once more by
 * Kubernetes; for a ConfigMap, `data.release` is helm's base64 text itself.
 */
export function decodeRelease(data: string, driver: StorageDriver): ReleaseRecord {
  const helmBase64 = driver === 'secret' ? Buffer.from(data, 'base64').toString('latin1') : data
  let bytes = Buffer.from(helmBase64, 'base64')
  // Old helm 3 betas wrote plain JSON; helm checks the gzip magic the same way.
  if (bytes.subarray(0, 3).equals(gzipMagic)) bytes = gunzipSync(bytes)
  return JSON.parse(bytes.toString('utf8')) as ReleaseRecord
}

/** The inverse of decodeRelease, for writing a record back exactly as helm would read it. */
export function encodeRelease(record: ReleaseRecord, driver: StorageDriver): string {
  const helmBase64 = gzipSync(Buffer.from(JSON.stringify(record)), {level: 9}).toString('base64')
  return driver === 'secret' ? Buffer.from(helmBase64, 'latin1').toString('base64') : helmBase64
}

/** What the labels of a record say, read without decoding its payload. */
export interface RecordLabels {
  release: string
  namespace: string
  revision: number
  status: string
  /** The Secret/ConfigMap name. */
  objectName: string
  driver: StorageDriver
}

export interface LabelledObject {
  metadata?: {name?: string; namespace?: string; labels?: Record<string, string>}
}

export function recordLabels(object: LabelledObject, driver: StorageDriver): RecordLabels | undefined {
  const labels = object.metadata?.labels ?? {}
  const revision = Number.parseInt(labels.version ?? '', 10)
  if (labels.owner !== 'helm' || !labels.name || !Number.isFinite(revision)) return undefined
  return {
    release: labels.name,
    namespace: object.metadata?.namespace ?? '',
    revision,
    status: labels.status ?? 'unknown',
    objectName: object.metadata?.name ?? recordName(labels.name, revision),
    driver,
  }
}

/** One revision as `helm history` shows it. */
export interface RevisionRow {
  revision: number
  status: string
  chart: string
  appVersion: string
  /** RFC 3339 time of last deployment of this revision (helm's `updated`). */
  updated: string
  description: string
}

export function chartLabel(record: ReleaseRecord): string {
  const meta = record.chart?.metadata
  if (!meta?.name) return 'MISSING'
  return meta.version ? `${meta.name}-${meta.version}` : meta.name
}

export function revisionRow(record: ReleaseRecord): RevisionRow {
  return {
    revision: record.version,
    status: record.info?.status ?? 'unknown',
    chart: chartLabel(record),
    appVersion: record.chart?.metadata?.appVersion ?? '',
    updated: record.info?.last_deployed ?? '',
    description: record.info?.description ?? '',
  }
}

/** A record helm cannot read either: helm skips it (storage/driver List and Query) and so do we. */
export interface CorruptRecord {
  release: string
  namespace: string
  revision: number
  /** "Secret sh.helm.release.v1.<name>.v<revision>" (or ConfigMap). */
  object: string
  /** What is wrong with it, never its content. */
  reason: string
}

/**
 * Decodes a record, or says which layer of it is broken. The reason never quotes the payload: a
 * parser's message would (JSON.parse shows a snippet), and a payload holds the release's values.
 */
export function tryDecode(data: string | undefined, labels: RecordLabels): {record: ReleaseRecord} | {corrupt: CorruptRecord} {
  const corrupt = (reason: string) => ({
    corrupt: {
      release: labels.release,
      namespace: labels.namespace,
      revision: labels.revision,
      object: `${labels.driver === 'secret' ? 'Secret' : 'ConfigMap'} ${labels.objectName}`,
      reason,
    },
  })
  if (!data) return corrupt('no data.release')
  const helmBase64 = labels.driver === 'secret' ? Buffer.from(data, 'base64').toString('latin1') : data
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(helmBase64.trim())) return corrupt('its payload is not base64')
  let bytes = Buffer.from(helmBase64, 'base64')
  if (bytes.subarray(0, 3).equals(gzipMagic)) {
    try {
      bytes = gunzipSync(bytes)
    } catch {
      return corrupt('its payload is not valid gzip')
    }
  }
  try {
    const record = JSON.parse(bytes.toString('utf8')) as ReleaseRecord
    if (!record || typeof record !== 'object') return corrupt('its payload is not a release')
    return {record}
  } catch {
    return corrupt(bytes.subarray(0, 3).equals(gzipMagic) ? 'its payload is not valid gzip' : 'its payload is neither gzip nor JSON')
  }
}

/** One line naming a corrupt record, for a warning or an error. */
export function corruptLine(c: CorruptRecord): string {
  return `helm release record ${c.object} in ${c.namespace} (release "${c.release}", revision ${c.revision}) cannot be decoded: ${c.reason}`
}
