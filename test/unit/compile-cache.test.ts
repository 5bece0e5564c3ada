import {spawnSync} from 'node:child_process'
import {appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {warmRuns} from '../../src/lib/compile-cache.js'

// enableCompileCache (src/lib/compile-cache.ts) keeps Node's compile cache in our cache
// directory. Each run is a Node process of its own, as bin/run.js is.
const source = fileURLToPath(new URL('../../src/lib/compile-cache.ts', import.meta.url))

function run(home: string, env: NodeJS.ProcessEnv = {}): void {
  const program = `require(${JSON.stringify(source)}).enableCompileCache(); require(${JSON.stringify(path.join(home, 'example.cjs'))})`
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], {
    encoding: 'utf8',
    env: {...process.env, XDG_CACHE_HOME: path.join(home, 'cache'), ...env},
  })
  expect(child.status, child.stderr).toBe(0)
}

const files = (directory: string): string[] => {
  try {
    return readdirSync(directory, {recursive: true}).map(String)
  } catch {
    return []
  }
}

it('keeps compiled code under $XDG_CACHE_HOME/elife-k8s/node-compile-cache, unless NODE_DISABLE_COMPILE_CACHE', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-compile-cache-'))
  writeFileSync(path.join(home, 'example.cjs'), `module.exports = ${JSON.stringify('x'.repeat(2000))}`)
  const directory = path.join(home, 'cache', 'elife-k8s', 'node-compile-cache')
  run(home, {NODE_DISABLE_COMPILE_CACHE: '1'})
  expect(files(directory).length).toBe(0)
  run(home)
  expect(files(directory).length).toBeGreaterThan(0)
})

// requireWarm (the fast paths' bundles): V8's code cache made at exit, with the functions the run
// compiled, written by the first warmRuns runs and read by the rest.
describe('requireWarm: a code cache made after the run', () => {
  /** A bundle whose big function is compiled only when a run calls it (V8 compiles lazily). */
  function bundle(home: string): string {
    const file = path.join(home, 'dist', 'bundle.cjs')
    mkdirSync(path.dirname(file), {recursive: true})
    writeFileSync(path.join(home, 'dist', 'sibling.cjs'), 'module.exports = 40\n')
    const body = Array.from({length: 400}, (_, i) => `  total += (input.length * ${i}) % 7`).join('\n')
    writeFileSync(
      file,
      `const path = require('node:path')\nconst sibling = require('./sibling.cjs')\nfunction big(input) {\n  let total = 0\n${body}\n  return total\n}\n` +
        `module.exports = {answer: () => sibling + 2, dir: path.basename(__dirname), big, self: module.filename === __filename}\n`,
    )
    return file
  }

  function load(home: string, file: string, call: string, env: NodeJS.ProcessEnv = {}): string {
    const program = `const b = require(${JSON.stringify(source)}).requireWarm(${JSON.stringify(file)}); Promise.resolve(${call}).then((v) => process.stdout.write(JSON.stringify(v)))`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], {
      encoding: 'utf8',
      env: {...process.env, XDG_CACHE_HOME: path.join(home, 'cache'), NODE_DISABLE_COMPILE_CACHE: '', ...env},
    })
    expect(child.status, child.stderr).toBe(0)
    return child.stdout
  }

  const cacheOf = (home: string, file: string): string => {
    const directory = path.join(home, 'cache', 'elife-k8s', 'node-code-cache')
    const found = files(directory).filter((name) => name.startsWith(`${path.basename(file)}-`))
    expect(found).toHaveLength(1)
    return path.join(directory, found[0])
  }
  const runsOf = (cache: string): number => readFileSync(cache).readUInt32LE(4)

  it('runs the bundle as require would (its own require, __dirname, module), and keeps its code once per run until warmRuns', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-warm-cache-'))
    const file = bundle(home)
    expect(load(home, file, '[b.answer(), b.dir, b.self]')).toBe('[42,"dist",true]')
    // In require's cache, as require would leave it: requiring it again gives the same module.
    expect(load(home, file, `[require(${JSON.stringify(file)}) === b, require.cache[${JSON.stringify(file)}].loaded]`)).toBe('[true,true]')
    const cache = cacheOf(home, file)
    expect(statSync(cache).mode & 0o777).toBe(0o600)
    expect(runsOf(cache)).toBe(2)
    for (let run = 3; run <= warmRuns + 2; run++) load(home, file, 'b.answer()')
    // Written by the first warmRuns runs, then only read.
    expect(runsOf(cache)).toBe(warmRuns)
  })

  it('keeps the functions a run compiled, not only those compiled at load', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-warm-cache-'))
    const file = bundle(home)
    load(home, file, 'b.answer()')
    const atLoad = statSync(cacheOf(home, file)).size
    // The next run calls big(): the cache it writes holds big's code too.
    expect(load(home, file, 'b.big("abc")')).toBe(String(Array.from({length: 400}, (_, i) => (3 * i) % 7).reduce((a, b) => a + b, 0)))
    expect(statSync(cacheOf(home, file)).size).toBeGreaterThan(atLoad + 1000)
  })

  it('makes the cache again for a rebuilt bundle, and for a damaged one; never trusts damaged bytes', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-warm-cache-'))
    const file = bundle(home)
    for (let run = 0; run < warmRuns; run++) load(home, file, 'b.answer()')
    const cache = cacheOf(home, file)
    expect(runsOf(cache)).toBe(warmRuns)
    // A byte of the code flipped: the CRC no longer matches; the bundle still runs, and the cache is made again.
    const damaged = readFileSync(cache)
    damaged[damaged.length - 100] ^= 0xff
    writeFileSync(cache, damaged)
    expect(load(home, file, 'b.answer()')).toBe('42')
    expect(runsOf(cache)).toBe(1)
    // A rebuilt bundle (other size, other mtime): its old cache is not used.
    appendFileSync(file, 'module.exports.answer = () => 43\n')
    expect(load(home, file, 'b.answer()')).toBe('43')
    expect(runsOf(cache)).toBe(1)
  })

  it('runs the bundle, and exits, where the cache directory cannot exist (XDG_CACHE_HOME inside /proc)', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-warm-cache-'))
    const file = bundle(home)
    const program = `process.stdout.write(String(require(${JSON.stringify(source)}).requireWarm(${JSON.stringify(file)}).answer()))`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', program], {
      encoding: 'utf8',
      timeout: 30_000,
      env: {...process.env, XDG_CACHE_HOME: '/proc/self/no-such-directory', NODE_DISABLE_COMPILE_CACHE: ''},
    })
    expect({status: child.status, stdout: child.stdout, stderr: child.stderr}).toEqual({status: 0, stdout: '42', stderr: ''})
  })

  it('reads and writes nothing under NODE_DISABLE_COMPILE_CACHE', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'elife-k8s-warm-cache-'))
    const file = bundle(home)
    expect(load(home, file, 'b.answer()', {NODE_DISABLE_COMPILE_CACHE: '1'})).toBe('42')
    expect(files(path.join(home, 'cache', 'elife-k8s', 'node-code-cache'))).toEqual([])
  })
})
