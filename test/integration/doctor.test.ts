// `elife-k8s doctor` against the real local cluster: each check is shown failing in a broken state
// made for real (real helm, real CRDs at pinned upstream versions, kwok playing a crash-looping
// container, a Node whose kubelet stopped reporting) and passing once it is fixed. Checks look at
// the whole cluster, so each test asserts on the objects it made, by name.
import {createServer, type Server} from 'node:http'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {AppsV1Api} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {decodeRelease, encodeRelease, recordName} from '../../src/lib/helm/release.js'
import {clusterClients} from '../helpers/cluster.js'
import {writeKubeconfig} from '../helpers/kubeconfig.js'
import {saveKubeProxy} from '../helpers/kube-proxy.js'
import {upstreamCrdFiles} from '../helpers/upstream.js'
import {waitFor} from '../helpers/wait.js'
import {type CheckJson, type DoctorJson} from '../helpers/doctor.js'
import {type ForwardingNode, fluxdLogLine, startFluxd, startForwardingNode, type FluxdServer} from '../setup/fluxd-server.js'
import {
  cli as helmCli,
  createNamespace,
  deleteNamespace,
  helm,
  helmStatus,
  installHelmReleaseCrds,
  kubeconfig,
  kubectl,
  prepareCharts,
  viewerKubeconfig,
} from './helm-support.js'

const {kc, core, custom} = clusterClients()
let ns: string
let chart: string

/** The built CLI against the test cluster. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => helmCli(args, {KUBECONFIG: kubeconfig, ...env})

async function doctor(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{json: DoctorJson; exitCode: number; stderr: string; check: (id: string) => CheckJson}> {
  const result = await cli(['doctor', '--json', ...args], env)
  expect(result.stderr, result.stderr).toBe('')
  const json = JSON.parse(result.stdout) as DoctorJson
  return {json, exitCode: result.exitCode, stderr: result.stderr, check: (id) => json.checks.find((c) => c.id === id)!}
}

beforeAll(async () => {
  await installHelmReleaseCrds()
  const crds = await upstreamCrdFiles()
  for (const file of [crds.flagger, ...crds.prometheus]) {
    const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', file])
    expect(applied.exitCode, applied.stderr).toBe(0)
  }
  for (const crd of [
    'canaries.flagger.app',
    'prometheuses.monitoring.coreos.com',
    'prometheusrules.monitoring.coreos.com',
    'servicemonitors.monitoring.coreos.com',
  ]) {
    expect((await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=60s'])).exitCode).toBe(0)
  }
  chart = await prepareCharts()
  ns = await createNamespace('doctor')
})

afterAll(async () => {
  await deleteNamespace(ns)
  // The CRDs are cluster-wide: left installed, they change what other files' charts render (the
  // flux chart adds a ServiceMonitor in adm once monitoring.coreos.com/v1 is served).
  const crds = await upstreamCrdFiles()
  for (const file of [crds.flagger, ...crds.prometheus]) await kubectl(['delete', '--ignore-not-found', '--wait=true', '-f', file])
})

describe('doctor', () => {
  it('runs every check on the cluster as it is, one line each on stdout, the summary on stderr', async () => {
    const text = await cli(['doctor'])
    expect([0, 6]).toContain(text.exitCode)
    const lines = text.stdout
      .trim()
      .split('\n')
      .filter((l) => /^[✔⚠✗◎] /.test(l))
    expect(lines.map((l) => l.split(/\s+/)[1])).toEqual([
      'access',
      'eks',
      'nodes',
      'system-pods',
      'flux-controllers',
      'flux-sync',
      'flux-deploy-key',
      'helm-operator-crds',
      'helm-releases',
      'helmreleases',
      'kube-proxy',
      'pod-security',
      'alertmanager-config',
      'prometheus-rules',
      'service-monitors',
      'dashboards',
      'canaries',
      'canary-rules',
      'deployments',
      'pods',
      'deprecated-apis',
      'eks-addons',
    ])
    expect(text.stdout).toMatch(/^✔ access\s+context "elife-local", API server https:\/\/127\.0\.0\.1:\d+ runs Kubernetes v1\.\d+\.\d+/m)
    expect(text.stderr).toMatch(/\d+ ok, \d+ warn, \d+ fail, \d+ skipped/)
    const json = await doctor([])
    expect(json.exitCode).toBe(json.json.summary.fail > 0 ? 6 : 0)
    // What the seeded cluster holds by design (scripts/cluster/seed.mjs, fixtures): a failed and a
    // pending-upgrade release, kube-proxy at its EKS default, a valid Alertmanager secret.
    expect(json.check('helm-releases').objects).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^prod\/annotations failed \(revision \d+, HelmRelease prod\/annotations\)$/),
        expect.stringMatching(/^stg\/observer pending-upgrade /),
      ]),
    )
    expect(json.check('kube-proxy').status).toBe('fail')
    expect(json.check('alertmanager-config').status).toBe('ok')
    expect(json.check('access').status).toBe('ok')
    // no EKS cluster named by the local kubeconfig (client certificates): the AWS side is skipped, not failed
    expect(json.check('eks')).toMatchObject({status: 'skipped', message: expect.stringContaining('no EKS cluster named')})
    expect(json.json.checks).toHaveLength(22)
  })

  it('kube-proxy at its EKS default (metricsBindAddress 127.0.0.1) fails, and says to run kube-proxy fix; after `kube-proxy fix`, it passes', async () => {
    // kube-system's kube-proxy is shared: saved (and set to EKS's default), restored after.
    const saved = await saveKubeProxy({core, apps: kc.makeApiClient(AppsV1Api)})
    try {
      let run = await doctor(['--only', 'kube-proxy'])
      expect(run.exitCode).toBe(6)
      expect(run.check('kube-proxy')).toMatchObject({status: 'fail', fix: 'elife-k8s kube-proxy fix --dry-run, then without --dry-run'})
      expect(run.check('kube-proxy').message).toContain('metricsBindAddress is 127.0.0.1:10249, not 0.0.0.0:10249')
      // The fix line's command, for real: the ConfigMap changed and kube-proxy restarted on every node.
      const fixed = await helmCli(['kube-proxy', 'fix', '--yes'], {KUBECONFIG: kubeconfig})
      expect(fixed.exitCode, fixed.stderr).toBe(0)
      expect(fixed.stderr).toContain('now serves metrics on 0.0.0.0:10249')
      run = await doctor(['--only', 'kube-proxy'])
      expect(run.exitCode).toBe(0)
      expect(run.check('kube-proxy').status).toBe('ok')
      expect(run.check('kube-proxy').message).toMatch(/; metricsBindAddress is 0\.0\.0\.0:10249; all \d+ kube-proxy pods run the current config; /)
    } finally {
      await saved.restore()
    }
    expect((await doctor(['--only', 'kube-proxy'])).check('kube-proxy').status).toBe('fail')
  })

  it('a failed helm upgrade fails helm-releases with the unstick command; rolled back, it passes', async () => {
    expect((await helm(['install', 'journal', chart, '-n', ns])).exitCode).toBe(0)
    let run = await doctor(['--only', 'helm-releases'])
    expect(run.check('helm-releases').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/journal`))
    const upgrade = await helm(['upgrade', 'journal', chart, '-n', ns, '--set', 'broken=true'])
    expect(upgrade.exitCode).not.toBe(0)
    run = await doctor(['--only', 'helm-releases'])
    expect(run.exitCode).toBe(6)
    expect(run.check('helm-releases').status).toBe('fail')
    expect(run.check('helm-releases').objects).toContain(`${ns}/journal failed (revision 2)`)
    const text = await cli(['doctor', '--only', 'helm-releases'])
    expect(text.exitCode).toBe(6)
    expect(text.stdout).toContain(`${ns}/journal failed (revision 2)`)
    expect(text.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: \d+ ok, 0 warn, 1 fail, 0 skipped: helm-releases and the other ✗ lines above need a look; each has its fix under it$/,
    )
    expect((await helm(['rollback', 'journal', '1', '-n', ns])).exitCode).toBe(0)
    expect((await helmStatus('journal', ns)).status).toBe('deployed')
    run = await doctor(['--only', 'helm-releases'])
    expect(run.check('helm-releases').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/journal`))
  })

  it('a HelmRelease helm-operator could not release fails helmreleases with its reason; released, it passes', async () => {
    const body = {
      apiVersion: 'helm.fluxcd.io/v1',
      kind: 'HelmRelease',
      metadata: {name: 'reviewer', namespace: ns},
      spec: {releaseName: 'reviewer', chart: {git: 'git@github.com:elifesciences/reviewer', path: 'chart', ref: 'master'}},
    }
    await custom.createNamespacedCustomObject({group: 'helm.fluxcd.io', version: 'v1', namespace: ns, plural: 'helmreleases', body})
    const setStatus = async (status: object) => {
      const current = (await custom.getNamespacedCustomObject({
        group: 'helm.fluxcd.io',
        version: 'v1',
        namespace: ns,
        plural: 'helmreleases',
        name: 'reviewer',
      })) as object
      await custom.replaceNamespacedCustomObjectStatus({
        group: 'helm.fluxcd.io',
        version: 'v1',
        namespace: ns,
        plural: 'helmreleases',
        name: 'reviewer',
        body: {...current, status},
      })
    }
    await setStatus({
      phase: 'DeployFailed',
      releaseStatus: 'failed',
      conditions: [
        {type: 'Released', status: 'False', reason: 'HelmUpgradeFailed', message: 'upgrade failed: Deployment.apps "Reviewer" is invalid\nmore detail'},
      ],
    })
    let run = await doctor(['--only', 'helmreleases'])
    expect(run.exitCode).toBe(6)
    expect(run.check('helmreleases').objects).toContain(
      `HelmRelease ${ns}/reviewer (helm-operator): not released: HelmUpgradeFailed: upgrade failed: Deployment.apps "Reviewer" is invalid`,
    )
    expect(run.check('helmreleases').fix).toMatch(/^elife-k8s helm debug/)
    await setStatus({
      phase: 'Deployed',
      releaseStatus: 'deployed',
      conditions: [{type: 'Released', status: 'True', reason: 'HelmSuccess', message: 'release was successfully upgraded'}],
    })
    run = await doctor(['--only', 'helmreleases'])
    expect(run.check('helmreleases').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/reviewer`))
  })

  it('the Alertmanager secret: missing, then invalid, then valid; its webhook URL is never printed', async () => {
    const args = ['--only', 'alertmanager-config', '--monitoring-namespace', ns, '--alertmanager-secret', 'am']
    let run = await doctor(args)
    expect(run.check('alertmanager-config')).toMatchObject({
      status: 'fail',
      message: `Secret ${ns}/am does not exist: Alertmanager runs without the runbook's configuration`,
    })
    const url = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN123'
    const invalid = `route:\n  receiver: nowhere\nreceivers:\n- name: slack\n  slack_configs:\n  - api_url: ${url}\n    channel: '#alerts-test'\n`
    await core.createNamespacedSecret({namespace: ns, body: {metadata: {name: 'am'}, stringData: {'alertmanager.yaml': invalid}}})
    const text = await cli(['doctor', ...args])
    expect(text.exitCode).toBe(6)
    expect(text.stdout).toMatch(/✗ alertmanager-config\s+Secret doctor-\w+\/am: Alertmanager would refuse its alertmanager.yaml: .*"nowhere"/)
    expect(text.stdout + text.stderr).not.toContain('SECRETTOKEN123')
    run = await doctor(args)
    expect(JSON.stringify(run.json)).not.toContain('SECRETTOKEN123')
    await core.replaceNamespacedSecret({
      name: 'am',
      namespace: ns,
      body: {metadata: {name: 'am'}, stringData: {'alertmanager.yaml': invalid.replace('receiver: nowhere', 'receiver: slack')}},
    })
    run = await doctor(args)
    expect(run.exitCode).toBe(0)
    expect(run.check('alertmanager-config')).toMatchObject({status: 'ok', message: `Secret ${ns}/am is a valid configuration (1 receiver)`})
  })

  it('a PrometheusRule the Prometheus ruleSelector does not select fails; labelled, it passes', async () => {
    const group = 'monitoring.coreos.com'
    await custom.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: ns,
      plural: 'prometheuses',
      body: {
        apiVersion: `${group}/v1`,
        kind: 'Prometheus',
        metadata: {name: 'p', namespace: ns},
        spec: {ruleSelector: {matchExpressions: [{key: 'app', operator: 'In', values: ['journal']}]}, ruleNamespaceSelector: {}},
      },
    })
    const rule = {
      apiVersion: `${group}/v1`,
      kind: 'PrometheusRule',
      metadata: {name: 'journal-alerts', namespace: ns},
      spec: {groups: [{name: 'journal', rules: [{alert: 'JournalDown', expr: 'up{job="journal"} == 0', for: '5m'}]}]},
    }
    await custom.createNamespacedCustomObject({group, version: 'v1', namespace: ns, plural: 'prometheusrules', body: rule})
    let run = await doctor(['--only', 'prometheus-rules'])
    expect(run.check('prometheus-rules').status).toBe('fail')
    expect(run.check('prometheus-rules').objects).toContain(`PrometheusRule ${ns}/journal-alerts`)
    expect(run.check('prometheus-rules').message).toContain(`Prometheus ${ns}/p selects app in (journal)`)
    await custom.patchNamespacedCustomObject({
      group,
      version: 'v1',
      namespace: ns,
      plural: 'prometheusrules',
      name: 'journal-alerts',
      body: [{op: 'add', path: '/metadata/labels', value: {app: 'journal'}}],
    })
    run = await doctor(['--only', 'prometheus-rules'])
    expect(run.check('prometheus-rules').objects ?? []).not.toContain(`PrometheusRule ${ns}/journal-alerts`)
  })

  it("a failed Canary fails canaries with Flagger's last event; succeeded, it passes", async () => {
    const canary = {
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: {name: 'reviewer', namespace: ns},
      spec: {
        targetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'reviewer'},
        service: {port: 80},
        analysis: {interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10},
      },
    }
    await custom.createNamespacedCustomObject({group: 'flagger.app', version: 'v1beta1', namespace: ns, plural: 'canaries', body: canary})
    const setPhase = async (phase: string) => {
      const current = (await custom.getNamespacedCustomObject({
        group: 'flagger.app',
        version: 'v1beta1',
        namespace: ns,
        plural: 'canaries',
        name: 'reviewer',
      })) as {metadata: {uid: string}}
      await custom.replaceNamespacedCustomObjectStatus({
        group: 'flagger.app',
        version: 'v1beta1',
        namespace: ns,
        plural: 'canaries',
        name: 'reviewer',
        body: {...current, status: {phase, failedChecks: phase === 'Failed' ? 5 : 0, lastTransitionTime: new Date().toISOString()}},
      })
      return current.metadata.uid
    }
    const uid = await setPhase('Failed')
    await core.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: {name: `reviewer.${Date.now()}`},
        involvedObject: {apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'reviewer', namespace: ns, uid},
        reason: 'Synced',
        message: 'Canary failed! Scaling down reviewer.' + ns,
        type: 'Warning',
        lastTimestamp: new Date() as never,
        firstTimestamp: new Date() as never,
        source: {component: 'flagger'},
      },
    })
    let run = await doctor(['--only', 'canaries'])
    expect(run.exitCode).toBe(6)
    expect(run.check('canaries').objects).toContain(`Canary ${ns}/reviewer Failed after 5 failed checks: Canary failed! Scaling down reviewer.${ns}`)
    await setPhase('Succeeded')
    run = await doctor(['--only', 'canaries'])
    expect(run.check('canaries').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/reviewer`))
  })

  it("lint's Flagger rules on the live canaries: a metric interval under 1m fails canary-rules; at 1m, it passes", async () => {
    const body = (interval: string) => ({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: {name: 'journal', namespace: ns},
      spec: {
        targetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: 'journal'},
        service: {port: 80},
        analysis: {interval: '1m', threshold: 5, maxWeight: 50, stepWeight: 10, metrics: [{name: 'request-success-rate', interval, thresholdRange: {min: 99}}]},
      },
    })
    await custom.createNamespacedCustomObject({group: 'flagger.app', version: 'v1beta1', namespace: ns, plural: 'canaries', body: body('30s')})
    let run = await doctor(['--only', 'canary-rules'])
    expect(run.exitCode).toBe(6)
    expect(run.check('canary-rules').objects).toContainEqual(expect.stringMatching(new RegExp(`^Canary ${ns}/journal: .*30s.* \\[flagger-metric-interval\\]$`)))
    const current = (await custom.getNamespacedCustomObject({
      group: 'flagger.app',
      version: 'v1beta1',
      namespace: ns,
      plural: 'canaries',
      name: 'journal',
    })) as {metadata: object}
    await custom.replaceNamespacedCustomObject({
      group: 'flagger.app',
      version: 'v1beta1',
      namespace: ns,
      plural: 'canaries',
      name: 'journal',
      body: {...body('1m'), metadata: current.metadata},
    })
    run = await doctor(['--only', 'canary-rules'])
    expect(run.check('canary-rules').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/journal`))
  })

  it('a crash-looping pod (kwok) in a system namespace fails system-pods, elsewhere it warns; deleted, it passes', async () => {
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: {name: 'crasher'},
        spec: {
          selector: {matchLabels: {app: 'crasher'}},
          template: {
            metadata: {labels: {app: 'crasher'}, annotations: {'elife-k8s.test/crash-loop': 'true'}},
            spec: {containers: [{name: 'app', image: 'elifesciences/crasher:1'}], tolerations: [{key: 'kwok.x-k8s.io/node', operator: 'Exists'}]},
          },
        },
      },
    })
    await waitFor('the crash loop', async () => {
      const pods = await core.listNamespacedPod({namespace: ns, labelSelector: 'app=crasher'})
      return pods.items.some((p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff') ? true : undefined
    })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    let run = await doctor(['--only', 'system-pods,pods,deployments', '--system-namespaces', ns, '--stuck-after', '1s'])
    expect(run.exitCode).toBe(6)
    expect(run.check('system-pods').status).toBe('fail')
    expect(run.check('system-pods').objects?.[0]).toMatch(new RegExp(`^Pod ${ns}/crasher-\\w+-\\w+: CrashLoopBackOff \\(container app, 6 restarts\\)$`))
    expect(run.check('deployments').objects).toContainEqual(expect.stringMatching(new RegExp(`^Deployment ${ns}/crasher 0/1 for \\d+ min$`)))
    // In progress for less than --stuck-after (default 10m): not reported.
    expect((await doctor(['--only', 'deployments'])).check('deployments').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/crasher`))
    run = await doctor(['--only', 'pods'])
    expect(run.check('pods').status).toBe('warn')
    expect(run.check('pods').objects).toContainEqual(expect.stringMatching(new RegExp(`^Pod ${ns}/crasher-`)))
    await kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({name: 'crasher', namespace: ns})
    await waitFor('the pods to go', async () =>
      (await core.listNamespacedPod({namespace: ns, labelSelector: 'app=crasher'})).items.length === 0 ? true : undefined,
    )
    run = await doctor(['--only', 'system-pods', '--system-namespaces', ns])
    expect(run.check('system-pods').status).toBe('ok')
  })

  it('a Node whose kubelet stopped reporting fails nodes; gone, it passes', async () => {
    const name = `doctor-lost-${ns.split('-').at(-1)}`
    // Not kwok's (no kwok.x-k8s.io/node annotation): nothing renews its status, as with a dead kubelet.
    await core.createNode({body: {metadata: {name}}})
    await core.replaceNodeStatus({
      name,
      body: {
        metadata: {name},
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
              lastHeartbeatTime: new Date() as never,
              lastTransitionTime: new Date() as never,
            },
          ],
        },
      },
    })
    try {
      const run = await doctor(['--only', 'nodes'])
      expect(run.exitCode).toBe(6)
      expect(run.check('nodes').objects).toContain(`Node ${name}`)
      expect(run.check('nodes').message).toContain(`${name} (NodeStatusUnknown)`)
    } finally {
      await core.deleteNode({name})
    }
    expect((await doctor(['--only', 'nodes'])).check('nodes').status).toBe('ok')
  })

  it('a user RBAC limits: checks skipped with the permission they need, not failed', async () => {
    const run = await cli(['doctor', '--json', '--only', 'access,system-pods,helm-releases,alertmanager-config,kube-proxy'], {KUBECONFIG: viewerKubeconfig})
    const json = JSON.parse(run.stdout) as DoctorJson
    const check = (id: string) => json.checks.find((c) => c.id === id)!
    expect(check('access').status).toBe('ok')
    expect(check('system-pods')).toMatchObject({status: 'skipped', message: 'not allowed to list pods in all namespaces'})
    expect(check('helm-releases')).toMatchObject({
      status: 'skipped',
      message: 'not allowed to list secrets in all namespaces (helm keeps its release records there)',
    })
    expect(check('alertmanager-config')).toMatchObject({
      status: 'skipped',
      message: 'not allowed to get secrets "alertmanager-prometheus-operator" in namespace "adm"',
    })
    expect(check('kube-proxy').status).toBe('skipped')
    expect(run.exitCode).toBe(0)
  })

  describe("Flux v1 through fluxd (a test server speaking fluxd's API, reached by a real port-forward)", () => {
    let keyDir: string
    let fluxd: FluxdServer
    let fluxNode: ForwardingNode
    let hangingNode: ForwardingNode
    let hanging: Server
    let fluxLog: string
    const head = 'a'.repeat(40)
    type Entry = [minutesAgo: number, caller: string, fields: Array<[string, string]>]
    /** fluxd's log as the kubelet keeps it (what `elife-k8s logs flux` reads), its lines as fluxd 1.25 prints them. */
    const writeFluxLog = (entries: Entry[]) =>
      writeFileSync(fluxLog, entries.map(([m, caller, fields]) => fluxdLogLine(new Date(Date.now() - m * 60_000), caller, fields)).join('\n') + '\n')
    const refreshed = (m: number): Entry => [
      m,
      'loop.go:134',
      [
        ['component', 'sync-loop'],
        ['event', 'refreshed'],
        ['url', 'ssh://git@github.com/elifesciences/elife-flux-cluster'],
        ['branch', 'master'],
        ['HEAD', head],
      ],
    ]
    const trying = (m: number): Entry => [
      m,
      'sync.go:64',
      [
        ['component', 'daemon'],
        ['info', 'trying to sync git changes to the cluster'],
        ['old', head],
        ['new', head],
      ],
    ]
    const applied = (m: number): Entry[] => [
      [
        m,
        'sync.go:542',
        [
          ['method', 'Sync'],
          ['cmd', 'apply'],
          ['args', ''],
          ['count', '42'],
        ],
      ],
      [
        m,
        'sync.go:608',
        [
          ['method', 'Sync'],
          ['cmd', 'kubectl apply -f -'],
          ['took', '1.204519s'],
          ['err', 'null'],
          ['output', 'deployment.apps/journal unchanged\nservice/journal unchanged'],
        ],
      ],
    ]
    const recentSync = (): Entry[] => [trying(75), ...applied(75), refreshed(3), trying(2), ...applied(2)]

    async function fluxPod(namespace: string, node: ForwardingNode): Promise<void> {
      await core.createNamespace({body: {metadata: {name: namespace}}})
      await core.createNamespacedSecret({namespace, body: {metadata: {name: 'flux-git-deploy'}, stringData: {identity: 'not a real key'}}})
      for (const app of ['flux', 'helm-operator']) {
        await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
          namespace,
          body: {
            metadata: {name: app},
            spec: {
              selector: {matchLabels: {app}},
              template: {
                metadata: {labels: {app}},
                spec: {
                  nodeSelector: {'kubernetes.io/hostname': node.name},
                  tolerations: [{key: node.taint.key, operator: 'Exists'}],
                  containers: [{name: app, image: `docker.io/fluxcd/${app}:1`, ports: [{containerPort: 3030}]}],
                },
              },
            },
          },
        })
      }
      await waitFor(`flux pods Ready in ${namespace}`, async () => {
        const pods = (await core.listNamespacedPod({namespace})).items
        return pods.length === 2 && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined
      })
    }

    beforeAll(async () => {
      keyDir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-doctor-key-'))
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'identity')])
      fluxd = await startFluxd({
        privateKeyPath: path.join(keyDir, 'identity'),
        gitUrl: 'git@github.com:elifesciences/elife-flux-cluster',
        headRevision: 'a'.repeat(40),
        workloads: [],
        pendingPolls: 0,
      })
      fluxLog = path.join(keyDir, 'flux.log')
      writeFluxLog(recentSync())
      fluxNode = await startForwardingNode({kubeconfig, target: {host: '127.0.0.1', port: fluxd.port}, fluxLogFile: fluxLog})
      // A fluxd that accepts the connection and never answers.
      hanging = createServer(() => {})
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve))
      hangingNode = await startForwardingNode({kubeconfig, target: {host: '127.0.0.1', port: (hanging.address() as {port: number}).port}})
      await fluxPod(`${ns}-flux`, fluxNode)
      await fluxPod(`${ns}-hang`, hangingNode)
    })

    afterAll(async () => {
      for (const namespace of [`${ns}-flux`, `${ns}-hang`]) await core.deleteNamespace({name: namespace}).catch(() => undefined)
      await fluxNode?.stop()
      await hangingNode?.stop()
      await fluxd?.stop()
      hanging?.closeAllConnections()
      hanging?.close()
      if (keyDir) rmSync(keyDir, {recursive: true, force: true})
    })

    it('controllers Ready, deploy key present, in sync: ok; read-only (no sync job started)', async () => {
      const run = await doctor(['--only', 'flux-controllers,flux-sync,flux-deploy-key', '--flux-namespace', `${ns}-flux`])
      expect(run.check('flux-controllers')).toMatchObject({status: 'ok', message: `Flux v1 in ${ns}-flux: fluxd and helm-operator Running and Ready`})
      // the time from fluxd's sync loop in its log (its API gives none)
      expect(run.check('flux-sync').status).toBe('ok')
      expect(run.check('flux-sync').message).toMatch(
        /^fluxd is in sync with git@github\.com:elifesciences\/elife-flux-cluster \(master\); last sync started (2|3)m ago, no error logged since$/,
      )
      expect(run.check('flux-deploy-key').status).toBe('ok')
      expect(run.exitCode).toBe(0)
      expect(fluxd.requests).toEqual(['POST /api/flux/v9/git-repo-config', 'GET /api/flux/v6/sync?ref=master'])
    })

    it("fluxd's last sync failed: fails with fluxd's error line (credentials in URLs hidden) and when a sync last went without one", async () => {
      const secret = 'ghp_SECRETTOKEN123'
      const gitError = `fatal: unable to access 'https://deploy:${secret}@github.com/elifesciences/elife-flux-cluster/': The requested URL returned error: 403`
      writeFluxLog([
        trying(70),
        ...applied(70),
        trying(4),
        ...applied(4),
        [
          4,
          'loop.go:108',
          [
            ['component', 'sync-loop'],
            ['err', `${gitError}, full output:\n ${gitError}`],
          ],
        ],
      ])
      const run = await doctor(['--only', 'flux-sync', '--flux-namespace', `${ns}-flux`])
      expect(run.exitCode).toBe(6)
      expect(run.check('flux-sync').status).toBe('fail')
      expect(run.check('flux-sync').message).toMatch(
        /^fluxd's last sync failed (4|5)m ago: fatal: unable to access 'https:\/\/deploy:\*\*\*@github\.com\/elifesciences\/elife-flux-cluster\/': The requested URL returned error: 403, full output:; the last sync without an error started 1h(10|11)m ago$/,
      )
      expect(run.check('flux-sync').fix).toBe(
        `elife-k8s logs flux -n ${ns}-flux (fluxd's sync loop), fix what it says in the repository or the cluster, then elife-k8s flux sync`,
      )
      expect(JSON.stringify(run.json)).not.toContain(secret)
      const text = await cli(['doctor', '--only', 'flux-sync', '--flux-namespace', `${ns}-flux`])
      expect(text.exitCode).toBe(6)
      expect(text.stdout + text.stderr).not.toContain(secret)
    })

    it('no sync for longer than 3 × --sync-interval (at least 30m) warns, as a stuck fluxd leaves it; a sync since: ok', async () => {
      writeFluxLog([
        trying(130),
        ...applied(130),
        refreshed(125),
        [
          60,
          'warming.go:206',
          [
            ['component', 'warmer'],
            ['updated', 'elifesciences/journal'],
            ['successful', '3'],
            ['attempted', '3'],
          ],
        ],
      ])
      let run = await doctor(['--only', 'flux-sync', '--flux-namespace', `${ns}-flux`])
      expect(run.exitCode).toBe(0)
      expect(run.check('flux-sync')).toMatchObject({status: 'warn', fix: `fluxd may be stuck: elife-k8s logs flux -n ${ns}-flux, then elife-k8s flux sync`})
      expect(run.check('flux-sync').message).toMatch(
        /^fluxd is in sync with git@github\.com:elifesciences\/elife-flux-cluster \(master\), but its last sync started 2h1(0|1)m ago \(more than 30m\)$/,
      )
      writeFluxLog(recentSync())
      run = await doctor(['--only', 'flux-sync', '--flux-namespace', `${ns}-flux`])
      expect(run.check('flux-sync').status).toBe('ok')
    })

    it("a recent sync that could not apply some resources (cluster.SyncError, logged by the daemon) warns with fluxd's error", async () => {
      writeFluxLog([
        trying(2),
        ...applied(2),
        [
          2,
          'sync.go:234',
          [
            ['component', 'daemon'],
            ['err', 'prod:deployment/journal: running kubectl: exit status 1, stderr: The Deployment "journal" is invalid: spec.replicas: Invalid value: -1'],
          ],
        ],
      ])
      const run = await doctor(['--only', 'flux-sync', '--flux-namespace', `${ns}-flux`])
      expect(run.exitCode).toBe(0)
      expect(run.check('flux-sync')).toMatchObject({status: 'warn', fix: `elife-k8s logs flux -n ${ns}-flux, then fix the resources it could not apply`})
      expect(run.check('flux-sync').message).toMatch(
        /, but its last sync \((2|3)m ago\) could not apply some resources: prod:deployment\/journal: running kubectl: exit status 1, stderr: The Deployment "journal" is invalid: spec\.replicas: Invalid value: -1$/,
      )
      writeFluxLog(recentSync())
    })

    it("a user who may reach fluxd but not read its log: the API's answer, and the time of the last sync not known, with the permission it needs", async () => {
      const namespace = `${ns}-flux`
      const clusterRole = `${namespace}-crds`
      const steps: string[][] = [
        ['create', 'serviceaccount', 'no-log', '-n', namespace],
        ['create', 'role', 'pods-read', '-n', namespace, '--verb=get,list,watch', '--resource=pods'],
        ['create', 'role', 'port-forward', '-n', namespace, '--verb=get,create', '--resource=pods/portforward'],
        ['create', 'rolebinding', 'pods-read', '-n', namespace, '--role=pods-read', `--serviceaccount=${namespace}:no-log`],
        ['create', 'rolebinding', 'port-forward', '-n', namespace, '--role=port-forward', `--serviceaccount=${namespace}:no-log`],
        ['create', 'clusterrole', clusterRole, '--verb=get,list', '--resource=customresourcedefinitions.apiextensions.k8s.io'],
        ['create', 'clusterrolebinding', clusterRole, `--clusterrole=${clusterRole}`, `--serviceaccount=${namespace}:no-log`],
      ]
      try {
        for (const step of steps) expect((await kubectl(step)).exitCode, step.join(' ')).toBe(0)
        const token = (await kubectl(['create', 'token', 'no-log', '-n', namespace, '--duration=10m'])).stdout.trim()
        const admin = kc.getCurrentCluster()!
        const file = writeKubeconfig(path.join(keyDir, 'no-log.kubeconfig'), admin.server, {
          user: {token},
          cluster: {'certificate-authority-data': admin.caData},
        })
        expect(
          (
            await kubectl(['auth', 'can-i', 'get', 'pods', '--subresource=log', '-n', namespace, `--as=system:serviceaccount:${namespace}:no-log`])
          ).stdout.trim(),
        ).toBe('no')
        const run = await cli(['doctor', '--json', '--only', 'flux-sync', '--flux-namespace', namespace], {KUBECONFIG: file})
        const check = (JSON.parse(run.stdout) as DoctorJson).checks[0]
        expect(check).toMatchObject({
          status: 'ok',
          message: `fluxd is in sync with git@github.com:elifesciences/elife-flux-cluster (master); the time of its last sync is not known: not allowed to get pods/log in namespace "${namespace}"`,
        })
        expect(run.exitCode).toBe(0)
      } finally {
        await kubectl(['delete', 'clusterrolebinding,clusterrole', clusterRole, '--ignore-not-found'])
      }
    })

    // The vitest limit below is the assertion that doctor ends with its checks: before, the
    // timed-out check's request to fluxd kept the process alive for 30 s after the report.
    it('a fluxd that never answers times out alone: the other checks still report, and doctor ends with them', {timeout: 25_000}, async () => {
      const run = await doctor([
        '--only',
        'access,nodes,flux-controllers,flux-sync',
        '--flux-namespace',
        `${ns}-hang`,
        '--check-timeout',
        '3s',
        '--request-timeout',
        '5m',
      ])
      expect(run.check('flux-sync')).toMatchObject({
        status: 'fail',
        message: 'no answer within 3s: the API server (or what the check asks through it) is slow or hanging',
      })
      expect(run.check('flux-controllers').status).toBe('ok')
      expect(run.check('access').status).toBe('ok')
      expect(run.check('nodes').status).toBe('ok')
      expect(run.exitCode).toBe(6)
    })
  })

  it('a release whose manifest holds a removed API (installed years ago) fails deprecated-apis, and really cannot upgrade; mapped, it passes', async () => {
    expect((await helm(['install', 'legacy', chart, '-n', ns])).exitCode).toBe(0)
    const name = recordName('legacy', 1)
    const secret = await core.readNamespacedSecret({name, namespace: ns})
    const record = decodeRelease(secret.data!.release!, 'secret')
    const original = record.manifest ?? ''
    // What a release installed on Kubernetes 1.20 carries, as helm recorded it then.
    const cronJob = `---\n# Source: elife-app/templates/cron.yaml\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: legacy-cleanup\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: cleanup\n            image: busybox:1.36\n`
    const writeManifest = async (manifest: string) => {
      const current = await core.readNamespacedSecret({name, namespace: ns})
      current.data = {release: encodeRelease({...record, manifest}, 'secret')}
      await core.replaceNamespacedSecret({name, namespace: ns, body: current})
    }
    await writeManifest(`${original}\n${cronJob}`)
    let run = await doctor(['--only', 'deprecated-apis'])
    expect(run.exitCode).toBe(6)
    expect(run.check('deprecated-apis').status).toBe('fail')
    expect(run.check('deprecated-apis').objects).toContain(
      `release ${ns}/legacy: CronJob legacy-cleanup: batch/v1beta1 CronJob was removed in Kubernetes 1.25 (target 1.36): use batch/v1`,
    )
    // The check is about something real: helm cannot upgrade such a release.
    const upgrade = await helm(['upgrade', 'legacy', chart, '-n', ns])
    expect(upgrade.exitCode).not.toBe(0)
    expect(upgrade.stderr).toMatch(/batch\/v1beta1|CronJob/)
    // An older target minor than the removal: nothing to report.
    run = await doctor(['--only', 'deprecated-apis', '--kubernetes-version', '1.24'])
    expect(run.check('deprecated-apis').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/legacy`))
    await writeManifest(original)
    run = await doctor(['--only', 'deprecated-apis'])
    expect(run.check('deprecated-apis').objects ?? []).not.toContainEqual(expect.stringContaining(`${ns}/legacy`))
    expect((await helm(['upgrade', 'legacy', chart, '-n', ns])).exitCode).toBe(0)
  })

  it('--only with a check that does not exist: one line, exit 2', async () => {
    const result = await cli(['doctor', '--only', 'helm-relases'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr.trim()).toMatch(/^error: --only names no check "helm-relases"; the checks are: access, eks, nodes, /)
  })
})
