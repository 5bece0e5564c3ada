import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {KubeConfig} from '@kubernetes/client-node'
import {afterEach, describe, expect, it} from 'vitest'

import {findOwners} from '../../src/lib/helm/owners.js'

// findOwners asks for every version of both HelmRelease groups at once; which version wins must
// not depend on which answer comes first. A plain-HTTP server stands in for the API server here
// (it serves the HelmRelease lists a cluster with those CRD versions would; the real API server
// with the real CRDs is in test/integration/helm-list.test.ts), answering the older versions
// first so that the newest is the last to arrive.
let server: http.Server | undefined

afterEach(() => server?.close())

function helmRelease(apiVersion: string, name: string) {
  return {apiVersion, kind: 'HelmRelease', metadata: {name, namespace: 'adm'}, spec: {releaseName: name}}
}

/** Serves the given `group/version` lists; everything else is 404, as for an unserved version. */
async function apiServer(served: Record<string, unknown[]>): Promise<{kc: KubeConfig; asked: string[]}> {
  const asked: string[] = []
  server = http.createServer((req, res) => {
    const match = /^\/apis\/([^/]+\/[^/]+)\/helmreleases/.exec(req.url ?? '')
    const groupVersion = match?.[1] ?? ''
    asked.push(groupVersion)
    const items = served[groupVersion]
    // Older versions answer at once, newer ones later.
    const delay = groupVersion.endsWith('/v2') ? 30 : 0
    setTimeout(() => {
      if (!items) return void res.writeHead(404, {'content-type': 'application/json'}).end('{"kind":"Status","code":404}')
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({items}))
    }, delay)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{name: 'c', server: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, skipTLSVerify: true}],
    users: [{name: 'u'}],
    contexts: [{name: 'x', cluster: 'c', user: 'u'}],
    currentContext: 'x',
  })
  return {kc, asked}
}

describe('findOwners', () => {
  it('takes the newest version a group serves, though an older one answers first', async () => {
    const {kc, asked} = await apiServer({
      'helm.toolkit.fluxcd.io/v2': [helmRelease('helm.toolkit.fluxcd.io/v2', 'podinfo')],
      'helm.toolkit.fluxcd.io/v2beta1': [helmRelease('helm.toolkit.fluxcd.io/v2beta1', 'podinfo')],
      'helm.fluxcd.io/v1': [helmRelease('helm.fluxcd.io/v1', 'journal')],
    })
    const {owners} = await findOwners(kc)
    expect(owners.get('adm/podinfo')).toMatchObject({controller: 'flux-v2', apiVersion: 'helm.toolkit.fluxcd.io/v2'})
    expect(owners.get('adm/journal')).toMatchObject({controller: 'helm-operator', apiVersion: 'helm.fluxcd.io/v1'})
    // every version asked for, once
    expect([...asked].sort()).toEqual(['helm.fluxcd.io/v1', 'helm.toolkit.fluxcd.io/v2', 'helm.toolkit.fluxcd.io/v2beta1', 'helm.toolkit.fluxcd.io/v2beta2'])
  })

  it('falls back to an older version when the newer ones are not served, and finds none when no CRD is there', async () => {
    const {kc} = await apiServer({'helm.toolkit.fluxcd.io/v2beta2': [helmRelease('helm.toolkit.fluxcd.io/v2beta2', 'podinfo')]})
    const {owners, notes} = await findOwners(kc)
    expect([...owners.values()].map((o) => o.apiVersion)).toEqual(['helm.toolkit.fluxcd.io/v2beta2'])
    expect(notes).toEqual([])
  })
})
