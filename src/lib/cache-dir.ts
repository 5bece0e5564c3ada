import {mkdirSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

/**
 * elife-k8s's cache directory: $XDG_CACHE_HOME/elife-k8s, else ~/.cache/elife-k8s
 * (~/Library/Caches/elife-k8s on macOS). Token cache and Node's compile cache live below it.
 */
export function cacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const xdg = env.XDG_CACHE_HOME
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'elife-k8s')
  const home = env.HOME || homedir()
  return path.join(home, platform === 'darwin' ? path.join('Library', 'Caches') : '.cache', 'elife-k8s')
}

/**
 * `mkdir -p` that always ends: creates the missing directories of `dir` one level at a time, from
 * the deepest one that exists. Node's own `mkdirSync(dir, {recursive: true})` loops forever at
 * 100% CPU when the kernel answers ENOENT for a directory whose parent exists (anywhere under
 * /proc, for one); here any failure is thrown as is, its `path` the directory that could not be
 * made. A path through a regular file fails with ENOTDIR. Returns the directories it made,
 * outermost first.
 */
export function makeDirectory(dir: string, mode = 0o700): string[] {
  const missing: string[] = []
  let current = path.resolve(dir)
  for (;;) {
    try {
      if (statSync(current).isDirectory()) break
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${current}'`), {code: 'ENOTDIR', path: current, syscall: 'mkdir'})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      const parent = path.dirname(current)
      if (parent === current) throw error
      missing.unshift(current)
      current = parent
    }
  }
  const made: string[] = []
  for (const directory of missing) {
    try {
      mkdirSync(directory, {mode})
      made.push(directory)
    } catch (error) {
      // Made meanwhile by another process: fine if it is a directory.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(directory).isDirectory()) continue
      throw error
    }
  }
  return made
}

/**
 * Writes a file of the cache directory whole: a 0600 temp file in its 0700 directory, renamed over
 * whatever was there, so a reader never sees half a file. Throws what failed (the temp file removed).
 */
export function writePrivateFile(file: string, text: string | Uint8Array): void {
  const dir = path.dirname(file)
  makeDirectory(dir, 0o700)
  // node:crypto on first write, not at start: loading it costs ~4 ms of every command's start.
  const {randomBytes} = process.getBuiltinModule('node:crypto')
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(temp, text, {mode: 0o600, flag: 'wx'})
    renameSync(temp, file)
  } catch (error) {
    try {
      unlinkSync(temp)
    } catch {
      // Never created, or already renamed.
    }
    throw error
  }
}
