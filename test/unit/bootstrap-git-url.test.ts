import type {V1Deployment} from '@kubernetes/client-node'
import {describe, expect, it} from 'vitest'

import {helmUpgradeCommand, unmanagedInstalls} from '../../src/lib/bootstrap/plan.js'
import {fluxValuesObject, validateGitUrl} from '../../src/lib/bootstrap/values.js'
import {CliError} from '../../src/lib/errors.js'

function refusal(url: string): CliError {
  try {
    validateGitUrl(url)
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    return error as CliError
  }
  throw new Error(`accepted: ${url}`)
}

// Issue 14 item 11: --git-url went through helm's --set parser, where "," and "=" set other values.
describe('bootstrap --git-url', () => {
  it('accepts the URLs flux clones', () => {
    for (const url of [
      'git@github.com:elifesciences/elife-flux-cluster',
      'git@github.com:elifesciences/elife-flux-cluster.git',
      'ssh://git@github.com/elifesciences/elife-flux-cluster.git',
      'ssh://git@git.example.org:2222/~ops/flux.git',
      'https://github.com/elifesciences/elife-flux-cluster',
      'https://flux@gitlab.example.org/group/sub-group/repo.git',
    ])
      expect(() => validateGitUrl(url), url).not.toThrow()
  })

  it('refuses what would inject values or options, and never echoes the value', () => {
    const secret = 'hunter2-token'
    for (const [url, problem] of [
      ['git@github.com:elifesciences/x,image.repository=evil.example/flux', 'the path after "host:" has characters'],
      ['https://github.com/elifesciences/x=y', 'its path has characters'],
      ['--upload-pack=/tmp/pwned', 'starts with "-"'],
      ['git@github.com:elife sciences/x', 'a space or a control character'],
      ['git@github.com:elifesciences/x\nimage: evil', 'a space or a control character'],
      [`https://bot:${secret}@github.com/elifesciences/x`, 'carries a password'],
      ['ftp://github.com/elifesciences/x', 'scheme "ftp"'],
      ['https://github.com/elifesciences/x?ref=main', 'a query or a fragment'],
      ['https://github.com/', 'or is empty'],
      ['github.com/elifesciences/x', 'neither user@host:path nor a URL'],
      ['', 'it is empty'],
    ]) {
      const error = refusal(url)
      expect(error.kind).toBe('usage')
      expect(error.line, url).toContain(problem)
      expect(error.line).toMatch(/^--git-url is not a Git repository URL flux can clone/)
      expect(error.line).not.toContain(secret)
      expect(error.line).not.toContain('evil')
      expect(error.line.split('\n')).toHaveLength(1)
    }
  })

  it('gives helm the values on stdin, never through --set', () => {
    const url = 'git@github.com:elifesciences/elife-flux-cluster'
    const {args, input} = helmUpgradeCommand(
      {release: 'flux', chart: 'flux', version: '1.13.3', values: fluxValuesObject(url)},
      {clusterArgs: ['--kubeconfig', '/k'], chartRepo: 'https://charts.example.org', namespace: 'flux', timeoutMs: 300_000},
    )
    expect(args).toEqual([
      '--kubeconfig',
      '/k',
      'upgrade',
      '-i',
      'flux',
      'flux',
      '--repo',
      'https://charts.example.org',
      '--namespace',
      'flux',
      '--wait',
      '--timeout',
      '300s',
      '--version',
      '1.13.3',
      '--values',
      '-',
    ])
    expect(args.some((arg) => arg.includes(url))).toBe(false)
    expect(JSON.parse(input)).toEqual({git: {url}, syncGarbageCollection: {enabled: true}, prometheus: {serviceMonitor: {create: true, namespace: 'adm'}}})
    // a URL that looks like a number or a boolean stays a string
    expect(fluxValuesObject('true')).toMatchObject({git: {url: 'true'}})
  })
})

// Issue 14 item 20: bootstrap planned `helm install flux` over a fluxd Deployment helm 3 did not own.
describe('bootstrap finds a flux that runs outside helm 3', () => {
  const deployment = (name: string, image: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): V1Deployment => ({
    metadata: {name, labels, annotations},
    spec: {selector: {}, template: {spec: {containers: [{name, image}]}}},
  })

  it('names it by release name, helm 2 label or image; ignores what helm 3 would adopt and unrelated ones', () => {
    const helm2 = [
      deployment('flux', 'docker.io/fluxcd/flux:1.21.1', {heritage: 'Helm', release: 'flux'}),
      deployment('flux-memcached', 'memcached:1.5.20', {heritage: 'Helm', release: 'flux'}),
    ]
    expect(unmanagedInstalls(helm2, 'flux', 'flux')).toEqual([
      {name: 'flux', description: 'deployment "flux" (docker.io/fluxcd/flux:1.21.1, labelled heritage=Helm: a helm 2 release)'},
    ])
    expect(unmanagedInstalls([helm2[1]], 'flux', 'flux')).toEqual([
      {name: 'flux-memcached', description: 'deployment "flux-memcached" (memcached:1.5.20, labelled heritage=Helm: a helm 2 release)'},
    ])
    expect(unmanagedInstalls([deployment('fluxd', 'registry.example.org/mirror/flux@sha256:abc')], 'flux', 'flux')).toEqual([
      {name: 'fluxd', description: 'deployment "fluxd" (registry.example.org/mirror/flux@sha256:abc)'},
    ])
    expect(
      unmanagedInstalls([deployment('flux-helm-operator', 'docker.io/fluxcd/helm-operator:1.2.0', {release: 'helm-operator'})], 'helm-operator', 'flux'),
    ).toHaveLength(1)
    expect(
      unmanagedInstalls(
        [deployment('flux', 'docker.io/fluxcd/flux:1.21.1', {}, {'meta.helm.sh/release-name': 'flux', 'meta.helm.sh/release-namespace': 'flux'})],
        'flux',
        'flux',
      ),
    ).toEqual([])
    expect(
      unmanagedInstalls(
        [deployment('flux-memcached', 'memcached:1.5.20', {release: 'flux-memcached'}), deployment('fluxcd-dashboard', 'example/flux-ui:1')],
        'flux',
        'flux',
      ),
    ).toEqual([])
  })
})
