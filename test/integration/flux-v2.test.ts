// `elife-k8s flux sync | workloads | identity` for Flux v2: minimal toolkit CRDs (open schema,
// status subresource) installed by this test. No Flux controllers run here, so THE TEST PLAYS THE
// CONTROLLER: it watches for the reconcile.fluxcd.io/requestedAt annotation the command sets and
// then writes status.lastHandledReconcileAt (and a Ready condition) through the status
// subresource, as source-controller/kustomize-controller/helm-controller do.
import {ApiextensionsV1Api, PatchStrategy, setHeaderOptions} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../helpers/cli.js'
import {clusterClients, kubeconfig, randomSuffix} from '../helpers/cluster.js'
import {waitFor} from '../helpers/wait.js'

const suffix = randomSuffix()
const namespace = `flux-v2-${suffix}`
const {kc, core, custom} = clusterClients()
const extensions = kc.makeApiClient(ApiextensionsV1Api)
const createdCrds: string[] = []
const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBoK4kmxc8x1oVW0JqJbEYtFZDoZnJxXnKq3lJfR7s8p flux-system'

const kinds = [
  {kind: 'GitRepository', group: 'source.toolkit.fluxcd.io', version: 'v1', plural: 'gitrepositories'},
  {kind: 'Kustomization', group: 'kustomize.toolkit.fluxcd.io', version: 'v1', plural: 'kustomizations'},
  {kind: 'HelmRelease', group: 'helm.toolkit.fluxcd.io', version: 'v2', plural: 'helmreleases'},
] as const

const env = {KUBECONFIG: kubeconfig, FLUX_FORWARD_NAMESPACE: `no-flux-v1-${suffix}`}

async function waitEstablished(name: string): Promise<void> {
  await waitFor(`${name} established`, async () => {
    const crd = await extensions.readCustomResourceDefinition({name})
    return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
  })
}

/**
 * Plays the Flux controllers until stopped: for each object whose requestedAt annotation is not yet
 * handled, writes lastHandledReconcileAt and the Ready condition `readyFor(name)` gives.
 */
function playController(readyFor: (name: string) => {status: 'True' | 'False'; reason: string; message: string}): () => Promise<number> {
  let running = true
  let handled = 0
  let failure: unknown
  const loop = (async () => {
    while (running) {
      try {
        for (const k of kinds) {
          const list = (await custom.listNamespacedCustomObject({group: k.group, version: k.version, namespace, plural: k.plural})) as {
            items: Array<{metadata: {name: string; annotations?: Record<string, string>}; status?: {lastHandledReconcileAt?: string}}>
          }
          for (const item of list.items) {
            const requested = item.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']
            if (!requested || item.status?.lastHandledReconcileAt === requested) continue
            const ready = readyFor(item.metadata.name)
            await custom.patchNamespacedCustomObjectStatus(
              {
                group: k.group,
                version: k.version,
                namespace,
                plural: k.plural,
                name: item.metadata.name,
                body: {
                  status: {
                    lastHandledReconcileAt: requested,
                    lastAppliedRevision: 'main@sha1:0a1b2c3d',
                    conditions: [
                      {type: 'Ready', status: ready.status, reason: ready.reason, message: ready.message, lastTransitionTime: new Date().toISOString()},
                    ],
                  },
                },
              },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            )
            handled++
          }
        }
      } catch (error) {
        failure = error
        running = false
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  return async () => {
    running = false
    await loop
    if (failure) throw failure
    return handled
  }
}

beforeAll(async () => {
  for (const k of kinds) {
    const name = `${k.plural}.${k.group}`
    try {
      await extensions.readCustomResourceDefinition({name})
      continue // already installed (the helm tests install the HelmRelease CRD): leave it be
    } catch {}
    await extensions.createCustomResourceDefinition({
      body: {
        metadata: {name},
        spec: {
          group: k.group,
          names: {kind: k.kind, plural: k.plural, singular: k.kind.toLowerCase(), listKind: `${k.kind}List`},
          scope: 'Namespaced',
          versions: [
            {
              name: k.version,
              served: true,
              storage: true,
              subresources: {status: {}},
              schema: {openAPIV3Schema: {type: 'object', x_kubernetes_preserve_unknown_fields: true}},
            },
          ],
        },
      },
    })
    createdCrds.push(name)
  }
  for (const name of kinds.map((k) => `${k.plural}.${k.group}`)) await waitEstablished(name)
  await core.createNamespace({body: {metadata: {name: namespace}}})
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: {name: 'flux-system'},
      stringData: {'identity.pub': `${publicKey}\n`, identity: 'not a real key', known_hosts: 'github.com ssh-ed25519 AAAA'},
    },
  })
  const create = (k: (typeof kinds)[number], name: string, spec: object) =>
    custom.createNamespacedCustomObject({
      group: k.group,
      version: k.version,
      namespace,
      plural: k.plural,
      body: {apiVersion: `${k.group}/${k.version}`, kind: k.kind, metadata: {name}, spec},
    })
  await create(kinds[0], 'flux-system', {
    url: 'ssh://git@github.com/elifesciences/elife-flux-cluster',
    interval: '1m',
    ref: {branch: 'main'},
    secretRef: {name: 'flux-system'},
  })
  await create(kinds[1], 'flux-system', {interval: '10m', path: './clusters/prod', prune: true, sourceRef: {kind: 'GitRepository', name: 'flux-system'}})
  await create(kinds[2], 'journal', {interval: '5m', chart: {spec: {chart: './charts/journal', sourceRef: {kind: 'GitRepository', name: 'flux-system'}}}})
  await create(kinds[2], 'paused', {
    suspend: true,
    interval: '5m',
    chart: {spec: {chart: './charts/paused', sourceRef: {kind: 'GitRepository', name: 'flux-system'}}},
  })
})

afterAll(async () => {
  await core?.deleteNamespace({name: namespace}).catch(() => undefined)
  for (const name of createdCrds) await extensions.deleteCustomResourceDefinition({name}).catch(() => undefined)
})

describe('flux (v2, reconcile annotations)', () => {
  it('sync annotates every GitRepository, Kustomization and HelmRelease and reports Ready once each is handled', async () => {
    const dry = await runCli(['flux', 'sync', '-n', namespace, '--dry-run'], {env})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stdout).toBe('')
    expect(dry.stderr).toBe(
      [
        'plan (dry run):',
        ...[`GitRepository ${namespace}/flux-system`, `Kustomization ${namespace}/flux-system`, `HelmRelease ${namespace}/journal`].map(
          (o) => `  - set reconcile.fluxcd.io/requestedAt on ${o}`,
        ),
        'dry run: nothing was changed',
        '',
      ].join('\n'),
    )
    const unconfirmed = await runCli(['flux', 'sync', '-n', namespace], {env})
    expect(unconfirmed.exitCode).toBe(8)
    const untouched = (await custom.getNamespacedCustomObject({
      group: kinds[0].group,
      version: kinds[0].version,
      namespace,
      plural: kinds[0].plural,
      name: 'flux-system',
    })) as {metadata: {annotations?: Record<string, string>}}
    expect(untouched.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeUndefined()

    const stop = playController(() => ({status: 'True', reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:0a1b2c3d'}))
    // No fluxd pod in FLUX_FORWARD_NAMESPACE, toolkit CRDs present: detected as Flux v2.
    const result = await runCli(['flux', 'sync', '-n', namespace, '--json', '--yes'], {env})
    const handled = await stop()
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout) as {
      generation: string
      v2: Array<{kind: string; name: string; handled: boolean; ready: string; requestedAt: string; suspended: boolean}>
    }
    expect(json.generation).toBe('v2')
    expect(json.v2.map((r) => `${r.kind}/${r.name} handled=${r.handled} ready=${r.ready}`).sort()).toEqual([
      'GitRepository/flux-system handled=true ready=True',
      'HelmRelease/journal handled=true ready=True',
      'HelmRelease/paused handled=false ready=Unknown',
      'Kustomization/flux-system handled=true ready=True',
    ])
    expect(handled).toBe(3)
    // What the API server holds now: the annotation on each, equal to what the controller handled.
    for (const [k, name] of [
      [kinds[0], 'flux-system'],
      [kinds[1], 'flux-system'],
      [kinds[2], 'journal'],
    ] as const) {
      const object = (await custom.getNamespacedCustomObject({group: k.group, version: k.version, namespace, plural: k.plural, name})) as {
        metadata: {annotations: Record<string, string>}
        status: {lastHandledReconcileAt: string}
      }
      expect(object.metadata.annotations['reconcile.fluxcd.io/requestedAt']).toBe(json.v2[0].requestedAt)
      expect(object.status.lastHandledReconcileAt).toBe(json.v2[0].requestedAt)
    }
    const paused = (await custom.getNamespacedCustomObject({
      group: kinds[2].group,
      version: kinds[2].version,
      namespace,
      plural: kinds[2].plural,
      name: 'paused',
    })) as {metadata: {annotations?: Record<string, string>}}
    expect(paused.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeUndefined()
  })

  it('sync exits 6 naming what is not Ready after the reconcile', async () => {
    const stop = playController((name) =>
      name === 'journal'
        ? {status: 'False', reason: 'UpgradeFailed', message: 'Helm upgrade failed: timed out waiting for the condition'}
        : {status: 'True', reason: 'Succeeded', message: 'ok'},
    )
    const result = await runCli(['flux', 'sync', '--generation', 'v2', '-n', namespace, '--yes'], {env})
    await stop()
    expect(result.exitCode).toBe(6)
    expect(result.stderr).toContain(
      `✗ HelmRelease ${namespace}/journal reconciled: not Ready (UpgradeFailed: Helm upgrade failed: timed out waiting for the condition)`,
    )
    expect(result.stderr).toMatch(new RegExp(`error: Flux v2 reconciled 3 objects; 1 not Ready: HelmRelease ${namespace}/journal;`))
    // Under --json the failed check is still the result (exit 6), never an {error} envelope.
    const stopAgain = playController((name) =>
      name === 'journal' ? {status: 'False', reason: 'UpgradeFailed', message: 'Helm upgrade failed'} : {status: 'True', reason: 'Succeeded', message: 'ok'},
    )
    const json = await runCli(['flux', 'sync', '--generation', 'v2', '-n', namespace, '--yes', '--json'], {env})
    await stopAgain()
    expect(json.exitCode, json.stderr).toBe(6)
    const parsed = JSON.parse(json.stdout) as {error?: unknown; generation: string; failed: string; v2: Array<{name: string; ready: string; handled: boolean}>}
    expect(parsed.error).toBeUndefined()
    expect(parsed.generation).toBe('v2')
    expect(parsed.failed).toContain(`1 not Ready: HelmRelease ${namespace}/journal`)
    expect(parsed.v2.find((r) => r.name === 'journal')).toMatchObject({handled: true, ready: 'False'})
  })

  it("workloads lists the objects with Ready and revision; identity prints the GitRepository secret's identity.pub", async () => {
    const workloads = await runCli(['flux', 'workloads', '-n', namespace, '--json'], {env})
    expect(workloads.exitCode, workloads.stderr).toBe(0)
    const objects = (JSON.parse(workloads.stdout) as {objects: Array<{kind: string; name: string; ready: string; revision?: string; suspended: boolean}>})
      .objects
    expect(objects.map((o) => `${o.kind}/${o.name} ${o.suspended ? 'suspended' : o.ready} ${o.revision ?? '-'}`)).toEqual([
      'GitRepository/flux-system True main@sha1:0a1b2c3d',
      'Kustomization/flux-system True main@sha1:0a1b2c3d',
      'HelmRelease/journal False main@sha1:0a1b2c3d',
      'HelmRelease/paused suspended -',
    ])
    const identity = await runCli(['flux', 'identity', '-n', namespace], {env})
    expect(identity.exitCode, identity.stderr).toBe(0)
    expect(identity.stdout.trim()).toBe(publicKey)
  })
})
