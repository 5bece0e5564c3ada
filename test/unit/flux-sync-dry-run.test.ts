import type {V1Pod} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {fluxdGitSettings} from '../../src/lib/flux/v1.js'

const pod = (containers: Array<{name: string; image?: string; command?: string[]; args?: string[]}>): V1Pod => ({spec: {containers}})

// Issue 14 item 20: `flux sync --dry-run` reads what fluxd would sync from its pod, not from fluxd.
describe('fluxd git settings from the pod spec', () => {
  it('reads --git-url and --git-branch in both flag forms; the last one wins; master by default', () => {
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=git@github.com:elifesciences/elife-flux-cluster.git', '--git-branch=main']}]))).toEqual({
      gitUrl: 'git@github.com:elifesciences/elife-flux-cluster.git',
      branch: 'main',
    })
    expect(
      fluxdGitSettings(
        pod([{name: 'flux', command: ['fluxd', '--git-url', 'ssh://git@example.org/a/b.git'], args: ['--git-branch', 'dev', '--git-branch=prod']}]),
      ),
    ).toEqual({gitUrl: 'ssh://git@example.org/a/b.git', branch: 'prod'})
    expect(
      fluxdGitSettings(
        pod([
          {name: 'memcached', image: 'memcached:1'},
          {name: 'fluxd', image: 'docker.io/fluxcd/flux:1.21.1', args: ['--git-url=git@h:o/r']},
        ]),
      ),
    ).toEqual({gitUrl: 'git@h:o/r', branch: 'master'})
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=']}]))).toEqual({gitUrl: undefined, branch: 'master'})
  })

  it('never shows a password in an https URL', () => {
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=https://$(GIT_AUTHUSER):$(GIT_AUTHKEY)@github.com/o/r.git']}])).gitUrl).toBe(
      'https://$(GIT_AUTHUSER):***@github.com/o/r.git',
    )
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=https://bot:s3cr3t@github.com/o/r.git']}])).gitUrl).toBe('https://bot:***@github.com/o/r.git')
    // GitHub's token-only form (https://<token>@github.com/...): the user part is the secret; ssh's git@ is not
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=https://ghp_s3cr3t@github.com/o/r.git']}])).gitUrl).toBe('https://***@github.com/o/r.git')
    expect(fluxdGitSettings(pod([{name: 'flux', args: ['--git-url=HTTPS://ghp_s3cr3t@github.com/o/r.git']}])).gitUrl).toBe('HTTPS://***@github.com/o/r.git')
  })
})
