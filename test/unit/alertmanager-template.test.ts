import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {redactedDiff, redactText} from '../../src/lib/alertmanager/redact.js'
import {findPlaceholders, mergeValues, parseSetFlags, parseValuesFile, renderTemplate} from '../../src/lib/alertmanager/template.js'
import {checkAlertmanagerConfig} from '../../src/lib/alertmanager/validate.js'
import {CliError} from '../../src/lib/errors.js'
import {repoRoot} from '../helpers/cli.js'

const templateFile = path.join(repoRoot, 'test/fixtures/alertmanager/alertmanager-secret.yaml-template')
const template = readFileSync(templateFile, 'utf8')
const slack = 'https://hooks.slack.com/services/T0UNIT/B0UNIT/unitSlackSecret'
const ops = 'https://ops.example.org/hooks/unitOpsSecret?token=abc'

function values(set: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  return mergeValues(
    new Map(Object.entries(set)),
    undefined,
    env,
    findPlaceholders(template, 'T').map((u) => u.name),
  )
}

function cliError(fn: () => unknown): CliError {
  try {
    fn()
  } catch (error) {
    if (error instanceof CliError) return error
    throw error
  }
  throw new Error('expected a CliError')
}

describe('placeholders', () => {
  it('finds each placeholder with its YAML path and key', () => {
    expect(findPlaceholders(template, 'T')).toEqual([
      {name: 'SLACK_WEBHOOK_URL', path: 'global.slack_api_url', key: 'slack_api_url'},
      {name: 'OPS_WEBHOOK_URL', path: 'receivers[2].webhook_configs[0].url', key: 'url'},
    ])
  })

  it('renders a valid Alertmanager config with the values in place and the rest unchanged', () => {
    const rendered = renderTemplate(template, 'T', values({SLACK_WEBHOOK_URL: slack, OPS_WEBHOOK_URL: ops}))
    expect(rendered.text).toContain(`slack_api_url: ${slack}`)
    expect(rendered.text).toContain(`- url: ${ops}`)
    expect(rendered.text).toContain("title: '{{ .CommonLabels.alertname }}'")
    expect(rendered.text).toContain('# Webhook URLs are placeholders')
    expect(checkAlertmanagerConfig(rendered.text)).toMatchObject({errors: [], unusedReceivers: []})
    expect(rendered.substituted.sort()).toEqual([ops, slack].sort())
  })

  it('refuses an unresolved placeholder, naming it and where it is used', () => {
    const error = cliError(() => renderTemplate(template, 'T', values({SLACK_WEBHOOK_URL: slack})))
    expect(error.line).toBe(
      'template T: placeholder ${OPS_WEBHOOK_URL} has no value (first used at receivers[2].webhook_configs[0].url); pass --set OPS_WEBHOOK_URL=… , put it in --values-file, or export it in the environment'.replace(
        ' ,',
        ',',
      ),
    )
  })

  it('refuses a value that is not a URL where a URL is expected, without printing it', () => {
    const error = cliError(() => renderTemplate(template, 'T', values({SLACK_WEBHOOK_URL: 'hooks.slack.com/unitSecretNoScheme', OPS_WEBHOOK_URL: ops})))
    expect(error.kind).toBe('usage')
    expect(error.line).toContain('global.slack_api_url must be an http(s) URL')
    expect(error.line).not.toContain('unitSecretNoScheme')
  })

  it('a value with YAML syntax in it stays one string', () => {
    const tricky = '#c: d\n  injected: true'
    const source = 'route:\n  receiver: x\nreceivers:\n- name: x\n  slack_configs:\n  - api_url: https://hooks.slack.com/x\n    channel: ${C}\n'
    const rendered = renderTemplate(source, 'T', mergeValues(new Map([['C', tricky]]), undefined, {}, ['C']))
    expect(checkAlertmanagerConfig(rendered.text).errors).toEqual([])
    expect(parse(rendered.text).receivers[0].slack_configs[0]).toEqual({api_url: 'https://hooks.slack.com/x', channel: tricky})
    const error = cliError(() =>
      renderTemplate(
        source.replace('https://hooks.slack.com/x', '${U}'),
        'T',
        mergeValues(
          new Map([
            ['C', 'c'],
            ['U', 'https://x.org/a\n b'],
          ]),
          undefined,
          {},
          ['C', 'U'],
        ),
      ),
    )
    expect(error.line).toContain('api_url must be an http(s) URL')
  })

  it('keeps every byte of the template outside the filled-in values', () => {
    const rendered = renderTemplate(template, 'T', values({SLACK_WEBHOOK_URL: slack, OPS_WEBHOOK_URL: ops}))
    expect(rendered.text).toBe(template.replace('${SLACK_WEBHOOK_URL}', slack).replace('${OPS_WEBHOOK_URL}', ops))
  })

  it('takes --set over the values file over the environment', () => {
    const merged = mergeValues(
      new Map([['A', 'set']]),
      new Map([
        ['A', 'file'],
        ['B', 'file'],
      ]),
      {A: 'env', B: 'env', C: 'env'},
      ['A', 'B', 'C', 'D'],
    )
    expect(Object.fromEntries(merged.values)).toEqual({A: 'set', B: 'file', C: 'env'})
    expect(Object.fromEntries(merged.sources)).toEqual({A: 'set', B: 'values-file', C: 'environment'})
  })

  it('parses values files in env and YAML form', () => {
    expect(parseValuesFile('# c\nexport A=1\nB="two words"\n', 'f')).toEqual({
      format: 'env',
      values: new Map([
        ['A', '1'],
        ['B', 'two words'],
      ]),
    })
    expect(parseValuesFile('A: https://x.org/a\nB: 2\n', 'f')).toEqual({
      format: 'yaml',
      values: new Map([
        ['A', 'https://x.org/a'],
        ['B', '2'],
      ]),
    })
    expect(cliError(() => parseValuesFile('- a\n- b\n', 'f')).line).toContain('values file f is YAML but not a mapping')
    expect(cliError(() => parseSetFlags(['NOEQUALS'])).line).toContain('the --set value is not NAME=VALUE')
  })
})

describe('redaction', () => {
  it('reduces URLs to scheme://host/…redacted and masks known values and secret keys', () => {
    expect(redactText(`url: ${slack}`)).toBe('url: https://hooks.slack.com/…redacted')
    expect(redactText('auth_password: hunter2')).toBe('auth_password: <redacted>')
    expect(redactText('channel: mySecretValue', ['mySecretValue'])).toBe('channel: <redacted>')
  })

  it('shows a changed URL as a changed line without either value', () => {
    const diff = redactedDiff(`a: 1\nurl: ${slack}\n`, `a: 1\nurl: ${slack}X\n`, [])
    expect(diff).toEqual(['  a: 1', '- url: https://hooks.slack.com/…redacted', '+ url: https://hooks.slack.com/…redacted'])
    expect(diff.join('\n')).not.toContain('unitSlackSecret')
  })
})
