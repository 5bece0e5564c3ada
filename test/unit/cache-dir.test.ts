import {mkdtempSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {makeDirectory} from '../../src/lib/cache-dir.js'

function failure(fn: () => void): NodeJS.ErrnoException {
  try {
    fn()
  } catch (error) {
    return error as NodeJS.ErrnoException
  }
  throw new Error('expected a failure')
}

describe('makeDirectory', () => {
  it('creates the missing levels with the mode asked for, and accepts what exists', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'elife-k8s-mkdir-'))
    const deep = path.join(root, 'a', 'b', 'c')
    makeDirectory(deep)
    for (const dir of [path.join(root, 'a'), path.join(root, 'a', 'b'), deep]) expect(statSync(dir).mode & 0o777).toBe(0o700)
    makeDirectory(deep)
    makeDirectory(root)
  })

  it("ends with the error of the level that cannot be made: inside /proc (where Node's recursive mkdir spins), below a file", () => {
    // Node's mkdirSync(..., {recursive: true}) loops forever at 100% CPU on this one.
    const proc = failure(() => makeDirectory('/proc/elife-k8s-no-such-dir/a/b'))
    expect({code: proc.code, path: proc.path}).toEqual({code: 'ENOENT', path: '/proc/elife-k8s-no-such-dir'})
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'elife-k8s-mkdir-')), 'a-file')
    writeFileSync(file, '')
    expect(failure(() => makeDirectory(path.join(file, 'x', 'y'))).code).toBe('ENOTDIR')
    expect(failure(() => makeDirectory(file)).code).toBe('ENOTDIR')
  })
})
