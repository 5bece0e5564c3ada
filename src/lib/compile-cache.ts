import {readFileSync, statSync} from 'node:fs'
import module from 'node:module'
import path from 'node:path'
import vm from 'node:vm'

import {cacheDir, makeDirectory, writePrivateFile} from './cache-dir.js'

/**
 * Node keeps V8's compiled code between runs (module.enableCompileCache): ~20–70 ms less per
 * command. Kept in our own cache directory, not the shared temp directory Node defaults to.
 * bin/main.js calls this before loading the fast path or oclif. NODE_DISABLE_COMPILE_CACHE turns
 * it off, as for any Node program.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const directory = path.join(cacheDir(env), 'node-compile-cache')
  try {
    // Node makes the directory the way mkdirSync's recursive mode does, which spins forever on a
    // path that can never exist (XDG_CACHE_HOME inside /proc): make it first, or go without.
    makeDirectory(directory, 0o700)
  } catch {
    return
  }
  module.enableCompileCache(directory)
}

/** Runs whose compiled code is added to a bundle's warm cache; later runs only read it. */
export const warmRuns = 4
/**
 * "EKCC", the runs that wrote the cache, the bundle's mtime and size it was made from, and the
 * code's CRC-32 (V8 checks its cache's versions and length, not its bytes; Node's own cache
 * checks a CRC too).
 */
const magic = 0x43434b45
const headerBytes = 32

/** The warm cache file of a bundle: one per bundle path and Node version (V8 refuses another's code anyway). */
export function warmCacheFile(file: string, env: NodeJS.ProcessEnv = process.env): string {
  // FNV-1a of the path: no hash module to load before the bundle.
  let hash = 0x811c9dc5
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 0x01000193) >>> 0
  return path.join(cacheDir(env), 'node-code-cache', `${path.basename(file)}-${hash.toString(16)}-${process.version}-${process.arch}.v8`)
}

/**
 * Loads a CommonJS bundle (the fast paths' dist/lib/cli/fast-*.cjs, the help bundle) with a V8 code cache made
 * after a run, not at load. Node's compile cache is made when a file is compiled, so it holds
 * the functions V8 compiles eagerly (the bundle's top level) and every run compiles the rest
 * again: for lint, ~30 ms of its ~80 ms start. V8's cache made at exit holds every function the
 * run compiled; the first runs after a build (warmRuns) each add theirs, later runs only read
 * it. A cache V8 refuses (another Node, another V8 flag, a rebuilt bundle) is made again. Kept
 * next to Node's (0700 directory, 0600 files); NODE_DISABLE_COMPILE_CACHE turns it off too.
 */
export function requireWarm(file: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const requireFromBundle = module.createRequire(file)
  if (env.NODE_DISABLE_COMPILE_CACHE || requireFromBundle.cache[file]) return requireFromBundle(file)
  const source = readFileSync(file, 'utf8')
  const {mtimeMs, size} = statSync(file)
  const cacheFile = warmCacheFile(file, env)
  // node:zlib here, not at the top: the commands that do not load a bundle this way (~2.5 ms).
  const {crc32} = process.getBuiltinModule('node:zlib')
  let cached: Buffer | undefined
  let runs = 0
  try {
    const data = readFileSync(cacheFile)
    const code = data.subarray(headerBytes)
    if (
      data.length > headerBytes &&
      data.readUInt32LE(0) === magic &&
      data.readDoubleLE(8) === mtimeMs &&
      data.readDoubleLE(16) === size &&
      data.readUInt32LE(24) === crc32(code)
    ) {
      runs = data.readUInt32LE(4)
      cached = code
    }
  } catch {
    // no cache yet
  }
  // No import() in these bundles: vm's way to give a script one is still experimental.
  const script = new vm.Script(module.wrap(source), {filename: file, ...(cached ? {cachedData: cached} : {})})
  if (!cached || script.cachedDataRejected) runs = 0
  if (runs < warmRuns) {
    process.once('exit', () => {
      try {
        const code = script.createCachedData()
        const header = Buffer.alloc(headerBytes)
        header.writeUInt32LE(magic, 0)
        header.writeUInt32LE(runs + 1, 4)
        header.writeDoubleLE(mtimeMs, 8)
        header.writeDoubleLE(size, 16)
        header.writeUInt32LE(crc32(code), 24)
        writePrivateFile(cacheFile, Buffer.concat([header, code]))
      } catch {
        // a cache that cannot be written is no cache
      }
    })
  }
  // In require's cache as require would put it (before it runs), so require finds it there.
  const bundle = new module.Module(file)
  bundle.filename = file
  requireFromBundle.cache[file] = bundle
  const wrapped = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void
  try {
    wrapped.call(bundle.exports, bundle.exports, requireFromBundle, bundle, file, path.dirname(file))
  } catch (error) {
    delete requireFromBundle.cache[file]
    throw error
  }
  bundle.loaded = true
  return bundle.exports
}
