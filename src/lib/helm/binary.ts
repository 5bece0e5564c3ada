import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {cacheDir, writePrivateFile} from '../cache-dir.js'
import {findOnPath} from '../which.js'
import {CliError} from '../errors.js'
import {redactUrlCredentials} from '../render/url.js'

export interface ToolResult {
  stdout: string
  stderr: string
  exitCode: number
}

/** Runs helm with an argument array (never a shell string). */
export type HelmRunner = (args: string[], options?: {env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string}) => Promise<ToolResult>

export interface HelmTool {
  /** The binary as found (flag, ELIFE_K8S_HELM, or "helm" on PATH). */
  path: string
  /** e.g. "v3.20.2+g8fb76d6" */
  version: string
  run: HelmRunner
  /** --kubeconfig/--kube-context so helm acts on the same cluster as we do. */
  clusterArgs: string[]
}

export interface HelmLocation {
  /** --helm-binary */
  flag?: string
  env?: NodeJS.ProcessEnv
}

export function helmPath(location: HelmLocation): {path: string; from: string} {
  const env = location.env ?? process.env
  if (location.flag) return {path: location.flag, from: '--helm-binary'}
  if (env.ELIFE_K8S_HELM) return {path: env.ELIFE_K8S_HELM, from: 'ELIFE_K8S_HELM'}
  return {path: 'helm', from: 'PATH'}
}

/**
 * Runs helm through execa: the runner of every command but lint (loaded on first use, so a command
 * that starts no helm never loads it).
 */
export function execaRunner(file: string, baseEnv: NodeJS.ProcessEnv = process.env): HelmRunner {
  return async (args, options = {}) => {
    try {
      const {execa} = await import('execa')
      const result = await execa(file, args, {
        reject: false,
        env: {...baseEnv, ...options.env},
        extendEnv: false,
        cwd: options.cwd,
        timeout: options.timeoutMs,
        // Values go to helm on stdin (`-f -`) so they never touch the disk.
        ...(options.input === undefined ? {stdin: 'ignore' as const} : {input: options.input}),
      })
      if (result.failed && result.exitCode === undefined) {
        // Spawning failed (ENOENT, EACCES) or the timeout killed it.
        throw Object.assign(new Error(result.shortMessage ?? result.message), {code: (result as {code?: string}).code, timedOut: result.timedOut})
      }
      return {stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode: result.exitCode ?? 1}
    } catch (error) {
      throw helmRunFailure(file, args, options.timeoutMs, error)
    }
  }
}

/** After a timeout's SIGTERM, the SIGKILL for a helm that has not ended (execa's default too). */
const forceKillAfterMs = 5000
/** The helm processes spawnRunner started that are still running: ended with elife-k8s. */
const running = new Set<ChildProcess>()
let killOnExit = false

/**
 * Runs helm with node:child_process, for lint, which starts a helm per HelmRelease, eight at a
 * time: execa's machinery costs ~2 ms of CPU per process on top of the spawn (and ~20 ms to load),
 * which on two cores is time the helm processes wait for (docs/performance.md). The same contract
 * as execaRunner: an argument array, the environment given and nothing else, stdin from `input`
 * or none, a timeout (SIGTERM, then SIGKILL), and helm ended when elife-k8s exits (Ctrl-C).
 */
export function spawnRunner(file: string, baseEnv: NodeJS.ProcessEnv = process.env): HelmRunner {
  return (args, options = {}) =>
    new Promise<ToolResult>((resolve, reject) => {
      let child: ChildProcess
      try {
        child = spawn(file, args, {
          env: {...baseEnv, ...options.env},
          cwd: options.cwd,
          stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        })
      } catch (error) {
        reject(helmRunFailure(file, args, options.timeoutMs, error))
        return
      }
      if (!killOnExit) {
        killOnExit = true
        process.once('exit', () => {
          for (const helm of running) helm.kill('SIGKILL')
        })
      }
      running.add(child)
      const stdout: Buffer[] = []
      const stderr: Buffer[] = []
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk))
      if (options.input !== undefined) {
        // helm may end (a bad flag) before it reads its values: that is its exit code's story, not EPIPE's.
        child.stdin!.on('error', () => {})
        child.stdin!.end(options.input)
      }
      let timedOut = false
      let forceKill: NodeJS.Timeout | undefined
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true
              child.kill('SIGTERM')
              forceKill = setTimeout(() => child.kill('SIGKILL'), forceKillAfterMs)
              forceKill.unref()
            }, options.timeoutMs)
      let settled = false
      const settle = (outcome: {error: unknown} | {exitCode: number | null}) => {
        // 'error' may come with or without a 'close' after it: the first answers.
        if (settled) return
        settled = true
        running.delete(child)
        clearTimeout(timer)
        clearTimeout(forceKill)
        if ('error' in outcome) reject(helmRunFailure(file, args, options.timeoutMs, outcome.error))
        else if (timedOut)
          reject(helmRunFailure(file, args, options.timeoutMs, Object.assign(new Error(`timed out after ${options.timeoutMs} ms`), {timedOut: true})))
        else
          resolve({
            stdout: Buffer.concat(stdout).toString('utf8'),
            stderr: Buffer.concat(stderr).toString('utf8'),
            // Ended by a signal (nobody here sent it): not a success.
            exitCode: outcome.exitCode ?? 1,
          })
      }
      child.once('error', (error) => settle({error}))
      child.once('close', (exitCode) => settle({exitCode}))
    })
}

/** A helm run that did not get as far as an exit code, as one tool-failed line (ENOENT, EACCES, a timeout). */
function helmRunFailure(file: string, args: string[], timeoutMs: number | undefined, error: unknown): unknown {
  const code = (error as {code?: string}).code
  if (code === 'ENOENT') {
    return new CliError('tool-failed', `helm binary "${file}" was not found`, {
      hint: 'install helm 3, or point --helm-binary (or ELIFE_K8S_HELM) at it',
      cause: error,
    })
  }
  if (code === 'EACCES') {
    return new CliError('tool-failed', `helm binary "${file}" cannot be executed (permission denied)`, {
      hint: 'chmod +x it, or point --helm-binary at another helm 3',
      cause: error,
    })
  }
  if ((error as {timedOut?: boolean}).timedOut) {
    return new CliError('tool-failed', `helm ${args[0] ?? ''} did not finish within ${Math.round((timeoutMs ?? 0) / 1000)}s`, {
      hint: 'check `elife-k8s helm history` for the release state before retrying',
      cause: error,
    })
  }
  return error
}

/** The major version from `helm version --short` ("v3.20.2+g8fb76d6"). */
export function parseHelmVersion(output: string): {version: string; major: number} | undefined {
  const match = /v(\d+)\.(\d+)\.(\d+)\S*/.exec(output.trim())
  if (!match) return undefined
  return {version: match[0], major: Number(match[1])}
}

/** The file a command name runs: itself when it has a slash, else the first executable of that name on PATH. */
export function whichFile(file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file.includes('/') || file.includes(path.sep)) return statSync(file, {throwIfNoEntry: false})?.isFile() ? path.resolve(file) : undefined
  const found = findOnPath(file, env)
  return found === undefined ? undefined : path.resolve(found)
}

interface VersionCacheEntry {
  mtimeMs: number
  size: number
  ino: number
  version: string
}

/**
 * `helm version --short` answers, kept in elife-k8s's cache directory (helm-versions.json), keyed
 * by the binary's absolute path and checked against its mtime, size and inode: a helm replaced in
 * place (an upgrade, a symlink pointed elsewhere) is asked again. Nothing secret: paths and
 * version strings. A cache that cannot be read or written is no cache.
 */
export const helmVersionCache = {
  file: (env: NodeJS.ProcessEnv): string => path.join(cacheDir(env), 'helm-versions.json'),
  read(env: NodeJS.ProcessEnv, binary: string): string | undefined {
    try {
      const stats = statSync(binary)
      const entries = JSON.parse(readFileSync(helmVersionCache.file(env), 'utf8')) as Record<string, VersionCacheEntry>
      const entry = entries[binary]
      if (entry && entry.mtimeMs === stats.mtimeMs && entry.size === stats.size && entry.ino === stats.ino && typeof entry.version === 'string')
        return entry.version
    } catch {
      // no cache yet, or not readable
    }
    return undefined
  },
  write(env: NodeJS.ProcessEnv, binary: string, version: string): void {
    try {
      const stats = statSync(binary)
      const file = helmVersionCache.file(env)
      let entries: Record<string, VersionCacheEntry> = {}
      try {
        entries = JSON.parse(readFileSync(file, 'utf8')) as Record<string, VersionCacheEntry>
      } catch {
        // first entry
      }
      entries[binary] = {mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino, version}
      writePrivateFile(file, `${JSON.stringify(entries)}\n`)
    } catch {
      // a cache that cannot be written is no cache
    }
  },
}

/**
 * Finds helm and checks it is helm 3: helm 2 speaks to Tiller and stores releases elsewhere,
 * helm 4 writes release records helm-operator cannot read, so acting with either on a helm 3
 * release would do harm. Fails with one tool-failed line otherwise.
 */
export async function resolveHelm(
  location: HelmLocation & {
    kubeconfig?: string
    context?: string
    runnerFor?: (file: string) => HelmRunner
    /** Keep helm's version in the cache directory, keyed by the binary (see helmVersionCache): no `helm version` per run. */
    cacheVersion?: boolean
  },
): Promise<HelmTool> {
  const {path, from} = helmPath(location)
  const run = (location.runnerFor ?? ((file) => execaRunner(file, location.env)))(path)
  const env = location.env ?? process.env
  const binary = location.cacheVersion ? whichFile(path, env) : undefined
  const cached = binary ? helmVersionCache.read(env, binary) : undefined
  const clusterArgs: string[] = []
  if (location.kubeconfig) clusterArgs.push('--kubeconfig', location.kubeconfig)
  if (location.context) clusterArgs.push('--kube-context', location.context)
  if (cached) return {path, version: cached, run, clusterArgs}
  const result = await run(['version', '--short'], {timeoutMs: 30_000})
  const parsed = parseHelmVersion(result.stdout)
  if (result.exitCode !== 0 || !parsed) {
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? ''
    throw new CliError('tool-failed', `\`${path} version --short\` (helm from ${from}) failed${said ? `: ${said}` : ''}`, {
      hint: 'point --helm-binary (or ELIFE_K8S_HELM) at a working helm 3',
    })
  }
  if (parsed.major !== 3) {
    throw new CliError(
      'tool-failed',
      `helm at ${path} (from ${from}) is ${parsed.version}, but elife-k8s drives helm 3 (the release format helm-operator and Flux v2 use)`,
      {
        hint: 'point --helm-binary (or ELIFE_K8S_HELM) at a helm v3.x binary',
      },
    )
  }
  if (binary) helmVersionCache.write(env, binary, parsed.version)
  return {path, version: parsed.version, run, clusterArgs}
}

/** helm's own error line ("Error: UPGRADE FAILED: ..."), without the noise around it. */
export function helmErrorLine(result: ToolResult): string {
  const lines = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const error = lines.find((l) => l.startsWith('Error:')) ?? lines.at(-1) ?? `exit code ${result.exitCode}`
  return redactUrlCredentials(error.replace(/^Error:\s*/, ''))
}

/** helm's refusal when the latest revision is pending-* (helm.sh/helm/v3/pkg/action errPending). */
export function isPendingLockError(result: ToolResult): boolean {
  return /another operation \(install\/upgrade\/rollback\) is in progress/.test(result.stderr)
}

/**
 * helm's refusal when an object of the revision it moves to exists in the cluster but the current
 * revision's manifest does not list it (helm.sh/helm/v3/pkg/kube Client.update), e.g. after an
 * upgrade that failed half-way: "no ConfigMap with the name "x" found".
 */
export function isManifestMismatchError(result: ToolResult): boolean {
  return /no \S+ with the name "[^"]*" found/.test(result.stderr)
}
