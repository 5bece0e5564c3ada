// -o/--output (declared in ./flags.ts): which format was asked for, refused when the command does
// not offer it, for BaseCommand and the fast path alike.
import {CliError} from '../errors.js'
import {orList, type OutputFormat, outputFormats} from './flags.js'

/**
 * The format asked for, or undefined without -o. One line naming the formats the command offers
 * (never what was typed: it is a value) when it is not one of them.
 */
export function checkOutputFormat(value: string | undefined, offered: readonly OutputFormat[], command: string): OutputFormat | undefined {
  if (value === undefined) return undefined
  const format = offered.find((f) => f === value)
  if (format) return format
  const list = orList(offered)
  const others = outputFormats.filter((f) => !offered.includes(f))
  throw new CliError('usage', `-o/--output takes ${list} for \`elife-k8s ${command}\``, {
    hint: others.length > 0 ? `it has no ${orList(others)} view` : undefined,
  })
}

/** json and yaml print the result document (--json's); wide and name are views the command draws. */
export function isDocumentFormat(format: OutputFormat | undefined): format is 'json' | 'yaml' {
  return format === 'json' || format === 'yaml'
}

/**
 * -o's value in argv before oclif has parsed it (as oclif looks for --json in argv): `-o x`,
 * `-ox`, `-o=x`, `--output x`, `--output=x`, before any `--`.
 */
export function outputInArgv(argv: readonly string[]): string | undefined {
  let found: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (arg === '-o' || arg === '--output') found = argv[++i]
    else if (arg.startsWith('--output=')) found = arg.slice('--output='.length)
    else if (/^-o./.test(arg)) found = arg.slice(arg[2] === '=' ? 3 : 2)
  }
  return found
}
