import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {down, up} from '../../scripts/cluster/harness.mjs'
import {collectContainerRows, type PodLister, podLister} from '../../src/lib/images/collect.js'

// A real 410 Gone in the middle of a paged list. Since Kubernetes 1.34 the API server answers
// continue requests from snapshots in its watch cache, which survive an etcd compaction; this
// test runs its own API server with ListFromCacheSnapshot off, so the continue token is served
// by etcd and expires for real when etcd is compacted past it, as happens on a busy cluster
// when a list takes longer than the snapshot is kept.
describe('images when the pod list expires mid-way (410 Gone)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-410-'))
  let core: CoreV1Api
  let listPods: PodLister
  let etcdUrl: string

  beforeAll(async () => {
    const cluster = await up({dir, quiet: true, seed: false, extraApiServerArgs: ['--feature-gates=ListFromCacheSnapshot=false']})
    const kc = new KubeConfig()
    kc.loadFromFile(cluster.kubeconfig)
    core = kc.makeApiClient(CoreV1Api)
    listPods = podLister(kc)
    const state = JSON.parse(readFileSync(path.join(cluster.stateDir, 'cluster.json'), 'utf8')) as {ports: {etcdClient: number}}
    etcdUrl = `http://127.0.0.1:${state.ports.etcdClient}`
  })

  afterAll(async () => {
    await down({dir, quiet: true})
  })

  /** Writes something, then compacts etcd up to now through its v3 JSON gateway. */
  async function compactEtcd(): Promise<void> {
    await core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {generateName: 'compact-'}}})
    const range = (await (
      await fetch(`${etcdUrl}/v3/kv/range`, {method: 'POST', body: JSON.stringify({key: Buffer.from('a').toString('base64')})})
    ).json()) as {header: {revision: string}}
    const res = await fetch(`${etcdUrl}/v3/kv/compaction`, {method: 'POST', body: JSON.stringify({revision: range.header.revision, physical: true})})
    expect(res.ok).toBe(true)
  }

  it('starts the list over and returns exactly what a clean list returns, not a half list', async () => {
    let calls = 0
    let sawGone = false
    // The real lister, with etcd compacted right after the first page has been served.
    const compacting: PodLister = async (request) => {
      calls++
      try {
        const page = await listPods(request)
        if (calls === 1) await compactEtcd()
        return page
      } catch (error) {
        if ((error as {code?: number}).code === 410) sawGone = true
        throw error
      }
    }
    const restarts: number[] = []
    const rows = await collectContainerRows(compacting, {pageSize: 5, onRestart: (n) => restarts.push(n)})
    expect(sawGone).toBe(true)
    expect(restarts).toEqual([1])

    const clean = await collectContainerRows(listPods, {pageSize: 500})
    expect(rows).toEqual(clean)
    expect(rows.length).toBeGreaterThan(5)
  })
})
