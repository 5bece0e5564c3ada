import type {ParsedFlags} from './fast.js'
import {quietOnClosedStdout} from './interrupt.js'
import {CommandIO, type GlobalFlags} from './io.js'
import {reportFailure} from './report.js'

/**
 * Runs a command body for the fast path (src/lib/cli/fast.ts) as BaseCommand and oclif would:
 * the same CommandIO, the result as pretty JSON under --json, failures as one line (or an error
 * object) with the documented exit code.
 */
export async function runFastCommand<R>(
  body: (io: CommandIO) => Promise<R>,
  flags: ParsedFlags,
  env: NodeJS.ProcessEnv,
  /** The --json/-o json document of a result, if not the result itself: what the oclif command's toSuccessJson gives. */
  document: (result: R) => unknown = (result) => result,
): Promise<void> {
  // Output cut short by a closed pipe (`| head`): quiet exit 141, as kubectl (and BaseCommand).
  quietOnClosedStdout()
  // -o json is --json (the fast path leaves -o yaml to oclif: src/lib/cli/fast.ts).
  const json = flags.json === true || flags.output === 'json'
  const logJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  const io = new CommandIO(flags as GlobalFlags, json, env)
  try {
    // The fast commands all read the cluster: connect while the body gets going.
    io.preconnect()
    const result = await body(io)
    if (json) logJson(document(result))
  } catch (error) {
    io.endSteps()
    reportFailure(
      error instanceof Error ? error : new Error(String(error)),
      {json, debug: flags.debug === true, noColor: flags['no-color'] === true, logJson},
      env,
    )
  }
}
