import {appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {type HelmRunner, resolveHelm, whichFile} from '../../src/lib/helm/binary.js'

// lint asks helm's version once per binary, not once per run: the answer is kept in the cache
// directory, keyed by the binary's path and checked against its mtime, size and inode.

const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-helm-version-cache-'))
afterAll(() => rmSync(scratch, {recursive: true, force: true}))

let counter = 0
function fakeHelm(version: string): {binary: string; env: NodeJS.ProcessEnv; calls: string[][]; runnerFor: (file: string) => HelmRunner} {
  const dir = path.join(scratch, `case-${counter++}`)
  const binary = path.join(dir, 'bin', 'helm')
  const env = {XDG_CACHE_HOME: path.join(dir, 'cache'), PATH: path.dirname(binary)}
  mkdirSync(path.dirname(binary), {recursive: true})
  writeFileSync(binary, '#!/bin/sh\nexit 0\n')
  chmodSync(binary, 0o755)
  const calls: string[][] = []
  const runnerFor = (): HelmRunner => async (args) => {
    calls.push(args)
    return {stdout: `${version}\n`, stderr: '', exitCode: 0}
  }
  return {binary, env, calls, runnerFor}
}

describe("helm's version, cached per binary", () => {
  it('asks `helm version` once, then answers from the cache until the binary changes', async () => {
    const helm = fakeHelm('v3.20.2+g8fb76d6')
    const first = await resolveHelm({flag: helm.binary, env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})
    expect(first.version).toBe('v3.20.2+g8fb76d6')
    const second = await resolveHelm({flag: helm.binary, env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})
    expect(second.version).toBe('v3.20.2+g8fb76d6')
    expect(helm.calls).toEqual([['version', '--short']])
    // The cache holds the path and the version, nothing else.
    const cache = JSON.parse(readFileSync(path.join(helm.env.XDG_CACHE_HOME!, 'elife-k8s', 'helm-versions.json'), 'utf8')) as Record<string, {version: string}>
    expect(Object.keys(cache)).toEqual([helm.binary])
    expect(cache[helm.binary].version).toBe('v3.20.2+g8fb76d6')

    appendFileSync(helm.binary, '# upgraded in place\n')
    await resolveHelm({flag: helm.binary, env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})
    expect(helm.calls).toHaveLength(2)
  })

  it('finds "helm" on PATH to key the cache; without cacheVersion (other commands) it asks every time', async () => {
    const helm = fakeHelm('v3.19.0')
    expect(whichFile('helm', helm.env)).toBe(helm.binary)
    await resolveHelm({env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})
    await resolveHelm({env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})
    expect(helm.calls).toHaveLength(1)
    await resolveHelm({env: helm.env, runnerFor: helm.runnerFor})
    await resolveHelm({env: helm.env, runnerFor: helm.runnerFor})
    expect(helm.calls).toHaveLength(3)
  })

  it('never caches a helm that is refused (helm 4): it is asked, and refused, every time', async () => {
    const helm = fakeHelm('v4.0.0')
    for (let i = 0; i < 2; i++)
      await expect(resolveHelm({flag: helm.binary, env: helm.env, runnerFor: helm.runnerFor, cacheVersion: true})).rejects.toThrow(/drives helm 3/)
    expect(helm.calls).toHaveLength(2)
    expect(existsSync(path.join(helm.env.XDG_CACHE_HOME!, 'elife-k8s', 'helm-versions.json'))).toBe(false)
  })
})
