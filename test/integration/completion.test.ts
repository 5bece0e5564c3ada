import {execFile} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import net, {type AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {childEnv, repoRoot, runCli} from '../helpers/cli.js'
import {cli, clients, kubeconfig} from './helm-support.js'

// Shell completion as a user installs it (`elife-k8s autocomplete bash` or `zsh`, whose printed
// set-up is followed), run by real bash and by a real interactive zsh: the plugin's functions, with
// ours in front for values from the cluster and the choices of option flags. Every case runs in both.
const scratch = mkdtempSync(path.join(tmpdir(), 'elife-k8s-completion-'))
const cacheHome = path.join(scratch, 'cache')
const binDir = path.join(scratch, 'bin')
const env = {XDG_CACHE_HOME: cacheHome, PATH: `${binDir}:${process.env.PATH}`}
const bashFunctions = path.join(cacheHome, 'elife-k8s/autocomplete/functions/bash/elife-k8s.bash')

function run(file: string, args: string[], extraEnv: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, {env: childEnv({...env, ...extraEnv}), timeout: 60_000}, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        reject(new Error(`${file} is not installed: install it (apt-get install -y ${file}) to run its completion tests`))
      else if (error) reject(new Error(`${file} failed: ${error.message}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

/** COMPREPLY for `line` (the cursor at its end), with COMP_WORDS split as bash splits them (at blanks, `=` and `:`). */
async function completeBash(line: string): Promise<string[]> {
  const words = line.split(' ').flatMap((word) => word.split(/([=:])/).filter((part, i, all) => part !== '' || i === all.length - 1))
  const script = [
    `source ${JSON.stringify(bashFunctions)}`,
    `COMP_LINE=${JSON.stringify(line)}`,
    'COMP_POINT=${#COMP_LINE}',
    `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_elife_k8s_values',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n')
  return (await run('bash', ['-c', script], {})).split('\n').filter(Boolean)
}

// zsh: an interactive zsh (its own HOME, whose .zshrc is what the set-up `elife-k8s autocomplete
// zsh` prints wrote) on a pseudo-terminal (zsh/zpty), so compinit and zsh's completion system run as
// for a user. The line is typed, then TAB; a key bound to a widget then shows the edited line
// (zle -M) so the driver knows completion has finished. TERM=dumb and no bracketed paste keep the
// screen free of escape sequences; a wide terminal keeps the line on one row.
const zshHome = path.join(scratch, 'zsh-home')
const zshEnv = {HOME: zshHome, ZDOTDIR: zshHome, TERM: 'dumb'}
const prompt = 'ZSH-READY> '
const zshDriver = [
  'zmodload zsh/zpty',
  "zpty shell 'stty cols 1000 rows 200; exec zsh -i'",
  `zpty -r shell out '*${prompt}*'`,
  'zpty -w -n shell "$1"',
  "zpty -r shell out '*>>>*'",
  'print -rn -- "$out"',
  'zpty -d shell',
].join('\n')
let zshReady: Promise<void> | undefined

/** The user's set-up: the printf line `elife-k8s autocomplete zsh` prints, run by zsh, into the test's HOME. */
async function setUpZsh(): Promise<void> {
  mkdirSync(zshHome, {recursive: true})
  writeFileSync(
    path.join(zshHome, '.zshrc'),
    [
      `PS1='${prompt}'`,
      'unset zle_bracketed_paste',
      '_test_show_line() { zle -M "<<<$BUFFER>>>" }',
      'zle -N _test_show_line',
      "bindkey '^Xq' _test_show_line",
      '',
    ].join('\n'),
  )
  const instructions = await runCli(['autocomplete', 'zsh'], {env})
  const setUp = /^\s*(printf .*>> ~\/\.zshrc);/m.exec(instructions.stdout)?.[1]
  expect(setUp, instructions.stdout).toBeDefined()
  await run('zsh', ['-f', '-c', setUp!], zshEnv)
}

/**
 * What zsh offers after TAB for the word being typed: the list it shows, or the one match it put
 * on the line (without the `--flag=` of a --flag=value word, as zsh lists such values). When TAB
 * only filled in a common prefix, a second TAB (as a user presses) shows the list.
 */
async function completeZsh(line: string): Promise<string[]> {
  zshReady ??= setUpZsh()
  await zshReady
  const typedWord = line.slice(line.lastIndexOf(' ') + 1)
  const flagPrefix = /^--[^=]+=/.exec(typedWord)?.[0] ?? ''
  for (const tabs of [1, 2]) {
    // The keys: the line, TAB (once or twice), then Ctrl-X q (the widget showing the edited line).
    const screen = await run('zsh', ['-f', '-c', zshDriver, 'zsh-driver', `${line}${'\t'.repeat(tabs)}\x18q`], zshEnv)
    const rows = screen
      .replaceAll('\x07', '')
      .split(/\r*\n/)
      .map((row) => row.slice(row.lastIndexOf('\r') + 1))
    const edited = /<<<(.*)>>>/.exec(screen)?.[1]
    if (edited === undefined) throw new Error(`zsh did not show the edited line: ${JSON.stringify(screen)}`)
    const end = rows.findIndex((row, i) => i > 0 && (row.startsWith(prompt) || row.startsWith('<<<')))
    const listed = rows.slice(1, end).flatMap((row) => row.split(/\s+/).filter(Boolean))
    if (listed.length > 0) return listed.sort()
    if (edited === line) return []
    if (edited.endsWith(' '))
      return [
        edited
          .trimEnd()
          .slice(edited.trimEnd().lastIndexOf(' ') + 1)
          .slice(flagPrefix.length),
      ]
  }
  throw new Error(`zsh filled in a prefix of "${line}" but listed nothing on a second TAB`)
}

let hung: net.Server
let hungKubeconfig: string

beforeAll(async () => {
  // elife-k8s on PATH, as after `npm install -g`, on the Node.js running the tests.
  mkdirSync(binDir, {recursive: true})
  writeFileSync(
    path.join(binDir, 'elife-k8s'),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repoRoot, 'bin/run.js'))} "$@"\n`,
  )
  chmodSync(path.join(binDir, 'elife-k8s'), 0o755)
  const setup = await runCli(['autocomplete', 'bash'], {env})
  expect(setup.exitCode).toBe(0)
  // A server that accepts connections and never answers.
  hung = net.createServer((socket) => socket.on('error', () => undefined))
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
  hungKubeconfig = path.join(scratch, 'hung-kubeconfig')
  writeFileSync(
    hungKubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: hung\n  cluster:\n    server: https://127.0.0.1:${(hung.address() as AddressInfo).port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: hung\n  context: {cluster: hung, user: u}\ncurrent-context: hung\nusers:\n- name: u\n  user: {token: x}\n`,
  )
})

afterAll(() => hung?.close())

describe.each([
  ['bash', completeBash],
  ['zsh', completeZsh],
] as const)('%s completion', (_shell, complete) => {
  it("the plugin's function still completes commands", async () => {
    expect(await complete('elife-k8s helm li')).toEqual(['list'])
  })

  it('namespaces, from the cluster', async () => {
    // Other test files create and delete namespaces meanwhile: what completion offers must hold every
    // namespace that existed both before and after it ran, and nothing that existed at neither moment.
    const list = async () => (await clients().core.listNamespace()).items.map((n) => n.metadata!.name!)
    const between = async (line: string, keep: (n: string) => boolean) => {
      const before = await list()
      const offered = await complete(line)
      const after = await list()
      expect(before).toContain('adm')
      for (const n of before.filter((n) => after.includes(n) && keep(n))) expect(offered, line).toContain(n)
      for (const n of offered) expect([...before, ...after], line).toContain(n)
      expect(offered.every(keep), line).toBe(true)
      expect(new Set(offered).size, line).toBe(offered.length)
    }
    await between(`elife-k8s helm list --kubeconfig ${kubeconfig} -n `, () => true)
    await between(`elife-k8s helm list --kubeconfig ${kubeconfig} -n ad`, (n) => n.startsWith('ad'))
    await between(`elife-k8s doctor --kubeconfig ${kubeconfig} --monitoring-namespace=ku`, (n) => n.startsWith('ku'))
  })

  it('contexts, from the kubeconfig', async () => {
    const contexts = clients()
      .kc.getContexts()
      .map((c) => c.name)
    expect(await complete(`elife-k8s images --kubeconfig ${kubeconfig} --context `)).toEqual([...contexts].sort())
  })

  it('release names, in the namespace typed', async () => {
    const listed = await cli(['helm', 'list', '-n', 'prod', '--json', '--kubeconfig', kubeconfig])
    const releases = (JSON.parse(listed.stdout) as {releases: Array<{name: string}>}).releases.map((r) => r.name)
    expect(releases.length).toBeGreaterThan(0)
    expect(await complete(`elife-k8s helm history --kubeconfig ${kubeconfig} -n prod `)).toEqual([...new Set(releases)].sort())
  })

  it('pod names, in the namespace typed', async () => {
    const pods = (await clients().core.listNamespacedPod({namespace: 'kube-system'})).items.map((p) => p.metadata!.name!).filter((n) => n.startsWith('coredns'))
    expect(pods.length).toBeGreaterThan(0)
    expect(await complete(`elife-k8s sniff --kubeconfig ${kubeconfig} -n kube-system coredns`)).toEqual(pods.sort())
  })

  it('the choices of option flags and arguments', async () => {
    expect(await complete('elife-k8s images --by ')).toEqual(['image', 'pod'])
    expect(await complete('elife-k8s images -o ')).toEqual(['json', 'wide', 'yaml'])
    expect(await complete('elife-k8s helm list --output=n')).toEqual(['name'])
    expect(await complete('elife-k8s logs ')).toEqual(['flux', 'helm-operator'])
  })

  it('gives up on a server that never answers rather than hang the shell', async () => {
    const direct = await runCli(['complete', '--', 'helm', 'list', '--kubeconfig', hungKubeconfig, '-n', ''], {timeoutMs: 20_000})
    expect([direct.stdout, direct.stderr, direct.exitCode]).toEqual([':values\n', '', 0])
    expect(await complete(`elife-k8s helm list --kubeconfig ${hungKubeconfig} -n `)).toEqual([])
  }, 30_000)
})

describe('zsh completion', () => {
  it("is set up after the plugin's compinit", () => {
    const setup = readFileSync(path.join(cacheHome, 'elife-k8s/autocomplete/zsh_setup'), 'utf8')
    expect(setup.indexOf('compinit')).toBeGreaterThan(-1)
    expect(setup.indexOf('compdef _elife_k8s_values elife-k8s')).toBeGreaterThan(setup.indexOf('compinit'))
  })
})
