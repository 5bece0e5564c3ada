import {type ChildProcessByStdio, execFile, spawn} from 'node:child_process'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The test process's environment with colour off (NO_COLOR), then the test's own additions.
 * FORCE_COLOR, which test runners set for their own output, is dropped unless a test sets it:
 * with both set, Node 22+ prints a warning of its own on stderr.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const {FORCE_COLOR: _forced, ...inherited} = process.env
  return {...inherited, NO_COLOR: '1', ...extra}
}

export interface RunResult {
  stdout: string
  stderr: string
  exitCode: number
}

/**
 * Runs the built CLI as a user would (a separate process, bin/run.js, the built manifest), so
 * tests see the real stdout, stderr and exit code. Colour is off unless a test asks for it; `cwd`
 * is the working directory it runs in (default: the test's).
 */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string} = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(repoRoot, 'bin/run.js'), ...args],
      {env: childEnv(options.env), maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, cwd: options.cwd},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0
        if (code === undefined) reject(error)
        else resolve({stdout, stderr, exitCode: code})
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
    else child.stdin?.end()
  })
}

/** Runs a peer tool (kubectl, helm, aws, tshark) with stdin closed (or fed `input`); rejects only when it cannot start. */
export function runTool(file: string, args: string[], options: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {env: childEnv(options.env), maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 240_000},
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error)
        else resolve({stdout, stderr, exitCode: error ? (error.code as number) : 0})
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}

/**
 * Starts the built CLI as runCli does, for a test that acts while it runs (Ctrl-C, reading a stream):
 * stdin closed, stdout and stderr piped. `detached` puts it in a process group of its own (a signal
 * to the group reaches the tools it runs, as a terminal's Ctrl-C does).
 */
export function spawnCli(args: string[], options: {env?: NodeJS.ProcessEnv; detached?: boolean} = {}): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(options.env),
    detached: options.detached,
  })
}
