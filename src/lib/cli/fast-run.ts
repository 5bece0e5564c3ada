import type {ParsedFlags} from './fast.js'
import {installInterruptHandlers, quietOnClosedStdout} from './interrupt.js'
import type {CommandOutput, GlobalFlags} from './output-io.js'
import {reportFailure} from './report.js'

/**
 * Runs a command body for the fast path (src/lib/cli/fast.ts) as BaseCommand and oclif would:
 * the same IO (`makeIO`: CommandIO for a command that reads the cluster, preconnectedIO in
 * ./io.ts; CommandOutput for one that reads none, so that its bundle has no Kubernetes client),
 * the result as pretty JSON under --json, failures as one line (or an error object) with the
 * documented exit code.
 */
export async function runFastCommand<IO extends CommandOutput, R>(
  makeIO: (flags: GlobalFlags, json: boolean, env: NodeJS.ProcessEnv) => IO,
  body: (io: IO) => Promise<R>,
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
  const io = makeIO(flags as GlobalFlags, json, env)
  const report = (error: Error) => {
    io.endSteps()
    reportFailure(error, {json, debug: flags.debug === true, noColor: flags['no-color'] === true, logJson}, env)
  }
  // Ctrl-C/SIGTERM: stop at the next safe point with one line, as BaseCommand (src/lib/cli/interrupt.ts).
  installInterruptHandlers(report)
  try {
    const result = await body(io)
    if (json) logJson(document(result))
  } catch (error) {
    report(error instanceof Error ? error : new Error(String(error)))
  }
}
