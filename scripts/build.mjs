#!/usr/bin/env node
// Build dist/ for the CLI: type-check with tsc, then bundle with esbuild.
//
// Why bundle: start-up is most of what a short command costs. @kubernetes/client-node is 967 ES
// modules (its generated models and APIs load whole, whichever class one imports); Node loads
// them one file at a time, which costs ~0.5 s and ~120 MB before the first request. The same code
// as a few bundled files loads in about a third of that. Every command is its own bundle
// (oclif's manifest names dist/commands/**).
//
// @oclif/core stays outside the bundle: its help and autocomplete plugins import it from
// node_modules, and there must be one copy of it (bundled, it would also load more eagerly than
// its own lazy requires do). The one exception is --help's own bundle (below), which runs no command.
// Bundled dependencies no longer live under node_modules, where Node keeps quiet about a few old
// APIs they call (Buffer(), url.parse(), punycode); bin/run.js keeps those warnings quiet again.
//
//   node scripts/build.mjs [--outdir DIR] [--no-typecheck] [--no-minify]   (--no-minify for profiling)
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: opts} = parseArgs({
  options: {outdir: {type: 'string', default: 'dist'}, 'no-typecheck': {type: 'boolean', default: false}, 'no-minify': {type: 'boolean', default: false}},
})
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

/**
 * @kubernetes/client-node's modules only declare things (classes, functions, constant maps); none
 * changes anything when imported. The package does not say so ("sideEffects": false), and its
 * index and gen/index re-export every generated API class and model, so without this a bundler
 * keeps all of them (1.3 MB) in every command, even in those that use KubeConfig only.
 */
const clientNodeHasNoSideEffects = {
  name: 'client-node-has-no-side-effects',
  setup(pluginBuild) {
    pluginBuild.onResolve({filter: /.*/}, async (args) => {
      if (args.pluginData === 'resolving') return undefined
      const fromClientNode = args.path.startsWith('@kubernetes/client-node') || args.importer.includes('/node_modules/@kubernetes/client-node/')
      if (!fromClientNode) return undefined
      const resolved = await pluginBuild.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'resolving'})
      if (resolved.errors.length > 0 || !resolved.path.includes('/node_modules/@kubernetes/client-node/')) return resolved
      return {path: resolved.path, namespace: resolved.namespace, external: resolved.external, sideEffects: false}
    })
  },
}

/** A module whose exports (getters or functions calling `load()`) require `specifier` on first use. */
function lazyExports(specifier, members) {
  return [`let loaded`, `const load = () => (loaded ??= require(${JSON.stringify(specifier)}))`, `module.exports = {${members.join(', ')}}`].join('\n')
}

/**
 * client-node's modules import, at the top, what only some kubeconfigs or some of its APIs use:
 * the proxy agents and SOCKS client for a cluster's proxy-url (socks-proxy-agent, socks with
 * ip-address, hpagent), undici (760 KB: the dispatcher and fetch of its generated API client,
 * watch and log; our list commands talk to the API server through raw.ts instead) and
 * openid-client for OIDC users. Evaluating them would cost every start. Here each is bundled
 * behind a module whose exports are getters: the real module is evaluated the first time
 * client-node reaches for it. The build fails if client-node imports anything else of them.
 */
const lazyModules = {
  'socks-proxy-agent': ['SocksProxyAgent'],
  socks: ['SocksClient'],
  hpagent: ['HttpProxyAgent', 'HttpsProxyAgent'],
  undici: ['Agent', 'ProxyAgent', 'fetch'],
  'openid-client': ['customFetch', 'discovery', 'refreshTokenGrant'],
}
const lazyDependencies = {
  name: 'lazy-dependencies',
  setup(pluginBuild) {
    const names = Object.keys(lazyModules).join('|')
    pluginBuild.onResolve({filter: new RegExp(`^(${names})$`)}, (args) => {
      if (args.pluginData === 'real' || !args.importer.includes('/node_modules/@kubernetes/client-node/')) return undefined
      return {path: args.path, namespace: 'lazy', pluginData: {resolveDir: args.resolveDir}}
    })
    pluginBuild.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => ({
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
      contents: lazyExports(
        `lazy-real:${args.path}`,
        lazyModules[args.path].map((name) => `get ${name}() { return load().${name} }`),
      ),
    }))
    pluginBuild.onResolve({filter: /^lazy-real:/}, (args) =>
      pluginBuild.resolve(args.path.slice('lazy-real:'.length), {kind: 'require-call', resolveDir: args.resolveDir, pluginData: 'real'}),
    )
  },
}

/** The names a client-node module takes from `specifier` (named imports, or members of a namespace/default binding). */
function importedNames(source, specifier) {
  const escaped = specifier.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const imports = [...source.matchAll(new RegExp(`^import\\s+([^;]+?)\\s+from\\s+'${escaped}';?$`, 'gms'))].map((m) => m[1].replace(/\s+/g, ' ').trim())
  const used = new Set()
  for (const clause of imports) {
    const named = /^\{(.*)\}$/.exec(clause)
    const binding = /^(?:\*\s+as\s+)?(\w+)$/.exec(clause)
    if (named) for (const name of named[1].split(',')) used.add(name.trim().split(/\s+as\s+/)[0])
    else if (binding && !source.includes(`${binding[1]}[`)) for (const m of source.matchAll(new RegExp(`\\b${binding[1]}\\.(\\w+)`, 'g'))) used.add(m[1])
    else used.add(`(${clause})`)
  }
  used.delete('')
  return used
}

/**
 * client-node's auth modules (exec credential plugins, the gcp and azure providers, kubeconfigs
 * under WSL) import node:child_process at the top, and config.js makes its authenticators when it
 * loads: Node's child_process (with dgram and net's socket list) costs 1-2 ms of every start that
 * runs no plugin. Their import gets a module of functions that load it on first call.
 */
const lazyChildProcessFunctions = ['execSync', 'spawn', 'spawnSync']
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(pluginBuild) {
    pluginBuild.onResolve({filter: /^(node:)?child_process$/}, (args) => {
      if (!args.importer.includes('/node_modules/@kubernetes/client-node/')) return undefined
      return {path: 'child_process', namespace: 'lazy-builtin'}
    })
    pluginBuild.onLoad({filter: /.*/, namespace: 'lazy-builtin'}, () => ({
      loader: 'js',
      contents: lazyExports(
        'node:child_process',
        lazyChildProcessFunctions.map((name) => `${name}: (...args) => load().${name}(...args)`),
      ),
    }))
    // A client-node upgrade that takes anything else of child_process or of the lazy dependencies
    // above fails the build, not a user.
    pluginBuild.onLoad({filter: /\/node_modules\/@kubernetes\/client-node\/dist\/.*\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const problems = []
      for (const [specifier, allowed] of [
        ['node:child_process', lazyChildProcessFunctions],
        ['child_process', lazyChildProcessFunctions],
        ...Object.entries(lazyModules),
      ]) {
        const missing = [...importedNames(source, specifier)].filter((name) => !allowed.includes(name))
        if (missing.length > 0)
          problems.push(`${path.relative(root, args.path)} uses ${missing.join(', ')} of ${specifier}, which the lazy shim does not pass on`)
      }
      if (problems.length === 0) return undefined
      return {errors: problems.map((text) => ({text}))}
    })
  },
}

/**
 * node:http through require(), not an ES module import. Node's ES module loader, to make a built-in
 * importable, reads every export of it once, and node:http's include lazy getters that load Node's
 * internal undici (its fetch and WebSocket): 30-60 ms of every start of an ES module bundle that
 * imports node:http (client-node, raw.ts, the AWS SDK's HTTP handler), even one that never talks to
 * a server. require() reads no getter. The ES module bundles' banner defines `require`.
 */
const httpThroughRequire = {
  name: 'http-through-require',
  setup(pluginBuild) {
    if (pluginBuild.initialOptions.format !== 'esm') return
    pluginBuild.onResolve({filter: /^(node:)?http$/}, (args) =>
      // The module below requires the real one: external, loaded by the banner's require.
      args.namespace === 'require-builtin' ? {path: 'node:http', external: true} : {path: 'node:http', namespace: 'require-builtin'},
    )
    pluginBuild.onLoad({filter: /.*/, namespace: 'require-builtin'}, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
    }))
  },
}

const common = {
  absWorkingDir: root,
  outbase: 'src',
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  // ES module builds first (the AWS SDK ships both): an import() of a bundled CommonJS build
  // would not see its named exports.
  mainFields: ['module', 'main'],
  target: 'node22.12',
  external: ['@oclif/core'],
  plugins: [clientNodeHasNoSideEffects, lazyDependencies, lazyChildProcess, httpThroughRequire],
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
}

rmSync(outdir, {recursive: true, force: true})
const results = await Promise.all([
  // Every command is a bundle of its own (oclif loads them by path). Not shared chunks: esbuild
  // splits by file, and every command reaches client-node's generated-code files through
  // KubeConfig, so a shared chunk would give `helm list` all 1.3 MB of API classes that only
  // other commands use. On their own, commands that read plain JSON load ~0.25 MB. The oclif hooks
  // (src/hooks, package.json's oclif.hooks) and the help class (src/help.ts) are bundles of their own too.
  build({
    ...common,
    entryPoints: [...sources(path.join(root, 'src/commands')), ...sources(path.join(root, 'src/hooks')), path.join(root, 'src/help.ts')],
    splitting: false,
  }),
  // What bin/run.js (CommonJS) requires before oclif, as CommonJS too, which needs no ES module
  // loader: the compile cache switch, and the fast path of `helm list`, `images` and `lint`
  // (src/lib/cli/fast.ts, which parses their flags, and one self-contained file per command: fewer
  // modules to load than shared chunks).
  build({
    ...common,
    format: 'cjs',
    // import.meta.url as an ES module has it (lint finds its package root and schema bundle by it).
    banner: {js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
    define: {'import.meta.url': '__importMetaUrl'},
    outExtension: {'.js': '.cjs'},
    entryPoints: ['cli/fast', 'cli/fast-helm-list', 'cli/fast-images', 'cli/fast-lint', 'compile-cache'].map((name) => path.join(root, `src/lib/${name}.ts`)),
    splitting: false,
  }),
  // `--help` (src/lib/cli/help-fast.ts): oclif, its dependencies and our help class in one
  // CommonJS file, which bin/main.js loads only for a command line oclif answers with help. Its
  // oclif is a second copy, which runs no command: commands and plugins import the one in
  // node_modules. typescript stays out: oclif requires it only to transpile sources (bin/dev.js).
  build({
    ...common,
    format: 'cjs',
    banner: undefined,
    outExtension: {'.js': '.cjs'},
    entryPoints: [path.join(root, 'src/lib/cli/help-fast.ts')],
    external: ['typescript'],
    splitting: false,
  }),
  // The token fast path bin/run.js imports (small, with the AWS SDK in chunks it imports only when
  // a token has to be signed).
  build({
    ...common,
    entryPoints: [path.join(root, 'src/lib/eks/token-fast.ts')],
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
])
if (common.metafile) writeFileSync(process.env.ELIFE_K8S_BUILD_META, JSON.stringify(results.map((r) => r.metafile)))
