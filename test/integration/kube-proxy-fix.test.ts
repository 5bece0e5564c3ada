import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type AppsV1Api, type CoreV1Api, type KubeConfig, type V1DaemonSet, type V1Pod, Watch} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'

import {ExitCode} from '../../src/lib/errors.js'
import {childEnv, repoRoot, runCli, runTool, type RunResult} from '../helpers/cli.js'
import {binDir, clusterClients as clients, kubeconfig, viewerKubeconfig} from '../helpers/cluster.js'
import {noAwsCredentials} from '../helpers/aws.js'
import {saveKubeProxy} from '../helpers/kube-proxy.js'

// End to end on the real local cluster: kube-controller-manager's DaemonSet controller and kwok's
// fake kubelets replace the kube-proxy pods; the test watches them while the built CLI runs.
function fix(file: string, args: string[]): Promise<RunResult> {
  return runCli(['kube-proxy', 'fix', '--kubeconfig', file, ...args], {timeoutMs: 300_000})
}

function linesExceptMetrics(text: string): string[] {
  return text.split('\n').filter((line) => !line.startsWith('metricsBindAddress:'))
}

/**
 * Watches kube-proxy pods and checks, at every event, that at most one node lacks a Ready
 * kube-proxy pod: no node is without kube-proxy for longer than one replacement.
 */
async function watchKubeProxyPods(kc: KubeConfig, nodes: string[]) {
  const readyPods = new Map<string, Set<string>>(nodes.map((n) => [n, new Set()]))
  const violations: string[] = []
  const gaps: string[] = []
  let started = false
  const watch = new Watch(kc)
  const request = await watch.watch(
    '/api/v1/namespaces/kube-system/pods',
    {labelSelector: 'k8s-app=kube-proxy'},
    (type, pod: V1Pod) => {
      const node = pod.spec?.nodeName
      if (!node || !readyPods.has(node)) return
      const ready =
        type !== 'DELETED' &&
        !pod.metadata?.deletionTimestamp &&
        pod.status?.phase === 'Running' &&
        (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
      const set = readyPods.get(node)!
      const had = set.size > 0
      if (ready) set.add(pod.metadata!.name!)
      else set.delete(pod.metadata!.name!)
      if (!started) return
      if (had && set.size === 0) gaps.push(node)
      const without = [...readyPods].filter(([, pods]) => pods.size === 0).map(([n]) => n)
      if (without.length > 1) violations.push(`${type} ${pod.metadata?.name}: no Ready kube-proxy on ${without.join(', ')}`)
    },
    () => {},
  )
  // the initial ADDED events describe the current state; only changes after this count
  await new Promise((r) => setTimeout(r, 1000))
  started = true
  return {violations, gaps, stop: () => request.abort()}
}

describe('kube-proxy fix on kube-system (shared: restored afterwards)', () => {
  const {kc, core, apps} = clients(kubeconfig)
  let saved: Awaited<ReturnType<typeof saveKubeProxy>>
  let originalDaemonSet: V1DaemonSet

  beforeAll(async () => {
    // start from the EKS default (localhost metrics), whatever an earlier run left
    saved = await saveKubeProxy({core, apps})
    originalDaemonSet = saved.original.daemonSet
  })

  afterAll(async () => {
    await saved?.restore()
  })

  it('--check reports each finding and exits 6 while metrics are on localhost; --dry-run changes nothing', async () => {
    const check = await fix(kubeconfig, ['--check'])
    expect(check.exitCode, check.stderr).toBe(ExitCode.CHECK_FAILED)
    expect(check.stderr).toContain('✗ metricsBindAddress is 127.0.0.1:10249, not 0.0.0.0:10249')
    expect(check.stderr).toMatch(/✔ kube-proxy v1\.\d+\.\d+\S* vs API server v1\.35\.\d+/)
    expect(check.stderr).toContain('◎ EKS recommended version not compared')
    // Under --json the failed check is still the result (checkFailed): the findings, exit 6, nothing on stderr.
    const json = await fix(kubeconfig, ['--check', '--json'])
    expect(json.exitCode, json.stderr).toBe(ExitCode.CHECK_FAILED)
    expect(json.stderr).toBe('')
    const result = JSON.parse(json.stdout) as {mode: string; findings: Array<{status: string; message: string}>}
    expect(result.mode).toBe('check')
    expect(
      result.findings.filter((f) => f.status === 'failed').map((f) => f.message),
      json.stdout,
    ).toContainEqual(expect.stringContaining('metricsBindAddress is 127.0.0.1:10249, not 0.0.0.0:10249'))
    const before = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    const dry = await fix(kubeconfig, ['--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    // The plan is narrative, on stderr; stdout carries data only (none here without --json).
    expect(dry.stderr).toContain('set metricsBindAddress 127.0.0.1:10249 → 0.0.0.0:10249')
    expect(dry.stderr).toContain('restart kube-proxy one node at a time on')
    expect(dry.stdout).toBe('')
    expect((await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})).metadata?.resourceVersion).toBe(
      before.metadata?.resourceVersion,
    )
    // without AWS credentials the EKS comparison is skipped, not failed
    const noAws = await runCli(['kube-proxy', 'fix', '--kubeconfig', kubeconfig, '--check', '--eks-cluster', 'elife-prod', '--region', 'us-east-1'], {
      env: noAwsCredentials,
    })
    expect(noAws.stderr).toContain('◎ EKS recommended version not compared: no AWS credentials')
  })

  it('restarts one node at a time and changes only the metricsBindAddress line', async () => {
    const before = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    const nodes = (await core.listNode()).items.map((n) => n.metadata!.name!)
    const watcher = await watchKubeProxyPods(kc, nodes)
    let result: RunResult
    try {
      result = await fix(kubeconfig, ['--yes'])
    } finally {
      watcher.stop()
    }
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('now serves metrics on 0.0.0.0:10249')
    expect(result.stdout).toBe('')
    expect(watcher.violations).toEqual([])
    // every node went through exactly one replacement
    expect([...watcher.gaps].sort()).toEqual([...nodes].sort())
    const after = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    expect(linesExceptMetrics(after.data!.config)).toEqual(linesExceptMetrics(before.data!.config))
    expect(after.data!.config.length).toBe(before.data!.config.length - 2)
    expect(after.data!.config).toContain('\nmetricsBindAddress: 0.0.0.0:10249\n')
    expect(after.metadata?.labels).toEqual(before.metadata?.labels)
    expect(Object.keys(after.data!)).toEqual(Object.keys(before.data!))
    // what kubectl sees: the strategy is back, every pod up to date and ready
    const {stdout} = await runTool(path.join(binDir, 'kubectl'), [
      '--kubeconfig',
      kubeconfig,
      '-n',
      'kube-system',
      'get',
      'ds',
      'kube-proxy',
      '-o',
      'jsonpath={.spec.updateStrategy.rollingUpdate.maxUnavailable} {.status.updatedNumberScheduled}/{.status.numberReady}/{.status.desiredNumberScheduled}',
    ])
    expect(stdout).toBe(`${originalDaemonSet.spec?.updateStrategy?.rollingUpdate?.maxUnavailable} ${nodes.length}/${nodes.length}/${nodes.length}`)
    const check = await fix(kubeconfig, ['--check'])
    expect(check.exitCode, check.stderr).toBe(0)
    const again = await fix(kubeconfig, ['--yes'])
    expect(again.stderr).toContain('is already fixed')
  })
})

describe('kube-proxy fix refuses bad input with one line, changing nothing', () => {
  const {core, apps} = clients(kubeconfig)
  const namespace = `kp-test-${randomBytes(4).toString('hex')}`
  const config = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmetricsBindAddress: 127.0.0.1:10249\n'

  beforeAll(async () => {
    await core.createNamespace({body: {metadata: {name: namespace}}})
    const ds = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace: 'kube-system'})
    // a copy of kube-system's DaemonSet that matches no node, so it runs no pods
    await apps.createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: {name: 'kube-proxy', labels: ds.metadata?.labels},
        spec: {...ds.spec!, template: {...ds.spec!.template, spec: {...ds.spec!.template.spec!, nodeSelector: {'elife-k8s-test/no-such-node': 'true'}}}},
      },
    })
  })

  afterAll(async () => {
    await core.deleteNamespace({name: namespace}).catch(() => {})
  })

  async function expectRefusal(args: string[], code: number, text: string, file = kubeconfig) {
    const cm = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace}).catch(() => undefined)
    const result = await fix(file, ['-n', namespace, '--yes', ...args])
    expect(result.exitCode, result.stderr).toBe(code)
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(text)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    const after = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace}).catch(() => undefined)
    expect(after?.metadata?.resourceVersion).toBe(cm?.metadata?.resourceVersion)
  }

  it('ConfigMap missing, in an unexpected shape, EKS-managed; forbidden user; bad flags', async () => {
    await expectRefusal([], ExitCode.NOT_FOUND, `configmap "kube-proxy-config" in ${namespace} does not exist`)
    await core.createNamespacedConfigMap({namespace, body: {metadata: {name: 'kube-proxy-config'}, data: {other: config}}})
    await expectRefusal([], ExitCode.CONFLICT, 'has no "config" key')
    const cm = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})
    await core.replaceNamespacedConfigMap({name: 'kube-proxy-config', namespace, body: {...cm, data: {config: 'kind: KubeletConfiguration\n'}}})
    await expectRefusal([], ExitCode.CONFLICT, 'is not in the shape EKS creates')
    const shaped = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})
    await core.replaceNamespacedConfigMap({name: 'kube-proxy-config', namespace, body: {...shaped, data: {config}}})
    await expectRefusal(['--bind-address', 'everywhere'], ExitCode.USAGE, '--bind-address "everywhere" is not IP:port')
    await expectRefusal(['--image', '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.35.0'], ExitCode.USAGE, 'is not a tag')
    await expectRefusal(['--image', 'v1.36.0-eksbuild.1'], ExitCode.USAGE, 'must not be newer than kube-apiserver')
    await expectRefusal([], ExitCode.FORBIDDEN, 'forbidden', viewerKubeconfig)
    // what EKS does to an add-on's objects: server-side apply under the field manager "eks"
    const apply = await runTool(path.join(binDir, 'kubectl'), [
      '--kubeconfig',
      kubeconfig,
      '-n',
      namespace,
      'label',
      'configmap',
      'kube-proxy-config',
      'eks.amazonaws.com/component=kube-proxy',
      '--field-manager=eks',
    ])
    expect(apply.exitCode, apply.stderr).toBe(0)
    await expectRefusal([], ExitCode.CONFLICT, 'is an EKS managed add-on')
  })
})

describe('kube-proxy fix survives an API server restart (own cluster instance)', () => {
  // Restarting the shared cluster's API server would break the other test files running
  // against it, so this test starts its own cluster from the same harness and fixtures.
  const dir = mkdtempSync(path.join(tmpdir(), 'kp-fault-'))
  let harness: {up: (o: object) => Promise<{kubeconfig: string}>; down: (o: object) => Promise<unknown>; restartApiServer: (o: object) => Promise<unknown>}
  let ownKubeconfig: string

  beforeAll(async () => {
    harness = await import(path.join(repoRoot, 'scripts/cluster/harness.mjs'))
    ownKubeconfig = (await harness.up({dir, quiet: true, seed: false})).kubeconfig
  }, 600_000)

  afterAll(async () => {
    await harness?.down({dir, quiet: true})
  }, 120_000)

  it('a rerun after the restart converges with nothing lost', async () => {
    const {core, apps} = clients(ownKubeconfig)
    const before = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    const dsBefore = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace: 'kube-system'})
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin/run.js'), 'kube-proxy', 'fix', '--kubeconfig', ownKubeconfig, '--yes', '--timeout', '120'],
      {env: childEnv()},
    )
    let stderr = ''
    let restarted: Promise<unknown> | undefined
    child.stdout.resume()
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      // the restart is under way (first node done): take the API server away
      if (!restarted && stderr.includes('(1/')) restarted = harness.restartApiServer({dir, quiet: true})
    })
    const firstExit = await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)))
    expect(restarted, stderr).toBeDefined()
    await restarted
    // the first run either rode out the outage or stopped with one clear line; a rerun finishes
    expect([0, ExitCode.UNREACHABLE, ExitCode.CHECK_FAILED], stderr).toContain(firstExit)
    const rerun = await fix(ownKubeconfig, ['--yes'])
    expect(rerun.exitCode, rerun.stderr).toBe(0)
    const check = await fix(ownKubeconfig, ['--check'])
    expect(check.exitCode, check.stderr).toBe(0)
    const after = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    expect(linesExceptMetrics(after.data!.config)).toEqual(linesExceptMetrics(before.data!.config))
    expect(after.data!.config).toContain('\nmetricsBindAddress: 0.0.0.0:10249\n')
    const dsAfter = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace: 'kube-system'})
    expect(dsAfter.spec?.updateStrategy).toEqual(dsBefore.spec?.updateStrategy)
    expect(dsAfter.metadata?.labels).toEqual(dsBefore.metadata?.labels)
    expect(dsAfter.spec?.template.spec?.volumes).toEqual(dsBefore.spec?.template.spec?.volumes)
    expect(dsAfter.spec?.template.spec?.containers[0].image).toBe(dsBefore.spec?.template.spec?.containers[0].image)
    expect(Object.keys(dsAfter.metadata?.annotations ?? {}).filter((k) => k.includes('elife-k8s'))).toEqual([])
    expect(dsAfter.status?.updatedNumberScheduled).toBe(dsAfter.status?.desiredNumberScheduled)
  })
})

/**
 * A copy of kube-system's kube-proxy DaemonSet in a namespace of its own, running on every node
 * (the fake kubelets run its pods), with the given kube-proxy-config text.
 */
async function kubeProxyCopy(core: CoreV1Api, apps: AppsV1Api, namespace: string, configText: string): Promise<void> {
  if (!(await core.readNamespace({name: namespace}).catch(() => undefined))) await core.createNamespace({body: {metadata: {name: namespace}}})
  await core.createNamespacedServiceAccount({namespace, body: {metadata: {name: 'kube-proxy'}}})
  await core.createNamespacedConfigMap({
    namespace,
    body: {metadata: {name: 'kube-proxy-config', labels: {'k8s-app': 'kube-proxy'}}, data: {config: configText}},
  })
  const ds = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace: 'kube-system'})
  const {priorityClassName: _kubeSystemOnly, ...podSpec} = ds.spec!.template.spec!
  await apps.createNamespacedDaemonSet({
    namespace,
    body: {
      metadata: {name: 'kube-proxy', labels: ds.metadata?.labels},
      spec: {
        selector: ds.spec!.selector,
        updateStrategy: ds.spec!.updateStrategy,
        template: {metadata: {labels: ds.spec!.template.metadata?.labels}, spec: podSpec},
      },
    },
  })
}

async function kubeProxyPods(core: CoreV1Api, namespace: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({namespace, labelSelector: 'k8s-app=kube-proxy'})).items.filter((p) => !p.metadata?.deletionTimestamp)
}

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 240; i++) {
    const value = await fn()
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('kube-proxy fix on a JSON kube-proxy-config (issue 14 item 1; own namespace)', () => {
  const {core, apps} = clients(kubeconfig)
  const namespace = `kp-json-${randomBytes(4).toString('hex')}`
  // The fixture's EKS config as JSON, leaving metricsBindAddress to kube-proxy's default.
  let jsonConfig: Record<string, unknown>

  beforeAll(async () => {
    const system = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    const {metricsBindAddress: _default, ...rest} = parseYaml(system.data!.config) as Record<string, unknown>
    jsonConfig = rest
    await kubeProxyCopy(core, apps, namespace, `${JSON.stringify(jsonConfig, null, 2)}\n`)
    const nodes = (await core.listNode()).items.length
    await until("the copy's pods to be Ready", async () => {
      const pods = await kubeProxyPods(core, namespace)
      return pods.length === nodes && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? pods : undefined
    })
  }, 120_000)

  afterAll(async () => {
    await core.deleteNamespace({name: namespace}).catch(() => {})
  })

  it('adds metricsBindAddress as JSON, restarts onto a config that parses, and says what changed', async () => {
    const podsBefore = (await kubeProxyPods(core, namespace)).map((p) => p.metadata!.name!)
    const result = await fix(kubeconfig, ['-n', namespace, '--yes', '--timeout', '120'])
    const stored = (await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})).data!.config
    // what kube-proxy will read: still JSON, the same settings, metrics on every address
    expect(() => JSON.parse(stored), stored).not.toThrow()
    expect(JSON.parse(stored)).toEqual({...jsonConfig, metricsBindAddress: '0.0.0.0:10249'})
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).not.toContain('nothing was changed')
    expect(result.stderr).toContain('kube-proxy-config read back: it parses as JSON and sets metricsBindAddress 0.0.0.0:10249')
    const nodes = (await core.listNode()).items.length
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(`^kube-proxy in ${namespace} now serves metrics on 0\\.0\\.0\\.0:10249, runs \\S+, and is Ready on ${nodes}/${nodes} nodes$`),
    )
    // every pod was replaced, and the replacements carry the digest of the stored config
    const podsAfter = await kubeProxyPods(core, namespace)
    expect(podsAfter.map((p) => p.metadata!.name).filter((name) => podsBefore.includes(name!))).toEqual([])
    const ds = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})
    const hash = ds.spec!.template.metadata!.annotations!['kube-proxy.elife-k8s.elifesciences.org/config-hash']
    expect(podsAfter.map((p) => p.metadata?.annotations?.['kube-proxy.elife-k8s.elifesciences.org/config-hash'])).toEqual(podsAfter.map(() => hash))
    // a rerun reads the file it wrote
    const check = await fix(kubeconfig, ['-n', namespace, '--check'])
    expect(check.exitCode, check.stderr).toBe(0)
  })

  it('refuses the file an earlier version left (JSON then a YAML line) without restarting anything', async () => {
    const cm = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})
    const broken = `${JSON.stringify(jsonConfig, null, 2)}\nmetricsBindAddress: 0.0.0.0:10249\n`
    await core.replaceNamespacedConfigMap({name: 'kube-proxy-config', namespace, body: {...cm, data: {config: broken}}})
    const generation = (await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})).metadata?.generation
    const result = await fix(kubeconfig, ['-n', namespace, '--yes'])
    expect(result.exitCode, result.stderr).toBe(ExitCode.CONFLICT)
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain(`configmap "kube-proxy-config" in ${namespace} is not in the shape EKS creates (its "config" is neither JSON nor YAML`)
    expect(errors[0]).toContain('nothing was changed')
    expect((await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})).metadata?.generation).toBe(generation)
    expect((await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace})).data!.config).toBe(broken)
  })
})

describe('kube-proxy fix names a node that has no kube-proxy pod (issue 14 item 15; own namespace)', () => {
  const {core, apps} = clients(kubeconfig)
  const namespace = `kp-missing-${randomBytes(4).toString('hex')}`
  const policy = `elife-k8s-test-${namespace}`
  let nodes: string[]
  let withoutPod: string

  beforeAll(async () => {
    nodes = (await core.listNode()).items.map((n) => n.metadata!.name!).sort()
    withoutPod = nodes.at(-1)!
    // The API server refuses the DaemonSet controller's pod for one node, as a quota, an admission
    // webhook or a full node would: the DaemonSet wants 3 nodes and has pods on 2.
    const manifest = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ${policy}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: >-
      !(has(object.spec.affinity) && has(object.spec.affinity.nodeAffinity) &&
      has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) &&
      object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.exists(t,
      has(t.matchFields) && t.matchFields.exists(f, f.key == 'metadata.name' && '${withoutPod}' in f.values)))
    message: no pods on ${withoutPod} in this test namespace
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${policy}}
spec:
  policyName: ${policy}
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: ${namespace}}
`
    await core.createNamespace({body: {metadata: {name: namespace}}})
    const applied = await runTool(path.join(binDir, 'kubectl'), ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {input: manifest})
    expect(applied.exitCode, applied.stderr).toBe(0)
    // The API server takes a moment to load a new policy: until a (dry-run) pod for that node is refused.
    const probe = {
      metadata: {name: 'probe'},
      spec: {
        containers: [{name: 'probe', image: 'probe'}],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{matchFields: [{key: 'metadata.name', operator: 'In', values: [withoutPod]}]}],
            },
          },
        },
      },
    }
    await until(
      'the admission policy to be in force',
      async () =>
        (await core.createNamespacedPod({namespace, body: probe, dryRun: 'All'}).then(
          () => false,
          () => true,
        )) || undefined,
    )
    const system = await core.readNamespacedConfigMap({name: 'kube-proxy-config', namespace: 'kube-system'})
    await kubeProxyCopy(core, apps, namespace, system.data!.config.replace(/^metricsBindAddress: .*$/m, 'metricsBindAddress: 127.0.0.1:10249'))
    await until('pods on the two other nodes', async () => {
      const pods = await kubeProxyPods(core, namespace)
      const ds = await apps.readNamespacedDaemonSet({name: 'kube-proxy', namespace})
      return ds.status?.desiredNumberScheduled === nodes.length &&
        pods.length === nodes.length - 1 &&
        pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        ? pods
        : undefined
    })
  }, 120_000)

  afterAll(async () => {
    await runTool(path.join(binDir, 'kubectl'), [
      '--kubeconfig',
      kubeconfig,
      'delete',
      '--ignore-not-found',
      'validatingadmissionpolicybinding,validatingadmissionpolicy',
      policy,
    ])
    await core.deleteNamespace({name: namespace}).catch(() => {})
  })

  it('--check and the restart timeout name the node without a pod', async () => {
    const check = await fix(kubeconfig, ['-n', namespace, '--check'])
    expect(check.exitCode, check.stderr).toBe(ExitCode.CHECK_FAILED)
    expect(check.stderr).toContain(`✗ kube-proxy is Ready on only ${nodes.length - 1}/${nodes.length} nodes (no kube-proxy pod: ${withoutPod})`)
    const result = await fix(kubeconfig, ['-n', namespace, '--yes', '--timeout', '1'])
    expect(result.exitCode, result.stderr).toBe(ExitCode.CHECK_FAILED)
    const errors = result.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('kube-proxy restart did not finish in 1s: done on ')
    expect(errors[0]).toContain(`no kube-proxy pod at all on 1 node (${withoutPod})`)
    // every node is accounted for, and the line says what was already changed
    for (const node of nodes) expect(errors[0]).toContain(node)
    expect(errors[0]).toContain(`already changed: configmap "kube-proxy-config" now sets metricsBindAddress 0.0.0.0:10249 (was 127.0.0.1:10249)`)
  })
})
