'use strict'
// bin/run.js (which checks the Node.js version first) runs this. CommonJS, not an ES module
// (bin/package.json): Node's ES module loader costs ~10 ms to start, and the commands that answer
// fastest (`token` from its cache, the fast path of `helm list` and `images`) need none of it.
// oclif (CommonJS too) loads the ES module commands itself.
const path = require('node:path')
const {pathToFileURL} = require('node:url')

const {quietBundledDeprecations} = require('./quiet-deprecations.js')

// oclif's own engine check loads semver and reads its package.json on every start (~15 ms); npm
// already checks package.json's engines at install, and bin/run.js the running Node.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'

// --debug prints stack traces: map them from dist/'s bundles back to src/ lines. Source maps must be
// on before the bundles load (Node reads a file's map when it loads it).
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true)

// dist/ is bundled: keep quiet the deprecation warnings Node gives only outside node_modules.
quietBundledDeprecations(process)

const dist = path.join(__dirname, '..', 'dist')
// ELIFE_K8S_FAST_PATH=0 runs every command through oclif (src/lib/cli/fast.ts).
const fastPaths = process.env.ELIFE_K8S_FAST_PATH !== '0'

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
  if (fastPaths && process.argv[2] === 'token' && (await tokenFastPath())) return // answered from the token cache, or signed without oclif
  // Node keeps compiled code in our cache directory (src/lib/compile-cache.ts); the token fast
  // path above does not gain from it.
  const compileCache = require(path.join(dist, 'lib/compile-cache.cjs'))
  compileCache.enableCompileCache()
  const {isHelpRequest, helpImportsCommand, runFast} = require(path.join(dist, 'lib/cli/fast.cjs'))
  const argv = process.argv.slice(2)
  // The bundles below load with the code a run compiled, not only what V8 compiles at load
  // (requireWarm); under --debug through require, which maps stack traces to src/.
  const load = (file) => (process.argv.includes('--debug') ? require(file) : compileCache.requireWarm(file))
  // A command line oclif answers with help runs oclif's help from one bundled file
  // (src/lib/cli/help-fast.ts): ~30 ms less than loading it from node_modules. Under DEBUG, oclif's
  // own debug lines come from node_modules' oclif, as for the other fast paths. A command whose
  // help imports its module (doctor's) needs import(), which requireWarm's scripts do not have.
  if (fastPaths && !process.env.DEBUG && isHelpRequest(argv, require('../package.json').oclif.additionalHelpFlags)) {
    const help = path.join(dist, 'lib/cli/help-fast.cjs')
    return (helpImportsCommand(argv) ? require(help) : load(help)).runHelp(path.join(__dirname, '..'), argv)
  }
  // `helm list`, `images` and `lint` run without oclif when their flags are plain ones
  // (src/lib/cli/fast.ts): starting oclif costs more than their work. Anything else it leaves to oclif below.
  if (await runFast(argv, process.env, (name) => load(path.join(dist, `lib/cli/fast-${name}.cjs`)), require('../package.json').version)) return
  // The subpaths, not @oclif/core's index, which loads all of oclif up front.
  const {execute} = require('@oclif/core/execute')
  const {settings} = require('@oclif/core/settings')
  // bin/run.js always runs the built dist/ (bin/dev.js runs the TypeScript sources). Otherwise,
  // under NODE_ENV=development or test, oclif would look for sources through tsconfig.json and
  // register tsx on every start, and warn when the paths do not map.
  settings.enableAutoTranspile = false
  await execute({dir: path.join(__dirname, '..')})
}

// As an uncaught error in an ES module entry point would: the stack, exit code 1.
main().catch((error) =>
  process.nextTick(() => {
    throw error
  }),
)
