import {closeSync, constants, fstatSync, openSync, statSync, unlinkSync} from 'node:fs'
import path from 'node:path'

import {checkpoint} from '../cli/interrupt.js'
import {CliError} from '../errors.js'

export interface LockOptions {
  /** A lock file older than this was left by a process that died holding it: taken over. */
  staleMs?: number
  /** How long to wait for a lock that stays fresh (someone keeps taking it) before giving up. */
  waitMs?: number
  /** Called once, when the lock is held by someone else and we start waiting. */
  onWait?: (lockFile: string) => void
  now?: () => number
}

// kubectl holds its lock for the milliseconds of one write and never takes over a stale one; ours
// are as short. Ten seconds is far beyond any real hold, so an older lock is a crashed writer's.
const defaultStaleMs = 10_000
const defaultWaitMs = 30_000
const pollMs = 50

function code(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? 'error'
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** The lock file kubectl (client-go's clientcmd) takes before it writes a kubeconfig. */
export function kubeconfigLockFile(file: string): string {
  return `${file}.lock`
}

const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** free: no lock; stale: a dead writer's, to take over; held: someone is writing. */
function lockState(lockFile: string, now: number, staleMs: number): 'free' | 'stale' | 'held' {
  try {
    return now - statSync(lockFile).mtimeMs > staleMs ? 'stale' : 'held'
  } catch {
    return 'free'
  }
}

function stayedLocked(file: string, lockFile: string): CliError {
  return new CliError('conflict', `kubeconfig ${file} stayed locked by another program (${lockFile}); nothing was written`, {
    hint: 'run the command again once kubectl or the other program is done',
  })
}

/**
 * Waits, without blocking the event loop, until `<file>.lock` is free or stale: a command calls
 * this before withKubeconfigLock so that Ctrl-C while someone else holds the lock is handled like
 * any other (withKubeconfigLock's own wait is synchronous and then only covers a lock taken in the
 * moment between the two).
 */
export async function waitForKubeconfigLock(file: string, options: LockOptions = {}): Promise<void> {
  const lockFile = kubeconfigLockFile(file)
  const now = options.now ?? Date.now
  const deadline = now() + (options.waitMs ?? defaultWaitMs)
  let waited = false
  while (lockState(lockFile, now(), options.staleMs ?? defaultStaleMs) === 'held') {
    if (now() >= deadline) throw stayedLocked(file, lockFile)
    if (!waited) {
      waited = true
      options.onWait?.(lockFile)
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
    // Waiting on someone else's lock changes nothing: a safe point for Ctrl-C (exit 130).
    checkpoint()
  }
}

/**
 * Runs `section` holding `<file>.lock`, the lock kubectl takes (created with O_EXCL, so two
 * writers, ours or kubectl's, never both hold it), and removes the lock afterwards, also when
 * `section` throws, on exit and on Ctrl-C/SIGTERM. The section and the lock are synchronous, so
 * a signal that arrives while the lock is held is handled after it has been released. Waiting
 * here for someone else's lock is synchronous too (Ctrl-C then ends the process only if nothing
 * listens for it): commands wait first with waitForKubeconfigLock. A lock older than `staleMs`
 * is a crashed writer's and is taken over.
 */
export function withKubeconfigLock<T>(file: string, section: () => T, options: LockOptions = {}): T {
  const lockFile = kubeconfigLockFile(file)
  const now = options.now ?? Date.now
  const staleMs = options.staleMs ?? defaultStaleMs
  const deadline = now() + (options.waitMs ?? defaultWaitMs)
  let waited = false
  let lock: {ino: number; dev: number} | undefined
  for (;;) {
    try {
      const fd = openSync(lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
      const stats = fstatSync(fd)
      closeSync(fd)
      lock = {ino: stats.ino, dev: stats.dev}
      break
    } catch (error) {
      if (code(error) !== 'EEXIST') {
        // Said as a failed write: the lock is ours to know about, the directory is the user's to fix.
        throw new CliError('usage', `kubeconfig ${file} cannot be written (${code(error)} in ${path.dirname(lockFile)}); nothing was written`, {
          hint: 'check the directory is writable, or write to another file with --kubeconfig',
          cause: error,
        })
      }
    }
    const state = lockState(lockFile, now(), staleMs)
    if (state === 'free') continue // released meanwhile: try again at once
    if (state === 'stale') {
      try {
        unlinkSync(lockFile)
      } catch {
        // Another waiter took it over first.
      }
      continue
    }
    if (now() >= deadline) throw stayedLocked(file, lockFile)
    if (!waited) {
      waited = true
      options.onWait?.(lockFile)
    }
    sleepSync(pollMs)
  }

  const held = lock
  let released = false
  const release = () => {
    if (released) return
    released = true
    process.off('exit', release)
    try {
      // Only our own lock: a waiter may have taken over one it thought stale.
      const stats = statSync(lockFile)
      if (stats.ino === held.ino && stats.dev === held.dev) unlinkSync(lockFile)
    } catch {
      // Already gone.
    }
  }
  // Installed for the rest of the process: a signal queued while the lock was held arrives only
  // after it is released. Alone, the listener does what the signal's default would (ends the
  // process by it); with other listeners (a command's own Ctrl-C handling), it leaves it to them.
  const onSignal = (signal: NodeJS.Signals) => {
    release()
    for (const name of signals) process.off(name, onSignal)
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  process.on('exit', release)
  for (const name of signals) process.on(name, onSignal)
  try {
    return section()
  } finally {
    release()
  }
}
