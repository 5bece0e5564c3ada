import type {ParsedFlags} from './fast.js'
import {quietOnClosedStdout} from './interrupt.js'
import {CommandIO, type GlobalFlags} from './io.js'
import {reportFailure} from './report.js'

/**
 * Runs a command body for the fast path (src/lib/cli/fast.ts) as BaseCommand and oclif would:
 * the same CommandIO, the result as pretty JSON under --json, failures as one line (or an error
 * object) with the documented exit code.
 */
export async function runFastCommand(body: (io: CommandIO) => Promise<unknown>, flags: ParsedFlags, env: NodeJS.ProcessEnv): Promise<void> {
  // Output cut short by a closed pipe (`| head`): quiet exit 141, as kubectl (and BaseCommand).
  quietOnClosedStdout()
  const json = flags.json === true
  const logJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  const io = new CommandIO(flags as GlobalFlags, json, env)
  try {
    // The fast commands all read the cluster: connect while the body gets going.
    io.preconnect()
    const result = await body(io)
    if (json) logJson(result)
  } catch (error) {
    io.endSteps()
    reportFailure(error instanceof Error ? error : new Error(String(error)), {json, debug: flags.debug === true, noColor: flags['no-color'] === true, logJson}, env)
  }
}
