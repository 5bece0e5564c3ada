// `elife-k8s logs helm-operator|flux` against the local cluster: kwok serves a canned log for
// every container (scripts/cluster/README.md), so output is compared with `kubectl logs` on the
// same pod; following across a restart deletes the pod and lets its Deployment replace it.
import {spawn} from 'node:child_process'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {childEnv, repoRoot, runCli, runTool} from '../helpers/cli.js'
import {clusterClients, kubeconfig, kubectlBin as kubectl, randomSuffix} from '../helpers/cluster.js'
import {waitFor} from '../helpers/wait.js'

const suffix = randomSuffix()
const namespace = `logs-${suffix}`
const {core, apps} = clusterClients()
const env = {KUBECONFIG: kubeconfig}

async function runningPods(selector: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({namespace, labelSelector: selector})
  return pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!)
}

beforeAll(async () => {
  await core.createNamespace({body: {metadata: {name: namespace}}})
  const deployment = (name: string, app: string, containers: string[]) =>
    apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: {name},
        spec: {
          selector: {matchLabels: {app, release: name}},
          template: {metadata: {labels: {app, release: name}}, spec: {containers: containers.map((c) => ({name: c, image: `docker.io/fluxcd/${c}:1.4.4`}))}},
        },
      },
    })
  // A sidecar first, so the main container has to be picked by name, as in the real chart.
  await deployment('helm-operator', 'helm-operator', ['sidecar', 'flux-helm-operator'])
  await deployment('flux', 'flux', ['flux'])
  await deployment('flux-memcached', 'flux-memcached', ['memcached'])
  await waitFor('pods Running', async () => (await runningPods('app in (helm-operator,flux)')).length === 2)
})

afterAll(async () => {
  await core?.deleteNamespace({name: namespace}).catch(() => undefined)
})

describe('logs', () => {
  it('--json gives one JSON object per log line, naming the pod and container', async () => {
    const [pod] = await runningPods('app=helm-operator')
    const expected = await runTool(kubectl, ['--kubeconfig', kubeconfig, 'logs', '-n', namespace, pod, '-c', 'flux-helm-operator', '--timestamps'])
    const result = await runCli(['logs', 'helm-operator', '-n', namespace, '--json', '--timestamps'], {env})
    expect(result.exitCode, result.stderr).toBe(0)
    const objects = result.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as {pod: string; container: string; time: string; line: string})
    const lines = expected.stdout.trimEnd().split('\n')
    expect(objects).toHaveLength(lines.length)
    expect(objects.map((o) => `${o.time} ${o.line}`)).toEqual(lines)
    expect(new Set(objects.map((o) => `${o.pod}/${o.container}`))).toEqual(new Set([`${pod}/flux-helm-operator`]))
  })

  it('finds the pod by label and prints what kubectl logs prints for it (also with --since and --timestamps)', async () => {
    const [pod] = await runningPods('app=helm-operator')
    for (const [ours, theirs] of [
      [[], []],
      [['--since', '10m'], ['--since=10m']],
      [['--since', '1s'], ['--since=1s']],
      [
        ['--timestamps', '--tail', '2'],
        ['--timestamps', '--tail=2'],
      ],
      // kubectl's -1: all lines
      [['--tail', '-1'], ['--tail=-1']],
    ]) {
      const expected = await runTool(kubectl, ['--kubeconfig', kubeconfig, 'logs', '-n', namespace, pod, '-c', 'flux-helm-operator', ...theirs])
      const result = await runCli(['logs', 'helm-operator', '-n', namespace, ...ours], {env})
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stdout).toBe(expected.stdout)
    }
    const all = await runCli(['logs', 'helm-operator', '-n', namespace], {env})
    expect(all.stdout).toMatch(/this container is simulated by kwok/)
  })

  it('-f follows across a pod restart: the new pod from the Deployment is found and followed, said on stderr', async () => {
    const [first] = await runningPods('app=flux')
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), 'logs', 'flux', '-n', namespace, '-f'], {env: childEnv(env)})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      const banner = '[elife-k8s local cluster] this container is simulated by kwok'
      await waitFor("the first pod's log", () => stdout.includes('kube-probe/1.35') || undefined)
      expect(stderr).toContain(`following pod ${first} (container flux) in ${namespace}`)
      await core.deleteNamespacedPod({name: first, namespace})
      const second = await waitFor('the replacement to be followed', () => /following the new pod (\S+)/.exec(stderr)?.[1])
      expect(second).not.toBe(first)
      expect(stderr).toContain(`pod ${first} went away; following the new pod ${second} (container flux) from its start`)
      const pods = await core.listNamespacedPod({namespace, labelSelector: 'app=flux'})
      expect(pods.items.map((p) => p.metadata?.name)).toContain(second)
      await waitFor("the new pod's log", () => stdout.split(banner).length === 3 || undefined)
      child.kill('SIGINT')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('bad input: no such pod (exit 3), bad --since or --tail (exit 2), unknown component (exit 2)', async () => {
    const none = await runCli(['logs', 'helm-operator', '-n', namespace, '--release', 'nope'], {env})
    expect(none.exitCode).toBe(3)
    expect(none.stderr.trim()).toBe(
      `error: no helm-operator pod (label app=helm-operator,release=nope) in namespace ${namespace}; check the namespace (-n; the runbook's is flux) and the release label (--release), e.g. \`kubectl get pods -A -l app=helm-operator,release=nope\``,
    )
    const since = await runCli(['logs', 'flux', '-n', namespace, '--since', 'yesterday'], {env})
    expect(since.exitCode).toBe(2)
    expect(since.stderr.trim()).toBe('error: --since is not a duration; use Go duration syntax as kubectl does, e.g. 500ms, 30s, 10m, 1h30m')
    // kubectl refuses it too; the API server's 422 was an "unexpected" exit 1
    const tail = await runCli(['logs', 'flux', '-n', namespace, '--tail', '-5'], {env})
    expect(tail.exitCode).toBe(2)
    expect(tail.stderr.trim()).toBe('error: --tail must be -1 (all lines) or a number of lines (0 or more); e.g. --tail 100')
    const unknown = await runCli(['logs', 'memcached', '-n', namespace], {env})
    expect(unknown.exitCode).toBe(2)
  })
})
