'use strict'
// dist/ is bundled (scripts/build.mjs), so the dependencies in it no longer run from
// node_modules. Node warns about three old APIs only when they are called from outside
// node_modules: Buffer() (DEP0005, stream-buffers), punycode (DEP0040) and url.parse() (DEP0169:
// node-fetch 2, client-node's HTTP client, on every request under Node 24). Our own code calls
// none of them. Those three stay as quiet as they were before bundling; every other warning is
// printed as usual.
const bundledDeprecations = new Set(['DEP0005', 'DEP0040', 'DEP0169'])

/** Wraps `proc.emitWarning` (either signature: (warning, type, code) or (warning, {type, code})). */
function quietBundledDeprecations(proc) {
  const emitWarning = proc.emitWarning
  proc.emitWarning = function (warning, typeOrOptions, code, ...rest) {
    const warningCode = typeof typeOrOptions === 'object' && typeOrOptions !== null ? typeOrOptions.code : code
    if (bundledDeprecations.has(warningCode)) return
    return emitWarning.call(proc, warning, typeOrOptions, code, ...rest)
  }
}

module.exports = {bundledDeprecations, quietBundledDeprecations}
