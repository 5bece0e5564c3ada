import {type ChildProcess, spawn} from 'node:child_process'
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {oneErrorLine} from '../helpers/assert.js'
import {childEnv, repoRoot, runCli} from '../helpers/cli.js'
import {readKubeconfig} from '../helpers/kubeconfig.js'
import {type AwsSandbox, awsSandbox, motoAccount, motoWithCluster} from '../setup/moto.js'

// Hardening of `kubeconfig` (and of the cache directory), each case produced for real against
// moto: a kubeconfig owned by another user, a dangling symlink, two kubeconfig runs at once, a
// lock held by another program, duplicate top-level keys, paths that can never exist.
const clusterName = 'kubernetes-aws--flux-prod'
const clusterArn = `arn:aws:eks:us-east-1:${motoAccount}:cluster/${clusterName}`
const kubeconfigCmd = (...extra: string[]) => ['kubeconfig', '--cluster', clusterName, ...extra]
const tokenCmd = (...extra: string[]) => ['token', '--cluster', clusterName, ...extra]

const moto = motoWithCluster(clusterName)

/** bin/run.js as a user starts it, with stderr watched while it runs. */
function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...args], {env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  let stdout = ''
  child.stdout?.on('data', (chunk) => (stdout += chunk))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, signal) => resolve({code, signal})))
  /** Resolves true once stderr matches, or false if the process ends first. */
  const stderrMatches = (pattern: RegExp) =>
    new Promise<boolean>((resolve) => {
      const check = () => pattern.test(stderr) && resolve(true)
      child.stderr?.on('data', (chunk) => {
        stderr += chunk
        check()
      })
      check()
      void exited.then(() => resolve(pattern.test(stderr)))
    })
  return {child, exited, stderrMatches, output: () => ({stdout, stderr})}
}

function kubeconfigSandbox(): AwsSandbox {
  const sandbox = awsSandbox(moto.current)
  mkdirSync(path.dirname(sandbox.kubeconfig), {recursive: true})
  return sandbox
}

describe('kubeconfig keeps what is not its to change', () => {
  it('keeps the owner and group of a file another user owns (root under sudo -E)', async () => {
    expect(process.getuid?.(), 'these tests run as root, as the CI does').toBe(0)
    const sandbox = kubeconfigSandbox()
    writeFileSync(sandbox.kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\n', {mode: 0o600})
    chownSync(sandbox.kubeconfig, 1000, 65534)
    const run = await runCli(kubeconfigCmd(), {env: sandbox.env})
    expect(run.exitCode, run.stderr).toBe(0)
    const stats = statSync(sandbox.kubeconfig)
    expect({uid: stats.uid, gid: stats.gid, mode: stats.mode & 0o777}).toEqual({uid: 1000, gid: 65534, mode: 0o600})
    expect(readKubeconfig(sandbox.kubeconfig)['current-context']).toBe(clusterArn)
  })

  it("gives a new kubeconfig (and a new ~/.kube) in a user's home to that user (root under sudo -E)", async () => {
    const sandbox = awsSandbox(moto.current)
    chownSync(sandbox.home, 1000, 1000)
    const run = await runCli(kubeconfigCmd(), {env: sandbox.env})
    expect(run.exitCode, run.stderr).toBe(0)
    const dir = statSync(path.dirname(sandbox.kubeconfig))
    const file = statSync(sandbox.kubeconfig)
    expect({uid: dir.uid, gid: dir.gid, mode: dir.mode & 0o777}).toEqual({uid: 1000, gid: 1000, mode: 0o700})
    expect({uid: file.uid, gid: file.gid, mode: file.mode & 0o777}).toEqual({uid: 1000, gid: 1000, mode: 0o600})
    expect(readdirSync(path.dirname(sandbox.kubeconfig))).toEqual(['config'])
  })

  it('follows a symlink to a file that does not exist yet, writing the target', async () => {
    const sandbox = kubeconfigSandbox()
    const target = path.join(sandbox.home, 'dotfiles', 'kube', 'config')
    mkdirSync(path.dirname(target), {recursive: true})
    symlinkSync('../dotfiles/kube/config', sandbox.kubeconfig)
    const run = await runCli(kubeconfigCmd(), {env: sandbox.env})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(lstatSync(sandbox.kubeconfig).isSymbolicLink()).toBe(true)
    expect(readlinkSync(sandbox.kubeconfig)).toBe('../dotfiles/kube/config')
    expect(readKubeconfig(target)['current-context']).toBe(clusterArn)
    expect(statSync(target).mode & 0o777).toBe(0o600)
  })

  it('refuses a file with a duplicate top-level key as corrupt: one line naming the file and the key, exit 2', async () => {
    const sandbox = kubeconfigSandbox()
    // kubectl reads the last "users:"; an edit of the first would be lost on it.
    const text = 'apiVersion: v1\nkind: Config\nusers: []\nclusters: []\nusers:\n- name: admin\n  user: {token: x}\n'
    writeFileSync(sandbox.kubeconfig, text, {mode: 0o600})
    for (const extra of [[], ['--dry-run']]) {
      const run = await runCli(kubeconfigCmd(...extra), {env: sandbox.env})
      expect(run.exitCode, run.stderr).toBe(ExitCode.USAGE)
      expect(oneErrorLine(run.stderr)).toMatch(
        new RegExp(`^error: kubeconfig ${sandbox.kubeconfig} cannot be parsed \\(the top-level key "users" appears more than once\\); nothing was written`),
      )
      expect(readFileSync(sandbox.kubeconfig, 'utf8')).toBe(text)
    }
  })
})

describe('two kubeconfig runs at once', () => {
  it('both entries survive, round after round (a lock and a re-read under it)', async () => {
    const sandbox = kubeconfigSandbox()
    for (let round = 0; round < 12; round++) {
      const file = path.join(sandbox.home, `config-${round}`)
      // Half the rounds start from no file, half from an existing one.
      if (round % 2 === 1) writeFileSync(file, 'apiVersion: v1\nkind: Config\n', {mode: 0o600})
      const env = {...sandbox.env, KUBECONFIG: file}
      const [a, b] = await Promise.all([runCli(kubeconfigCmd('--alias', 'a'), {env}), runCli(kubeconfigCmd('--alias', 'b'), {env})])
      expect(a.exitCode, `round ${round}: ${a.stderr}`).toBe(0)
      expect(b.exitCode, `round ${round}: ${b.stderr}`).toBe(0)
      const contexts = readKubeconfig(file)
        .contexts.map((c) => c.name)
        .sort()
      expect(contexts, `round ${round}`).toEqual(['a', 'b'])
      expect(readdirSync(sandbox.home).filter((name) => name.startsWith(`config-${round}`) || name.startsWith(`.config-${round}`))).toEqual([`config-${round}`])
    }
  })

  it("waits for a lock another program holds (kubectl's <file>.lock), then re-reads and writes", async () => {
    const sandbox = kubeconfigSandbox()
    writeFileSync(sandbox.kubeconfig, 'apiVersion: v1\nkind: Config\n', {mode: 0o600})
    const lock = `${sandbox.kubeconfig}.lock`
    writeFileSync(lock, '')
    const run = startCli(kubeconfigCmd(), sandbox.env)
    expect(await run.stderrMatches(/waiting for .*\/\.kube\/config\.lock/), run.output().stderr).toBe(true)
    // While it waits, the holder changes the file: the entry it adds must survive.
    writeFileSync(sandbox.kubeconfig, 'apiVersion: v1\nkind: Config\nusers:\n- name: added-meanwhile\n  user: {token: x}\n')
    unlinkSync(lock)
    const {code} = await run.exited
    expect(code, run.output().stderr).toBe(0)
    const written = readKubeconfig(sandbox.kubeconfig)
    expect(written.users.map((u) => u.name)).toEqual(['added-meanwhile', clusterArn])
    expect(written['current-context']).toBe(clusterArn)
    expect(existsSync(lock)).toBe(false)
  })

  it("Ctrl-C while waiting for the lock: nothing written, the other program's lock left alone", async () => {
    const sandbox = kubeconfigSandbox()
    const text = 'apiVersion: v1\nkind: Config\n'
    writeFileSync(sandbox.kubeconfig, text, {mode: 0o600})
    const lock = `${sandbox.kubeconfig}.lock`
    writeFileSync(lock, '')
    const run = startCli(kubeconfigCmd(), sandbox.env)
    expect(await run.stderrMatches(/waiting for .*\/\.kube\/config\.lock/), run.output().stderr).toBe(true)
    run.child.kill('SIGINT')
    const {code, signal} = await run.exited
    expect(signal === 'SIGINT' || code === 130, `${code} ${signal}`).toBe(true)
    expect(readFileSync(sandbox.kubeconfig, 'utf8')).toBe(text)
    expect(existsSync(lock)).toBe(true)
    expect(readdirSync(path.dirname(sandbox.kubeconfig)).sort()).toEqual(['config', 'config.lock'])
  })

  it('takes over a stale lock (left by a killed process) and removes it when done', async () => {
    const sandbox = kubeconfigSandbox()
    const lock = `${sandbox.kubeconfig}.lock`
    writeFileSync(lock, '')
    const anHourAgo = new Date(Date.now() - 3_600_000)
    utimesSync(lock, anHourAgo, anHourAgo)
    const run = await runCli(kubeconfigCmd(), {env: sandbox.env})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(readKubeconfig(sandbox.kubeconfig)['current-context']).toBe(clusterArn)
    expect(readdirSync(path.dirname(sandbox.kubeconfig))).toEqual(['config'])
  })
})

describe('paths that cannot exist: one line, exit 2, no spinning', () => {
  it('--kubeconfig inside /proc', async () => {
    const sandbox = kubeconfigSandbox()
    const file = '/proc/elife-k8s-no-such-dir/kube/config'
    const run = await runCli(kubeconfigCmd('--kubeconfig', file), {env: sandbox.env, timeoutMs: 60_000})
    expect(run.exitCode, run.stderr).toBe(ExitCode.USAGE)
    expect(oneErrorLine(run.stderr)).toMatch(
      /^error: kubeconfig \/proc\/elife-k8s-no-such-dir\/kube\/config cannot be written \(ENOENT creating \/proc\/elife-k8s-no-such-dir\); nothing was written/,
    )
  })

  it('XDG_CACHE_HOME inside /proc, for a token', async () => {
    const sandbox = awsSandbox(moto.current, {XDG_CACHE_HOME: '/proc/elife-k8s-no-such-dir/cache'})
    const run = await runCli(tokenCmd(), {env: sandbox.env, timeoutMs: 60_000})
    expect(run.exitCode, run.stderr).toBe(ExitCode.USAGE)
    expect(run.stdout).toBe('')
    expect(oneErrorLine(run.stderr)).toMatch(
      /^error: the token cache directory \/proc\/elife-k8s-no-such-dir\/cache\/elife-k8s\/eks-tokens cannot be created \(ENOENT at \/proc\/elife-k8s-no-such-dir\); set XDG_CACHE_HOME/,
    )
    expect(run.stderr).not.toContain('k8s-aws-v1.')
  })

  it('XDG_CACHE_HOME inside /proc, for the compiled-code cache every other command keeps', async () => {
    // helm list's fast path keeps V8's code cache there on Node 20 (Node's own compile cache on
    // 22+), written as the command exits: the command's own answer, then the exit.
    const run = await runCli(['helm', 'list', '--kubeconfig', '/nonexistent/kubeconfig'], {
      env: {XDG_CACHE_HOME: '/proc/elife-k8s-no-such-dir/cache'},
      timeoutMs: 60_000,
    })
    expect(run.exitCode, run.stderr).toBe(ExitCode.USAGE)
    expect(oneErrorLine(run.stderr)).toMatch(/^error: kubeconfig \/nonexistent\/kubeconfig does not exist/)
  })
})
