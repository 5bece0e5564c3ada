import {describe, expect, it} from 'vitest'

import {normalizeGitUrl, redactHelmError, splitRendered} from '../../src/lib/lint/render-charts.js'

// The pure parts of rule 9 (HelmRelease rendering); helm itself runs in
// test/integration/lint-render.test.ts.

describe('rendering HelmReleases: the pure parts', () => {
  it('one Git URL in its ssh, scp-like and https forms compares equal; other repositories do not', () => {
    const forms = [
      'ssh://git@github.com/elifesciences/elife-flux-cluster',
      'git@github.com:elifesciences/elife-flux-cluster.git',
      'https://github.com/elifesciences/elife-flux-cluster.git/',
      'https://GitHub.com/elifesciences/elife-flux-cluster',
      'ssh://git@github.com:22/elifesciences/elife-flux-cluster',
    ]
    expect(new Set(forms.map(normalizeGitUrl))).toEqual(new Set(['github.com/elifesciences/elife-flux-cluster']))
    expect(normalizeGitUrl('https://github.com/libero/reviewer')).not.toBe(normalizeGitUrl('https://github.com/elifesciences/elife-flux-cluster'))
    expect(normalizeGitUrl('file:///tmp/repo')).toBe('/tmp/repo')
  })

  it('replaces every value passed to helm in its error line, longest first, whatever the key', () => {
    const values = {mode: 'hunter2-secret', nested: {list: ['abc-token-xyz', 'x']}, port: 8080}
    expect(redactHelmError('execution error at (c/templates/d.yaml:2:4): mode hunter2-secret is not one of web; got abc-token-xyz on 8080', values)).toBe(
      'execution error at (c/templates/d.yaml:2:4): mode <value> is not one of web; got <value> on <value>',
    )
  })

  it("splits helm template's output into documents with the template each came from", () => {
    const output =
      '---\n# Source: journal/templates/service.yaml\napiVersion: v1\nkind: Service\n---\n# Source: journal/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\n'
    expect(splitRendered(output).map((doc) => doc.template)).toEqual(['journal/templates/service.yaml', 'journal/templates/deployment.yaml'])
  })
})
