#!/usr/bin/env node
import {quietBundledDeprecations} from './quiet-deprecations.js'

// package.json supports Node >= 20.19; the AWS SDK's "will require node >= 22" notice would
// otherwise reach kubectl's terminal from every token kubectl asks for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// oclif's own engine check loads semver and reads its package.json on every start (~15 ms); npm
// already checks package.json's engines (node >= 20.19) at install.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// dist/ is bundled: keep quiet the deprecation warnings Node gives only outside node_modules.
quietBundledDeprecations(process)

// kubectl runs `elife-k8s token` before its requests: answer it without loading oclif (and, from
// the token cache, without the AWS SDK). Whatever the fast path leaves (--help, bad flags,
// unexpected failures) falls through to the full command below.
async function tokenFastPath() {
  try {
    const {runTokenFast} = await import('../dist/lib/eks/token-fast.js')
    return await runTokenFast(process.argv.slice(3), process.env)
  } catch {
    return false
  }
}

/**
 * Node 22.1+ can keep V8's compiled code between runs (module.enableCompileCache): ~20 ms less per
 * command here. Kept in our own cache directory, not the shared temp directory Node defaults to.
 * No-op on Node 20; the token fast path does not gain from it and skips it.
 */
async function enableCompileCache() {
  const {default: module} = await import('node:module')
  if (typeof module.enableCompileCache !== 'function') return
  const [{homedir}, path] = await Promise.all([import('node:os'), import('node:path')])
  const xdg = process.env.XDG_CACHE_HOME
  const cacheHome = xdg && path.isAbsolute(xdg) ? xdg : path.join(process.env.HOME || homedir(), process.platform === 'darwin' ? 'Library/Caches' : '.cache')
  module.enableCompileCache(path.join(cacheHome, 'elife-k8s', 'node-compile-cache'))
}

if (!(process.argv[2] === 'token' && (await tokenFastPath()))) {
  await enableCompileCache()
  // The subpaths, not @oclif/core's index, which loads all of oclif up front.
  const [{execute}, {settings}] = await Promise.all([import('@oclif/core/execute'), import('@oclif/core/settings')])
  // bin/run.js always runs the built dist/ (bin/dev.js runs the TypeScript sources). Otherwise,
  // under NODE_ENV=development or test, oclif would look for sources through tsconfig.json and
  // register tsx on every start, and warn on Node 22+ when the paths do not map.
  settings.enableAutoTranspile = false
  await execute({dir: import.meta.url})
}
