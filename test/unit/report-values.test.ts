import {describe, expect, it} from 'vitest'

import {withoutValues} from '../../src/lib/cli/report.js'

// oclif's parse errors as it words them; the values stand for webhook URLs and tokens.
describe('parse error lines name flags, never values', () => {
  const secret = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET'
  const cases: Array<[string, string]> = [
    [`Nonexistent flag: --slack-url=${secret}\nSee more help with --help`, 'Nonexistent flag: --slack-url\nSee more help with --help'],
    [`Nonexistent flags: --zz=${secret}, --yy, -q`, 'Nonexistent flags: --zz, --yy, -q'],
    [`Expected --by=${secret} to be one of: image, pod`, 'Expected --by to be one of: image, pod'],
    [`Expected ${secret} to be one of: helm-operator, flux`, 'Expected an argument from: helm-operator, flux'],
    [`Parsing --tail \n\tExpected an integer but received: ${secret}`, 'Parsing --tail \n\tExpected an integer but received something else'],
    [`Unexpected argument: ${secret}`, 'Unexpected argument (not shown); flags take values as --flag VALUE'],
    [`Error: Nonexistent flag: --token=${secret}\n    at Parser.parse (parse.js:1:1)`, 'Error: Nonexistent flag: --token\n    at Parser.parse (parse.js:1:1)'],
  ]
  for (const [oclif, shown] of cases) {
    it(shown.split('\n')[0], () => {
      expect(withoutValues(oclif)).toBe(shown)
      expect(withoutValues(oclif)).not.toContain('SECRET')
    })
  }
})
