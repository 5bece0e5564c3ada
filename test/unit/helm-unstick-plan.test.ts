import {describe, expect, it} from 'vitest'

import type {RevisionRow} from '../../src/lib/helm/release.js'
import {diagnose, humanDuration, lastDeployedRevision, planUnstick} from '../../src/lib/helm/unstick-plan.js'

const now = new Date('2026-11-24T12:00:00Z')
const rev = (revision: number, status: string, updated = '2026-11-24T10:00:00Z', description = ''): RevisionRow => ({
  revision,
  status,
  chart: `app-0.${revision}.0`,
  appVersion: '1',
  updated,
  description,
})
const plan = (revisions: RevisionRow[], options: Partial<Parameters<typeof planUnstick>[2]> = {}) =>
  planUnstick(diagnose('app', 'stg', revisions, now), revisions, {pendingTimeoutMs: 5 * 60_000, ...options})
const owner = {controller: 'helm-operator' as const, apiVersion: 'helm.fluxcd.io/v1', kind: 'HelmRelease' as const, namespace: 'stg', name: 'app'}

describe('diagnose', () => {
  it('a deployed release is not stuck', () => {
    const d = diagnose('app', 'stg', [rev(1, 'superseded'), rev(2, 'deployed')], now)
    expect(d.kind).toBeUndefined()
    expect(plan([rev(1, 'superseded'), rev(2, 'deployed')]).nothing).toMatch(/nothing to unstick/)
  })
  it('a failed upgrade, with the reason helm recorded', () => {
    const d = diagnose('app', 'stg', [rev(1, 'deployed'), rev(2, 'failed', undefined, 'Upgrade "app" failed: invalid')], now)
    expect(d).toMatchObject({kind: 'failed', lastDeployed: {revision: 1}})
    expect(d.reason).toContain('Upgrade "app" failed: invalid')
  })
  it('a pending-upgrade left behind, with how long', () => {
    const d = diagnose('app', 'stg', [rev(1, 'deployed'), rev(2, 'pending-upgrade', '2026-11-24T11:00:00Z')], now)
    expect(d).toMatchObject({kind: 'pending-upgrade', pendingForMs: 3_600_000})
    expect(d.reason).toContain('60m')
  })
  it('the last deployed revision is the newest deployed, else the newest superseded', () => {
    expect(lastDeployedRevision([rev(1, 'superseded'), rev(2, 'superseded'), rev(3, 'failed')])?.revision).toBe(2)
    expect(lastDeployedRevision([rev(1, 'superseded'), rev(2, 'deployed'), rev(3, 'superseded')])?.revision).toBe(2)
    expect(lastDeployedRevision([rev(1, 'failed')])).toBeUndefined()
  })
})

describe('planUnstick', () => {
  it('failed: roll back to the last deployed revision, then nudge the owner', () => {
    const p = plan([rev(1, 'superseded'), rev(2, 'deployed'), rev(3, 'failed')], {owner})
    expect(p.steps.map((s) => s.action)).toEqual(['rollback', 'nudge'])
    expect(p.steps[0]).toMatchObject({action: 'rollback', toRevision: 2, unlockIfRefused: undefined})
  })
  it('pending-upgrade: roll back, unlocking only if helm refuses', () => {
    const p = plan([rev(1, 'deployed'), rev(2, 'pending-upgrade')])
    expect(p.steps).toEqual([expect.objectContaining({action: 'rollback', toRevision: 1, unlockIfRefused: 2})])
  })
  it('pending younger than --pending-timeout: refuse, helm may still be running', () => {
    const p = plan([rev(1, 'deployed'), rev(2, 'pending-upgrade', '2026-11-24T11:58:00Z')])
    expect(p.steps).toEqual([])
    expect(p.refusal).toMatchObject({kind: 'conflict'})
    expect(p.refusal?.hint).toContain('--pending-timeout 120s')
    expect(plan([rev(1, 'deployed'), rev(2, 'pending-upgrade', '2026-11-24T11:58:00Z')], {pendingTimeoutMs: 0}).steps[0]?.action).toBe('rollback')
  })
  it('never deployed: refuse without --uninstall', () => {
    const p = plan([rev(1, 'failed')])
    expect(p.refusal?.message).toBe('release "app" in stg has no deployed revision to roll back to')
    expect(p.refusal?.hint).toContain('--uninstall')
  })
  it('never deployed with --uninstall: uninstall (unlocking a pending-install only if helm refuses)', () => {
    expect(plan([rev(1, 'failed')], {uninstall: true}).steps).toEqual([expect.objectContaining({action: 'uninstall', unlockIfRefused: undefined})])
    expect(plan([rev(1, 'pending-install')], {uninstall: true}).steps).toEqual([expect.objectContaining({action: 'uninstall', unlockIfRefused: 1})])
  })
  it('--to-revision: must exist, not be the stuck one, and have been deployed', () => {
    const history = [rev(1, 'superseded'), rev(2, 'failed'), rev(3, 'deployed'), rev(4, 'failed')]
    expect(plan(history, {toRevision: 1}).steps[0]).toMatchObject({toRevision: 1})
    expect(plan(history, {toRevision: 9}).refusal).toMatchObject({kind: 'usage', message: 'release "app" in stg has no revision 9'})
    expect(plan(history, {toRevision: 4}).refusal?.message).toContain('the stuck revision itself')
    expect(plan(history, {toRevision: 2}).refusal?.message).toContain('is failed, never deployed')
  })
  it('uninstalling needs --uninstall to finish', () => {
    expect(plan([rev(1, 'deployed'), rev(2, 'uninstalling')]).refusal?.hint).toContain('--uninstall')
    expect(plan([rev(1, 'uninstalling')], {uninstall: true}).steps.map((s) => s.action)).toEqual(['uninstall'])
  })
})

describe('durations', () => {
  it('prints', () => {
    expect(humanDuration(3_600_000)).toBe('60m')
    expect(humanDuration(3 * 86_400_000)).toBe('3d')
  })
})
