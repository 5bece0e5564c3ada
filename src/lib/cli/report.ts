import {ExitCode, isCliError} from '../errors.js'
import {colorEnabled, makeChalk} from '../render/style.js'
import {interruptedBy, interruptionError} from './interrupt.js'

// Loads no cluster code: the token fast path reports its failures here too.

export interface FailureOutput {
  json: boolean
  debug: boolean
  noColor: boolean
  /** Prints a JSON value on stdout (oclif's logJson, or JSON.stringify(value, null, 2)). */
  logJson: (value: unknown) => void
}

/**
 * oclif's parse errors print what was typed ("Nonexistent flag: --slack-url=https://hooks...",
 * "Expected --by=x to be one of", "Expected an integer but received: x"): values may be secrets
 * (webhook URLs, tokens), so the lines keep flag names only.
 */
export function withoutValues(message: string): string {
  return message
    .split('\n')
    .map((line) => {
      const unknown = /^(.*?Nonexistent flags?: )(.*)$/.exec(line)
      if (unknown) return unknown[1] + [...unknown[2].matchAll(/(?:^|, )(-{1,2}[A-Za-z0-9][\w-]*)/g)].map((m) => m[1]).join(', ')
      const unexpected = /^(.*?Unexpected arguments?): /.exec(line)
      if (unexpected) return `${unexpected[1]} (not shown); flags take values as --flag VALUE`
      return line
        .replace(/\bExpected (-{1,2}[\w-]+)=.* to be one of: /, 'Expected $1 to be one of: ')
        .replace(/\bExpected (?!-).* to be one of: /, 'Expected an argument from: ')
        .replace(/\b(but )?received: .*$/, (_match, but?: string) => `${but ?? ''}received something else`)
    })
    .join('\n')
}

/**
 * Turns any failure into one line on stderr (or an error object under --json) and the documented
 * exit code; the stack only with --debug. BaseCommand.catch and the fast path both report here.
 */
export function reportFailure(failure: Error & {oclif?: {exit?: number}}, out: FailureOutput, env: NodeJS.ProcessEnv = process.env): void {
  // A failure that came of a Ctrl-C/SIGTERM (a stream ended, a wait cut short) is the interruption.
  const signal = interruptedBy()
  const err: Error & {oclif?: {exit?: number}} = signal && !isCliError(failure) ? interruptionError(signal) : failure
  const cliError = isCliError(err) ? err : undefined
  // oclif's own parse errors (unknown flag, missing argument) exit 2; their lines lose any value.
  const parseExit = err.oclif?.exit
  const exitCode = cliError?.exitCode ?? (typeof parseExit === 'number' ? parseExit : ExitCode.UNEXPECTED)
  process.exitCode = exitCode
  const message = cliError?.line ?? (parseExit === undefined ? (err.message ?? String(err)) : withoutValues(err.message ?? ''))
  if (out.json) {
    out.logJson({
      error: {kind: cliError?.kind ?? (parseExit === 2 ? 'usage' : 'unexpected'), message: cliError?.message ?? message, hint: cliError?.hint, exitCode},
    })
    return
  }
  const red = makeChalk(colorEnabled(process.stderr, env, out.noColor)).red
  process.stderr.write(`${red('error:')} ${message}\n`)
  if (out.debug) {
    // dist/ is bundled; bin/run.js turns source maps on under --debug, so the trace names src/ lines.
    process.stderr.write(`${parseExit === undefined ? (err.stack ?? '') : withoutValues(err.stack ?? '')}\n`)
    if (cliError?.cause instanceof Error) process.stderr.write(`caused by: ${cliError.cause.stack ?? cliError.cause.message}\n`)
  } else if (!cliError && parseExit === undefined) {
    process.stderr.write('(an unexpected failure; rerun with --debug for details, and please report it)\n')
  }
}
