import {execFile} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'

import {beforeAll, describe, expect, it} from 'vitest'

import {checkAlertmanagerConfig} from '../../src/lib/alertmanager/validate.js'
import {repoRoot} from '../helpers/cli.js'

const run = promisify(execFile)
const fixtures = path.join(repoRoot, 'test/fixtures/alertmanager')
const good = readdirSync(path.join(fixtures, 'good')).map((f) => `good/${f}`)
const bad = readdirSync(path.join(fixtures, 'bad')).map((f) => `bad/${f}`)

let amtool: string

beforeAll(async () => {
  // The peer tool: amtool built from the Go module proxy at the pinned version (cached).
  const {stdout} = await run('bash', [path.join(repoRoot, 'scripts/tools/build-amtool.sh')], {maxBuffer: 16 * 1024 * 1024})
  amtool = stdout.trim()
}, 600_000)

async function amtoolVerdict(file: string): Promise<boolean> {
  try {
    await run(amtool, ['check-config', file])
    return true
  } catch (error) {
    if (typeof (error as {code?: unknown}).code === 'number') return false
    throw error
  }
}

describe('checkAlertmanagerConfig agrees with amtool check-config', () => {
  it('has fixtures of both kinds', () => {
    expect(good.length).toBeGreaterThanOrEqual(8)
    expect(bad.length).toBeGreaterThanOrEqual(20)
  })

  for (const file of [...good, ...bad]) {
    it(file, async () => {
      const full = path.join(fixtures, file)
      const ours = checkAlertmanagerConfig(readFileSync(full, 'utf8'))
      const theirs = await amtoolVerdict(full)
      expect({file, valid: ours.errors.length === 0, errors: ours.errors}).toMatchObject({file, valid: theirs})
      // the fixture's folder says what it should be, so a wrong amtool build cannot pass either
      expect(theirs).toBe(file.startsWith('good/'))
    })
  }
})

describe('checkAlertmanagerConfig details', () => {
  const check = (file: string) => checkAlertmanagerConfig(readFileSync(path.join(fixtures, file), 'utf8'))

  it('names an undefined receiver in a nested route by its path', () => {
    expect(check('bad/04-undefined-nested-receiver.yaml').errors).toEqual(['undefined receiver "team-a-typo" used in route.routes[0].routes[0]'])
  })

  it('reports unused receivers without failing', () => {
    const result = check('good/05-unused-receiver.yaml')
    expect(result.errors).toEqual([])
    expect(result.unusedReceivers).toEqual(['forgotten'])
  })

  it('accepts a Slack config whose URL comes from global.slack_api_url', () => {
    expect(check('good/03-slack-global.yaml').errors).toEqual([])
    expect(check('bad/05-slack-no-url.yaml').errors).toEqual([
      'receiver "slack" slack_configs[0]: no Slack API URL nor App token set (set api_url, or global.slack_api_url)',
    ])
  })

  it('never puts a URL in a message', () => {
    const text = 'route: {receiver: a}\nreceivers:\n- name: a\n  webhook_configs:\n  - url: "ftp://secret.example.org/T0KEN"\n'
    const result = checkAlertmanagerConfig(text)
    expect(result.errors).toEqual(['receiver "a" webhook_configs[0].url is not a valid http(s) URL'])
    const broken = checkAlertmanagerConfig('route:\n  receiver: https://hooks.example.org/T0KEN\n   bad: [\n')
    expect(broken.errors.join('\n')).not.toContain('T0KEN')
  })
})
