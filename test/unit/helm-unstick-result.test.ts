import {describe, expect, it} from 'vitest'

import type {OwnerRef} from '../../src/lib/helm/owner-names.js'
import type {RecordLabels, ReleaseRecord} from '../../src/lib/helm/release.js'
import type {ReleaseHistory} from '../../src/lib/helm/store.js'
import {prepareUnstick, type UnstickClients} from '../../src/lib/helm/unstick.js'

const password = 'test-password-Zq81kd'
const revision = (version: number, status: string): {labels: RecordLabels; record: ReleaseRecord} => ({
  labels: {release: 'journal', namespace: 'stg', revision: version, status, objectName: `sh.helm.release.v1.journal.v${version}`, driver: 'secret'},
  record: {
    name: 'journal',
    namespace: 'stg',
    version,
    info: {status, last_deployed: '2026-11-24T10:00:00Z'},
    chart: {metadata: {name: 'app', version: '0.1.0'}},
    config: {database: {password}},
  },
})
const history: ReleaseHistory = {
  release: 'journal',
  namespace: 'stg',
  driver: 'secret',
  revisions: [revision(1, 'deployed'), revision(2, 'failed')],
  corrupt: [],
}
// What a list of HelmReleases hands back: the whole object, values and kubectl's annotation included.
const hrObject = {
  apiVersion: 'helm.fluxcd.io/v1',
  kind: 'HelmRelease',
  metadata: {
    name: 'journal',
    namespace: 'stg',
    annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({spec: {values: {database: {password}}}})},
  },
  spec: {releaseName: 'journal', values: {database: {password}}},
}
const owner = {
  controller: 'helm-operator',
  apiVersion: 'helm.fluxcd.io/v1',
  kind: 'HelmRelease',
  namespace: 'stg',
  name: 'journal',
  object: hrObject,
} as OwnerRef
// Never called: history and owners are given.
const clients = {} as UnstickClients

describe('helm unstick plan as --json shows it', () => {
  it('names the owner and the steps, never the HelmRelease values or annotations', async () => {
    const prepared = await prepareUnstick(
      clients,
      {release: 'journal', namespace: 'stg', history},
      {pendingTimeoutMs: 0, owners: new Map([['stg/journal', owner]])},
    )
    const json = JSON.stringify({plan: prepared.plan, owner: prepared.owner})
    expect(json).not.toContain(password)
    expect(json).not.toContain('last-applied')
    expect(prepared.plan.steps.map((s) => s.action)).toEqual(['rollback', 'nudge'])
    expect(prepared.plan.steps[1]).toEqual({
      action: 'nudge',
      owner: {controller: 'helm-operator', apiVersion: 'helm.fluxcd.io/v1', kind: 'HelmRelease', namespace: 'stg', name: 'journal'},
      text: 'ask helm-operator to reconcile HelmRelease stg/journal',
    })
  })
})
