#!/usr/bin/env node
// Build dist/ for the CLI: type-check with tsc, then bundle with esbuild.
//
// Why bundle: start-up is most of what a short command costs. @kubernetes/client-node is 967 ES
// modules (its generated models and APIs load whole, whichever class one imports); Node loads
// them one file at a time, which costs ~0.5 s and ~120 MB before the first request. The same code
// as a few bundled files loads in about a third of that. Every command stays its own entry point
// (oclif's manifest names dist/commands/**), and code they share lands once in dist/chunks/.
//
// @oclif/core stays outside the bundle: its help and autocomplete plugins import it from
// node_modules, and there must be one copy of it (bundled, it would also load more eagerly than
// its own lazy requires do). whatwg-url is replaced by a shim (see scripts/build-shims).
// Bundled dependencies no longer live under node_modules, where Node keeps quiet about a few old
// APIs they call (Buffer(), url.parse(), punycode); bin/run.js keeps those warnings quiet again.
//
//   node scripts/build.mjs [--outdir DIR] [--no-typecheck] [--no-minify]   (--no-minify for profiling)
import {execFileSync} from 'node:child_process'
import {readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({options: {outdir: {type: 'string', default: 'dist'}, 'no-typecheck': {type: 'boolean', default: false}, 'no-minify': {type: 'boolean', default: false}}})
const outdir = path.resolve(root, opts.outdir)

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) return sources(file)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [file] : []
  })
}

if (!opts['no-typecheck']) {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--noEmit'], {cwd: root, stdio: 'inherit'})
}

rmSync(outdir, {recursive: true, force: true})
const result = await build({
  absWorkingDir: root,
  // Entry points: every command (oclif loads them by path) and the token fast path bin/run.js
  // imports before oclif.
  entryPoints: [...sources(path.join(root, 'src/commands')), path.join(root, 'src/lib/eks/token-fast.ts')],
  outbase: 'src',
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // ES module builds first (the AWS SDK ships both): an import() of a bundled CommonJS build
  // would not see its named exports.
  mainFields: ['module', 'main'],
  target: 'node20.19',
  external: ['@oclif/core'],
  alias: {'whatwg-url': './scripts/build-shims/whatwg-url.cjs'},
  chunkNames: 'chunks/[name]-[hash]',
  // Some bundled dependencies are CommonJS and require() Node's built-ins.
  banner: {js: "import {createRequire as __elifeCreateRequire} from 'node:module'; const require = __elifeCreateRequire(import.meta.url);"},
  // Smaller files parse faster; names are kept so that errors and classes read as in the source.
  minify: !opts['no-minify'],
  keepNames: true,
  // Stack traces under --debug map back to src/ (the base command turns source maps on).
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: Boolean(process.env.ELIFE_K8S_BUILD_META),
})
if (result.metafile) writeFileSync(process.env.ELIFE_K8S_BUILD_META, JSON.stringify(result.metafile))
