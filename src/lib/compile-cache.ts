import {createHash} from 'node:crypto'
import {readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync} from 'node:fs'
import module, {createRequire} from 'node:module'
import path from 'node:path'
import vm from 'node:vm'

import {cacheDir, makeDirectory} from './cache-dir.js'

type EnableCompileCache = (directory?: string) => {status?: number} | undefined

/** Node 22.1+ has module.enableCompileCache; Node 20 does not. */
function nodeCompileCache(): EnableCompileCache | undefined {
  const enable = (module as {enableCompileCache?: EnableCompileCache}).enableCompileCache
  return typeof enable === 'function' ? enable : undefined
}

/**
 * Node 22.1+ can keep V8's compiled code between runs (module.enableCompileCache): ~20–70 ms less
 * per command. Kept in our own cache directory, not the shared temp directory Node defaults to.
 * A no-op on Node 20, which has no such cache (see requireBundle). bin/run.js calls this before
 * loading oclif.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = nodeCompileCache()
  if (!enable) return
  const directory = path.join(cacheDir(env), 'node-compile-cache')
  try {
    // Node makes the directory the way mkdirSync's recursive mode does, which spins forever on a
    // path that can never exist (XDG_CACHE_HOME inside /proc): make it first, or go without.
    makeDirectory(directory, 0o700)
  } catch {
    return
  }
  enable(directory)
}

/**
 * Requires one of our CommonJS bundles (the fast path of `helm list` and `images`), keeping V8's
 * code cache for it on Node 20 as Node 22+ does for every module: compiling a 260 KB bundle costs
 * ~10 ms of a ~160 ms command, and the cache, written after the command has run, also holds the
 * functions it compiled along the way.
 *
 * The cache file is named by the install it belongs to and a hash of Node's version and the
 * bundle's bytes (V8 itself checks only the source's length), so an upgrade never runs stale
 * code; V8 rejects a cache it cannot use, and the file is then written anew. Anything that goes
 * wrong with the cache (no home, a read-only disk) just means compiling as usual. On Node 22+, and
 * when Node's own compile cache is turned off (NODE_DISABLE_COMPILE_CACHE), this is a plain
 * require().
 */
export function requireBundle(file: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const requireFrom = createRequire(file)
  if (nodeCompileCache() || env.NODE_DISABLE_COMPILE_CACHE) return requireFrom(file)
  const source = readFileSync(file, 'utf8')
  // A dynamic import() needs Node's module loader behind the script, which vm does not give on 20.
  if (source.includes('import(')) return requireFrom(file)
  const directory = path.join(cacheDir(env), 'v8-code-cache')
  // Per install (the bundle's directory), so that two installs of elife-k8s (a global one, an npx
  // one) do not each remove the other's cache as older; then per Node version and bundle bytes.
  const base = `${path.basename(file)}.${createHash('sha256').update(path.dirname(file)).digest('hex').slice(0, 8)}`
  const key = createHash('sha256').update(`${process.version} ${process.arch}\0`).update(source).digest('hex').slice(0, 32)
  const cacheFile = path.join(directory, `${base}.${key}.bin`)
  let cachedData: Buffer | undefined
  try {
    cachedData = readFileSync(cacheFile)
  } catch {
    cachedData = undefined
  }
  const script = new vm.Script(module.wrap(source), {filename: file, cachedData})
  const loaded = {exports: {} as unknown}
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  wrapper.call(loaded.exports, loaded.exports, requireFrom, loaded, file, path.dirname(file))
  if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCodeCache(script, directory, base, cacheFile))
  return loaded.exports
}

/** Writes the cache whole (a temporary file, then a rename) and drops older caches of the bundle. */
function writeCodeCache(script: vm.Script, directory: string, base: string, cacheFile: string): void {
  try {
    makeDirectory(directory, 0o700) // not mkdirSync's recursive mode, which spins forever under /proc
    const temporary = `${cacheFile}.${process.pid}.tmp`
    writeFileSync(temporary, script.createCachedData(), {mode: 0o600})
    renameSync(temporary, cacheFile)
    for (const name of readdirSync(directory)) {
      if (name.startsWith(`${base}.`) && path.join(directory, name) !== cacheFile && !name.endsWith('.tmp')) unlinkSync(path.join(directory, name))
    }
  } catch {
    // no cache this time
  }
}
