// The read-only commands an admin runs most (`helm list`, `images`, `lint`) spend more time starting
// oclif (~95 ms: its config, plugins, manifest, parser and Command class) than talking to the
// cluster or reading the repository. bin/run.js offers them to this module first: it parses exactly
// the flags the command declares, builds the same CommandIO (lint: CommandOutput) as BaseCommand and
// runs the same body. Anything else (--help, an unknown, repeated or combined flag, an argument
// where the command takes none, `--`, DEBUG, a JSON theme, -o yaml, lint's --from-cluster) is left
// to oclif, which then parses and reports it as it always does. test/integration/fast-path.test.ts runs each case
// both ways and compares stdout, stderr and the exit code; test/unit/fast-flags.test.ts checks the
// declarations (./flags.ts, which the oclif commands read too) against the oclif manifest.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {type FlagSpec, globalFlags, helmListFlags, imagesFlags, jsonFlag, lintFlags, lintGlobalFlags} from './flags.js'

export interface FastCommand {
  id: string
  /** Other names of the command (the oclif command's aliases, space-separated), e.g. helm's `helm ls`. */
  aliases?: readonly string[]
  /** dist/lib/cli/fast-<module>.cjs: the command with everything it needs, in one file. */
  module: string
  /** The command's own flags: the declaration its oclif command passes to oclif (./flags.ts). */
  flags: Record<string, FlagSpec>
  /** The global flags the command takes, with --json (default: all of them, globalFastFlags). */
  globals?: Record<string, FlagSpec>
  /** Takes words that are not flags (lint's paths), in the order given. */
  args?: boolean
  /** Flags left to oclif when given (lint's --from-cluster and the cluster flags it reads: they load the Kubernetes client anyway). */
  oclifOnly?: readonly string[]
}

export type ParsedFlags = Record<string, boolean | string | readonly string[] | undefined>

/** What the fast path gives a command's bundle besides its flags. */
export interface FastContext {
  /** The words that are not flags (for a command with `args`). */
  args: readonly string[]
  /** The CLI's version (package.json), as oclif's config.version. */
  version: string
}

/** The flags of every command (BaseCommand.baseFlags, plus oclif's --json). */
export const globalFastFlags: Record<string, FlagSpec> = {...globalFlags, json: jsonFlag}

export const fastCommands: readonly FastCommand[] = [
  {id: 'helm list', aliases: ['helm ls'], module: 'helm-list', flags: helmListFlags},
  {id: 'images', module: 'images', flags: imagesFlags},
  {
    id: 'lint',
    module: 'lint',
    flags: lintFlags,
    globals: {...lintGlobalFlags, json: jsonFlag},
    args: true,
    oclifOnly: ['from-cluster', 'kubeconfig', 'context', 'request-timeout'],
  },
]

/**
 * Whether oclif answers `argv` with help, as its helpAddition does (@oclif/core's main.ts) for a
 * CLI of several commands: no word at all, or a help flag (`--help` and package.json's
 * oclif.additionalHelpFlags) before `--`. bin/main.js then runs oclif's help bundled in one file
 * (./help-fast.ts).
 */
export function isHelpRequest(argv: readonly string[], additionalHelpFlags: readonly string[] = []): boolean {
  if (argv.length === 0) return true
  const helpFlags = new Set(['--help', ...additionalHelpFlags])
  for (const arg of argv) {
    if (helpFlags.has(arg)) return true
    if (arg === '--') return false
  }
  return false
}

/**
 * The commands whose help oclif computes when shown (a flag's defaultHelp, the manifest's
 * hasDynamicHelp): it imports the command's ES module to do so. bin/main.js loads the help bundle
 * with require for these, and through requireWarm (whose scripts have no import()) for the rest.
 * test/integration/help-fast.test.ts checks this list against the manifest.
 */
export const dynamicHelpCommands: readonly string[] = ['doctor']

/** Whether a help request may name a command of dynamicHelpCommands (any word of argv may be its id). */
export function helpImportsCommand(argv: readonly string[]): boolean {
  return argv.some((word) => dynamicHelpCommands.includes(word))
}

/**
 * The flags in argv, or undefined for anything this path leaves to oclif. Only the plain forms
 * are taken: `--name value`, `--name=value`, `-c value`, `--flag`, `-c` (one per word), and a
 * repeatable flag once (as a list of one).
 */
export function parseFastFlags(argv: readonly string[], declared: Record<string, FlagSpec>): ParsedFlags | undefined {
  return parseFastCommandLine(argv, declared, false)?.flags
}

/**
 * The flags and, for a command that takes them (`takesArgs`), the other words, or undefined for
 * anything this path leaves to oclif. A word right after a repeatable flag's value is oclif's:
 * its parser takes it as another value (`--rule a b`).
 */
export function parseFastCommandLine(
  argv: readonly string[],
  declared: Record<string, FlagSpec>,
  takesArgs: boolean,
): {flags: ParsedFlags; args: string[]} | undefined {
  const byChar = new Map(Object.entries(declared).flatMap(([name, flag]) => (flag.char ? [[flag.char, name] as const] : [])))
  const flags: ParsedFlags = {}
  const args: string[] = []
  const seen = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    let name: string | undefined
    let inline: string | undefined
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=')
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      inline = eq === -1 ? undefined : arg.slice(eq + 1)
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = byChar.get(arg[1])
    } else if (takesArgs && arg !== '' && !arg.startsWith('-')) {
      args.push(arg)
      continue
    } else {
      return undefined
    }
    const flag = name === undefined ? undefined : declared[name]
    if (!flag || !name || seen.has(name)) return undefined
    seen.add(name)
    if (flag.type === 'boolean') {
      if (inline !== undefined) return undefined
      flags[name] = true
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined || value === '' || value.startsWith('-')) return undefined
    if (flag.type === 'option' && !flag.options?.includes(value)) return undefined
    if (flag.multiple) {
      const next = argv[i + 1]
      if (next !== undefined && !next.startsWith('-')) return undefined
      flags[name] = [value]
    } else flags[name] = value
  }
  for (const [name, flag] of Object.entries(declared)) if (!(name in flags) && flag.default !== undefined) flags[name] = flag.default
  return {flags, args}
}

/** oclif colours --json output by a user theme (theme.json in its config directory) if there is one. */
function jsonThemeFile(env: NodeJS.ProcessEnv): string {
  const configDir = env.ELIFE_K8S_CONFIG_DIR ?? path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'elife-k8s')
  return path.join(configDir, 'theme.json')
}

/** What a fast-path bundle (src/lib/cli/fast-*.ts) exports. */
export interface FastModule {
  run(flags: ParsedFlags, env: NodeJS.ProcessEnv, context: FastContext): Promise<void>
}

/**
 * Runs the command and returns true, or returns false (having done nothing) to let oclif run it.
 * `load` gives the command's bundle (bin/run.js requires dist/lib/cli/fast-<module>.cjs).
 */
export async function runFast(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  load: (module: string) => FastModule | Promise<FastModule>,
  version = '',
): Promise<boolean> {
  if (env.ELIFE_K8S_FAST_PATH === '0' || env.DEBUG) return false
  const typed = (id: string) => id.split(' ').every((word, i) => argv[i] === word)
  const command = fastCommands.find((c) => typed(c.id) || c.aliases?.some(typed))
  if (!command) return false
  const words = command.id.split(' ').length
  const declared = {...(command.globals ?? globalFastFlags), ...command.flags}
  const parsed = parseFastCommandLine(argv.slice(words), declared, command.args === true)
  if (!parsed) return false
  const {flags, args} = parsed
  if (command.oclifOnly?.some((name) => flags[name] !== undefined && flags[name] !== declared[name].default)) return false
  // -o: yaml (which needs a YAML library the fast bundles leave out) and a format the command does
  // not offer (refused in one line) are oclif's.
  // A command's own -o option (helm list's: helm's formats, checked by the parser) stays here.
  const generic = (declared.output as FlagSpec | undefined)?.formats
  if (generic && typeof flags.output === 'string' && (flags.output === 'yaml' || !generic.some((format) => format === flags.output))) return false
  if ((flags.json === true || (generic && flags.output === 'json')) && existsSync(jsonThemeFile(env))) return false
  // Each command is one bundled file (src/lib/cli/fast-*.ts): fewer modules to load than chunks.
  const {run} = await load(command.module)
  await run(flags, env, {args, version})
  return true
}
