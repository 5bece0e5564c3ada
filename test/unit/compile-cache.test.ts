import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect, it} from 'vitest'

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
