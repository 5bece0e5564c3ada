import {KubeConfig} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {isSelected} from '../../src/lib/doctor/alerting.js'
import {type DoctorCheck, runChecks} from '../../src/lib/doctor/check.js'
import {selectChecks} from '../../src/lib/doctor/doctor.js'
import {compareAddonVersions, eksTarget, supportVerdict, upgradeVerdict} from '../../src/lib/doctor/eks.js'
import {formatAge, kustomizationSyncTime, lastSuccessfulApply, staleAfterMs} from '../../src/lib/doctor/flux-time.js'
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
    const body = JSON.stringify({
      kind: 'Status',
      code: 403,
      message: 'daemonsets.apps "kube-proxy" is forbidden: User "viewer" cannot get resource "daemonsets" in API group "apps" in the namespace "kube-system"',
    })
    const [result] = await runChecks([check('typed', async () => Promise.reject(Object.assign(new Error('HTTP 403'), {code: 403, body})))], ctx, options, {
      timeoutMs: 1000,
    })
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
    const by = (selector: object | null, namespaceSelector: object | null | undefined) =>
      ({ref: 'Prometheus adm/p', namespace: 'adm', selector, namespaceSelector}) as never
    expect(isSelected(rule, by(null, {}), labels)).toBe(false) // null ruleSelector: nothing
    expect(isSelected(rule, by({}, {}), labels)).toBe(true) // empty: everything, in every namespace
    expect(isSelected(rule, by({}, undefined), labels)).toBe(false) // no namespace selector: own namespace only
    expect(isSelected(rule, by({matchExpressions: [{key: 'app', operator: 'In', values: ['journal']}]}, {matchLabels: {team: 'x'}}), labels)).toBe(true)
  })
})

describe('podProblem', () => {
  const pod = (status: Record<string, unknown>, created = '2026-11-28T09:00:00Z') => ({
    metadata: {name: 'p', namespace: 'prod', creationTimestamp: created},
    status,
  })
  it('reports crash loops and image pulls with the container, and Pending only past the threshold', () => {
    expect(
      podProblem(pod({phase: 'Running', containerStatuses: [{name: 'app', restartCount: 7, state: {waiting: {reason: 'CrashLoopBackOff'}}}]}), now, 600_000)
        ?.reason,
    ).toBe('CrashLoopBackOff (container app, 7 restarts)')
    expect(
      podProblem(pod({phase: 'Pending', initContainerStatuses: [{name: 'init', state: {waiting: {reason: 'ImagePullBackOff'}}}]}), now, 600_000)?.reason,
    ).toMatch(/^ImagePullBackOff \(container init/)
    expect(podProblem(pod({phase: 'Pending'}), now, 600_000)?.reason).toBe('Pending for 60 min')
    expect(podProblem(pod({phase: 'Pending'}, '2026-11-28T09:55:00Z'), now, 600_000)).toBeUndefined()
    expect(podProblem(pod({phase: 'Running', containerStatuses: [{name: 'app', state: {running: {}}}]}), now, 600_000)).toBeUndefined()
  })
})

describe('helmReleaseProblem', () => {
  it('reads helm-operator phases and Released, and Flux v2 Ready', () => {
    expect(helmReleaseProblem('helm-operator', {status: {phase: 'Deployed', conditions: [{type: 'Released', status: 'True'}]}})).toBeUndefined()
    expect(
      helmReleaseProblem('helm-operator', {
        status: {phase: 'DeployFailed', conditions: [{type: 'Released', status: 'False', reason: 'HelmUpgradeFailed', message: 'upgrade failed: boom\nmore'}]},
      }),
    ).toBe('not released: HelmUpgradeFailed: upgrade failed: boom')
    expect(helmReleaseProblem('helm-operator', {status: {phase: 'ChartFetchFailed'}})).toBe('ChartFetchFailed')
    expect(helmReleaseProblem('flux-v2', {status: {conditions: [{type: 'Ready', status: 'True'}]}})).toBeUndefined()
    expect(helmReleaseProblem('flux-v2', {status: {conditions: [{type: 'Ready', status: 'False', reason: 'InstallFailed', message: 'x'}]}})).toBe(
      'not Ready: InstallFailed: x',
    )
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
  it("runs lint's Flagger rules on objects read from the API (items without apiVersion/kind)", () => {
    const canary = {
      metadata: {name: 'reviewer', namespace: 'prod'},
      spec: {
        targetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviewer'},
        analysis: {
          interval: '30s',
          threshold: 5,
          maxWeight: 50,
          stepWeight: 10,
          metrics: [{name: 'request-success-rate', interval: '30s', thresholdRange: {min: 99}}],
        },
      },
    }
    const findings = runLiveRules(liveDocuments([canary], 'flagger.app/v1beta1', 'Canary', 'elife-local'), liveFlaggerRules)
    expect(findings.map((f) => f.rule)).toEqual(['flagger-metric-interval'])
    expect(findings[0].cluster).toBe('elife-local')
    expect(findingLine(findings[0])).toMatch(/^Canary prod\/reviewer: /)
  })
})

describe('deploymentProblem', async () => {
  const {deploymentProblem} = await import('../../src/lib/doctor/workloads.js')
  const deployment = (status: Record<string, unknown>, created = '2026-11-28T09:00:00Z') => ({
    metadata: {creationTimestamp: created},
    spec: {replicas: 2},
    status,
  })
  it('reports a stuck rollout, not one in progress', () => {
    expect(deploymentProblem(deployment({availableReplicas: 2}), now, 600_000)).toBeUndefined()
    expect(
      deploymentProblem(
        deployment({availableReplicas: 1, conditions: [{type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded'}]}),
        now,
        600_000,
      ),
    ).toBe('1/2, rollout stuck (ProgressDeadlineExceeded)')
    expect(
      deploymentProblem(
        deployment({availableReplicas: 0, conditions: [{type: 'Available', status: 'False', lastTransitionTime: '2026-11-28T09:55:00Z'}]}),
        now,
        600_000,
      ),
    ).toBeUndefined()
    expect(
      deploymentProblem(
        deployment({availableReplicas: 0, conditions: [{type: 'Available', status: 'False', lastTransitionTime: '2026-11-28T09:30:00Z'}]}),
        now,
        600_000,
      ),
    ).toBe('0/2 for 30 min')
    expect(deploymentProblem({spec: {replicas: 0}, status: {}}, now, 600_000)).toBeUndefined()
  })
})

describe('EKS target from the kubeconfig', () => {
  const arn = 'arn:aws:eks:eu-west-2:512686554592:cluster/kubernetes-aws--flux-prod'
  const kubeconfig = (exec: Record<string, unknown> | undefined, clusterName = arn): KubeConfig => {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{name: clusterName, server: 'https://example.eks.amazonaws.com'}],
      users: [{name: 'u', ...(exec ? {exec} : {token: 'x'})}],
      contexts: [{name: 'c', cluster: clusterName, user: 'u'}],
      currentContext: 'c',
    })
    return kc
  }

  it('reads the cluster, region and role elife-k8s kubeconfig writes (token --cluster X --region R --role-arn A)', () => {
    const kc = kubeconfig(
      {
        command: 'elife-k8s',
        args: ['token', '--cluster', 'elife-prod', '--region', 'us-east-1', '--role-arn', 'arn:aws:iam::123456789012:role/admin'],
        env: [{name: 'AWS_PROFILE', value: 'elife'}],
      },
      'arn:aws:eks:us-east-1:123456789012:cluster/elife-prod',
    )
    expect(eksTarget(kc, {}, {})).toEqual({
      cluster: 'elife-prod',
      region: 'us-east-1',
      profile: 'elife',
      roleArn: 'arn:aws:iam::123456789012:role/admin',
      source: "the kubeconfig's exec credential plugin",
    })
  })

  it("reads aws eks update-kubeconfig's exec args (--region R eks get-token --cluster-name X) and aws-iam-authenticator's (-i X)", () => {
    expect(
      eksTarget(
        kubeconfig({command: 'aws', args: ['--region', 'eu-west-2', 'eks', 'get-token', '--cluster-name', 'kubernetes-aws--flux-prod', '--output', 'json']}),
        {},
        {AWS_REGION: 'us-east-1'},
      ),
    ).toMatchObject({cluster: 'kubernetes-aws--flux-prod', region: 'eu-west-2'})
    expect(
      eksTarget(
        kubeconfig({command: '/usr/local/bin/aws-iam-authenticator', args: ['token', '-i', 'old-cluster']}, 'old-cluster'),
        {},
        {AWS_DEFAULT_REGION: 'us-west-2'},
      ),
    ).toMatchObject({cluster: 'old-cluster', region: 'us-west-2'})
    expect(eksTarget(kubeconfig({command: 'aws', args: ['eks', 'get-token', '--cluster-name=x']}, 'x'), {}, {})).toMatchObject({
      cluster: 'x',
      region: undefined,
    })
  })

  it("falls back to the cluster entry's EKS ARN, and --eks-cluster/--region win over everything", () => {
    expect(eksTarget(kubeconfig(undefined), {}, {AWS_REGION: 'us-east-1'})).toMatchObject({
      cluster: 'kubernetes-aws--flux-prod',
      region: 'eu-west-2',
      source: "the kubeconfig's cluster ARN",
    })
    expect(eksTarget(kubeconfig(undefined), {cluster: 'other', region: 'ap-south-1'}, {})).toEqual({
      cluster: 'other',
      region: 'ap-south-1',
      profile: undefined,
      roleArn: undefined,
      source: '--eks-cluster',
    })
    // another cluster than the kubeconfig's: its role and region are not borrowed
    expect(
      eksTarget(
        kubeconfig({command: 'elife-k8s', args: ['token', '--cluster', 'a', '--region', 'us-east-1', '--role-arn', 'arn:aws:iam::123456789012:role/r']}, 'a'),
        {cluster: 'b'},
        {AWS_REGION: 'eu-west-1'},
      ),
    ).toMatchObject({cluster: 'b', region: 'eu-west-1', roleArn: undefined})
  })

  it('names no cluster for a kubeconfig without EKS exec args or ARN (client certificates, a token)', () => {
    expect(eksTarget(kubeconfig(undefined, 'elife-local'), {}, {AWS_REGION: 'us-east-1'})).toBeUndefined()
    expect(eksTarget(kubeconfig({command: 'kubelogin', args: ['get-token', '--server-id', 'x']}, 'aks'), {}, {})).toBeUndefined()
  })
})

describe('EKS support status and add-on versions', () => {
  const day = 86_400_000
  const at = (days: number) => new Date(now.getTime() + days * day)

  it('says only what DescribeClusterVersions says: standard, near its end, extended, unsupported, unknown', () => {
    expect(supportVerdict('1.35', {clusterVersion: '1.35', versionStatus: 'STANDARD_SUPPORT', endOfStandardSupportDate: at(400)}, 'EXTENDED', now)).toEqual({
      status: 'ok',
      text: `Kubernetes 1.35 is in standard support until ${at(400).toISOString().slice(0, 10)}`,
    })
    const near = supportVerdict('1.33', {clusterVersion: '1.33', versionStatus: 'STANDARD_SUPPORT', endOfStandardSupportDate: at(30)}, 'STANDARD', now)
    expect(near).toEqual({
      status: 'warn',
      text: `standard support for Kubernetes 1.33 ends ${at(30).toISOString().slice(0, 10)} (in 30 days); then EKS upgrades the control plane itself (upgradePolicy STANDARD)`,
    })
    expect(
      supportVerdict(
        '1.30',
        {clusterVersion: '1.30', versionStatus: 'EXTENDED_SUPPORT', endOfStandardSupportDate: at(-100), endOfExtendedSupportDate: at(265)},
        'EXTENDED',
        now,
      ),
    ).toEqual({
      status: 'warn',
      text: `Kubernetes 1.30 is in extended support (billed extra) since ${at(-100).toISOString().slice(0, 10)}, until ${at(265).toISOString().slice(0, 10)}`,
    })
    expect(supportVerdict('1.24', {clusterVersion: '1.24', status: 'unsupported'}, undefined, now).status).toBe('fail')
    expect(supportVerdict('1.35', undefined, undefined, now)).toEqual({
      status: 'ok',
      text: 'DescribeClusterVersions does not list 1.35: its support status is unknown',
    })
    // no dates of our own: a STANDARD_SUPPORT version without an end date is simply in standard support
    expect(supportVerdict('1.35', {clusterVersion: '1.35', versionStatus: 'STANDARD_SUPPORT'}, undefined, now)).toEqual({
      status: 'ok',
      text: 'Kubernetes 1.35 is in standard support',
    })
  })

  it('orders EKS add-on versions by version, then eksbuild', () => {
    expect(compareAddonVersions('v1.34.1-eksbuild.2', 'v1.35.3-eksbuild.2')).toBeLessThan(0)
    expect(compareAddonVersions('v1.12.3-eksbuild.1', 'v1.12.3-eksbuild.1')).toBe(0)
    expect(compareAddonVersions('v1.20.4-eksbuild.10', 'v1.20.4-eksbuild.9')).toBeGreaterThan(0)
    expect(compareAddonVersions('latest', 'v1.20.4-eksbuild.9')).toBeUndefined()
  })
})

describe('add-on upgrade readiness (upgradeVerdict)', () => {
  const current = {version: '1.35', listed: ['v1.35.3-eksbuild.2', 'v1.35.1-eksbuild.1', 'v1.34.1-eksbuild.2']}
  it('a running version EKS lists for the target is ready', () => {
    expect(upgradeVerdict('kube-proxy', 'v1.35.3-eksbuild.2', current, {version: '1.36', listed: ['v1.36.1-eksbuild.1', 'v1.35.3-eksbuild.2']})).toEqual({
      line: 'kube-proxy v1.35.3-eksbuild.2 is among the versions EKS lists for Kubernetes 1.36',
      verdict: 'listed',
    })
  })
  it("not listed: moves first to the target's default when both minors list it, else to the newest both list", () => {
    const target = {version: '1.36', listed: ['v1.36.1-eksbuild.1', 'v1.35.1-eksbuild.1', 'v1.35.3-eksbuild.2'], default: 'v1.36.1-eksbuild.1'}
    expect(upgradeVerdict('kube-proxy', 'v1.34.1-eksbuild.2', current, target)).toMatchObject({verdict: 'incompatible', moveTo: 'v1.35.3-eksbuild.2'})
    expect(upgradeVerdict('kube-proxy', 'v1.34.1-eksbuild.2', current, {...target, default: 'v1.35.1-eksbuild.1'})).toMatchObject({
      moveTo: 'v1.35.1-eksbuild.1',
    })
  })
  it("none listed for both minors: right after the control plane, to the target's default; nothing listed for the target: not compared", () => {
    expect(
      upgradeVerdict('kube-proxy', 'v1.34.1-eksbuild.2', current, {version: '1.36', listed: ['v1.36.1-eksbuild.1'], default: 'v1.36.1-eksbuild.1'}),
    ).toMatchObject({
      verdict: 'incompatible',
      moveTo: 'v1.36.1-eksbuild.1',
      after: true,
    })
    expect(upgradeVerdict('coredns', 'v1.12.3-eksbuild.1', current, {version: '1.37', listed: []})).toEqual({
      line: 'coredns: DescribeAddonVersions lists no version for Kubernetes 1.37: not compared',
      verdict: 'unlisted',
    })
  })
})

describe('Flux v2 last apply times', () => {
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString()
  const kustomization = (history: Array<[string, number]> | undefined, interval = '10m') => ({
    metadata: {namespace: 'flux-system', name: 'apps'},
    spec: {interval},
    status: {
      lastAppliedRevision: 'main@sha1:abc',
      conditions: [{type: 'Ready', status: 'True', lastTransitionTime: at(5000)}],
      ...(history ? {history: history.map(([status, m]) => ({lastReconciledStatus: status, lastReconciled: at(m)}))} : {}),
    },
  })

  it("takes the newest successful snapshot of status.history, never Ready's lastTransitionTime", () => {
    expect(
      lastSuccessfulApply(
        kustomization([
          ['ReconciliationFailed', 1],
          ['ReconciliationSucceeded', 20],
          ['ReconciliationSucceeded', 90],
        ]),
      )?.toISOString(),
    ).toBe(at(20))
    expect(lastSuccessfulApply(kustomization([['HealthCheckFailed', 1]]))).toBeUndefined()
    expect(lastSuccessfulApply(kustomization(undefined))).toBeUndefined()
  })

  it('stale after --sync-stale-after, else 3 × spec.interval, at least 30m', () => {
    expect(staleAfterMs(kustomization([], '10m'), undefined)).toEqual({ms: 30 * 60_000, why: '3 × its interval 10m'})
    expect(staleAfterMs(kustomization([], '1m'), undefined)).toEqual({ms: 30 * 60_000, why: '30m'})
    expect(staleAfterMs(kustomization([], '1h'), undefined)).toEqual({ms: 3 * 3_600_000, why: '3 × its interval 1h'})
    expect(staleAfterMs(kustomization([], '1h'), 5 * 60_000)).toEqual({ms: 5 * 60_000, why: '--sync-stale-after 5m'})
    expect(kustomizationSyncTime(kustomization([['ReconciliationSucceeded', 31]]), now, undefined).stale).toEqual({
      ageMs: 31 * 60_000,
      limit: '3 × its interval 10m',
    })
    expect(kustomizationSyncTime(kustomization([['ReconciliationSucceeded', 29]]), now, undefined).stale).toBeUndefined()
    expect(kustomizationSyncTime(kustomization(undefined), now, undefined)).toEqual({
      ref: 'Kustomization flux-system/apps',
      line: `Kustomization flux-system/apps: applied main@sha1:abc, no apply time recorded (no status.history); Ready condition last changed ${at(5000)}`,
    })
    expect([formatAge(125_000), formatAge(7_260_000), formatAge(42_000)]).toEqual(['2m', '2h1m', '42s'])
  })
})
