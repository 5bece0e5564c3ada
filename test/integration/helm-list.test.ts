import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {decodeRelease, encodeRelease, recordName} from '../../src/lib/helm/release.js'
import {
  cli,
  clients,
  createHelmRelease,
  createNamespace,
  deleteNamespace,
  helm,
  helmHistory,
  installHelmReleaseCrds,
  kubeconfig,
  prepareCharts,
  viewerKubeconfig,
} from './helm-support.js'

// `helm list` and `helm history` read straight from the API server, compared with what the real
// helm 3 says about the same releases, installed for real from the local test charts.
let chart: string
let ns: string
let cmNs: string
let editedNs: string
let quotedNs: string

/**
 * Marks a release record superseded, label and payload, as only a hand edit can (helm marks a
 * revision superseded only once a newer one exists): the case `helm list` must still get right.
 */
async function markSuperseded(release: string, namespace: string, revision: number): Promise<void> {
  const {core} = clients()
  const name = recordName(release, revision)
  const secret = await core.readNamespacedSecret({name, namespace})
  const record = decodeRelease(secret.data!.release!, 'secret')
  record.info = {...record.info, status: 'superseded'}
  secret.metadata!.labels = {...secret.metadata!.labels, status: 'superseded'}
  secret.data = {release: encodeRelease(record, 'secret')}
  await core.replaceNamespacedSecret({name, namespace, body: secret})
}

interface HelmListEntry {
  name: string
  namespace: string
  revision: string
  status: string
  chart: string
  app_version: string
}

interface OurRow {
  name: string
  namespace: string
  revision: number
  status: string
  chart: string
  appVersion: string
  stuck: boolean
  storage: string
  owner?: {controller: string; apiVersion: string; namespace: string; name: string}
}

const key = (r: {name: string; namespace: string; revision: string | number; status: string; chart: string; app_version?: string; appVersion?: string}) =>
  [r.namespace, r.name, String(r.revision), r.status, r.chart, r.app_version ?? r.appVersion].join(' ')

beforeAll(async () => {
  await installHelmReleaseCrds()
  chart = await prepareCharts()
  ns = await createNamespace('helm-list')
  cmNs = await createNamespace('helm-list-cm')
  // deployed, with history
  expect((await helm(['install', 'journal', chart, '-n', ns])).exitCode).toBe(0)
  expect((await helm(['upgrade', 'journal', chart, '-n', ns, '--set', 'replicas=2'])).exitCode).toBe(0)
  // a failed upgrade: the API server rejects the ConfigMap key
  expect((await helm(['install', 'reviewer', chart, '-n', ns])).exitCode).toBe(0)
  const failed = await helm(['upgrade', 'reviewer', chart, '-n', ns, '--set', 'broken=true'])
  expect(failed.exitCode).not.toBe(0)
  // a release owned by a Flux v2 HelmRelease (release name = HelmRelease name)
  expect((await helm(['install', 'podinfo', chart, '-n', ns])).exitCode).toBe(0)
  // stored with the ConfigMap driver
  expect((await helm(['install', 'search', chart, '-n', cmNs], {HELM_DRIVER: 'configmap'})).exitCode).toBe(0)
  // helm-operator would name the release <namespace>-journal; eLife's HelmReleases set releaseName.
  await createHelmRelease('helm.fluxcd.io/v1', ns, 'journal', {releaseName: 'journal', chart: {git: 'file:///nowhere', path: 'charts/journal', ref: 'master'}})
  await createHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'podinfo', {chart: {spec: {chart: 'podinfo', sourceRef: {kind: 'HelmRepository', name: 'podinfo'}}}})
  // a HelmRelease whose release helm never recorded (default name <ns>-ghost)
  await createHelmRelease('helm.fluxcd.io/v1', ns, 'ghost', {chart: {repository: 'http://127.0.0.1:1/', name: 'ghost', version: '1.0.0'}})
  // Another namespace: `journal` again, with a longer history (the same name in two namespaces,
  // where record names alone cannot tell whose superseded revisions are whose), and two releases
  // whose latest record was marked superseded by hand: one with an older failed revision below
  // it, one with no other record at all.
  editedNs = await createNamespace('helm-list-edited')
  expect((await helm(['install', 'journal', chart, '-n', editedNs])).exitCode).toBe(0)
  for (const replicas of [2, 3, 4]) expect((await helm(['upgrade', 'journal', chart, '-n', editedNs, '--set', `replicas=${replicas}`])).exitCode).toBe(0)
  expect((await helm(['install', 'libero', chart, '-n', editedNs])).exitCode).toBe(0)
  expect((await helm(['upgrade', 'libero', chart, '-n', editedNs, '--set', 'broken=true'])).exitCode).not.toBe(0)
  expect((await helm(['upgrade', 'libero', chart, '-n', editedNs, '--set', 'replicas=2'])).exitCode).toBe(0)
  await markSuperseded('libero', editedNs, 3)
  expect((await helm(['install', 'digests', chart, '-n', editedNs])).exitCode).toBe(0)
  await markSuperseded('digests', editedNs, 1)
  // App versions go-yaml must quote (a float, a YAML 1.1 bool, a date) or cannot write plain.
  quotedNs = await createNamespace('helm-list-quoted')
  const packages = mkdtempSync(path.join(tmpdir(), 'elife-k8s-packages-'))
  for (const [i, appVersion] of ['1.0', 'yes', 'v1: beta #2', '2026-01-02', '-x'].entries()) {
    const dir = path.join(packages, String(i))
    expect((await helm(['package', chart, '--app-version', appVersion, '--destination', dir])).exitCode).toBe(0)
    expect((await helm(['install', `app-${i}`, path.join(dir, 'elife-app-0.1.0.tgz'), '-n', quotedNs])).exitCode).toBe(0)
  }
})

afterAll(async () => {
  await deleteNamespace(ns)
  await deleteNamespace(cmNs)
  await deleteNamespace(editedNs)
  await deleteNamespace(quotedNs)
})

describe('helm list', () => {
  it('agrees with `helm list -A -o json` on names, namespaces, revisions, statuses and charts', async () => {
    const ours = await cli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    const rows = (JSON.parse(ours.stdout) as {releases: OurRow[]}).releases
    // helm with its default (Secret) driver; -a so pending releases are listed too, --max 0 for
    // all of them (helm stops at 256 by default)
    const all = JSON.parse((await helm(['list', '-A', '-a', '--max', '0', '-o', 'json'])).stdout) as HelmListEntry[]
    expect(
      rows
        .filter((r) => r.storage === 'secret')
        .map(key)
        .sort(),
    ).toEqual(all.map(key).sort())
    // and plain `helm list -A` (deployed and failed only) is the same rows, filtered
    const plain = JSON.parse((await helm(['list', '-A', '--max', '0', '-o', 'json'])).stdout) as HelmListEntry[]
    expect(
      rows
        .filter((r) => r.storage === 'secret' && ['deployed', 'failed'].includes(r.status))
        .map(key)
        .sort(),
    ).toEqual(plain.map(key).sort())
    // the ConfigMap driver, compared with helm using that driver
    const cm = JSON.parse((await helm(['list', '-A', '-a', '--max', '0', '-o', 'json'], {HELM_DRIVER: 'configmap'})).stdout) as HelmListEntry[]
    expect(
      rows
        .filter((r) => r.storage === 'configmap')
        .map(key)
        .sort(),
    ).toEqual(cm.map(key).sort())
    expect(rows.some((r) => r.namespace === cmNs && r.name === 'search')).toBe(true)
  })

  it('finds a latest record marked superseded by hand, and tells apart one release name in two namespaces', async () => {
    const ours = await cli(['helm', 'list', '-A', '--json', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    const rows = (JSON.parse(ours.stdout) as {releases: OurRow[]}).releases.filter((r) => r.namespace === editedNs || r.namespace === ns)
    const row = (namespace: string, name: string) => rows.find((r) => r.namespace === namespace && r.name === name)
    // what `helm list -a` says too (checked for every release by the test above)
    expect(row(editedNs, 'libero')).toMatchObject({revision: 3, status: 'superseded'})
    expect(row(editedNs, 'digests')).toMatchObject({revision: 1, status: 'superseded'})
    expect(row(editedNs, 'journal')).toMatchObject({revision: 4, status: 'deployed'})
    expect(row(ns, 'journal')).toMatchObject({revision: 2, status: 'deployed'})
    // one namespace at a time, the same
    const one = await cli(['helm', 'list', '-n', editedNs, '--json', '--kubeconfig', kubeconfig])
    const inEdited = (JSON.parse(one.stdout) as {releases: OurRow[]}).releases.map((r) => `${r.name} ${r.revision} ${r.status}`).sort()
    expect(inEdited).toEqual(['digests 1 superseded', 'journal 4 deployed', 'libero 3 superseded'])
  })

  it('marks the failed release as stuck and names the HelmRelease owners of both generations', async () => {
    const ours = await cli(['helm', 'list', '-n', ns, '--json', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    const rows = (JSON.parse(ours.stdout) as {releases: OurRow[]}).releases
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]))
    expect(byName.reviewer).toMatchObject({status: 'failed', revision: 2, stuck: true})
    expect(byName.journal).toMatchObject({
      status: 'deployed',
      revision: 2,
      stuck: false,
      owner: {controller: 'helm-operator', apiVersion: 'helm.fluxcd.io/v1', namespace: ns, name: 'journal'},
    })
    expect(byName.podinfo).toMatchObject({owner: {controller: 'flux-v2', apiVersion: 'helm.toolkit.fluxcd.io/v2', namespace: ns, name: 'podinfo'}})
    expect(byName.reviewer?.owner).toBeUndefined()
  })

  it('--stuck shows only the failed one; stdout is the table only, the summary is on stderr', async () => {
    const ours = await cli(['helm', 'list', '-n', ns, '--stuck', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    expect(ours.stdout).toMatch(/reviewer\s+2\s+failed\s+elife-app-0\.1\.0/)
    expect(ours.stdout).not.toContain('journal')
    expect(ours.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(ours.stderr).toBe(`1 release in namespace "${ns}"\n`)
    const table = await cli(['helm', 'list', '-n', ns, '--kubeconfig', kubeconfig])
    expect(table.stdout).toMatch(/journal .* helm-operator .*\/journal/)
    // `| wc -l` counts the header and the rows, nothing else
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(4)
    expect(table.stdout).not.toContain('failed or stuck')
    expect(table.stderr).toBe(`3 releases in namespace "${ns}"; 1 failed or stuck (see \`elife-k8s helm unstick\`)\n`)
    const none = await cli(['helm', 'list', '-n', cmNs, '--stuck', '--kubeconfig', kubeconfig])
    expect([none.exitCode, none.stdout, none.stderr]).toEqual([0, '', `No failed or pending helm releases in namespace "${cmNs}".\n`])
  })

  it('-o json and -o yaml print what `helm list -a -o json|yaml` prints, byte for byte, and nothing on stderr', async () => {
    for (const namespace of [ns, editedNs, quotedNs]) {
      for (const output of ['json', 'yaml']) {
        const ours = await cli(['helm', 'list', '-n', namespace, '-o', output, '--kubeconfig', kubeconfig])
        expect(ours.exitCode, ours.stderr).toBe(0)
        const theirs = await helm(['list', '-n', namespace, '-a', '-o', output])
        expect(theirs.exitCode, theirs.stderr).toBe(0)
        expect(ours.stdout, `${namespace} -o ${output}`).toBe(theirs.stdout)
        expect(ours.stderr).toBe('')
      }
    }
    // app versions YAML 1.1 reads as something else are quoted, as helm quotes them
    expect((await cli(['helm', 'list', '-n', quotedNs, '-o', 'yaml', '--kubeconfig', kubeconfig])).stdout).toContain('- app_version: "1.0"\n')
    // with -A, every release helm lists (Secret driver) is there, as helm has it
    const all = await cli(['helm', 'list', '-A', '-o', 'json', '--kubeconfig', kubeconfig])
    expect(all.exitCode, all.stderr).toBe(0)
    const theirs = JSON.parse((await helm(['list', '-A', '-a', '--max', '0', '-o', 'json'])).stdout) as unknown[]
    expect(JSON.parse(all.stdout)).toEqual(expect.arrayContaining(theirs))
    const none = await cli(['helm', 'list', '-n', 'no-such-namespace', '-o', 'yaml', '--kubeconfig', kubeconfig])
    expect([none.exitCode, none.stdout]).toEqual([0, (await helm(['list', '-n', 'no-such-namespace', '-o', 'yaml'])).stdout])
  })

  it('-o table is the default table; --json with -o is refused in one line', async () => {
    const table = await cli(['helm', 'list', '-n', ns, '-o', 'table', '--kubeconfig', kubeconfig])
    const plain = await cli(['helm', 'list', '-n', ns, '--kubeconfig', kubeconfig])
    expect([table.exitCode, table.stdout, table.stderr]).toEqual([plain.exitCode, plain.stdout, plain.stderr])
    const both = await cli(['helm', 'list', '-n', ns, '-o', 'yaml', '--json', '--kubeconfig', kubeconfig])
    expect(both.exitCode).toBe(ExitCode.USAGE)
    expect(JSON.parse(both.stdout)).toMatchObject({error: {kind: 'usage', message: '--json and -o yaml cannot go together'}})
    const bad = await cli(['helm', 'list', '-n', ns, '-o', 'wide', '--kubeconfig', kubeconfig])
    expect(bad.exitCode).toBe(ExitCode.USAGE)
  })

  it('a forbidden user gets one line and exit 4', async () => {
    const result = await cli(['helm', 'list', '-n', 'stg', '--kubeconfig', viewerKubeconfig])
    expect(result.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^error: cannot list helm release records .*forbidden/)
  })
})

describe('helm history', () => {
  it('agrees with `helm history -o json`', async () => {
    const ours = await cli(['helm', 'history', 'reviewer', '-n', ns, '--json', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    const revisions = (
      JSON.parse(ours.stdout) as {revisions: Array<{revision: number; status: string; chart: string; appVersion: string; description: string}>}
    ).revisions
    const theirs = await helmHistory('reviewer', ns)
    expect(revisions.map((r) => [r.revision, r.status, r.chart, r.appVersion, r.description])).toEqual(
      theirs.map((r) => [r.revision, r.status, r.chart, r.app_version, r.description]),
    )
    expect(revisions.at(-1)?.description).toMatch(/Upgrade "reviewer" failed/)
  })

  it('reads ConfigMap-stored releases too', async () => {
    const ours = await cli(['helm', 'history', 'search', '-n', cmNs, '--json', '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    expect(JSON.parse(ours.stdout)).toMatchObject({storage: 'configmap', revisions: [{revision: 1, status: 'deployed'}]})
  })

  it.each([
    [
      'an unknown release',
      ['nope'],
      () => ns,
      ExitCode.NOT_FOUND,
      /^error: release "nope" not found in namespace "helm-list-\w+"; see `elife-k8s helm list -A`/,
    ],
    [
      'the wrong namespace',
      ['journal'],
      () => cmNs,
      ExitCode.NOT_FOUND,
      /^error: release "journal" not found in namespace "helm-list-cm-\w+"; it exists in (\S+, )*helm-list-\w+(, \S+)*; rerun with -n /,
    ],
    ['an invalid name', ['Bad_Name'], () => ns, ExitCode.USAGE, /^error: "Bad_Name" is not a valid helm release name/],
  ])('%s: one clear line', async (_what, args, namespace, exitCode, message) => {
    const result = await cli(['helm', 'history', ...args, '-n', namespace(), '--kubeconfig', kubeconfig])
    expect(result.exitCode).toBe(exitCode)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(message)
  })

  it('a HelmRelease whose release has no history says so', async () => {
    const result = await cli(['helm', 'history', `${ns}-ghost`, '-n', ns, '--kubeconfig', kubeconfig])
    expect(result.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(
      new RegExp(`^error: release "${ns}-ghost" in ${ns} has no history: HelmRelease ${ns}/ghost \\(helm.fluxcd.io/v1\\) manages it`),
    )
  })

  it('the table on stdout, where the release is now on stderr', async () => {
    const ours = await cli(['helm', 'history', 'reviewer', '-n', ns, '--kubeconfig', kubeconfig])
    expect(ours.exitCode, ours.stderr).toBe(0)
    expect(ours.stdout.trimEnd().split('\n')).toHaveLength(3)
    expect(ours.stderr).toBe(`release "reviewer" in ${ns} is failed at revision 2 (elife-app-0.1.0)\n`)
  })

  it("takes a HelmRelease's name, and says which helm release it is", async () => {
    // Flux v2 HelmRelease `lib` manages helm release `libero`
    await createHelmRelease('helm.toolkit.fluxcd.io/v2', editedNs, 'lib', {
      releaseName: 'libero',
      chart: {spec: {chart: 'libero', sourceRef: {kind: 'HelmRepository', name: 'libero'}}},
    })
    const byHr = await cli(['helm', 'history', 'lib', '-n', editedNs, '--kubeconfig', kubeconfig])
    const byRelease = await cli(['helm', 'history', 'libero', '-n', editedNs, '--kubeconfig', kubeconfig])
    expect(byHr.exitCode, byHr.stderr).toBe(0)
    expect(byHr.stdout).toBe(byRelease.stdout)
    expect(byHr.stderr.split('\n')[0]).toBe(`HelmRelease ${editedNs}/lib → helm release libero in ${editedNs}`)
    expect(byRelease.stderr).not.toContain('HelmRelease')
    const json = JSON.parse((await cli(['helm', 'history', 'lib', '-n', editedNs, '--json', '--kubeconfig', kubeconfig])).stdout)
    expect(json).toMatchObject({
      release: 'libero',
      namespace: editedNs,
      helmRelease: {apiVersion: 'helm.toolkit.fluxcd.io/v2', namespace: editedNs, name: 'lib'},
    })
    // a name that is both a helm release and a HelmRelease managing another: the helm release, and the other is named
    await createHelmRelease('helm.fluxcd.io/v1', editedNs, 'journal', {
      releaseName: 'digests',
      chart: {git: 'file:///nowhere', path: 'charts/digests', ref: 'master'},
    })
    const both = await cli(['helm', 'history', 'journal', '-n', editedNs, '--kubeconfig', kubeconfig])
    expect(both.exitCode, both.stderr).toBe(0)
    expect(both.stdout).toMatch(/^\s+4 .* deployed/m)
    expect(both.stderr.split('\n')[0]).toBe(
      `"journal" is a helm release in ${editedNs} and the name of HelmRelease ${editedNs}/journal, which manages helm release digests in ${editedNs}: using the helm release journal (for the other, give digests -n ${editedNs})`,
    )
    // a HelmRelease whose release helm never recorded
    const ghost = await cli(['helm', 'history', 'ghost', '-n', ns, '--kubeconfig', kubeconfig])
    expect(ghost.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(ghost.stderr.trim().split('\n')).toEqual([
      `error: HelmRelease ${ns}/ghost (helm.fluxcd.io/v1) manages helm release ${ns}-ghost in ${ns}, but helm has recorded no revision of it; it was never installed or was uninstalled; check the helm-operator logs for why`,
    ])
  })

  it('a forbidden user gets one line and exit 4', async () => {
    const result = await cli(['helm', 'history', 'journal', '-n', 'stg', '--kubeconfig', viewerKubeconfig])
    expect(result.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })
})
