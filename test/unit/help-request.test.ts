import {Config} from '@oclif/core/config'
import {helpAddition} from '@oclif/core/run'
import {describe, expect, it} from 'vitest'

import {isHelpRequest} from '../../src/lib/cli/fast.js'
import {repoRoot} from '../helpers/cli.js'

// bin/main.js runs oclif's help from one bundled file for a command line oclif answers with help:
// isHelpRequest must answer as oclif's own helpAddition does, with this CLI's package.json.
describe('isHelpRequest answers as oclif', () => {
  const lines = [
    [],
    ['--help'],
    ['-h'],
    ['helm', 'history', '--help'],
    ['helm', 'history', '-h'],
    ['images', '-A', '--help'],
    ['images', '--', '--help'],
    ['images', '--', '-h'],
    ['helm'],
    ['help'],
    ['help', 'images'],
    ['images', '-A'],
    ['images', '--helpx'],
    ['images', '-H'],
    ['images', '-hA'],
    ['logs', '-c', '-h'],
    ['--version'],
    ['--version', '--help'],
    [''],
  ]
  it('for every case', async () => {
    const config = await Config.load(repoRoot)
    for (const argv of lines) expect(isHelpRequest(argv, config.pjson.oclif.additionalHelpFlags), argv.join(' ')).toBe(helpAddition(argv, config))
    // Both cases are there: some lines are help, some are not.
    expect(new Set(lines.map((argv) => helpAddition(argv, config)))).toEqual(new Set([true, false]))
  })
})
