import {CliError, ExitCode} from '../errors.js'

/**
 * SIGINT (Ctrl-C) and SIGTERM during an action. Node's default would end the process wherever it
 * is, mid-change. Instead the first signal is noted and the command stops at its next safe point:
 * when the API call in flight has been answered (CommandIO.callApi checks), or at a confirmation
 * prompt. It then reports, in one line, what state things are in and exits 130 (SIGINT) or 143
 * (SIGTERM). A command still busy after a grace period, or a second signal, ends it at once with
 * the same line. Commands that handle the signals themselves (logs -f, sniff: Ctrl-C is how one
 * ends them) say so (BaseCommand.handlesSignals) and are left to do so.
 */

let received: NodeJS.Signals | undefined
let changeConfirmed = false
let installed = false
let commandHandlesSignals = false
const listeners = new Set<(signal: NodeJS.Signals) => void>()

/** Told at once when the first signal comes (a confirmation prompt stops waiting). Returns the unsubscribe. */
export function onInterrupt(listener: (signal: NodeJS.Signals) => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** How long a command has, after the first signal, to reach a safe point. */
export const graceMs = 10_000

/** Said once a change has been confirmed (confirm.ts): from then on, an interruption may leave it part-done. */
export function noteChangeConfirmed(): void {
  changeConfirmed = true
}

export function interruptedBy(): NodeJS.Signals | undefined {
  return received
}

export function interruptionError(signal: NodeJS.Signals): CliError {
  const state = changeConfirmed
    ? 'the change had started: the ✔ lines above are what was done, and the API call in flight was let finish; run the command again (or with --dry-run) to see what is left'
    : 'nothing was changed'
  return new CliError(signal === 'SIGTERM' ? 'terminated' : 'interrupted', `interrupted by ${signal}: stopped at a safe point; ${state}`)
}

let pipeClosed = false

/**
 * stdout's reader went away (`| head`, a pager quit): like kubectl (SIGPIPE), stop quietly with
 * exit 141, no message. Before any change was confirmed that is at once; once a change has
 * started it runs to its end first (only its output is lost). For every command: BaseCommand and
 * the fast path install it.
 */
export function quietOnClosedStdout(): void {
  if (pipeClosed || process.stdout.listeners('error').includes(onStdoutError)) return
  process.stdout.on('error', onStdoutError)
}

function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error
  if (pipeClosed) return
  pipeClosed = true
  process.exitCode = ExitCode.PIPE_CLOSED
  if (!changeConfirmed) process.exit(ExitCode.PIPE_CLOSED)
  // Nothing more can be said on stdout; keep stderr's lines, and exit 141 at the end.
  process.once('beforeExit', () => {
    process.exitCode = ExitCode.PIPE_CLOSED
  })
}

/** Throws the interruption at a safe point, if a signal came. */
export function checkpoint(): void {
  if (received) throw interruptionError(received)
}

/**
 * Installs the handlers (once per process). `report` prints the interruption's line (and ends any
 * progress line) when the command has to be ended before it reached a safe point.
 */
export function installInterruptHandlers(report: (error: CliError) => void, options: {commandHandlesSignals?: boolean} = {}): void {
  commandHandlesSignals = options.commandHandlesSignals ?? false
  if (installed) return
  installed = true
  const forceExit = (signal: NodeJS.Signals) => {
    const error = interruptionError(signal)
    report(error)
    process.exit(error.exitCode)
  }
  const onSignal = (signal: NodeJS.Signals) => {
    // A command with its own handler (logs, sniff: BaseCommand.handlesSignals) ends itself. Other
    // listeners (execa's, which kills helm with us) do not end the process: ours still acts.
    if (commandHandlesSignals) return
    if (received) return forceExit(signal)
    received = signal
    setTimeout(() => forceExit(signal), graceMs).unref()
    for (const listener of listeners) listener(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}
