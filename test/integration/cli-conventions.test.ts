import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {repoRoot, runCli} from '../helpers/cli.js'
import {kubeconfig} from './helm-support.js'

// The conventions an admin's hands bring from kubectl and helm (issue 16), on the built CLI.
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {hidden?: boolean; aliases: string[]}>}
const commandIds = Object.entries(manifest.commands)
  .filter(([, c]) => !c.hidden)
  .map(([id]) => id.replaceAll(':', ' '))
const ours = commandIds.filter((id) => !id.startsWith('autocomplete'))
const k = ['--kubeconfig', kubeconfig]
const secretUrl = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXSECRET'

describe('-h is --help', () => {
  for (const id of ours) {
    it(id, async () => {
      const [short, long] = await Promise.all([runCli([...id.split(' '), '-h']), runCli([...id.split(' '), '--help'])])
      expect(short.exitCode).toBe(0)
      expect(short.stdout).toContain('USAGE')
      expect([short.stdout, short.stderr]).toEqual([long.stdout, long.stderr])
    })
  }
})

describe('a misspelt command', () => {
  it('suggests the closest one, space-separated, in one line, exit 2', async () => {
    const result = await runCli(['helm', 'lsit', '-A'])
    expect(result.exitCode).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toBe('error: `elife-k8s helm lsit` is not a command; did you mean `elife-k8s helm list`?\n')
  })

  it('never echoes a stray argument (it may be a secret)', async () => {
    for (const args of [['helm', 'lsit', secretUrl], [secretUrl], ['helm', secretUrl, '-n', 'adm'], ['alertmanager', 'aply', secretUrl]]) {
      const result = await runCli(args)
      expect(result.exitCode, args.join(' ')).toBe(2)
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(result.stderr + result.stdout, args.join(' ')).not.toContain('hooks.slack.com')
    }
  })

  it('names the topic\'s help when nothing is close', async () => {
    const result = await runCli(['helm', 'deploy'])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toBe('error: `elife-k8s helm deploy` is not a command; `elife-k8s helm --help` lists them\n')
  })
})

describe('helm ls is helm list, as in helm', () => {
  it('prints what helm list prints (fast path and oclif)', async () => {
    for (const env of [{}, {ELIFE_K8S_FAST_PATH: '0'}]) {
      const [ls, list] = await Promise.all([runCli(['helm', 'ls', '-A', '--json', ...k], {env}), runCli(['helm', 'list', '-A', '--json', ...k], {env})])
      expect(ls.exitCode).toBe(0)
      expect(JSON.parse(ls.stdout)).toEqual(JSON.parse(list.stdout))
    }
  })
})
