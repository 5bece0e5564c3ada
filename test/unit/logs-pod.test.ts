import type {V1Pod} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {chooseContainer, choosePod, labelSelector, parseSince} from '../../src/lib/logs/logs.js'

const pod = (name: string, created: number, phase: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: {name, uid: name, creationTimestamp: new Date(created * 1000), ...extra},
  spec: {containers: [{name: 'sidecar'}, {name: 'flux-helm-operator'}]},
  status: {phase},
})

describe('logs pod choice', () => {
  it('prefers a running pod, the newest, and skips terminating or excluded ones', () => {
    const old = pod('helm-operator-a', 1, 'Running')
    const newer = pod('helm-operator-b', 2, 'Running')
    const starting = pod('helm-operator-c', 3, 'Pending')
    const leaving = pod('helm-operator-d', 4, 'Running', {deletionTimestamp: new Date()})
    expect(choosePod([old, newer, starting, leaving])?.metadata?.name).toBe('helm-operator-b')
    expect(choosePod([old, newer], 'helm-operator-b')?.metadata?.name).toBe('helm-operator-a')
    expect(choosePod([starting])?.metadata?.name).toBe('helm-operator-c')
    expect(choosePod([leaving])).toBeUndefined()
  })

  it("picks the component's container by name, not the first", () => {
    expect(chooseContainer(pod('p', 1, 'Running'), 'helm-operator')).toBe('flux-helm-operator')
    expect(chooseContainer(pod('p', 1, 'Running'), 'flux')).toBe('sidecar')
    expect(() => chooseContainer(pod('p', 1, 'Running'), 'flux', 'nope')).toThrow(/has no container "nope" \(it has sidecar, flux-helm-operator\)/)
  })

  it('selects by the chart labels', () => {
    expect(labelSelector('helm-operator')).toBe('app=helm-operator')
    expect(labelSelector('flux', 'flux-test')).toBe('app=flux,release=flux-test')
  })

  it('reads --since like kubectl', () => {
    expect(parseSince('30s')).toBe(30)
    expect(parseSince('10m')).toBe(600)
    expect(parseSince('1h30m')).toBe(5400)
    for (const bad of ['', '10', 'yesterday', '0s', '-5m', '1d']) expect(() => parseSince(bad)).toThrow(/--since/)
    // Go duration syntax, as kubectl logs --since: fractions and smaller units round up to seconds.
    expect(parseSince('1.5h')).toBe(5400)
    expect(parseSince('500ms')).toBe(1)
  })
})
