import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {dynamicHelpCommands} from '../../src/lib/cli/fast.js'
import {repoRoot, runCli} from '../helpers/cli.js'

// `--help`, `-h` and `elife-k8s` alone run oclif's help bundled in one file (src/lib/cli/help-fast.ts,
// bin/main.js). Every case runs both ways: by the bundle, and by oclif from node_modules
// (ELIFE_K8S_FAST_PATH=0); stdout, stderr and the exit code must be the same bytes. The probe
// (--require) record whether the bundle and node_modules' oclif were loaded, so each case also
// proves which path ran. No cluster: help reads the manifest only.
const probe = path.join(repoRoot, 'test/fixtures/probes/oclif-loaded.cjs')
const bundleProbe = path.join(repoRoot, 'test/fixtures/probes/help-bundle.cjs')
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-help-'))
let runs = 0

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const file = path.join(scratch, `probe-${runs++}`)
  const result = await runCli(args, {
    env: {NODE_OPTIONS: `--require=${probe} --require=${bundleProbe}`, ELIFE_K8S_PROBE_FILE: file, ELIFE_K8S_HELP_PROBE_FILE: `${file}-help`, ...env},
  })
  return {...result, oclif: readFileSync(file, 'utf8') === 'oclif', bundle: readFileSync(`${file}-help`, 'utf8') === 'bundle'}
}

async function bothWays(args: string[], env: NodeJS.ProcessEnv = {}) {
  const [fast, oclif] = await Promise.all([run(args, env), run(args, {...env, ELIFE_K8S_FAST_PATH: '0'})])
  expect(oclif.oclif, 'ELIFE_K8S_FAST_PATH=0 should load oclif from node_modules').toBe(true)
  expect(oclif.bundle, 'ELIFE_K8S_FAST_PATH=0 should not load the help bundle').toBe(false)
  return {fast, oclif}
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {hasDynamicHelp?: boolean}>}
const commands = Object.keys(manifest.commands).map((id) => id.split(':'))
// A command whose help is computed when shown (a flag's defaultHelp: doctor) is loaded by oclif to
// show it, and imports node_modules' oclif for its own classes; its help still comes from the bundle.
const dynamicHelp = new Set(Object.entries(manifest.commands).flatMap(([id, command]) => (command.hasDynamicHelp ? [id] : [])))
// bin/main.js loads the help bundle through require for these (their help imports the command's
// module) and through requireWarm for the rest: the list must be the manifest's.
it('the commands whose help is computed when shown are the ones bin/main.js loads help for with require', () => {
  expect([...dynamicHelp].sort()).toEqual([...dynamicHelpCommands].sort())
})
const topics = Object.keys((JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {oclif: {topics: Record<string, unknown>}}).oclif.topics)

// Without a terminal oclif wraps at 80 columns; OCLIF_COLUMNS is how a width reaches a piped run.
const widths: Array<[string, NodeJS.ProcessEnv]> = [
  ['no terminal', {}],
  ['80 columns', {OCLIF_COLUMNS: '80'}],
  ['120 columns', {OCLIF_COLUMNS: '120'}],
]

// runCli turns colour off (NO_COLOR) unless a test asks for it.
const colour = {FORCE_COLOR: '1', NO_COLOR: undefined}

describe('help from the bundle is the help of oclif from node_modules, byte for byte', () => {
  for (const words of [[], ...commands, ...topics.map((t) => [t])]) {
    it(`${['elife-k8s', ...words].join(' ')} --help / -h, every width`, async () => {
      const cases = widths.flatMap(([width, env]) => [
        {what: `--help, ${width}`, args: [...words, '--help'], env},
        {what: `-h, ${width}`, args: [...words, '-h'], env},
      ])
      const results = await Promise.all(cases.map(({args, env}) => bothWays(args, env)))
      for (const [i, {fast, oclif}] of results.entries()) {
        const {what} = cases[i]
        expect(fast.bundle, `${what}: the bundle should have answered`).toBe(true)
        expect(fast.oclif, `${what}: node_modules' oclif loaded`).toBe(dynamicHelp.has(words.join(':')))
        expect(fast.stdout, what).toBe(oclif.stdout)
        expect(fast.stderr, what).toBe(oclif.stderr)
        expect(fast.exitCode, what).toBe(oclif.exitCode)
        expect(fast.exitCode, what).toBe(0)
        expect(fast.stdout, what).toMatch(/^USAGE$/m)
      }
    })
  }

  const others: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    ['elife-k8s alone', []],
    ['a command that does not exist: the not-found line, exit 2', ['helm', 'nonexistent', '--help']],
    ['a flag before the help flag', ['images', '-A', '--help']],
    ['in colour', ['helm', 'history', '--help'], colour],
    ['the root, in colour', ['--help'], colour],
  ]
  for (const [what, args, env] of others) {
    it(what, async () => {
      const {fast, oclif} = await bothWays(args, env)
      expect(fast.bundle, 'the bundle should have answered').toBe(true)
      expect(fast.oclif, "node_modules' oclif loaded").toBe(false)
      expect({stdout: fast.stdout, stderr: fast.stderr, exitCode: fast.exitCode}).toEqual({
        stdout: oclif.stdout,
        stderr: oclif.stderr,
        exitCode: oclif.exitCode,
      })
    })
  }

  it('the not-found line is what it was', async () => {
    const {fast} = await bothWays(['helm', 'nonexistent', '--help'])
    expect(fast.exitCode).toBe(2)
    expect(fast.stdout).toBe('')
    expect(fast.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('colour is there when asked for (so the case above compares colour)', async () => {
    const {fast} = await bothWays(['--help'], colour)
    // eslint-disable-next-line no-control-regex -- colour codes are what it looks for
    expect(fast.stdout).toMatch(/\u001B\[/)
  })
})

describe('what the bundle leaves to oclif from node_modules', () => {
  const left: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    ['--help after --', ['images', '--', '--help']],
    ['the help command', ['help', 'helm', 'history']],
    ['a topic alone', ['helm']],
    ['DEBUG set', ['--help'], {DEBUG: 'nothing-matches'}],
  ]
  for (const [what, args, env] of left) {
    it(what, async () => {
      const {fast, oclif} = await bothWays(args, env)
      expect(fast.bundle, 'the bundle should have left it to oclif').toBe(false)
      expect(fast.oclif).toBe(true)
      expect({stdout: fast.stdout, stderr: fast.stderr, exitCode: fast.exitCode}).toEqual({
        stdout: oclif.stdout,
        stderr: oclif.stderr,
        exitCode: oclif.exitCode,
      })
    })
  }
})
