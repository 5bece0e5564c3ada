import {execFile} from 'node:child_process'
import path from 'node:path'
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
 * tests see the real stdout, stderr and exit code. Colour is off unless a test asks for it.
 */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [path.join(repoRoot, 'bin/run.js'), ...args],
      {env: childEnv(options.env), maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000},
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
