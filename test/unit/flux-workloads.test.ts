import {describe, expect, it} from 'vitest'

import {workloadPolicy} from '../../src/lib/flux/fluxd.js'
import {isFluxV2} from '../../src/lib/flux/v2.js'

describe('flux', () => {
  it("renders fluxctl's POLICY column", () => {
    expect(workloadPolicy({ID: 'prod:deployment/journal', Automated: true, Locked: true})).toBe('automated,locked')
    expect(workloadPolicy({ID: 'prod:deployment/journal', Ignore: true})).toBe('ignore')
    expect(workloadPolicy({ID: 'prod:deployment/journal'})).toBe('')
  })

  it('takes Flux v2 to be there only with both GitRepository and Kustomization kinds', () => {
    const git = {kind: 'GitRepository' as const, group: 'source.toolkit.fluxcd.io', plural: 'gitrepositories', version: 'v1'}
    const ks = {kind: 'Kustomization' as const, group: 'kustomize.toolkit.fluxcd.io', plural: 'kustomizations', version: 'v1'}
    const hr = {kind: 'HelmRelease' as const, group: 'helm.toolkit.fluxcd.io', plural: 'helmreleases', version: 'v2'}
    expect(isFluxV2([git, ks])).toBe(true)
    // The HelmRelease CRD alone (e.g. installed by a test) is not Flux v2.
    expect(isFluxV2([hr])).toBe(false)
    expect(isFluxV2([git, hr])).toBe(false)
  })
})
