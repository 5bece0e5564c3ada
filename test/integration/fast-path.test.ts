import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {beforeAll, describe, expect, inject, it} from 'vitest'

import {repoRoot, runCli} from '../helpers/cli.js'
import {gitopsFixture, scratchRepos} from '../helpers/repos.js'
import {clients, kubeconfig, viewerKubeconfig} from './helm-support.js'
import {waitForNoTerminatingNamespaces} from '../helpers/namespaces.js'

// `helm list`, `images` and `lint` run without oclif when their flags are plain (src/lib/cli/fast.ts).
// Every case here runs both ways, on the real cluster: by the fast path, and by oclif
// (ELIFE_K8S_FAST_PATH=0); stdout, stderr and the exit code must be the same bytes. A probe
// (--require) records whether oclif was loaded, so each case also proves which path ran.
const probe = path.join(repoRoot, 'test/fixtures/probes/oclif-loaded.cjs')
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-fast-'))
let runs = 0

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const file = path.join(scratch, `probe-${runs++}`)
  const result = await runCli(args, {env: {NODE_OPTIONS: `--require=${probe}`, ELIFE_K8S_PROBE_FILE: file, ...env}})
  return {...result, oclif: readFileSync(file, 'utf8') === 'oclif'}
}

async function bothWays(args: string[], env: NodeJS.ProcessEnv = {}) {
  const [fast, oclif] = await Promise.all([run(args, env), run(args, {...env, ELIFE_K8S_FAST_PATH: '0'})])
  expect(oclif.oclif).toBe(true)
  return {fast, oclif}
}

const k = ['--kubeconfig', kubeconfig]

// The -A cases compare output taken at two moments: wait until earlier files' namespaces are gone.
beforeAll(() => waitForNoTerminatingNamespaces(clients().core), 200_000)

describe('the fast path prints what oclif prints', () => {
  const same = [
    ['helm', 'list', '-A', ...k],
    ['helm', 'list', '-A', '--stuck', ...k],
    ['helm', 'list', '--all-namespaces', '--json', ...k],
    ['helm', 'list', '-n', 'kube-system', ...k],
    ['helm', 'list', '-A', '-o', 'json', ...k],
    ['helm', 'list', '-n', 'prod', '--output=yaml', ...k],
    ['helm', 'list', '-n', 'stg', '-o', 'json', '--json', ...k],
    ['helm', 'list', '--namespace=adm', '--no-color', ...k],
    ['helm', 'list', '--context', 'no-such-context', ...k],
    ['helm', 'list', '--context=no-such-context', '--json', ...k],
    ['helm', 'list', '-n', 'stg', '--kubeconfig', viewerKubeconfig],
    ['helm', 'list', '-n', 'stg', '--json', '--kubeconfig', viewerKubeconfig],
    ['images', '-A', ...k],
    ['images', '-n', 'kube-system', '--by', 'pod', '--wide', ...k],
    ['images', '-A', '--by=pod', '-l', 'app=journal', '--json', ...k],
    ['images', '-A', '--image', 'no-such-image', ...k],
    ['images', '-n', 'stg', '--kubeconfig', viewerKubeconfig],
    ['images', '-A', '-o', 'json', ...k],
    ['images', '-n', 'kube-system', '--by', 'pod', '-o', 'wide', ...k],
    ['helm', 'list', '-A', '--output=name', ...k],
    ['helm', 'ls', '-A', ...k],
  ]
  for (const args of same) {
    it(args.filter((a) => a !== kubeconfig).join(' '), async () => {
      const {fast, oclif} = await bothWays(args)
      expect(fast.oclif, 'the fast path loaded oclif').toBe(false)
      expect(fast.stdout).toBe(oclif.stdout)
      expect(fast.stderr).toBe(oclif.stderr)
      expect(fast.exitCode).toBe(oclif.exitCode)
    })
  }

  it('a broken kubeconfig path: one line, exit 2, both ways', async () => {
    const {fast, oclif} = await bothWays(['helm', 'list', '-A', '--kubeconfig', path.join(scratch, 'missing')])
    expect(fast.exitCode).toBe(2)
    expect(fast.stderr.trim().split('\n')).toHaveLength(1)
    expect([fast.stdout, fast.stderr, fast.exitCode]).toEqual([oclif.stdout, oclif.stderr, oclif.exitCode])
  })
})

// lint's fast path loads no Kubernetes client (CommandOutput): the fixture repository, clean and
// broken, in every output format, with helm rendering its charts both ways.
const helmEnv = {ELIFE_K8S_HELM: path.join(inject('binDir') || `${process.env.ELIFE_K8S_TEST_BIN}`, 'helm')}
const lintRepos = scratchRepos('elife-k8s-fast-lint-')
const broken = path.join(lintRepos.dir, 'repo')

describe("lint's fast path prints what oclif prints", () => {
  beforeAll(() => {
    lintRepos.copy(
      [
        {file: 'releases/stg/reviewer.yaml', from: 'interval: 2m', to: 'interval: 30s'},
        {file: 'releases/prod/values.yaml', write: 'replicaCount: 2\n'},
        {file: 'releases/stg/reviewer.yaml', from: '      name: reviewer\n      port:', to: '      name: reviewer-web\n      port:'},
      ],
      {to: broken},
    )
  })

  const same: Array<[string, string[]]> = [
    ['the clean fixture, charts rendered', [gitopsFixture]],
    ['errors and a warning: exit 6', [broken]],
    ['--json', [broken, '--json']],
    ['-o json', [broken, '-o', 'json']],
    ['--format sarif', [broken, '--format', 'sarif']],
    ['--format=github, errors only', [broken, '--format=github', '--severity', 'error']],
    ['two paths, one rule list', [path.join(broken, 'releases/stg'), path.join(broken, 'releases/prod'), '--rule', 'flagger-metric-interval,not-an-object']],
    ['--skip-rule helm-render, --no-color', [broken, '--skip-rule', 'helm-render', '--no-color']],
    ['an older Kubernetes', [gitopsFixture, '--kubernetes-version', '1.21']],
    ['a path that does not exist: exit 2', [path.join(lintRepos.dir, 'missing')]],
    ['an unknown rule: exit 2', [gitopsFixture, '--rule', 'no-such-rule']],
    ['an unknown rule under --json', [gitopsFixture, '--skip-rule=no-such-rule', '--json']],
  ]
  for (const [what, args] of same) {
    it(what, async () => {
      const {fast, oclif} = await bothWays(['lint', ...args], helmEnv)
      expect(fast.oclif, 'the fast path loaded oclif').toBe(false)
      expect(fast.stdout).toBe(oclif.stdout)
      expect(fast.stderr).toBe(oclif.stderr)
      expect(fast.exitCode).toBe(oclif.exitCode)
    })
  }

  const left: Array<[string, string[]]> = [
    ['--from-cluster', [gitopsFixture, '--from-cluster', ...k]],
    ['--kubeconfig without --from-cluster (refused)', [gitopsFixture, ...k]],
    ['-n (lint takes none)', [gitopsFixture, '-n', 'adm']],
    ["a word after a repeatable flag's value (oclif takes it as another value)", ['--rule', 'schema', gitopsFixture]],
    ['-o yaml', [gitopsFixture, '-o', 'yaml']],
  ]
  for (const [what, args] of left) {
    it(`leaves to oclif: ${what}`, async () => {
      const {fast, oclif} = await bothWays(['lint', ...args], helmEnv)
      expect(fast.oclif, 'the fast path should have left it to oclif').toBe(true)
      expect({stdout: fast.stdout, stderr: fast.stderr, exitCode: fast.exitCode}).toEqual({
        stdout: oclif.stdout,
        stderr: oclif.stderr,
        exitCode: oclif.exitCode,
      })
    })
  }
})

describe('what the fast path leaves to oclif', () => {
  const left: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    ['an unknown flag', ['helm', 'list', '--bogus', ...k]],
    ['an argument', ['helm', 'list', 'extra', ...k]],
    ['a repeated flag', ['images', '-n', 'adm', '-n', 'prod', ...k]],
    ['combined short flags', ['helm', 'list', '-An', 'adm', ...k]],
    ['a bad option value', ['images', '--by', 'node', ...k]],
    ['a flag without its value', ['images', '-l']],
    ['DEBUG set', ['helm', 'list', '-A', ...k], {DEBUG: 'nothing-matches'}],
    ['-o yaml', ['images', '-A', '-o', 'yaml', ...k]],
    ['an -o format the command does not offer', ['images', '-A', '-o', 'name', ...k]],
  ]
  for (const [what, args, env] of left) {
    it(what, async () => {
      const {fast, oclif} = await bothWays(args, env)
      expect(fast.oclif, 'the fast path should have left it to oclif').toBe(true)
      expect({stdout: fast.stdout, stderr: fast.stderr, exitCode: fast.exitCode}).toEqual({
        stdout: oclif.stdout,
        stderr: oclif.stderr,
        exitCode: oclif.exitCode,
      })
    })
  }

  it('other commands never take it', async () => {
    const result = await run(['helm', 'history', 'nothing', '-n', 'adm', ...k])
    expect(result.oclif).toBe(true)
  })
})
