import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {runCli, runTool} from '../helpers/cli.js'
import {kubeconfig, kubectlBin as kubectl, viewerKubeconfig} from '../helpers/cluster.js'

// End to end against the real local cluster: the built CLI in its own process, compared with
// what kubectl says about the same pods.

interface ContainerRow {
  namespace: string
  pod: string
  container: string
  image: string
  kind: string
  phase: string
  node: string
  digest: string
}

/**
 * kubectl's view of every container of every pod, with the runbook's own tool: a jsonpath line
 * per pod (namespace, pod, then name=image pairs), once per kind of container.
 */
async function kubectlContainers(extra: string[] = []): Promise<string[]> {
  const lines: string[] = []
  for (const [kind, field] of [
    ['init', 'initContainers'],
    ['container', 'containers'],
    ['ephemeral', 'ephemeralContainers'],
  ]) {
    const jsonpath = `{range .items[*]}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{range .spec.${field}[*]}{.name}{"="}{.image}{" "}{end}{"\\n"}{end}`
    const {stdout, exitCode, stderr} = await runTool(kubectl, ['--kubeconfig', kubeconfig, 'get', 'pods', ...extra, '-o', `jsonpath=${jsonpath}`])
    expect(exitCode, stderr).toBe(0)
    for (const line of stdout.split('\n').filter(Boolean)) {
      const [namespace, pod, containers = ''] = line.split('\t')
      for (const pair of containers.trim().split(' ').filter(Boolean)) {
        const [name, image] = pair.split('=')
        lines.push([namespace, pod, name, image, kind].join('\t'))
      }
    }
  }
  return lines.sort()
}

/**
 * Other test files create and delete pods in their own namespaces and roll kube-proxy; compare
 * only at a moment when the cluster stands still: kubectl before and after our listing agree.
 */
async function compareWhenStable(ourArgs: string[], kubectlArgs: string[]): Promise<ContainerRow[]> {
  for (let attempt = 1; ; attempt++) {
    const before = await kubectlContainers(kubectlArgs)
    const ours = await ourContainers(ourArgs)
    const after = await kubectlContainers(kubectlArgs)
    if (JSON.stringify(before) === JSON.stringify(after) || attempt === 5) {
      expect(ours.map((r) => [r.namespace, r.pod, r.container, r.image, r.kind].join('\t')).sort()).toEqual(after)
      return ours
    }
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
}

async function ourContainers(args: string[]): Promise<ContainerRow[]> {
  const result = await runCli(['images', '--by', 'pod', '--json', '--kubeconfig', kubeconfig, ...args])
  expect(result.exitCode, result.stderr).toBe(0)
  const parsed = JSON.parse(result.stdout) as {view: string; rows: ContainerRow[]}
  expect(parsed.view).toBe('pod')
  return parsed.rows
}

describe('elife-k8s images on the real local cluster', () => {
  let podsJson: {
    items: Array<{
      metadata: {namespace: string; name: string}
      spec: {nodeName?: string}
      status: {phase: string; containerStatuses?: Array<{name: string; imageID: string}>}
    }>
  }

  beforeAll(async () => {
    // The seeded application namespaces: no other test file changes their pods.
    podsJson = JSON.parse((await runTool(kubectl, ['--kubeconfig', kubeconfig, 'get', 'pods', '-A', '-o', 'json'])).stdout)
    podsJson.items = podsJson.items.filter((p) => ['adm', 'flux', 'prod', 'stg'].includes(p.metadata.namespace))
  })

  it('agrees with kubectl on every container of every pod, init containers and unscheduled pods included', async () => {
    const ours = await compareWhenStable(['-A'], ['-A'])
    // The seeded cluster has what this comparison is meant to cover.
    expect(ours.some((r) => r.kind === 'init')).toBe(true)
    const namespaces = new Set(ours.map((r) => r.namespace))
    for (const ns of ['adm', 'flux', 'kube-system', 'prod', 'stg']) expect(namespaces).toContain(ns)
    const unscheduled = podsJson.items.filter((p) => !p.spec.nodeName)
    expect(unscheduled.length).toBeGreaterThan(0)
    for (const pod of unscheduled) expect(ours.some((r) => r.pod === pod.metadata.name && r.node === '' && r.phase === 'Pending')).toBe(true)
  })

  it('reports the digest actually running and the phase, as the pod status says', async () => {
    const ours = await ourContainers(['-A', '--wide'])
    let compared = 0
    for (const pod of podsJson.items) {
      for (const status of pod.status.containerStatuses ?? []) {
        const row = ours.find((r) => r.namespace === pod.metadata.namespace && r.pod === pod.metadata.name && r.container === status.name)
        expect(row?.phase).toBe(pod.status.phase)
        if (status.imageID) {
          expect(row?.digest).toBe(status.imageID.slice(status.imageID.lastIndexOf('@') + 1))
          compared++
        }
      }
    }
    expect(compared).toBeGreaterThan(0)
  })

  it('counts pods, containers and namespaces per image in the default view, with a closing summary', async () => {
    // prod and stg hold only seeded pods, so the table and the per-container listing see the same.
    const table = await runCli(['images', '-n', 'prod', '--kubeconfig', kubeconfig])
    expect(table.exitCode, table.stderr).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^IMAGE\s+PODS\s+CONTAINERS\s+NAMESPACES$/)
    const rows = await ourContainers(['-n', 'prod'])
    const images = [...new Set(rows.map((r) => r.image))].sort()
    const pods = new Set(rows.map((r) => `${r.namespace}/${r.pod}`))
    // stdout is the table only (`| wc -l` counts the header and the rows); the summary is on stderr, once.
    expect(table.stdout.split('\n')).toHaveLength(images.length + 2)
    expect(table.stderr).toBe(`${images.length} distinct images in ${rows.length} containers of ${pods.size} pods across 1 namespace (namespace "prod")\n`)
    const tableRows = lines.slice(1).map((l) => l.split(/\s+/))
    expect(tableRows.map((cols) => cols[0])).toEqual(images)
    for (const [image, podCount, containerCount, namespaces] of tableRows) {
      const using = rows.filter((r) => r.image === image)
      expect([Number(podCount), Number(containerCount), namespaces]).toEqual([new Set(using.map((r) => r.pod)).size, using.length, 'prod'])
    }
    // Some image runs in more than one container of a pod, so pods and containers differ somewhere.
    expect(tableRows.some(([, p, c]) => p !== c)).toBe(true)
  })

  it('narrows by namespace, label selector and image pattern the way kubectl does', async () => {
    const inProd = await compareWhenStable(['-n', 'prod'], ['-n', 'prod'])
    expect(inProd.length).toBeGreaterThan(0)

    const some = inProd[0]
    const {stdout} = await runTool(kubectl, ['--kubeconfig', kubeconfig, 'get', 'pod', '-n', 'prod', some.pod, '-o', 'jsonpath={.metadata.labels}'])
    const [key, value] = Object.entries(JSON.parse(stdout) as Record<string, string>).find(([k]) => k !== 'pod-template-hash')!
    const selected = await compareWhenStable(['-n', 'prod', '-l', `${key}=${value}`], ['-n', 'prod', '-l', `${key}=${value}`])
    expect(selected.length).toBeGreaterThan(0)

    const image = some.image.split(':')[0]
    const byImage = await ourContainers(['-A', '--image', image])
    expect(byImage.length).toBeGreaterThan(0)
    expect(byImage.every((r) => r.image.includes(image))).toBe(true)
    const all = await ourContainers(['-A'])
    expect(byImage.length).toBe(all.filter((r) => r.image.includes(image)).length)
  })

  it('matching nothing prints no rows on stdout and says so on stderr', async () => {
    const none = await runCli(['images', '-n', 'prod', '--image', 'no-such-image-anywhere', '--kubeconfig', kubeconfig])
    expect(none.exitCode, none.stderr).toBe(0)
    expect(none.stdout).toBe('')
    expect(none.stderr).toBe('No pods running an image like "no-such-image-anywhere" in namespace "prod".\n')
  })
})

describe('elife-k8s images failures: one line and a documented exit code', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'elife-k8s-images-'))

  it('an unknown context is a usage error that names the known contexts', async () => {
    const r = await runCli(['images', '-A', '--kubeconfig', kubeconfig, '--context', 'no-such-context'])
    expect(r.exitCode).toBe(ExitCode.USAGE)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^error: context "no-such-context" is not in .*; known contexts: /)
  })

  it('an unreachable server says so, with its URL, and exits 5', async () => {
    // A kubeconfig pointing at a loopback port nothing listens on.
    const dead = path.join(tmp, 'dead.yaml')
    writeFileSync(
      dead,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: "https://127.0.0.1:9"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: u}\ncurrent-context: dead\n`,
    )
    const r = await runCli(['images', '-A', '--kubeconfig', dead])
    expect(r.exitCode).toBe(ExitCode.UNREACHABLE)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('error: cannot list pods in all namespaces: the API server https://127.0.0.1:9 is unreachable (ECONNREFUSED)')
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
  })

  it("a user RBAC forbids gets the API server's reason and exits 4; in its own namespace it works", async () => {
    const r = await runCli(['images', '-A', '--kubeconfig', viewerKubeconfig])
    expect(r.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^error: cannot list pods in all namespaces: pods is forbidden: User "viewer" cannot list resource "pods"/)

    const ok = await runCli(['images', '-n', 'stg', '--kubeconfig', viewerKubeconfig, '--json'])
    expect(ok.exitCode, ok.stderr).toBe(0)
    expect((JSON.parse(ok.stdout) as {rows: unknown[]}).rows.length).toBeGreaterThan(0)
  })

  it('--json failures are JSON on stdout with the same exit code', async () => {
    const r = await runCli(['images', '-A', '--json', '--kubeconfig', viewerKubeconfig])
    expect(r.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(JSON.parse(r.stdout)).toMatchObject({error: {kind: 'forbidden', exitCode: ExitCode.FORBIDDEN}})
  })

  // Issue 14 item 20: --wide without --by pod was silently ignored.
  it('--wide without --by pod is refused with one line, on the fast path and through oclif alike', async () => {
    for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
      for (const args of [
        ['-A', '--wide'],
        ['-A', '--by', 'image', '--wide'],
      ]) {
        const r = await runCli(['images', ...args, '--kubeconfig', kubeconfig], {env})
        expect(r.exitCode, r.stderr).toBe(ExitCode.USAGE)
        expect(r.stdout).toBe('')
        expect(r.stderr.trim().split('\n')).toEqual([
          'error: --wide adds the digest and phase columns of the per-container view, and the default --by image view has one row per image; add --by pod (e.g. `elife-k8s images -A --by pod --wide`)',
        ])
      }
    }
    const wide = await runCli(['images', '-n', 'prod', '--by', 'pod', '--wide', '--kubeconfig', kubeconfig])
    expect(wide.exitCode, wide.stderr).toBe(0)
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+POD\s+CONTAINER\s+IMAGE\s+DIGEST\s+PHASE$/)
  })

  it('--debug adds the stack trace', async () => {
    const r = await runCli(['images', '-A', '--debug', '--kubeconfig', viewerKubeconfig])
    expect(r.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(r.stderr).toMatch(/\n\s+at /)
  })
})
