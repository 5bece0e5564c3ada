import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {ALERTMANAGER_SECRET, RELEASES, seed, type SeedState} from '../../scripts/cluster/seed.mjs'
import {runCli, runTool} from '../helpers/cli.js'
import {clusterClients, helmBin, kubeconfig} from '../helpers/cluster.js'

// The local cluster's seeded demo state (scripts/cluster/seed.mjs), made by the cluster's real
// helm: what `helm list/history/unstick/debug` and `alertmanager apply` act on after `npm run
// demo`. Read with real helm and kubectl, and with our CLI for the owners.
const {core} = clusterClients()

interface HelmListEntry {
  name: string
  namespace: string
  revision: string
  status: string
}

async function helmList(): Promise<HelmListEntry[]> {
  const result = await runTool(helmBin, ['list', '-A', '-a', '--max', '0', '-o', 'json', '--kubeconfig', kubeconfig])
  expect(result.exitCode, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as HelmListEntry[]
}

describe('the seeded demo cluster', () => {
  it('has helm releases as production does: deployed, failed and pending-upgrade, as real helm lists them', async () => {
    const listed = await helmList()
    for (const release of RELEASES) {
      const entry = listed.find((e) => e.namespace === release.namespace && e.name === release.name)
      expect(entry, `${release.namespace}/${release.name}`).toMatchObject({revision: String(release.revision), status: release.status})
    }
    expect(new Set(RELEASES.map((r) => r.status))).toEqual(new Set(['deployed', 'failed', 'pending-upgrade']))
  })

  it('owned by HelmReleases of both Flux generations, which `elife-k8s helm list` names', async () => {
    const result = await runCli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfig], {env: {ELIFE_K8S_HELM: helmBin}})
    expect(result.exitCode, result.stderr).toBe(0)
    const rows = (
      JSON.parse(result.stdout) as {
        releases: Array<{name: string; namespace: string; status: string; stuck: boolean; owner?: {apiVersion: string; name: string}}>
      }
    ).releases
    for (const release of RELEASES) {
      const row = rows.find((r) => r.namespace === release.namespace && r.name === release.name)
      expect(row, `${release.namespace}/${release.name}`).toMatchObject({
        status: release.status,
        stuck: release.status !== 'deployed',
        owner: {apiVersion: release.owner, name: release.name},
      })
    }
    expect(new Set(RELEASES.map((r) => r.owner))).toEqual(new Set(['helm.fluxcd.io/v1', 'helm.toolkit.fluxcd.io/v2']))
  })

  it('has the Alertmanager Secret prometheus-operator reads, with a parseable alertmanager.yaml', async () => {
    const secret = await core.readNamespacedSecret({name: ALERTMANAGER_SECRET.name, namespace: ALERTMANAGER_SECRET.namespace})
    const config = Buffer.from(secret.data?.['alertmanager.yaml'] ?? '', 'base64').toString('utf8')
    expect(config).toMatch(/^route:\n {2}receiver: slack-alerts$/m)
    expect(config).toMatch(/^receivers:$/m)
  })

  it('seeding again keeps what is as seeded and makes again a release someone changed', async () => {
    const state = JSON.parse(readFileSync(path.join(path.dirname(kubeconfig), 'cluster.json'), 'utf8')) as SeedState
    const changed = RELEASES.find((r) => r.status === 'deployed' && r.namespace === 'stg')!
    // As a demo would: a new revision of a seeded release.
    const upgraded = await runTool(helmBin, ['rollback', changed.name, String(changed.revision), '-n', changed.namespace, '--kubeconfig', kubeconfig])
    expect(upgraded.exitCode, upgraded.stderr).toBe(0)
    expect((await helmList()).find((e) => e.namespace === changed.namespace && e.name === changed.name)?.revision).toBe(String(changed.revision + 1))
    const again = await seed(state)
    expect(again.made).toEqual([`${changed.namespace}/${changed.name}`])
    expect(again.kept.sort()).toEqual(
      RELEASES.filter((r) => r !== changed)
        .map((r) => `${r.namespace}/${r.name}`)
        .sort(),
    )
    const entry = (await helmList()).find((e) => e.namespace === changed.namespace && e.name === changed.name)
    expect(entry).toMatchObject({revision: String(changed.revision), status: changed.status})
  })
})
