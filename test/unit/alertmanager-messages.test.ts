import {describe, expect, it} from 'vitest'

import {findPlaceholders, parseSetFlags, parseValuesFile, readInput} from '../../src/lib/alertmanager/template.js'
import {checkAlertmanagerConfig} from '../../src/lib/alertmanager/validate.js'
import {CliError} from '../../src/lib/errors.js'

// Error messages name flags, keys and positions, never values (issue 14, item 6).
const url = 'https://hooks.slack.com/services/T0MSG/B0MSG/msgSlackSecret'
const token = 'msgTokenSecret'

function line(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (error instanceof CliError) return error.line
    throw error
  }
  throw new Error('expected a CliError')
}

describe('alertmanager error messages never echo a value', () => {
  it('--set "$URL" without NAME= names the flag, not the URL', () => {
    const message = line(() => parseSetFlags([url]))
    expect(message).not.toContain('msgSlackSecret')
    expect(message).not.toContain('hooks.slack.com')
    expect(message).toContain('the --set value is not NAME=VALUE')
  })

  it('a --set whose part before "=" is not a NAME (a URL with a query) is named by position only', () => {
    const message = line(() => parseSetFlags(['SLACK_WEBHOOK_URL=x', `${url}?token=${token}`]))
    expect(message).not.toContain('msgSlackSecret')
    expect(message).not.toContain(token)
    expect(message).toContain('--set value 2 of 2 is not NAME=VALUE')
  })

  it('a bare token given to --set is not echoed either', () => {
    expect(line(() => parseSetFlags([token]))).not.toContain(token)
  })

  it("a values file that is not YAML is reported by position, not by yaml's message (which quotes the source)", () => {
    const message = line(() => parseValuesFile(`SLACK_WEBHOOK_URL: |${token}\n`, 'values.yaml'))
    expect(message).not.toContain(token)
    expect(message).toContain('values file values.yaml is neither NAME=value lines nor YAML (unexpected token at line 1, column')
  })

  it('a values-file key that is not a NAME (a pasted URL) is named by position', () => {
    const message = line(() => parseValuesFile(`A: x\n${url}: y\n`, 'values.yaml'))
    expect(message).not.toContain('msgSlackSecret')
    expect(message).toContain('values file values.yaml: key 2 is not a placeholder name')
  })

  it('a template that is not YAML is reported by position', () => {
    const message = line(() => findPlaceholders(`global:\n  slack_api_url: |${token}\n`, 'am.yaml-template'))
    expect(message).not.toContain(token)
    expect(message).toContain('template am.yaml-template is not valid YAML: unexpected token at line 2, column')
  })

  it('a rendered configuration that is not YAML is reported by position', () => {
    const check = checkAlertmanagerConfig(`route:\n  receiver: x\nglobal:\n  slack_api_url: |${token}\n`)
    expect(check.errors).toHaveLength(1)
    expect(check.errors[0]).not.toContain(token)
    expect(check.errors[0]).toMatch(/^does not parse as YAML: unexpected token at line 4, column \d+$/)
  })

  it('a webhook URL given to --values-file or --template instead of a path is not printed back', () => {
    for (const [what, flag] of [
      ['values file', '--values-file'],
      ['template', '--template'],
    ] as const) {
      const message = line(() => readInput(url, what))
      expect(message).not.toContain('msgSlackSecret')
      expect(message).not.toContain('hooks.slack.com')
      expect(message).toContain(`the ${flag} value is a URL, not a file path`)
    }
    // a missing file is still named, so the user sees which path was wrong
    expect(line(() => readInput('/nonexistent/alertmanager.env', 'values file'))).toContain('values file /nonexistent/alertmanager.env cannot be read (ENOENT)')
  })
})
