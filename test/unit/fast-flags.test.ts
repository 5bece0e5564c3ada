import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {fastCommands, globalFastFlags, parseFastFlags} from '../../src/lib/cli/fast.js'
import {type FlagSpec, jsonFlag, tokenFlags, tokenGlobalFlags} from '../../src/lib/cli/flags.js'
import {repoRoot} from '../helpers/cli.js'

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: string[]
  default?: unknown
  description?: string
  required?: boolean
  multiple?: boolean
  allowNo?: boolean
}

const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {aliases: string[]; flags: Record<string, ManifestFlag>}>
}

// The commands with a fast path, and the declarations (src/lib/cli/flags.ts) both paths read: the
// global flags the command takes (token: no --kubeconfig, --context or -n) and its own.
const declarations: Array<{id: string; global: Record<string, FlagSpec>; flags: Record<string, FlagSpec>}> = [
  ...fastCommands.map((c) => ({...c, global: globalFastFlags})),
  {id: 'token', global: {...tokenGlobalFlags, json: jsonFlag}, flags: tokenFlags},
]

describe('oclif and the fast paths read one declaration of the flags', () => {
  for (const command of declarations) {
    it(command.id, () => {
      const declared = manifest.commands[command.id.replace(' ', ':')]?.flags
      expect(declared, `${command.id} is in the built manifest`).toBeDefined()
      const ours = {...command.global, ...command.flags}
      expect(Object.keys(ours).sort()).toEqual(Object.keys(declared!).sort())
      for (const [name, flag] of Object.entries(declared!)) {
        const mine = ours[name]
        expect(mine.char, `${name}: char`).toBe(flag.char)
        expect(mine.description, `${name}: description`).toBe(flag.description)
        expect(mine.required ?? false, `${name}: required`).toBe(flag.required ?? false)
        expect(flag.multiple ?? false, `${name}: multiple`).toBe(false)
        if (flag.type === 'boolean') expect(mine.type, name).toBe('boolean')
        else if (flag.options) expect([mine.type, mine.options], name).toEqual(['option', flag.options])
        else expect(mine.type, name).toBe('string')
        // the manifest leaves out a boolean's default of false
        const normal = (value: unknown) => (flag.type === 'boolean' ? (value ?? false) : value)
        expect(normal(mine.default), `${name}: default`).toEqual(normal(flag.default))
        expect(flag.allowNo ?? false, `${name}: --no-${name} is not taken by the fast path`).toBe(false)
      }
    })
  }
})

describe('the fast paths know the aliases oclif has', () => {
  for (const command of fastCommands) {
    it(command.id, () => {
      const aliases = manifest.commands[command.id.replace(' ', ':')]?.aliases ?? []
      expect([...(command.aliases ?? [])].sort()).toEqual(aliases.map((a) => a.replaceAll(':', ' ')).sort())
    })
  }
})

describe('parseFastFlags', () => {
  const flags = {...globalFastFlags, ...fastCommands.find((c) => c.id === 'images')!.flags}

  it('takes the plain forms, with defaults for the rest', () => {
    expect(parseFastFlags(['-A', '--by', 'pod', '-l', 'app=x', '--image=journal*', '--json'], flags)).toEqual({
      'all-namespaces': true,
      by: 'pod',
      selector: 'app=x',
      image: 'journal*',
      json: true,
      wide: false,
      debug: false,
      'no-color': false,
    })
    expect(parseFastFlags(['--namespace=adm', '--kubeconfig', '/tmp/k'], flags)).toMatchObject({namespace: 'adm', kubeconfig: '/tmp/k', by: 'image'})
  })

  it('leaves everything else to oclif', () => {
    for (const argv of [
      ['--help'],
      ['-h'],
      ['x'],
      ['--'],
      ['-An', 'adm'],
      ['-nadm'],
      ['--json=true'],
      ['-n'],
      ['-n', '--json'],
      ['-n', ''],
      ['--by', 'node'],
      ['-A', '-A'],
      ['--unknown'],
      ['-z'],
    ]) {
      expect(parseFastFlags(argv, flags), argv.join(' ')).toBeUndefined()
    }
  })
})
