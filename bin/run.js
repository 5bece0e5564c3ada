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

// `helm list` and `images` run without oclif when their flags are plain ones (src/lib/cli/fast.ts):
// starting oclif costs more than their work. Anything else it leaves to oclif below.
async function commandFastPath() {
  const {runFast} = await import('../dist/lib/cli/fast.js')
  return runFast(process.argv.slice(2), process.env)
}

if (process.argv[2] === 'token' && (await tokenFastPath())) {
  // answered from the token cache, or signed without oclif
} else {
  // Node 22+ keeps compiled code in our cache directory (src/lib/compile-cache.ts); the token fast
  // path above does not gain from it.
  const {enableCompileCache} = await import('../dist/lib/compile-cache.js')
  enableCompileCache()
  if (!(await commandFastPath())) await runOclif()
}

async function runOclif() {
  // The subpaths, not @oclif/core's index, which loads all of oclif up front.
  const [{execute}, {settings}] = await Promise.all([import('@oclif/core/execute'), import('@oclif/core/settings')])
  // bin/run.js always runs the built dist/ (bin/dev.js runs the TypeScript sources). Otherwise,
  // under NODE_ENV=development or test, oclif would look for sources through tsconfig.json and
  // register tsx on every start, and warn on Node 22+ when the paths do not map.
  settings.enableAutoTranspile = false
  await execute({dir: import.meta.url})
}
