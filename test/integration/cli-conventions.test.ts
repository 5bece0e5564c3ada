import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {repoRoot, runCli} from '../helpers/cli.js'
import {kubeconfig} from './helm-support.js'

// The conventions an admin's hands bring from kubectl and helm (issue 16), on the built CLI.
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {hidden?: boolean; aliases: string[]; examples?: Array<{command: string; description: string}>}>
}
const commandIds = Object.entries(manifest.commands)
  .filter(([, c]) => !c.hidden)
  .map(([id]) => id.replaceAll(':', ' '))
const ours = commandIds.filter((id) => !id.startsWith('autocomplete'))
const k = ['--kubeconfig', kubeconfig]
const secretUrl = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXSECRET'

describe('-h is --help', () => {
  for (const id of ours) {
    it(id, async () => {
      const [short, long] = await Promise.all([runCli([...id.split(' '), '-h']), runCli([...id.split(' '), '--help'])])
      expect(short.exitCode).toBe(0)
      expect(short.stdout).toContain('USAGE')
      expect([short.stdout, short.stderr]).toEqual([long.stdout, long.stderr])
    })
  }
})

describe('a misspelt command', () => {
  it('suggests the closest one, space-separated, in one line, exit 2', async () => {
    const result = await runCli(['helm', 'lsit', '-A'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('error: `elife-k8s helm lsit` is not a command; did you mean `elife-k8s helm list`?\n')
  })

  it('never echoes a stray argument (it may be a secret)', async () => {
    const cases = [
      ['helm', 'lsit', secretUrl],
      [secretUrl],
      ['helm', secretUrl, '-n', 'adm'],
      ['alertmanager', 'aply', secretUrl],
      ['helm', 'lsit', secretUrl, '--help'],
      ['help', 'helm', 'lsit', secretUrl],
    ]
    for (const args of cases) {
      const result = await runCli(args)
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(result.stderr + result.stdout, args.join(' ')).not.toContain('hooks.slack.com')
    }
  })

  it('a real command given words it takes no argument for: says so, never shows them', async () => {
    for (const [args, command] of [
      [['helm', 'list', 'tok-SECRET', '-A'], 'helm list'],
      [['images', 'xSECRET', 'ySECRET'], 'images'],
      [['helm', 'ls', 'tok-SECRET'], 'helm ls'],
    ] as const) {
      const result = await runCli([...args])
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      const extra = args.filter((a) => a.includes('SECRET')).length
      expect(result.stderr).toBe(
        `error: \`elife-k8s ${command}\` takes no argument${extra === 1 ? '' : 's'} (${extra} given, not shown); see \`elife-k8s ${command} --help\`\n`,
      )
    }
  })

  it("names the topic's help when nothing is close", async () => {
    const result = await runCli(['helm', 'deploy'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toBe('error: `elife-k8s helm deploy` is not a command; `elife-k8s helm --help` lists them\n')
  })
})

describe('helm ls is helm list, as in helm', () => {
  it('prints what helm list prints (fast path and oclif)', async () => {
    for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
      const [ls, list] = await Promise.all([
        runCli(['helm', 'ls', '-n', 'prod', '--json', ...k], {env}),
        runCli(['helm', 'list', '-n', 'prod', '--json', ...k], {env}),
      ])
      expect(ls.exitCode).toBe(0)
      expect(JSON.parse(ls.stdout)).toEqual(JSON.parse(list.stdout))
    }
  })
})

describe("-o, as kubectl's", () => {
  const lintDir = path.join(repoRoot, 'test/fixtures/gitops')
  const documents: Array<[string, string[], NodeJS.ProcessEnv?]> = [
    // A fixture namespace: -A would race the namespaces other test files create and delete meanwhile.
    ['images (fast path)', ['images', '-n', 'prod', ...k]],
    ['images (oclif)', ['images', '-n', 'prod', ...k], {ELIFE_K8S_FAST_PATH: '0'}],
    // helm list's -o json|yaml is helm's own shape (test/integration/helm-list.test.ts compares it with helm's).
    ['kube-proxy fix --check', ['kube-proxy', 'fix', '--check', ...k]],
    ['lint', ['lint', lintDir]],
  ]
  for (const [what, args, env] of documents) {
    it(`-o json is --json, -o yaml the same result as YAML: ${what}`, async () => {
      const [json, o, oEquals, yaml] = await Promise.all([
        runCli([...args, '--json'], {env}),
        runCli([...args, '-o', 'json'], {env}),
        runCli([...args, '--output=json'], {env}),
        runCli([...args, '-o', 'yaml'], {env}),
      ])
      // kube-proxy fix --check exits 6 on the local cluster (its checks fail there), with the result.
      expect([0, 6]).toContain(json.exitCode)
      expect([o.stdout, o.stderr, o.exitCode]).toEqual([json.stdout, json.stderr, json.exitCode])
      expect([oEquals.stdout, oEquals.exitCode]).toEqual([json.stdout, json.exitCode])
      expect(yaml.exitCode).toBe(json.exitCode)
      expect(yaml.stdout.trimStart().startsWith('{')).toBe(false)
      const {parse} = await import('yaml')
      expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout))
    })
  }

  it('images -o wide is --wide (fast path and oclif)', async () => {
    for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
      const args = ['images', '-n', 'prod', '--by', 'pod', ...k]
      const [o, wide] = await Promise.all([runCli([...args, '-o', 'wide'], {env}), runCli([...args, '--wide'], {env})])
      expect(o.exitCode).toBe(0)
      expect(o.stdout).toContain('DIGEST')
      expect([o.stdout, o.stderr]).toEqual([wide.stdout, wide.stderr])
    }
    const refused = await runCli(['images', '-A', '-o', 'wide', ...k])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toMatch(/^error: -o wide adds .*--by pod/)
  })

  it('helm list -o name prints release names, one a line', async () => {
    const [names, json] = await Promise.all([
      runCli(['helm', 'list', '-n', 'prod', '-o', 'name', ...k]),
      runCli(['helm', 'list', '-n', 'prod', '--json', ...k]),
    ])
    expect(names.exitCode).toBe(0)
    const releases = (JSON.parse(json.stdout) as {releases: Array<{name: string}>}).releases
    expect(releases.length).toBeGreaterThan(0)
    expect(names.stdout).toBe(releases.map((r) => `${r.name}\n`).join(''))
  })

  it('a format the command does not offer: one line naming those it does, exit 2, the value never echoed', async () => {
    const cases: Array<[string[], string]> = [
      [['images', '-A', '-o', secretUrl, ...k], '-o/--output takes json, yaml or wide for `elife-k8s images`; it has no name view'],
      // helm list's -o is helm's (table|json|yaml) and kubectl's name, an option as in helm.
      [['helm', 'list', `--output=${secretUrl}`, ...k], 'Expected --output to be one of: table, json, yaml, name\nSee more help with --help'],
      [['doctor', '-o', 'wide', ...k], '-o/--output takes json or yaml for `elife-k8s doctor`; it has no wide or name view'],
      [['lint', lintDir, '-o', 'name'], '-o/--output takes json or yaml for `elife-k8s lint`; it has no wide or name view'],
      [['logs', 'flux', '-o', 'yaml', ...k], '-o/--output takes json for `elife-k8s logs`; it has no yaml, wide or name view'],
    ]
    for (const [args, line] of cases) {
      const result = await runCli(args)
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(`error: ${line}\n`)
    }
  })

  it('sniff keeps its own -o (the capture file)', async () => {
    const help = await runCli(['sniff', '--help'])
    expect(help.stdout).toMatch(/-o, --output=<value>\s+Write the pcap to this file/)
  })
})

describe("-n help states each command's real default", () => {
  const expected: Record<string, string> = {
    'alertmanager apply': 'adm',
    logs: 'flux',
    'kube-proxy fix': 'kube-system',
    'flux sync': 'flux-system',
    'helm list': "the context's namespace",
    images: "the context's namespace",
  }
  for (const [id, namespace] of Object.entries(expected)) {
    it(id, async () => {
      const help = await runCli([...id.split(' '), '--help'], {env: {COLUMNS: '200'}})
      const line = help.stdout.split('\n').find((l) => l.includes('-n, --namespace'))
      expect(line).toContain(`Namespace (default: ${namespace}`)
    })
  }

  it('and the command acts there', async () => {
    const result = await runCli(['kube-proxy', 'fix', '--check', '--json', ...k])
    expect((JSON.parse(result.stdout) as {namespace: string}).namespace).toBe('kube-system')
  })
})

describe('a flag that would do nothing is not taken', () => {
  // token talks to AWS only, kubeconfig writes --alias's context, lint reads files (and CRDs with --from-cluster), doctor and
  // bootstrap have their own namespace flags: a global flag that did nothing there was accepted and
  // ignored. Refused now, as any unknown flag: exit 2, the flag named, its value never shown.
  const value = 'x-SECRET-VALUE'
  const refused: Array<[string, string[], string[]]> = [
    ['token', ['--cluster', 'c'], ['-n', '--namespace', '--context', '--kubeconfig']],
    ['kubeconfig', ['--cluster', 'c'], ['-n', '--namespace', '--context']],
    ['lint', [], ['-n', '--namespace']],
    ['doctor', [], ['-n', '--namespace']],
    ['bootstrap', [], ['-n', '--namespace']],
  ]
  for (const [id, required, flags] of refused) {
    it(`${id}: ${flags.join(', ')}`, async () => {
      for (const flag of flags) {
        for (const args of [[flag, value], ...(flag.startsWith('--') ? [[`${flag}=${value}`]] : [])]) {
          // token's fast path leaves the flag to oclif; with it off, oclif alone: the same answer.
          for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
            const result = await runCli([id, ...required, ...args], {env})
            const what = `${id} ${args.join(' ')} ${JSON.stringify(env)}`
            expect(result.exitCode, what).toBe(2)
            expect(result.stderr.split('\n')[0], what).toBe(`error: Nonexistent flag: ${flag}`)
            expect(result.stdout + result.stderr, what).not.toContain(value)
          }
        }
      }
      const help = await runCli([id, '--help'], {env: {COLUMNS: '200'}})
      expect(help.exitCode).toBe(0)
      for (const flag of flags) expect(help.stdout, `${id} --help`).not.toMatch(new RegExp(`(^|[\\s\\[,])${flag}[\\s=,\\]]`, 'm'))
    })
  }

  it('the commands that act in a namespace keep -n', async () => {
    for (const id of ['helm list', 'images', 'sniff', 'logs', 'alertmanager apply']) {
      const help = await runCli([...id.split(' '), '--help'], {env: {COLUMNS: '200'}})
      expect(help.stdout, id).toContain('-n, --namespace=<value>')
    }
  })
})

describe('help examples survive 80 columns (a line pasted from help works)', () => {
  /** Whether a shell line ends inside quotes (where a ` \\` line break would be kept as text). */
  function insideQuotes(text: string): boolean {
    let quote: string | undefined
    for (let i = 0; i < text.length; i++) {
      const c = text[i]
      if (quote === undefined && c === '\\') i++
      else if (quote === '"' && c === '\\') i++
      else if (quote === undefined && (c === "'" || c === '"')) quote = c
      else if (c === quote) quote = undefined
    }
    return quote !== undefined
  }

  /** How many shell words a line holds (blanks inside quotes do not count). */
  function words(text: string): number {
    let count = 0
    let inWord = false
    for (let i = 0; i < text.length; i++) {
      const blank = text[i] === ' ' && !insideQuotes(text.slice(0, i))
      if (!blank && !inWord) count++
      inWord = !blank
    }
    return count
  }

  /** The EXAMPLES section's command lines, each re-joined from its ` \\` continuation lines. */
  function exampleCommands(help: string): {commands: string[]; lines: string[]} {
    const section = help.split('\nEXAMPLES\n')[1]?.split(/\n[A-Z][A-Z ]+\n/)[0] ?? ''
    const commands: string[] = []
    const lines: string[] = []
    let current: string | undefined
    for (const line of section.split('\n')) {
      if (current === undefined && !line.startsWith('    $ ')) continue
      lines.push(line)
      const text = current === undefined ? line.slice('    $ '.length) : line.trim()
      const continued = text.endsWith(' \\')
      current = current === undefined ? text.replace(/ \\$/, '') : `${current} ${text.replace(/ \\$/, '')}`
      if (continued) expect(insideQuotes(current), `broken inside quotes: ${line}`).toBe(false)
      if (!continued) {
        commands.push(current)
        current = undefined
      }
    }
    return {commands, lines}
  }

  for (const id of ours) {
    const declared = manifest.commands[id.replaceAll(' ', ':')].examples ?? []
    if (declared.length === 0) continue
    it(id, async () => {
      const help = await runCli([...id.split(' '), '--help'], {env: {COLUMNS: '80'}})
      const {commands, lines} = exampleCommands(help.stdout)
      const expected = declared.map((e) => e.command.replaceAll('<%= config.bin %>', 'elife-k8s').replaceAll('<%= command.id %>', id))
      expect(commands).toEqual(expected)
      // Only a word longer than a line may pass the 80th column, alone on its line.
      for (const line of lines) if (line.length > 80) expect(words(line.trim().replace(/^\$ /, '').replace(/ \\$/, '')), line).toBe(1)
    })
  }
})
