import {describe, expect, it} from 'vitest'

import {isSelected} from '../../src/lib/doctor/alerting.js'
import {type DoctorCheck, runChecks} from '../../src/lib/doctor/check.js'
import {selectChecks} from '../../src/lib/doctor/doctor.js'
import {helmReleaseProblem} from '../../src/lib/doctor/helm.js'
import {ClusterReader, ForbiddenError} from '../../src/lib/doctor/reader.js'
import {selectorMatches as matchesSelector} from '../../src/lib/rules/kube.js'
import {podProblem} from '../../src/lib/doctor/workloads.js'
import {durationFlag, parseGoDuration} from '../../src/lib/duration.js'
import {CliError} from '../../src/lib/errors.js'

const now = new Date('2026-11-28T10:00:00Z')
const options = {fluxNamespace: 'flux', monitoringNamespace: 'adm', alertmanagerSecret: 'am', stuckAfterMs: 600_000, systemNamespaces: ['kube-system'], now}

describe('runChecks', () => {
  const ctx = {reader: {} as ClusterReader, api: (() => ({})) as never}
  const check = (id: string, run: DoctorCheck['run']): DoctorCheck => ({id, title: id, run})

  it('runs every check; a hanging one times out alone, a forbidden one is skipped with its permission, a throwing one fails', async () => {
    const results = await runChecks(
      [
        check('fine', async () => ({status: 'ok', message: 'fine'})),
        check('hangs', () => new Promise(() => {})),
        check('forbidden', async () => {
          throw new ForbiddenError('list secrets in all namespaces')
        }),
        check('throws', async () => {
          throw new Error('boom\nsecond line')
        }),
      ],
      ctx,
      options,
      {timeoutMs: 200},
    )
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['fine', 'ok'],
      ['hangs', 'fail'],
      ['forbidden', 'skipped'],
      ['throws', 'fail'],
    ])
    expect(results[1].message).toMatch(/no answer within 200ms/)
    expect(results[2].message).toBe('not allowed to list secrets in all namespaces')
    expect(results[3].message).toBe('could not check: boom')
  })

  it('turns a typed client 403 into the permission RBAC names', async () => {
    const body = JSON.stringify({kind: 'Status', code: 403, message: 'daemonsets.apps "kube-proxy" is forbidden: User "viewer" cannot get resource "daemonsets" in API group "apps" in the namespace "kube-system"'})
    const [result] = await runChecks([check('typed', async () => Promise.reject(Object.assign(new Error('HTTP 403'), {code: 403, body})))], ctx, options, {timeoutMs: 1000})
    expect(result).toMatchObject({status: 'skipped', message: 'not allowed to get daemonsets.apps in namespace "kube-system"'})
  })
})

describe('selectChecks', () => {
  const all = ['a', 'b', 'c'].map((id) => ({id, title: id, run: async () => ({status: 'ok' as const, message: ''})}))
  it('keeps --only, drops --skip, refuses unknown ids', () => {
    expect(selectChecks(all, ['a', 'c'], ['c']).map((c) => c.id)).toEqual(['a'])
    expect(() => selectChecks(all, ['nope'], [])).toThrow(CliError)
    expect(() => selectChecks(all, [], ['nope'])).toThrow(/--skip names no check "nope"/)
  })
})

describe('label selectors (apimachinery rules)', () => {
  it('matches matchLabels and every expression operator', () => {
    expect(matchesSelector({}, {})).toBe(true)
    expect(matchesSelector({matchLabels: {app: 'x'}}, {app: 'x', b: '1'})).toBe(true)
    expect(matchesSelector({matchLabels: {app: 'x'}}, {app: 'y'})).toBe(false)
    expect(matchesSelector({matchExpressions: [{key: 'app', operator: 'In', values: ['a', 'b']}]}, {app: 'b'})).toBe(true)
    expect(matchesSelector({matchExpressions: [{key: 'app', operator: 'In', values: ['a']}]}, {})).toBe(false)
    expect(matchesSelector({matchExpressions: [{key: 'app', operator: 'NotIn', values: ['a']}]}, {})).toBe(true)
    expect(matchesSelector({matchExpressions: [{key: 'app', operator: 'Exists'}]}, {app: ''})).toBe(true)
    expect(matchesSelector({matchExpressions: [{key: 'app', operator: 'DoesNotExist'}]}, {app: ''})).toBe(false)
  })

  it('reads null and empty selectors as the Prometheus operator does', () => {
    const rule = {metadata: {namespace: 'prod', labels: {app: 'journal'}}}
    const labels = new Map([['prod', {team: 'x'}]])
    const by = (selector: object | null, namespaceSelector: object | null | undefined) => ({ref: 'Prometheus adm/p', namespace: 'adm', selector, namespaceSelector}) as never
    expect(isSelected(rule, by(null, {}), labels)).toBe(false) // null ruleSelector: nothing
    expect(isSelected(rule, by({}, {}), labels)).toBe(true) // empty: everything, in every namespace
    expect(isSelected(rule, by({}, undefined), labels)).toBe(false) // no namespace selector: own namespace only
    expect(isSelected(rule, by({matchExpressions: [{key: 'app', operator: 'In', values: ['journal']}]}, {matchLabels: {team: 'x'}}), labels)).toBe(true)
  })
})

describe('podProblem', () => {
  const pod = (status: Record<string, unknown>, created = '2026-11-28T09:00:00Z') => ({metadata: {name: 'p', namespace: 'prod', creationTimestamp: created}, status})
  it('reports crash loops and image pulls with the container, and Pending only past the threshold', () => {
    expect(podProblem(pod({phase: 'Running', containerStatuses: [{name: 'app', restartCount: 7, state: {waiting: {reason: 'CrashLoopBackOff'}}}]}), now, 600_000)?.reason).toBe('CrashLoopBackOff (container app, 7 restarts)')
    expect(podProblem(pod({phase: 'Pending', initContainerStatuses: [{name: 'init', state: {waiting: {reason: 'ImagePullBackOff'}}}]}), now, 600_000)?.reason).toMatch(/^ImagePullBackOff \(container init/)
    expect(podProblem(pod({phase: 'Pending'}), now, 600_000)?.reason).toBe('Pending for 60 min')
    expect(podProblem(pod({phase: 'Pending'}, '2026-11-28T09:55:00Z'), now, 600_000)).toBeUndefined()
    expect(podProblem(pod({phase: 'Running', containerStatuses: [{name: 'app', state: {running: {}}}]}), now, 600_000)).toBeUndefined()
  })
})

describe('helmReleaseProblem', () => {
  it('reads helm-operator phases and Released, and Flux v2 Ready', () => {
    expect(helmReleaseProblem('helm-operator', {status: {phase: 'Deployed', conditions: [{type: 'Released', status: 'True'}]}})).toBeUndefined()
    expect(helmReleaseProblem('helm-operator', {status: {phase: 'DeployFailed', conditions: [{type: 'Released', status: 'False', reason: 'HelmUpgradeFailed', message: 'upgrade failed: boom\nmore'}]}})).toBe('not released: HelmUpgradeFailed: upgrade failed: boom')
    expect(helmReleaseProblem('helm-operator', {status: {phase: 'ChartFetchFailed'}})).toBe('ChartFetchFailed')
    expect(helmReleaseProblem('flux-v2', {status: {conditions: [{type: 'Ready', status: 'True'}]}})).toBeUndefined()
    expect(helmReleaseProblem('flux-v2', {status: {conditions: [{type: 'Ready', status: 'False', reason: 'InstallFailed', message: 'x'}]}})).toBe('not Ready: InstallFailed: x')
    expect(helmReleaseProblem('flux-v2', {})).toMatch(/no Ready condition/)
  })
})

describe('parseGoDuration', () => {
  it('takes Go duration syntax as kubectl does', () => {
    expect(parseGoDuration('500ms')).toBe(500)
    expect(parseGoDuration('90s')).toBe(90_000)
    expect(parseGoDuration('1h30m')).toBe(5_400_000)
    expect(parseGoDuration('1.5h')).toBe(5_400_000)
    expect(parseGoDuration('0')).toBe(0)
    for (const bad of ['', '10', 'm', '1x', '1h 30m', '-1s']) expect(parseGoDuration(bad)).toBeUndefined()
  })

  it('is the one grammar of every duration flag: errors name the flag, never the value', () => {
    expect(durationFlag('1h30m', '--since')).toBe(5_400_000)
    expect(durationFlag('2', '--request-timeout', {bareSeconds: true})).toBe(2000)
    expect(() => durationFlag('2', '--since')).toThrow('--since is not a duration')
    expect(() => durationFlag('0', '--duration')).toThrow('--duration must be more than 0')
    expect(durationFlag('0', '--pending-timeout', {allowZero: true})).toBe(0)
    try {
      durationFlag('https://hooks.example/SECRET', '--duration')
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('SECRET')
    }
  })
})

describe('lint rules on live objects', async () => {
  const {findingLine, liveDocuments, liveFlaggerRules, runLiveRules} = await import('../../src/lib/doctor/rules.js')
  it('runs lint\'s Flagger rules on objects read from the API (items without apiVersion/kind)', () => {
    const canary = {metadata: {name: 'reviewer', namespace: 'prod'}, spec: {targetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviewer'}, analysis: {interval: '30s', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: [{name: 'request-success-rate', interval: '30s', thresholdRange: {min: 99}}]}}}
    const findings = runLiveRules(liveDocuments([canary], 'flagger.app/v1beta1', 'Canary', 'elife-local'), liveFlaggerRules)
    expect(findings.map((f) => f.rule)).toEqual(['flagger-metric-interval'])
    expect(findings[0].cluster).toBe('elife-local')
    expect(findingLine(findings[0])).toMatch(/^Canary prod\/reviewer: /)
  })
})

describe('deploymentProblem', async () => {
  const {deploymentProblem} = await import('../../src/lib/doctor/workloads.js')
  const deployment = (status: Record<string, unknown>, created = '2026-11-28T09:00:00Z') => ({metadata: {creationTimestamp: created}, spec: {replicas: 2}, status})
  it('reports a stuck rollout, not one in progress', () => {
    expect(deploymentProblem(deployment({availableReplicas: 2}), now, 600_000)).toBeUndefined()
    expect(deploymentProblem(deployment({availableReplicas: 1, conditions: [{type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded'}]}), now, 600_000)).toBe('1/2, rollout stuck (ProgressDeadlineExceeded)')
    expect(deploymentProblem(deployment({availableReplicas: 0, conditions: [{type: 'Available', status: 'False', lastTransitionTime: '2026-11-28T09:55:00Z'}]}), now, 600_000)).toBeUndefined()
    expect(deploymentProblem(deployment({availableReplicas: 0, conditions: [{type: 'Available', status: 'False', lastTransitionTime: '2026-11-28T09:30:00Z'}]}), now, 600_000)).toBe('0/2 for 30 min')
    expect(deploymentProblem({spec: {replicas: 0}, status: {}}, now, 600_000)).toBeUndefined()
  })
})
