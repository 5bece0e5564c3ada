import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {decodeRelease} from '../../src/lib/helm/release.js'
import {readHistory} from '../../src/lib/helm/store.js'
import {unlockPendingRevision} from '../../src/lib/helm/unstick.js'
import {
  cli,
  clients,
  createHelmRelease,
  createNamespace,
  deleteNamespace,
  getHelmRelease,
  helm,
  helmHistory,
  helmStatus,
  installHelmReleaseCrds,
  killHelmMidUpgrade,
  kubeconfig,
  kubectl,
  prepareCharts,
  snapshot,
  viewerKubeconfig,
} from './helm-support.js'

// Stuck states made for real with helm 3 against the local API server (a manifest the server
// rejects, helm killed with SIGKILL mid-upgrade, a first install that failed), then `helm
// unstick` run as a user would, and `helm status` asked whether it agrees.
let chart: string
let ns: string
const unstick = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(['helm', 'unstick', ...args, '--kubeconfig', kubeconfig], env)

beforeAll(async () => {
  await installHelmReleaseCrds()
  chart = await prepareCharts()
  ns = await createNamespace('helm-unstick')
})

afterAll(async () => {
  await deleteNamespace(ns)
})

async function installDeployed(release: string): Promise<void> {
  const result = await helm(['install', release, chart, '-n', ns])
  expect(result.exitCode, result.stderr).toBe(0)
}

async function failUpgrade(release: string): Promise<void> {
  const result = await helm(['upgrade', release, chart, '-n', ns, '--set', 'broken=true'])
  expect(result.exitCode).not.toBe(0)
  expect(result.stderr).toMatch(/UPGRADE FAILED/)
  expect((await helmStatus(release, ns)).status).toBe('failed')
}

describe('helm unstick', () => {
  it('a failed upgrade: rolls back to the last deployed revision, helm agrees, helm-operator is nudged', async () => {
    await installDeployed('journal')
    await failUpgrade('journal')
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'journal', {
      releaseName: 'journal',
      chart: {git: 'file:///nowhere', path: 'charts/journal', ref: 'master'},
    })

    // --dry-run prints the plan and changes nothing
    const before = await snapshot(ns)
    const dry = await unstick(['journal', '-n', ns, '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    // stdout is for data (--json): the diagnosis and the plan are on stderr
    expect(dry.stdout).toBe('')
    const lines = dry.stderr.trim().split('\n')
    expect(lines[0]).toContain(`${ns}/journal: revision 2 (elife-app-0.1.0) failed: Upgrade "journal" failed`)
    expect(lines[1]).toBe(`  owned by HelmRelease ${ns}/journal (helm.fluxcd.io/v1, helm-operator)`)
    expect(lines[2]).toBe('plan (dry run):')
    expect(lines[3]).toMatch(new RegExp(`^  - roll release "journal" in ${ns} back to revision 1 `))
    expect(lines.slice(4)).toEqual([`  - ask helm-operator to reconcile HelmRelease ${ns}/journal`, 'dry run: nothing was changed'])
    expect(await snapshot(ns)).toEqual(before)

    // no terminal and no --yes: aborted, nothing changed
    const asked = await unstick(['journal', '-n', ns])
    expect(asked.exitCode).toBe(ExitCode.ABORTED)
    expect(asked.stderr.trim().split('\n').at(-1)).toMatch(/^error: not confirmed: roll release "journal"/)
    expect(await snapshot(ns)).toEqual(before)

    const done = await unstick(['journal', '-n', ns, '--yes', '--json'])
    expect(done.exitCode, done.stderr).toBe(0)
    expect(done.stderr).toBe('')
    const result = JSON.parse(done.stdout) as {releases: Array<{outcome: string; result: {now: {status: string; revision: number}}}>}
    expect(result.releases[0]).toMatchObject({outcome: 'done', result: {now: {status: 'deployed', revision: 3}}})
    expect(await helmStatus('journal', ns)).toEqual({status: 'deployed', version: 3})
    expect((await helmHistory('journal', ns)).at(-1)?.description).toBe('Rollback to 1')
    const hr = await getHelmRelease('helm.fluxcd.io/v1', ns, 'journal')
    expect(hr.metadata.annotations?.['elife-k8s.elifesciences.org/reconcile-requested-at']).toBeTruthy()

    // a second run finds nothing to do
    const again = await unstick(['journal', '-n', ns, '--yes'])
    expect(again.exitCode).toBe(0)
    expect([again.stdout, again.stderr]).toEqual(['', `release "journal" in ${ns} is deployed at revision 3; nothing to unstick\n`])
  })

  it('a pending-upgrade left by a killed helm: refused while it may be running, then rolled back; Flux v2 is nudged', async () => {
    await installDeployed('podinfo')
    await killHelmMidUpgrade('podinfo', ns, chart)
    expect((await helmHistory('podinfo', ns)).at(-1)?.status).toBe('pending-upgrade')
    // helm itself is locked out
    const locked = await helm(['upgrade', 'podinfo', chart, '-n', ns])
    expect(locked.stderr).toMatch(/another operation \(install\/upgrade\/rollback\) is in progress/)
    await createHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'podinfo', {
      chart: {spec: {chart: 'podinfo', sourceRef: {kind: 'HelmRepository', name: 'podinfo'}}},
    })

    // just killed: within the default --pending-timeout helm may still be working; refuse
    const before = await snapshot(ns)
    const young = await unstick(['podinfo', '-n', ns, '--yes'])
    expect(young.exitCode).toBe(ExitCode.CONFLICT)
    expect(young.stderr.trim().split('\n')).toHaveLength(1)
    expect(young.stderr).toMatch(/has been pending-upgrade for only \d+s: helm \(or its controller\) may still be working on it; wait .* --pending-timeout/)
    expect(await snapshot(ns)).toEqual(before)

    const done = await unstick(['podinfo', '-n', ns, '--yes', '--pending-timeout', '0s'])
    expect(done.exitCode, done.stderr).toBe(0)
    // the final line says what is true now, once
    expect(done.stdout).toBe('')
    expect(done.stderr.trim().split('\n').at(-1)).toBe(`release "podinfo" in ${ns} is now deployed at revision 3 (elife-app-0.1.0); helm can upgrade it again`)
    expect(done.stderr.split('is now deployed')).toHaveLength(2)
    expect(await helmStatus('podinfo', ns)).toEqual({status: 'deployed', version: 3})
    const hr = await getHelmRelease('helm.toolkit.fluxcd.io/v2', ns, 'podinfo')
    expect(hr.metadata.annotations?.['reconcile.fluxcd.io/requestedAt']).toBeTruthy()
    // and helm can upgrade it again
    expect((await helm(['upgrade', 'podinfo', chart, '-n', ns])).exitCode).toBe(0)
  })

  it('a first install that failed: refused without --uninstall, removed with it', async () => {
    const install = await helm(['install', 'search', chart, '-n', ns, '--set', 'broken=true'])
    expect(install.exitCode).not.toBe(0)
    expect((await helmStatus('search', ns)).status).toBe('failed')

    const before = await snapshot(ns)
    const refused = await unstick(['search', '-n', ns, '--yes'])
    expect(refused.exitCode).toBe(ExitCode.CONFLICT)
    expect(refused.stderr.trim()).toBe(
      `error: release "search" in ${ns} has no deployed revision to roll back to; rerun with --uninstall to remove it (its controller can then install it afresh)`,
    )
    expect(await snapshot(ns)).toEqual(before)

    const removed = await unstick(['search', '-n', ns, '--yes', '--uninstall'])
    expect(removed.exitCode, removed.stderr).toBe(0)
    expect(removed.stderr.trim().split('\n').at(-1)).toBe(`release "search" in ${ns} is now uninstalled (helm keeps no record of it)`)
    expect((await helmStatus('search', ns)).error).toMatch(/release: not found/)
  })

  it('the endorsed fix for a pending lock: backs the record up, marks it failed, and helm can act again', async () => {
    await installDeployed('lax')
    await killHelmMidUpgrade('lax', ns, chart)
    const {core} = clients()
    const history = (await readHistory(core, 'lax', ns))!
    const outcome = await unlockPendingRevision(core, history, 2)
    expect(outcome).toMatchObject({action: 'unlock', ok: true, backup: {kind: 'Secret', namespace: ns}})
    // helm reads the record we rewrote, and agrees it is failed now
    expect((await helmHistory('lax', ns)).map((r) => r.status)).toEqual(['deployed', 'failed'])
    // the backup is the record exactly as helm wrote it, still pending-upgrade, and helm does not see it
    const backup = await core.readNamespacedSecret({name: outcome.backup!.name, namespace: ns})
    expect(backup.metadata?.labels).toMatchObject({'app.kubernetes.io/managed-by': 'elife-k8s', 'elife-k8s.elifesciences.org/backup-of': 'lax'})
    expect(backup.metadata?.labels?.owner).toBeUndefined()
    expect(decodeRelease(backup.data!.release!, 'secret').info?.status).toBe('pending-upgrade')
    // the lock is gone: helm upgrades again
    const upgrade = await helm(['upgrade', 'lax', chart, '-n', ns])
    expect(upgrade.exitCode, upgrade.stderr).toBe(0)
    expect((await helmStatus('lax', ns)).status).toBe('deployed')
  })

  it('a failed upgrade whose plain rollback helm refuses (manifest and cluster disagree): the escalation is planned, confirmed, and ends deployed and upgradable', async () => {
    // Revision 1 has an extra ConfigMap that revision 2 drops; revision 2 fails half-way, so the
    // ConfigMap stays while revision 2's manifest no longer lists it.
    const failHalfway = async (release: string) => {
      expect((await helm(['install', release, chart, '-n', ns, '--set', 'extraConfig=true'])).exitCode).toBe(0)
      await failUpgrade(release)
    }
    await failHalfway('profiles')
    // helm's own plain rollback refuses there (tried on a twin made the same way)
    await failHalfway('profiles-twin')
    const plain = await helm(['rollback', 'profiles-twin', '1', '-n', ns])
    expect(plain.exitCode).not.toBe(0)
    expect(plain.stderr).toMatch(/no ConfigMap with the name "profiles-twin-extra" found/)
    expect((await helmStatus('profiles-twin', ns)).status).toBe('failed')

    // --dry-run shows the whole escalation, --force with its consequence; nothing changes
    const before = await snapshot(ns)
    const dry = await unstick(['profiles', '-n', ns, '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stderr).toContain('back to revision 1')
    expect(dry.stderr).toContain('manifest and the cluster disagree ("no <kind> with the name ... found"), roll back once more')
    expect(dry.stderr).toContain('`helm rollback --force`, which replaces each object of the release instead of patching it')
    expect(dry.stderr).toContain('`helm upgrade profiles CHART -n')
    expect(await snapshot(ns)).toEqual(before)
    // no terminal, no --yes: refused, nothing changed
    const asked = await unstick(['profiles', '-n', ns])
    expect(asked.exitCode).toBe(ExitCode.ABORTED)
    expect(await snapshot(ns)).toEqual(before)

    const done = await unstick(['profiles', '-n', ns, '--yes', '--json'])
    expect(done.exitCode, done.stderr).toBe(0)
    const result = JSON.parse(done.stdout) as {releases: Array<{outcome: string; result: {now: {status: string}; steps: Array<{ok: boolean; detail: string}>}}>}
    expect(result.releases[0]?.outcome).toBe('done')
    expect(result.releases[0]?.result.steps[0]).toMatchObject({ok: false, detail: expect.stringMatching(/no ConfigMap with the name "profiles-extra" found/)})
    // helm agrees: deployed, revision 1's objects are back, and helm can upgrade it again
    expect((await helmStatus('profiles', ns)).status).toBe('deployed')
    expect((await kubectl(['get', 'configmap', 'profiles-extra', '-n', ns, '-o', 'name'])).exitCode).toBe(0)
    const upgrade = await helm(['upgrade', 'profiles', chart, '-n', ns, '--reuse-values'])
    expect(upgrade.exitCode, upgrade.stderr).toBe(0)
    expect((await helmStatus('profiles', ns)).status).toBe('deployed')
  })

  it('--dry-run --json carries the plan and names, never the HelmRelease values (nor its last-applied annotation)', async () => {
    await installDeployed('secretive')
    await failUpgrade('secretive')
    const password = `pw-${Math.random().toString(36).slice(2)}`
    const applied = await kubectl(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'helm.fluxcd.io/v1',
        kind: 'HelmRelease',
        metadata: {name: 'secretive', namespace: ns},
        spec: {releaseName: 'secretive', chart: {git: 'file:///nowhere', path: 'charts/x', ref: 'master'}, values: {database: {password}}},
      }),
    )
    expect(applied.exitCode, applied.stderr).toBe(0)
    const dry = await unstick(['secretive', '-n', ns, '--dry-run', '--json'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stdout + dry.stderr).not.toContain(password)
    expect(dry.stdout).not.toContain('last-applied-configuration')
    const result = JSON.parse(dry.stdout) as {releases: Array<{release: string; outcome: string; steps: Array<{action: string; owner?: unknown}>}>}
    expect(result.releases[0]).toMatchObject({release: 'secretive', outcome: 'planned'})
    expect(result.releases[0]?.steps.map((s) => s.action)).toEqual(['rollback', 'nudge'])
    expect(result.releases[0]?.steps[1]?.owner).toEqual({
      controller: 'helm-operator',
      apiVersion: 'helm.fluxcd.io/v1',
      kind: 'HelmRelease',
      namespace: ns,
      name: 'secretive',
    })
  })

  it("takes the HelmRelease's name, says which helm release it resolved, and unsticks that one", async () => {
    await installDeployed('reviewer--stg')
    await failUpgrade('reviewer--stg')
    // eLife's naming: HelmRelease `reviewer` manages helm release `reviewer--stg`
    await createHelmRelease('helm.fluxcd.io/v1', ns, 'reviewer', {
      releaseName: 'reviewer--stg',
      chart: {git: 'file:///nowhere', path: 'charts/reviewer', ref: 'master'},
    })
    const dry = await unstick(['reviewer', '-n', ns, '--dry-run'])
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(dry.stderr.split('\n')[0]).toBe(`HelmRelease ${ns}/reviewer → helm release reviewer--stg in ${ns}`)
    expect(dry.stderr).toMatch(/^ {2}- roll release "reviewer--stg" in \S+ back to revision 1 /m)
    const done = await unstick(['reviewer', '-n', ns, '--yes'])
    expect(done.exitCode, done.stderr).toBe(0)
    expect(await helmStatus('reviewer--stg', ns)).toEqual({status: 'deployed', version: 3})
  })

  it('--all -n NS unsticks every failed release there', async () => {
    await installDeployed('a-one')
    await installDeployed('a-two')
    await failUpgrade('a-one')
    await failUpgrade('a-two')
    const plan = await unstick(['--all', '-n', ns, '--dry-run'])
    expect(plan.exitCode, plan.stderr).toBe(0)
    expect(plan.stderr).toMatch(/a-one: revision 2/)
    expect(plan.stderr).toMatch(/a-two: revision 2/)
    expect(plan.stderr).toMatch(/^ {2}- roll release "a-one" in /m)
    expect(plan.stderr).toMatch(/^ {2}- roll release "a-two" in /m)
    const done = await unstick(['--all', '-n', ns, '--yes'])
    expect(done.exitCode, done.stderr).toBe(0)
    expect((await helmStatus('a-one', ns)).status).toBe('deployed')
    expect((await helmStatus('a-two', ns)).status).toBe('deployed')
  })
})

describe('helm unstick: bad input changes nothing', () => {
  let stuckNs: string
  beforeAll(async () => {
    stuckNs = await createNamespace('helm-unstick-bad')
    expect((await helm(['install', 'broken', chart, '-n', stuckNs])).exitCode).toBe(0)
    expect((await helm(['upgrade', 'broken', chart, '-n', stuckNs, '--set', 'broken=true'])).exitCode).not.toBe(0)
  })
  afterAll(async () => {
    await deleteNamespace(stuckNs)
  })

  const fakeHelm = (version: string): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fake-helm-'))
    const file = path.join(dir, 'helm')
    writeFileSync(file, `#!/bin/sh\n# a stand-in for another helm major version: it only answers \`helm version --short\`\necho "${version}"\n`)
    chmodSync(file, 0o755)
    return file
  }

  it.each([
    ['an unknown release', ['nope', '-n', 'NS'], {}, ExitCode.NOT_FOUND, /^error: release "nope" not found in namespace "helm-unstick-bad-\w+"/],
    [
      'the wrong namespace',
      ['broken', '-n', 'stg'],
      {},
      ExitCode.NOT_FOUND,
      /^error: release "broken" not found in namespace "stg"; it exists in helm-unstick-bad-\w+; rerun with -n/,
    ],
    [
      'helm missing',
      ['broken', '-n', 'NS', '--helm-binary', '/nonexistent/helm'],
      {},
      ExitCode.TOOL_FAILED,
      /^error: helm binary "\/nonexistent\/helm" was not found; install helm 3/,
    ],
    [
      'helm 2',
      ['broken', '-n', 'NS'],
      {ELIFE_K8S_HELM: fakeHelm('Client: v2.17.0+ga690bad')},
      ExitCode.TOOL_FAILED,
      /^error: helm at .* \(from ELIFE_K8S_HELM\) is v2.17.0\+ga690bad, but elife-k8s drives helm 3/,
    ],
    [
      'helm 4',
      ['broken', '-n', 'NS'],
      {ELIFE_K8S_HELM: fakeHelm('v4.0.0+g1234567')},
      ExitCode.TOOL_FAILED,
      /^error: helm at .* is v4.0.0\+g1234567, but elife-k8s drives helm 3/,
    ],
    [
      'a bad --to-revision',
      ['broken', '-n', 'NS', '--to-revision', '7'],
      {},
      ExitCode.USAGE,
      /^error: release "broken" in helm-unstick-bad-\w+ has no revision 7; its revisions are 1, 2/,
    ],
    ['--to-revision of a failed revision', ['broken', '-n', 'NS', '--to-revision', '2'], {}, ExitCode.USAGE, /stuck revision itself/],
  ] as const)('%s: one clear line, nothing changed', async (_what, args, env, exitCode, message) => {
    const before = await snapshot(stuckNs)
    const resolved = args.map((a) => (a === 'NS' ? stuckNs : a))
    const result = await unstick([...resolved, '--yes'], env as NodeJS.ProcessEnv)
    expect(result.exitCode).toBe(exitCode)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(message)
    expect(await snapshot(stuckNs)).toEqual(before)
    expect((await helmStatus('broken', stuckNs)).status).toBe('failed')
  })

  it('a forbidden user: one line, exit 4, nothing changed', async () => {
    const before = await snapshot(stuckNs)
    const result = await cli(['helm', 'unstick', 'broken', '-n', stuckNs, '--yes', '--kubeconfig', viewerKubeconfig])
    expect(result.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/^error: cannot read helm release "broken" in helm-unstick-bad-\w+: .*forbidden/)
    expect(await snapshot(stuckNs)).toEqual(before)
  })
})
