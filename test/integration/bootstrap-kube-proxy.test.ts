// The kube-proxy step of `elife-k8s bootstrap` (the kube-proxy fix library) acting for real, on a
// copy of the fixture's EKS kube-proxy DaemonSet and kube-proxy-config ConfigMap in a namespace of
// this test's own (--kube-proxy-namespace), so the shared kube-system is never changed.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {kubeconfig, kubectl as k, randomSuffix} from '../helpers/cluster.js'

const namespace = `bootstrap-kp-${randomSuffix()}`

async function copyFromKubeSystem(kind: string, name: string): Promise<void> {
  const object = JSON.parse((await k(['get', kind, name, '-n', 'kube-system', '-o', 'json'])).stdout) as {metadata: Record<string, unknown>; status?: unknown}
  object.metadata = {name, namespace, labels: object.metadata.labels, annotations: {}}
  delete object.status
  const created = await k(['create', '-f', '-'], JSON.stringify(object))
  expect(created.exitCode, created.stderr).toBe(0)
}

beforeAll(async () => {
  expect((await k(['create', 'namespace', namespace])).exitCode).toBe(0)
  await copyFromKubeSystem('serviceaccount', 'kube-proxy')
  await copyFromKubeSystem('configmap', 'kube-proxy')
  await copyFromKubeSystem('configmap', 'kube-proxy-config')
  await copyFromKubeSystem('daemonset', 'kube-proxy')
  expect((await k(['rollout', 'status', 'daemonset/kube-proxy', '-n', namespace, '--timeout=120s'])).exitCode).toBe(0)
})

afterAll(async () => {
  await k(['delete', 'namespace', namespace, '--wait=false'])
})

describe('bootstrap kube-proxy step', () => {
  // The step runs kube-proxy fix's action (src/lib/kube-proxy/action.ts): it validates as kube-proxy
  // fix does. The copy bootstrap had before wrote any string into metricsBindAddress.
  it('refuses a --kube-proxy-bind-address that is not IP:port, as kube-proxy fix refuses --bind-address; nothing changed', async () => {
    const env = {KUBECONFIG: kubeconfig}
    const before = (await k(['get', 'configmap', 'kube-proxy-config', '-n', namespace, '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout
    const run = await runCli(['bootstrap', '--only', 'kube-proxy', '--kube-proxy-namespace', namespace, '--kube-proxy-bind-address', 'everywhere', '--yes'], {
      env,
    })
    expect(run.exitCode, run.stderr).toBe(2)
    const errors = run.stderr.split('\n').filter((l) => l.startsWith('error:'))
    expect(errors, run.stderr).toEqual(['error: --kube-proxy-bind-address "everywhere" is not IP:port; use e.g. 0.0.0.0:10249 or [::]:10249'])
    expect((await k(['get', 'configmap', 'kube-proxy-config', '-n', namespace, '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout).toBe(before)
  })

  it('sets metricsBindAddress 0.0.0.0:10249 and restarts kube-proxy; the next run finds it done', async () => {
    const env = {KUBECONFIG: kubeconfig}
    const dry = await runCli(['bootstrap', '--only', 'kube-proxy', '--kube-proxy-namespace', namespace, '--dry-run'], {env})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stderr).toMatch(/\[8\/8\] kube-proxy: to do - metricsBindAddress 127\.0\.0\.1:10249 → 0\.0\.0\.0:10249; restart kube-proxy one node at a time/)
    // kube-proxy fix's plan is bootstrap's plan for this step, line for line.
    expect(dry.stderr).toContain('  - kube-proxy: set metricsBindAddress 127.0.0.1:10249 → 0.0.0.0:10249 in configmap "kube-proxy-config"\n')
    expect(dry.stderr).toMatch(/\n {2}- kube-proxy: restart kube-proxy one node at a time on \d+ nodes \(kube-proxy reads its config only at start\)\n/)
    const podsBefore = (await k(['get', 'pods', '-n', namespace, '-l', 'k8s-app=kube-proxy', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout.split(' ')

    const run = await runCli(['bootstrap', '--only', 'kube-proxy', '--kube-proxy-namespace', namespace, '--yes', '--json'], {env, timeoutMs: 300_000})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout).changed).toEqual(['kube-proxy'])
    const config = (await k(['get', 'configmap', 'kube-proxy-config', '-n', namespace, '-o', 'jsonpath={.data.config}'])).stdout
    expect(config).toMatch(/^metricsBindAddress: 0\.0\.0\.0:10249$/m)
    const podsAfter = (await k(['get', 'pods', '-n', namespace, '-l', 'k8s-app=kube-proxy', '-o', 'jsonpath={.items[*].metadata.uid}'])).stdout.split(' ')
    expect(podsAfter.filter((uid) => podsBefore.includes(uid))).toEqual([])

    const again = await runCli(['bootstrap', '--only', 'kube-proxy', '--kube-proxy-namespace', namespace, '--json'], {env})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({
      changed: [],
      steps: expect.arrayContaining([expect.objectContaining({id: 'kube-proxy', before: expect.objectContaining({state: 'done'})})]),
    })
    // kube-system was not touched.
    const shared = (await k(['get', 'configmap', 'kube-proxy-config', '-n', 'kube-system', '-o', 'jsonpath={.data.config}'])).stdout
    expect(shared).toMatch(/^metricsBindAddress: 127\.0\.0\.1:10249$/m)
  })
})
