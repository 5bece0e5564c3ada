import {describe, expect, it} from 'vitest'

import type {HelmTool} from '../../src/lib/helm/binary.js'
import {debugHelmRelease} from '../../src/lib/helm/debug.js'
import type {LoadedHelmRelease} from '../../src/lib/helm/resolve.js'

// helm debug's git fetch with a scripted git: what its error line says when git fails. (Real git
// against a real repository is in test/integration/helm-debug.test.ts.)
const helm: HelmTool = {path: 'helm', version: 'v3.20.2', clusterArgs: [], run: async () => ({exitCode: 0, stdout: '', stderr: ''})}

function fromGit(url: string): LoadedHelmRelease {
  return {
    apiVersion: 'helm.fluxcd.io/v1',
    from: {kind: 'cluster'},
    object: {
      apiVersion: 'helm.fluxcd.io/v1',
      kind: 'HelmRelease',
      metadata: {name: 'app', namespace: 'prod'},
      spec: {releaseName: 'app', chart: {git: url, ref: 'master', path: 'charts/app'}},
    },
  }
}

async function failure(url: string, stderr: string): Promise<string> {
  const steps: string[] = []
  const error = await debugHelmRelease(fromGit(url), {helm, git: async () => ({exitCode: 128, stderr}), onStep: (t) => steps.push(t)}).then(
    () => undefined,
    (e: unknown) => e as Error,
  )
  expect(error).toBeInstanceOf(Error)
  return [...steps, error?.message ?? ''].join('\n')
}

describe('helm debug: git failures', () => {
  it('says git\'s "fatal:" reason, not the last line of its wrapped hint', async () => {
    const shown = await failure(
      'git@github.com:elifesciences/elife-flux-cluster.git',
      'git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n',
    )
    expect(shown).toMatch(/at master: fatal: Could not read from remote repository\.$/)
  })

  it("a token in the Git URL is shown as *** in the step, the error, and git's own line quoting the URL", async () => {
    const url = 'https://x-access-token:ghs_S3CR3T@github.com/elifesciences/private.git'
    const shown = await failure(url, `fatal: repository '${url}/' not found\n`)
    expect(shown).not.toContain('S3CR3T')
    expect(shown).toContain("fatal: repository 'https://x-access-token:***@github.com/elifesciences/private.git/' not found")
  })
})
