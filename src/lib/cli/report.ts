import {ExitCode, isCliError} from '../errors.js'
import {colorEnabled, makeChalk} from '../render/style.js'

// Loads no cluster code: the token fast path reports its failures here too.

export interface FailureOutput {
  json: boolean
  debug: boolean
  noColor: boolean
  /** Prints a JSON value on stdout (oclif's logJson, or JSON.stringify(value, null, 2)). */
  logJson: (value: unknown) => void
}

/**
 * Turns any failure into one line on stderr (or an error object under --json) and the documented
 * exit code; the stack only with --debug. BaseCommand.catch and the fast path both report here.
 */
export function reportFailure(err: Error & {oclif?: {exit?: number}}, out: FailureOutput, env: NodeJS.ProcessEnv = process.env): void {
  const cliError = isCliError(err) ? err : undefined
  // oclif's own parse errors (unknown flag, missing argument) already read well and exit 2.
  const parseExit = err.oclif?.exit
  const exitCode = cliError?.exitCode ?? (typeof parseExit === 'number' ? parseExit : ExitCode.UNEXPECTED)
  process.exitCode = exitCode
  const message = cliError?.line ?? err.message ?? String(err)
  if (out.json) {
    out.logJson({error: {kind: cliError?.kind ?? (parseExit === 2 ? 'usage' : 'unexpected'), message: cliError?.message ?? message, hint: cliError?.hint, exitCode}})
    return
  }
  const red = makeChalk(colorEnabled(process.stderr, env, out.noColor)).red
  process.stderr.write(`${red('error:')} ${message}\n`)
  if (out.debug) {
    // dist/ is bundled; with source maps on, the trace (formatted on first read) names src/ lines.
    process.setSourceMapsEnabled(true)
    process.stderr.write(`${err.stack ?? ''}\n`)
    if (cliError?.cause instanceof Error) process.stderr.write(`caused by: ${cliError.cause.stack ?? cliError.cause.message}\n`)
  } else if (!cliError && parseExit === undefined) {
    process.stderr.write('(an unexpected failure; rerun with --debug for details, and please report it)\n')
  }
}
