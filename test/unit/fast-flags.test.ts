import {readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {fastCommands, globalFastFlags, parseFastCommandLine, parseFastFlags, runFast} from '../../src/lib/cli/fast.js'
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
  ...fastCommands.map((c) => ({...c, global: c.globals ?? globalFastFlags})),
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
        expect(mine.multiple ?? false, `${name}: multiple`).toBe(flag.multiple ?? false)
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

describe("parseFastCommandLine: lint's paths and repeatable flags", () => {
  const lint = fastCommands.find((c) => c.id === 'lint')!
  const declared = {...lint.globals!, ...lint.flags}

  it('takes the words that are not flags as paths, in order, around the flags', () => {
    const parsed = parseFastCommandLine(['repo', '--severity', 'error', 'other', '--rule', 'schema,promql-syntax', '--online', 'third'], declared, true)
    expect(parsed?.args).toEqual(['repo', 'other', 'third'])
    expect(parsed?.flags).toMatchObject({rule: ['schema,promql-syntax'], severity: 'error', format: 'text', online: true})
  })

  it("leaves to oclif what its parser reads otherwise: a word after a repeatable flag's value (another value), a repeated flag, --", () => {
    for (const argv of [['--rule', 'schema', 'repo'], ['--rule', 'a', '--rule', 'b'], ['repo', '--', 'x'], ['-'], ['-n', 'adm'], ['--format', 'xml']]) {
      expect(parseFastCommandLine(argv, declared, true), argv.join(' ')).toBeUndefined()
    }
  })

  it('takes no word for a command without arguments', () => {
    expect(parseFastCommandLine(['x'], {...globalFastFlags, ...fastCommands.find((c) => c.id === 'images')!.flags}, false)).toBeUndefined()
  })
})

describe('runFast', () => {
  const load = (seen: Array<{module: string; args: readonly string[]}>) => (module: string) => ({
    run: async (_flags: unknown, _env: unknown, context: {args: readonly string[]}) => {
      seen.push({module, args: context.args})
    },
  })

  it('runs lint on the fast path with its paths', async () => {
    const seen: Array<{module: string; args: readonly string[]}> = []
    expect(await runFast(['lint', 'a', 'b', '--severity', 'error'], {}, load(seen), '1.0.0')).toBe(true)
    expect(seen).toEqual([{module: 'lint', args: ['a', 'b']}])
  })

  it("leaves lint's cluster flags to oclif (--from-cluster loads the Kubernetes client; the others are refused without it)", async () => {
    for (const argv of [
      ['lint', '--from-cluster'],
      ['lint', '--kubeconfig', '/tmp/k'],
      ['lint', '--context', 'x'],
      ['lint', '--request-timeout', '5s'],
      ['lint', '-n', 'adm'],
      ['lint', '-o', 'yaml'],
    ]) {
      const seen: Array<{module: string; args: readonly string[]}> = []
      expect(await runFast(argv, {}, load(seen)), argv.join(' ')).toBe(false)
      expect(seen).toEqual([])
    }
  })
})
