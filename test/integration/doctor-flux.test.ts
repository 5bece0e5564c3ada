// `elife-k8s doctor`'s flux-sync check on Flux v2: when each Kustomization last applied Git
// successfully. The Kustomization CRD is kustomize-controller v1.7.3's own (pinned, from the Go
// module proxy: its schema validates the status written here); the GitRepository CRD is the
// fixture the helm tests share (open schema), left as it is. No Flux controller runs here: THE TEST
// WRITES THE STATUS kustomize-controller would, through the status subresource.
import {ApiextensionsV1Api, CustomObjectsApi, KubeConfig} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {upstreamKustomizationCrd} from '../helpers/upstream.js'
import {type CheckJson} from '../helpers/doctor.js'
import {cli, createNamespace, deleteNamespace, installHelmReleaseCrds, kubeconfig, kubectl} from './helm-support.js'

const kc = new KubeConfig()
let custom: CustomObjectsApi
let ns: string
let createdCrd = false
const kustomizations = {group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations'}
const gitRepositories = {group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories'}
const revision = 'master@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567'
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')

async function fluxSync(args: string[] = []): Promise<{exitCode: number; check: CheckJson}> {
  // No fluxd pod in --flux-namespace and the toolkit CRDs served: Flux v2.
  const result = await cli(['doctor', '--json', '--only', 'flux-sync', '--flux-namespace', `${ns}-no-fluxd`, ...args], {KUBECONFIG: kubeconfig})
  expect(result.stderr, result.stderr).toBe('')
  return {exitCode: result.exitCode, check: (JSON.parse(result.stdout) as {checks: CheckJson[]}).checks[0]}
}

async function setStatus(resource: typeof kustomizations, name: string, status: object): Promise<void> {
  const current = (await custom.getNamespacedCustomObject({...resource, namespace: ns, name})) as object
  await custom.replaceNamespacedCustomObjectStatus({...resource, namespace: ns, name, body: {...current, status}})
}

/** kustomize-controller's status after applying `revision` successfully, its history's last reconciliation `lastMinutesAgo` ago. */
const appliedStatus = (history: Array<{status: string; minutesAgo: number; digest: string}> | undefined) => ({
  observedGeneration: 1,
  lastAppliedRevision: revision,
  lastAttemptedRevision: revision,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'ReconciliationSucceeded',
      message: `Applied revision: ${revision}`,
      lastTransitionTime: minutesAgo(3 * 24 * 60),
      observedGeneration: 1,
    },
  ],
  ...(history
    ? {
        history: history.map((h) => ({
          digest: h.digest,
          firstReconciled: minutesAgo(3 * 24 * 60),
          lastReconciled: minutesAgo(h.minutesAgo),
          lastReconciledDuration: '1.2s',
          lastReconciledStatus: h.status,
          totalReconciliations: 40,
          metadata: {revision},
        })),
      }
    : {}),
})

beforeAll(async () => {
  kc.loadFromFile(kubeconfig)
  custom = kc.makeApiClient(CustomObjectsApi)
  await installHelmReleaseCrds()
  const extensions = kc.makeApiClient(ApiextensionsV1Api)
  createdCrd = !(await extensions.readCustomResourceDefinition({name: 'kustomizations.kustomize.toolkit.fluxcd.io'}).then(
    () => true,
    () => false,
  ))
  const applied = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', await upstreamKustomizationCrd()])
  expect(applied.exitCode, applied.stderr).toBe(0)
  expect((await kubectl(['wait', '--for=condition=Established', 'crd/kustomizations.kustomize.toolkit.fluxcd.io', '--timeout=60s'])).exitCode).toBe(0)
  ns = await createNamespace('doctor-flux')
  for (let attempt = 0; ; attempt++) {
    const listed = await kubectl(['get', 'kustomizations', '-n', ns, '-o', 'name'])
    if (listed.exitCode === 0) break
    if (attempt >= 60) throw new Error(`kustomizations not served: ${listed.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  await custom.createNamespacedCustomObject({
    ...gitRepositories,
    namespace: ns,
    body: {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: {name: 'cluster'},
      spec: {url: 'https://github.com/elifesciences/elife-flux-cluster', interval: '1m', ref: {branch: 'master'}},
    },
  })
  await setStatus(gitRepositories, 'cluster', {
    observedGeneration: 1,
    conditions: [
      {type: 'Ready', status: 'True', reason: 'Succeeded', message: `stored artifact for revision '${revision}'`, lastTransitionTime: minutesAgo(3 * 24 * 60)},
    ],
    artifact: {
      path: `gitrepository/${ns}/cluster/0a1b2c3d.tar.gz`,
      url: 'http://source-controller.flux-system.svc/x.tar.gz',
      revision,
      digest: 'sha256:00',
      lastUpdateTime: minutesAgo(3 * 24 * 60),
    },
  })
  for (const [name, interval] of [
    ['apps', '10m'],
    ['infra', '1h'],
  ] as const) {
    await custom.createNamespacedCustomObject({
      ...kustomizations,
      namespace: ns,
      body: {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: {name},
        spec: {interval, path: `./${name}`, prune: true, sourceRef: {kind: 'GitRepository', name: 'cluster'}},
      },
    })
  }
})

afterAll(async () => {
  if (ns) await deleteNamespace(ns)
  // Cluster-wide: removed when this file installed it, so other files see the cluster as before.
  if (createdCrd) await kubectl(['delete', '--ignore-not-found', '--wait=true', 'crd/kustomizations.kustomize.toolkit.fluxcd.io'])
})

describe('doctor flux-sync: Flux v2 last apply times', () => {
  it("applied minutes ago: ok, with the time of each Kustomization and the source's artifact", async () => {
    await setStatus(kustomizations, 'apps', appliedStatus([{status: 'ReconciliationSucceeded', minutesAgo: 4, digest: 'sha256:aa'}]))
    await setStatus(kustomizations, 'infra', appliedStatus([{status: 'ReconciliationSucceeded', minutesAgo: 2, digest: 'sha256:bb'}]))
    const {exitCode, check} = await fluxSync()
    expect(exitCode).toBe(0)
    expect(check.status).toBe('ok')
    // doctor reads the whole cluster, where other files' toolkit objects may come and go meanwhile:
    // the assertions are about this file's objects.
    expect(check.message).toMatch(new RegExp(`^\\d+ sources and Kustomizations Ready \\(at [^)]*${revision}[^)]*\\); `))
    expect(check.message).toMatch(new RegExp(`; last applied (4|5)m ago at the oldest \\(Kustomization ${ns}/apps\\)`))
    expect(check.objects?.filter((o) => o.includes(` ${ns}/`))).toEqual([
      expect.stringMatching(new RegExp(`^Kustomization ${ns}/apps: ${revision} last applied (4|5)m ago \\(`)),
      expect.stringMatching(new RegExp(`^Kustomization ${ns}/infra: ${revision} last applied (2|3)m ago \\(`)),
      `GitRepository ${ns}/cluster: artifact ${revision} stored 72h ago (a new revision; fetches of the same one do not move it)`,
    ])
  })

  it('Ready, but not applied for longer than 3 × its interval (at least 30m): warns, as a stopped kustomize-controller leaves it; --sync-stale-after sets the limit', async () => {
    // apps (every 10m) last applied 2h ago; the failed attempt since (another digest) is not an apply
    await setStatus(
      kustomizations,
      'apps',
      appliedStatus([
        {status: 'ReconciliationSucceeded', minutesAgo: 120, digest: 'sha256:aa'},
        {status: 'ReconciliationFailed', minutesAgo: 1, digest: 'sha256:cc'},
      ]),
    )
    // infra (every 1h) last applied 2h ago: within 3 × 1h
    await setStatus(kustomizations, 'infra', appliedStatus([{status: 'ReconciliationSucceeded', minutesAgo: 120, digest: 'sha256:bb'}]))
    let run = await fluxSync()
    expect(run.exitCode).toBe(0)
    expect(run.check.message).toContain(
      `, but 1 Kustomization not applied for longer than expected: Kustomization ${ns}/apps last applied 2h ago (more than 3 × its interval 10m)`,
    )
    expect(run.check).toMatchObject({
      status: 'warn',
      fix: 'kustomize-controller may be stopped or stuck: kubectl -n flux-system logs deploy/kustomize-controller, then elife-k8s flux sync',
    })
    run = await fluxSync(['--sync-stale-after', '90m'])
    expect(run.check.message).toContain('but 2 Kustomizations not applied for longer than expected: ')
    expect(run.check.message).toContain(`Kustomization ${ns}/infra last applied 2h ago (more than --sync-stale-after 1h30m)`)
    run = await fluxSync(['--sync-stale-after', '3h'])
    expect(run.check.status).toBe('ok')
    const strict = await cli(['doctor', '--json', '--strict', '--only', 'flux-sync', '--flux-namespace', `${ns}-no-fluxd`], {KUBECONFIG: kubeconfig})
    expect(strict.exitCode).toBe(6)
  })

  it('a kustomize-controller that keeps no status.history: the time is not known, and the check says so instead of guessing from Ready', async () => {
    await setStatus(kustomizations, 'apps', appliedStatus(undefined))
    await setStatus(kustomizations, 'infra', appliedStatus(undefined))
    const {check} = await fluxSync()
    expect(check.status).toBe('ok')
    expect(check.message).toMatch(new RegExp(`^\\d+ sources and Kustomizations Ready \\(at [^)]*${revision}[^)]*\\)`))
    expect(check.message).toContain('; kustomize-controller records no apply times here (no status.history): not compared')
    expect(check.objects).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^Kustomization ${ns}/apps: applied ${revision}, no apply time recorded \\(no status\\.history\\); Ready condition last changed \\d{4}-\\d\\d-\\d\\dT`,
        ),
      ),
    )
  })
})
