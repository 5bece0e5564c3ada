import {spawnSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

// A CommonJS module next to bin/run.js (bin/package.json), loaded as bin/run.js loads it.
const modulePath = fileURLToPath(new URL('../../bin/quiet-deprecations.js', import.meta.url))
const {quietBundledDeprecations} = createRequire(import.meta.url)(modulePath) as {
  quietBundledDeprecations: (proc: {emitWarning: (...args: unknown[]) => void}) => void
}

/** Runs a script in a real Node process with the filter installed; returns its stderr. */
function stderrOf(script: string): string {
  const program = `const {quietBundledDeprecations} = require(${JSON.stringify(modulePath)})
quietBundledDeprecations(process)
;(async () => {
${script}
})()`
  return spawnSync(process.execPath, ['-e', program], {encoding: 'utf8'}).stderr
}

describe('quietBundledDeprecations', () => {
  it("keeps quiet the warnings Node gives only outside node_modules, in both of emitWarning's signatures", () => {
    const stderr = stderrOf(`
process.emitWarning('url.parse() is deprecated', 'DeprecationWarning', 'DEP0169')
process.emitWarning('punycode is deprecated', {type: 'DeprecationWarning', code: 'DEP0040'})
new Buffer(4)
await new Promise((r) => setTimeout(r, 20))`)
    expect(stderr).not.toContain('DeprecationWarning')
  })

  it('prints every other warning as usual', () => {
    const stderr = stderrOf(`
process.emitWarning('something else is deprecated', 'DeprecationWarning', 'DEP0999')
process.emitWarning('a plain warning')
await new Promise((r) => setTimeout(r, 20))`)
    expect(stderr).toContain('[DEP0999] DeprecationWarning: something else is deprecated')
    expect(stderr).toContain('Warning: a plain warning')
  })

  it('passes the arguments through unchanged', () => {
    const calls: unknown[][] = []
    const proc = {emitWarning: (...args: unknown[]) => void calls.push(args)}
    quietBundledDeprecations(proc)
    proc.emitWarning('w', {type: 'T', code: 'C1', detail: 'd'})
    proc.emitWarning('w', 'T', 'C2')
    proc.emitWarning('w', 'T', 'DEP0005')
    expect(calls).toEqual([
      ['w', {type: 'T', code: 'C1', detail: 'd'}, undefined],
      ['w', 'T', 'C2'],
    ])
  })
})
