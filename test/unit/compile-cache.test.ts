import {spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import module from 'node:module'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {beforeEach, describe, expect, it} from 'vitest'

// requireBundle (src/lib/compile-cache.ts) keeps V8's code cache of the fast-path bundles on
// Node 20. Each load runs in a Node process of its own, as bin/run.js does: the cache is written
// when the process exits.
const source = fileURLToPath(new URL('../../src/lib/compile-cache.ts', import.meta.url))
const nodeHasItsOwnCache = typeof (module as {enableCompileCache?: unknown}).enableCompileCache === 'function'

let home: string
let bundle: string
let cacheDirectory: string

beforeEach(() => {
  home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-code-cache-'))
  bundle = path.join(home, 'fast-example.cjs')
  cacheDirectory = path.join(home, 'cache', 'elife-k8s', 'v8-code-cache')
})

/** Loads the bundle with requireBundle in a new Node process and returns what it exported. */
function load(env: NodeJS.ProcessEnv = {}, file = bundle): string {
  const program = `const {requireBundle} = require(${JSON.stringify(source)})
process.stdout.write(JSON.stringify(requireBundle(${JSON.stringify(file)})))`
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], {encoding: 'utf8', env: {...process.env, XDG_CACHE_HOME: path.join(home, 'cache'), ...env}})
  expect(child.status, child.stderr).toBe(0)
  return JSON.parse(child.stdout) as string
}

const cacheFiles = () => {
  try {
    return readdirSync(cacheDirectory)
  } catch {
    return []
  }
}

describe.skipIf(nodeHasItsOwnCache)('requireBundle on Node 20 (no module.enableCompileCache)', () => {
  it('writes the code cache after the first run and reads it, unchanged, on the next', () => {
    writeFileSync(bundle, `const path = require('node:path'); module.exports = path.basename(__filename) + ' ' + typeof exports`)
    expect(load()).toBe('fast-example.cjs object')
    const [file] = cacheFiles()
    expect(file).toMatch(/^fast-example\.cjs\.[0-9a-f]{8}\.[0-9a-f]{32}\.bin$/)
    const written = statSync(path.join(cacheDirectory, file))
    expect(written.mode & 0o777).toBe(0o600)
    expect(written.size).toBeGreaterThan(0)
    expect(load()).toBe('fast-example.cjs object')
    // accepted by V8, so not written again
    expect(statSync(path.join(cacheDirectory, file)).mtimeMs).toBe(written.mtimeMs)
    expect(cacheFiles()).toEqual([file])
  })

  it('never runs a stale cache: a bundle of the same length but new bytes gets a cache of its own', () => {
    writeFileSync(bundle, `module.exports = 'release one'`)
    expect(load()).toBe('release one')
    const [before] = cacheFiles()
    // V8 checks only the source's length; the file name carries a hash of the bytes.
    writeFileSync(bundle, `module.exports = 'release two'`)
    expect(load()).toBe('release two')
    const after = cacheFiles()
    expect(after).toHaveLength(1)
    expect(after[0]).not.toBe(before)
  })

  it('keeps one cache per install: two installs of the same bundle do not remove each other\'s', () => {
    const other = path.join(home, 'other-install', 'fast-example.cjs')
    mkdirSync(path.dirname(other))
    writeFileSync(bundle, `module.exports = 'global install'`)
    writeFileSync(other, `module.exports = 'npx install, a newer release'`)
    expect(load()).toBe('global install')
    expect(load({}, other)).toBe('npx install, a newer release')
    const files = cacheFiles()
    expect(files).toHaveLength(2)
    const written = files.map((file) => statSync(path.join(cacheDirectory, file)).mtimeMs)
    // Each run in turn finds its own cache and leaves both in place.
    expect(load()).toBe('global install')
    expect(load({}, other)).toBe('npx install, a newer release')
    expect(cacheFiles()).toEqual(files)
    expect(files.map((file) => statSync(path.join(cacheDirectory, file)).mtimeMs)).toEqual(written)
  })

  it('rewrites a cache V8 rejects, and still runs the bundle', () => {
    writeFileSync(bundle, `module.exports = 'intact'`)
    load()
    const [file] = cacheFiles()
    writeFileSync(path.join(cacheDirectory, file), 'not a code cache')
    expect(load()).toBe('intact')
    expect(readFileSync(path.join(cacheDirectory, file), 'utf8')).not.toBe('not a code cache')
  })

  it('is a plain require when Node\'s compile cache is turned off, or the cache directory cannot be written', () => {
    writeFileSync(bundle, `module.exports = 'plain'`)
    expect(load({NODE_DISABLE_COMPILE_CACHE: '1'})).toBe('plain')
    expect(cacheFiles()).toEqual([])
    writeFileSync(path.join(home, 'cache'), 'a file where the cache directory would be')
    expect(load()).toBe('plain')
  })
})

describe.runIf(nodeHasItsOwnCache)('requireBundle on Node 22+', () => {
  it('leaves caching to Node (module.enableCompileCache)', () => {
    writeFileSync(bundle, `module.exports = 'plain'`)
    expect(load()).toBe('plain')
    expect(cacheFiles()).toEqual([])
  })
})
