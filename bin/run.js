#!/usr/bin/env node
'use strict'
// CommonJS, not an ES module (bin/package.json): Node's ES module loader costs ~10 ms to start,
// and the commands that answer fastest (`token` from its cache, the fast path of `helm list` and
// `images`) need none of it. oclif (CommonJS too) loads the ES module commands itself.
const path = require('node:path')
const {pathToFileURL} = require('node:url')

const {quietBundledDeprecations} = require('./quiet-deprecations.js')

// package.json supports Node >= 20.19; the AWS SDK's "will require node >= 22" notice would
// otherwise reach kubectl's terminal from every token kubectl asks for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
// oclif's own engine check loads semver and reads its package.json on every start (~15 ms); npm
// already checks package.json's engines (node >= 20.19) at install.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// --debug prints stack traces: map them from dist/'s bundles back to src/ lines. Source maps must be
// on before the bundles load (Node reads a file's map when it loads it).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true)

// dist/ is bundled: keep quiet the deprecation warnings Node gives only outside node_modules.
quietBundledDeprecations(process)

const dist = path.join(__dirname, '..', 'dist')

// kubectl runs `elife-k8s token` before its requests: answer it without loading oclif (and, from
// the token cache, without the AWS SDK). Whatever the fast path leaves (--help, bad flags,
// unexpected failures) falls through to the full command below.
async function tokenFastPath() {
  try {
    const {runTokenFast} = await import(pathToFileURL(path.join(dist, 'lib/eks/token-fast.js')).href)
    return await runTokenFast(process.argv.slice(3), process.env)
  } catch {
    return false
  }
}

async function main() {
  if (process.argv[2] === 'token' && (await tokenFastPath())) return // answered from the token cache, or signed without oclif
  // Node 22+ keeps compiled code in our cache directory (src/lib/compile-cache.ts); the token fast
  // path above does not gain from it.
  const {enableCompileCache, requireBundle} = require(path.join(dist, 'lib/compile-cache.cjs'))
  enableCompileCache()
  // `helm list` and `images` run without oclif when their flags are plain ones (src/lib/cli/fast.ts):
  // starting oclif costs more than their work. Anything else it leaves to oclif below. Their
  // bundles keep V8's compiled code on Node 20 too (requireBundle).
  const {runFast} = require(path.join(dist, 'lib/cli/fast.cjs'))
  // Under --debug a plain require(), which reads the bundle's source map (requireBundle's vm.Script does not).
  const load = (name) => (process.sourceMapsEnabled ? require : requireBundle)(path.join(dist, `lib/cli/fast-${name}.cjs`))
  if (await runFast(process.argv.slice(2), process.env, load)) return
  // The subpaths, not @oclif/core's index, which loads all of oclif up front.
  const {execute} = require('@oclif/core/execute')
  const {settings} = require('@oclif/core/settings')
  // bin/run.js always runs the built dist/ (bin/dev.js runs the TypeScript sources). Otherwise,
  // under NODE_ENV=development or test, oclif would look for sources through tsconfig.json and
  // register tsx on every start, and warn on Node 22+ when the paths do not map.
  settings.enableAutoTranspile = false
  await execute({dir: path.join(__dirname, '..')})
}

// As an uncaught error in an ES module entry point would: the stack, exit code 1.
main().catch((error) => process.nextTick(() => {
  throw error
}))
