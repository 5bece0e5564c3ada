import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {CliError, ExitCode} from '../../src/lib/errors.js'
import {loadKubeConfig} from '../../src/lib/kube/config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-kc-'))
const file = (name: string, text: string) => {
  const p = path.join(dir, name)
  writeFileSync(p, text)
  return p
}
const kubeconfig = (cluster: string, server: string, context: string, current?: string) => `apiVersion: v1
kind: Config
clusters:
- name: ${cluster}
  cluster: {server: ${server}}
users:
- name: ${cluster}-user
  user: {token: t}
contexts:
- name: ${context}
  context: {cluster: ${cluster}, user: ${cluster}-user, namespace: prod}
${current ? `current-context: ${current}` : ''}
`

describe('loadKubeConfig merges KUBECONFIG as kubectl does', () => {
  const a = file('a.yaml', kubeconfig('shared', 'https://first:6443', 'ctx-a', 'ctx-a'))
  const b = file('b.yaml', kubeconfig('shared', 'https://second:6443', 'ctx-b', 'ctx-b'))

  it('lets the first file win for duplicate names and current-context, skipping missing files', () => {
    const env = {KUBECONFIG: [path.join(dir, 'missing.yaml'), a, b].join(path.delimiter)}
    const loaded = loadKubeConfig({env})
    expect(loaded.context).toBe('ctx-a')
    expect(loaded.server).toBe('https://first:6443')
    expect(loaded.kc.getContexts().map((c) => c.name)).toEqual(['ctx-a', 'ctx-b'])
    expect(loaded.files).toEqual([a, b])
  })

  it('switches with --context, and ctx-b also resolves to the first "shared" cluster', () => {
    const loaded = loadKubeConfig({env: {KUBECONFIG: [a, b].join(path.delimiter)}, context: 'ctx-b'})
    expect(loaded.context).toBe('ctx-b')
    expect(loaded.server).toBe('https://first:6443')
  })

  it('ignores KUBECONFIG when --kubeconfig is given', () => {
    const loaded = loadKubeConfig({env: {KUBECONFIG: a}, kubeconfig: b})
    expect(loaded.context).toBe('ctx-b')
  })

  it('names an unknown context and the known ones, as a usage error', () => {
    try {
      loadKubeConfig({env: {KUBECONFIG: a}, context: 'nope'})
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(CliError)
      expect((error as CliError).exitCode).toBe(ExitCode.USAGE)
      expect((error as CliError).line).toBe(`context "nope" is not in ${a}; known contexts: ctx-a`)
    }
  })

  const lineOf = (fn: () => unknown): string => {
    try {
      fn()
    } catch (error) {
      return (error as CliError).line
    }
    throw new Error('expected a CliError')
  }

  it('refuses a missing --kubeconfig and an unparseable file with one line each', () => {
    expect(lineOf(() => loadKubeConfig({kubeconfig: path.join(dir, 'nope.yaml'), env: {}}))).toMatch(/does not exist; check the --kubeconfig path/)
    const bad = file('bad.yaml', 'clusters: [\n')
    expect(lineOf(() => loadKubeConfig({kubeconfig: bad, env: {}}))).toMatch(/^kubeconfig .*bad.yaml cannot be parsed \(.*\); fix or remove the file/)
  })

  it('reports a file with no current-context', () => {
    const none = file('none.yaml', kubeconfig('c', 'https://x:6443', 'ctx-c'))
    expect(lineOf(() => loadKubeConfig({kubeconfig: none, env: {}}))).toMatch(/none.yaml has no current-context; pass --context NAME/)
  })
})
