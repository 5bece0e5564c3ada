import {gzipSync} from 'node:zlib'

import {describe, expect, it} from 'vitest'

import {decodeRelease, encodeRelease, isStuckStatus, recordLabels, revisionRow, tryDecode} from '../../src/lib/helm/release.js'
import {releaseRow, sortReleaseRows} from '../../src/lib/helm/list.js'
import {managedRelease} from '../../src/lib/helm/owners.js'
import {helmErrorLine, isPendingLockError, parseHelmVersion} from '../../src/lib/helm/binary.js'
import {checkReleaseName} from '../../src/lib/helm/store.js'

const record = {
  name: 'journal',
  namespace: 'prod',
  version: 3,
  info: {status: 'failed', last_deployed: '2026-11-24T10:00:00.123456789Z', description: 'Upgrade "journal" failed: boom'},
  chart: {metadata: {name: 'journal', version: '1.2.3', appVersion: '2.0'}},
  config: {password: 'hunter2'},
}

// What helm's secret driver stores: JSON, gzipped, base64 (helm), then base64 again (Secret.data).
const helmText = gzipSync(Buffer.from(JSON.stringify(record))).toString('base64')
const secretData = Buffer.from(helmText).toString('base64')

describe('release record codec', () => {
  it('decodes a Secret payload (base64 of base64 of gzip of JSON)', () => {
    expect(decodeRelease(secretData, 'secret')).toEqual(record)
  })
  it('decodes a ConfigMap payload (base64 of gzip of JSON)', () => {
    expect(decodeRelease(helmText, 'configmap')).toEqual(record)
  })
  it('reads a plain (not gzipped) payload as old helm 3 betas wrote it', () => {
    expect(decodeRelease(Buffer.from(JSON.stringify(record)).toString('base64'), 'configmap')).toEqual(record)
  })
  it('round-trips through encodeRelease for both drivers', () => {
    expect(decodeRelease(encodeRelease(record, 'secret'), 'secret')).toEqual(record)
    expect(decodeRelease(encodeRelease(record, 'configmap'), 'configmap')).toEqual(record)
  })
  it('rejects garbage', () => {
    expect(() => decodeRelease('bm90IGpzb24=', 'configmap')).toThrow()
  })
})

describe('a corrupt record', () => {
  const labels = {release: 'journal', namespace: 'stg', revision: 3, status: 'deployed', objectName: 'sh.helm.release.v1.journal.v3', driver: 'secret' as const}
  const wrap = (helmText: string) => Buffer.from(helmText, 'latin1').toString('base64')
  const secretValue = 'hunter2-in-the-payload'

  it('says which layer is broken and never quotes the payload', () => {
    const cases: Array<[string, string]> = [
      [wrap('this is *not* base64!'), 'its payload is not base64'],
      [wrap(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from(secretValue)]).toString('base64')), 'its payload is not valid gzip'],
      [wrap(Buffer.from(`{"config": {"password": "${secretValue}"`).toString('base64')), 'its payload is neither gzip nor JSON'],
      ['', 'no data.release'],
    ]
    for (const [data, reason] of cases) {
      const decoded = tryDecode(data, labels)
      expect(decoded).toEqual({corrupt: {release: 'journal', namespace: 'stg', revision: 3, object: 'Secret sh.helm.release.v1.journal.v3', reason}})
      expect(JSON.stringify(decoded)).not.toContain(secretValue)
    }
  })

  it('decodes a good record as decodeRelease does', () => {
    expect(tryDecode(encodeRelease(record, 'secret'), labels)).toEqual({record})
  })
})

describe('labels and rows', () => {
  const secret = {
    metadata: {name: 'sh.helm.release.v1.journal.v3', namespace: 'prod', labels: {owner: 'helm', name: 'journal', status: 'failed', version: '3'}},
  }
  it('reads name/version/status from labels without decoding', () => {
    expect(recordLabels(secret, 'secret')).toEqual({
      release: 'journal',
      namespace: 'prod',
      revision: 3,
      status: 'failed',
      objectName: 'sh.helm.release.v1.journal.v3',
      driver: 'secret',
    })
  })
  it('ignores objects that are not helm records', () => {
    expect(recordLabels({metadata: {labels: {owner: 'someone', name: 'x', version: '1'}}}, 'secret')).toBeUndefined()
    expect(recordLabels({metadata: {labels: {owner: 'helm', name: 'x'}}}, 'secret')).toBeUndefined()
  })
  it('builds a list row like helm list, marking failed as stuck', () => {
    const labels = recordLabels(secret, 'secret')!
    const row = releaseRow(labels, record)
    expect(row).toMatchObject({
      namespace: 'prod',
      name: 'journal',
      revision: 3,
      status: 'failed',
      chart: 'journal-1.2.3',
      appVersion: '2.0',
      stuck: true,
      storage: 'secret',
    })
    expect(row.owner).toBeUndefined()
  })
  it('history rows carry the description and no values', () => {
    const row = revisionRow(record)
    expect(row).toEqual({
      revision: 3,
      status: 'failed',
      chart: 'journal-1.2.3',
      appVersion: '2.0',
      updated: '2026-11-24T10:00:00.123456789Z',
      description: 'Upgrade "journal" failed: boom',
    })
    expect(JSON.stringify(row)).not.toContain('hunter2')
  })
  it('knows which statuses are stuck', () => {
    expect(['failed', 'pending-install', 'pending-upgrade', 'pending-rollback', 'uninstalling'].every(isStuckStatus)).toBe(true)
    expect(['deployed', 'superseded', 'uninstalled'].some(isStuckStatus)).toBe(false)
  })
  it('sorts by name then namespace, like helm', () => {
    const rows = [
      {name: 'b', namespace: 'a'},
      {name: 'a', namespace: 'z'},
      {name: 'a', namespace: 'b'},
    ] as never[]
    expect(sortReleaseRows(rows).map((r: {name: string; namespace: string}) => `${r.name}/${r.namespace}`)).toEqual(['a/b', 'a/z', 'b/a'])
  })
})

describe('HelmRelease owners', () => {
  it('helm-operator: <namespace>-<name> by default, releaseName when set, target namespace prefixed', () => {
    expect(managedRelease('helm-operator', {metadata: {name: 'prometheus-operator', namespace: 'adm'}, spec: {}})).toEqual({
      namespace: 'adm',
      release: 'adm-prometheus-operator',
    })
    expect(managedRelease('helm-operator', {metadata: {name: 'reviewer', namespace: 'prod'}, spec: {releaseName: 'libero-reviewer--prod'}})).toEqual({
      namespace: 'prod',
      release: 'libero-reviewer--prod',
    })
    expect(managedRelease('helm-operator', {metadata: {name: 'x', namespace: 'flux'}, spec: {targetNamespace: 'stg'}})).toEqual({
      namespace: 'stg',
      release: 'flux-stg-x',
    })
  })
  it('Flux v2: name, or <targetNamespace>-<name>; records in storageNamespace', () => {
    expect(managedRelease('flux-v2', {metadata: {name: 'podinfo', namespace: 'flux'}, spec: {}})).toEqual({namespace: 'flux', release: 'podinfo'})
    expect(managedRelease('flux-v2', {metadata: {name: 'podinfo', namespace: 'flux'}, spec: {targetNamespace: 'stg'}})).toEqual({
      namespace: 'flux',
      release: 'stg-podinfo',
    })
    expect(managedRelease('flux-v2', {metadata: {name: 'podinfo', namespace: 'flux'}, spec: {releaseName: 'pi', storageNamespace: 'stg'}})).toEqual({
      namespace: 'stg',
      release: 'pi',
    })
  })
})

describe('helm binary', () => {
  it('parses `helm version --short`', () => {
    expect(parseHelmVersion('v3.20.2+g8fb76d6\n')).toEqual({version: 'v3.20.2+g8fb76d6', major: 3})
    expect(parseHelmVersion('Client: v2.17.0+ga690bad')).toEqual({version: 'v2.17.0+ga690bad', major: 2})
    expect(parseHelmVersion('nonsense')).toBeUndefined()
  })
  it("extracts helm's error line and recognises the pending lock", () => {
    const result = {stdout: '', stderr: 'WARNING: x\nError: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress\n', exitCode: 1}
    expect(helmErrorLine(result)).toBe('UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress')
    expect(isPendingLockError(result)).toBe(true)
    expect(isPendingLockError({stdout: '', stderr: 'Error: release has no 0 version', exitCode: 1})).toBe(false)
  })
  it('rejects names helm would reject', () => {
    expect(() => checkReleaseName('Bad Name')).toThrow(/not a valid helm release name/)
    expect(() => checkReleaseName('a'.repeat(54))).toThrow()
    expect(() => checkReleaseName('libero-reviewer--prod')).not.toThrow()
  })
})
