import {readFileSync} from 'node:fs'
import path from 'node:path'

import {Config} from '@oclif/core/config'
import {HelpFormatter} from '@oclif/core/help'
import {beforeAll, describe, expect, it} from 'vitest'

import {plainTextAsIs, shellWords, wrapCommand} from '../../src/help.js'
import {repoRoot} from '../helpers/cli.js'

describe('help examples are wrapped between shell words only', () => {
  it('keeps quoted text and escapes as one word', () => {
    expect(shellWords(`a 'b c' "d \\" e" f\\ g  h`)).toEqual(['a', `'b c'`, `"d \\" e"`, 'f\\ g', 'h'])
  })

  it('never breaks a word, even one longer than the line', () => {
    const arn = 'arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole'
    const lines = wrapCommand(`$ elife-k8s token --cluster c --role-arn ${arn}`, 40)
    expect(lines).toEqual(['$ elife-k8s token --cluster c \\', '  --role-arn \\', `  ${arn}`])
    expect(lines.map((l) => l.replace(/ \\$/, '').trim()).join(' ')).toBe(`$ elife-k8s token --cluster c --role-arn ${arn}`)
  })

  it('fits each line in the width when the words allow', () => {
    for (const line of wrapCommand(`$ elife-k8s helm list -A --json | jq -r '.releases[] | select(.stuck)'`, 30).slice(0, -1))
      expect(line.length).toBeLessThanOrEqual(30)
  })
})

describe('a help text without an ejs tag renders as itself, as through ejs', () => {
  // oclif's own render (ejs, with the CLI's config as the context).
  let ejsRender: (text: string) => string
  let render: (text: string) => string
  beforeAll(async () => {
    ejsRender = new HelpFormatter(await Config.load(repoRoot)).render
    render = plainTextAsIs(ejsRender)
  })
  // Every text of every command in the manifest (descriptions, summaries, examples, flags, args).
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
  const texts: string[] = []
  const collect = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value)
    else if (Array.isArray(value)) value.forEach(collect)
    else if (value && typeof value === 'object') Object.values(value).forEach(collect)
  }
  collect(manifest.commands)

  it('for every text of the manifest', () => {
    expect(texts.length).toBeGreaterThan(500)
    // A text naming what only a command's help has (`<%= command.id %>`) fails here alike both ways.
    const attempt = (fn: (text: string) => string, text: string) => {
      try {
        return fn(text)
      } catch (error) {
        return `threw ${String(error)}`
      }
    }
    for (const text of texts) expect(attempt(render, text), text).toBe(attempt(ejsRender, text))
    expect(texts.some((text) => text.includes('<%'))).toBe(true)
  })

  it('for texts ejs changes, which it still sends to ejs', () => {
    for (const text of ['<%= config.bin %> list', 'a stray %> is dropped', '100%% and <%% kept', 'line\r\nwith\ttabs "quotes" \\ and `ticks`', '', ' % < > '])
      expect(render(text), text).toBe(ejsRender(text))
    expect(render('a stray %> is dropped')).toBe('a stray  is dropped')
  })
})
