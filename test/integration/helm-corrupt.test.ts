import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {decodeRelease, encodeRelease, recordName} from '../../src/lib/helm/release.js'
import {cli, clients, createNamespace, deleteNamespace, helm, helmHistory, installHelmReleaseCrds, kubeconfig, prepareCharts} from './helm-support.js'

// Release records helm cannot decode, and cluster data with terminal escapes in it, made from
// real helm releases whose records are then rewritten; what we print is compared with helm's.
let ns: string
const esc = '\u001B]0;pwned\u0007\u001B[2J'

/** Rewrites a record's payload: helm's base64 text, wrapped once more as Kubernetes stores Secret data. */
async function setPayload(release: string, revision: number, helmText: string): Promise<void> {
  const {core} = clients()
  const name = recordName(release, revision)
  const secret = await core.readNamespacedSecret({name, namespace: ns})
  secret.data = {release: Buffer.from(helmText, 'latin1').toString('base64')}
  await core.replaceNamespacedSecret({name, namespace: ns, body: secret})
}

beforeAll(async () => {
  await installHelmReleaseCrds()
  const chart = await prepareCharts()
  ns = await createNamespace('helm-corrupt')
  const ok = async (args: string[]) => expect((await helm([...args, '-n', ns])).exitCode).toBe(0)
  await ok(['install', 'good', chart])
  // latest record (revision 2) is not gzip
  await ok(['install', 'mangled', chart])
  await ok(['upgrade', 'mangled', chart, '--set', 'replicas=2'])
  await setPayload('mangled', 2, Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from('not gzip at all')]).toString('base64'))
  // an older record (revision 1) is not base64
  await ok(['install', 'older', chart])
  await ok(['upgrade', 'older', chart, '--set', 'replicas=2'])
  await setPayload('older', 1, 'this is *not* base64!')
  // a description with terminal escapes in it
  await ok(['install', 'noisy', chart])
  const {core} = clients()
  const secret = await core.readNamespacedSecret({name: recordName('noisy', 1), namespace: ns})
  const record = decodeRelease(secret.data!.release!, 'secret')
  record.info = {...record.info, description: `Install complete${esc}`}
  secret.data = {release: encodeRelease(record, 'secret')}
  await core.replaceNamespacedSecret({name: recordName('noisy', 1), namespace: ns, body: secret})
})

afterAll(async () => {
  await deleteNamespace(ns)
})

const run = (args: string[]) => cli([...args, '--kubeconfig', kubeconfig])

describe('a release record helm cannot decode', () => {
  it('helm list lists the others, names the corrupt record once on stderr, exits 0', async () => {
    const result = await run(['helm', 'list', '-n', ns])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^good\s+1\s+deployed/m)
    expect(result.stdout).toMatch(/^older\s+2\s+deployed/m)
    expect(result.stdout).not.toMatch(/^mangled/m)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toEqual([
      `⚠ helm release record Secret sh.helm.release.v1.mangled.v2 in ${ns} (release "mangled", revision 2) cannot be decoded: its payload is not valid gzip; skipped, as helm does`,
      `3 releases in namespace "${ns}"; none failed or stuck`,
    ])
    // helm skips it too (and shows nothing about it)
    const theirs = await helm(['list', '-n', ns, '-a', '-o', 'json'])
    expect(theirs.exitCode).toBe(0)
    expect((JSON.parse(theirs.stdout) as Array<{name: string; revision: string}>).find((r) => r.name === 'mangled')?.revision).toBe('1')
  })

  it('helm list --strict: the same output, then one error line and exit 6; --json lists it', async () => {
    const result = await run(['helm', 'list', '-n', ns, '--strict'])
    expect(result.exitCode).toBe(ExitCode.CHECK_FAILED)
    expect(result.stdout).toMatch(/^good\s+1\s+deployed/m)
    // the summary, then the error as the last line
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toBe(`3 releases in namespace "${ns}"; none failed or stuck`)
    expect(lines[1]).toMatch(
      /^error: helm release record Secret sh\.helm\.release\.v1\.mangled\.v2 in \S+ \(release "mangled", revision 2\) cannot be decoded: its payload is not valid gzip \(--strict\); helm skips/,
    )
    const json = await run(['helm', 'list', '-n', ns, '--json'])
    expect(json.exitCode, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      corrupt: [{release: 'mangled', revision: 2, object: 'Secret sh.helm.release.v1.mangled.v2', reason: 'its payload is not valid gzip'}],
    })
    expect(json.stderr).toBe('')
  })

  it('helm list -A does not fail for the whole cluster', async () => {
    const result = await run(['helm', 'list', '-A'])
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^${ns}\\s+good\\s`, 'm'))
  })

  it('helm history skips the corrupt revision as helm does, and says so once', async () => {
    const result = await run(['helm', 'history', 'older', '-n', ns, '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const ours = JSON.parse(result.stdout) as {revisions: Array<{revision: number; status: string}>; corrupt: Array<{revision: number}>}
    expect(ours.revisions.map((r) => [r.revision, r.status])).toEqual((await helmHistory('older', ns)).map((r) => [r.revision, r.status]))
    expect(ours.corrupt.map((c) => c.revision)).toEqual([1])
    const text = await run(['helm', 'history', 'older', '-n', ns])
    expect(text.exitCode).toBe(0)
    expect(text.stderr.trim().split('\n')).toEqual([
      `⚠ helm release record Secret sh.helm.release.v1.older.v1 in ${ns} (release "older", revision 1) cannot be decoded: its payload is not base64; skipped, as helm does`,
      `release "older" in ${ns} is deployed at revision 2 (elife-app-0.1.0)`,
    ])
    const latestCorrupt = await run(['helm', 'history', 'mangled', '-n', ns])
    expect(latestCorrupt.exitCode).toBe(0)
    expect(latestCorrupt.stderr.trim().split('\n').at(-1)).toBe(`release "mangled" in ${ns}: its latest revision, 2, cannot be decoded`)
  })

  it('helm unstick refuses a release whose latest record is corrupt, in one line, and changes nothing', async () => {
    const result = await run(['helm', 'unstick', 'mangled', '-n', ns, '--dry-run'])
    expect(result.exitCode).toBe(ExitCode.CONFLICT)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(
      /^error: helm release record Secret sh\.helm\.release\.v1\.mangled\.v2 .* is the latest revision of release "mangled" .* nothing was changed; look at it with `kubectl get secret/,
    )
    const all = await run(['helm', 'unstick', '--all', '-n', ns, '--dry-run'])
    expect(all.exitCode, all.stderr).toBe(0)
    expect(all.stdout).toBe('')
    expect(all.stderr).toContain(`⚠ helm release record Secret sh.helm.release.v1.mangled.v2`)
    expect(all.stderr.trim().split('\n').at(-1)).toBe(`No failed or pending helm releases in ${ns}; nothing to unstick.`)
  })
})

describe('terminal control characters in cluster data', () => {
  it('helm history shows a description with escapes as inert text, where helm prints them raw', async () => {
    const ours = await run(['helm', 'history', 'noisy', '-n', ns])
    expect(ours.exitCode, ours.stderr).toBe(0)
    expect(ours.stdout).not.toContain('\u001B')
    expect(ours.stdout).not.toContain('\u0007')
    expect(ours.stdout).toContain('Install complete^[]0;pwned^G^[[2J')
    const theirs = await helm(['history', 'noisy', '-n', ns])
    expect(theirs.stdout).toContain(`Install complete${esc}`)
  })
})
