/**
 * Typed failures and the exit codes they map to. The table is the contract documented in the
 * README ("Exit codes"); scripts around elife-k8s may rely on it, so codes are never reused.
 */
export const ExitCode = {
  OK: 0,
  /** A bug or a failure nobody anticipated; rerun with --debug for the stack trace. */
  UNEXPECTED: 1,
  /** Bad flags or arguments, an unknown context, an unreadable input file. */
  USAGE: 2,
  /** The named object (release, pod, cluster, context's cluster...) does not exist. */
  NOT_FOUND: 3,
  /** The API refused us: unauthenticated (401) or forbidden by RBAC/IAM (403). */
  FORBIDDEN: 4,
  /** The API server (or AWS endpoint) could not be reached at all. */
  UNREACHABLE: 5,
  /** A --check (or a check built into a command) found something wrong. */
  CHECK_FAILED: 6,
  /** The object changed underneath us (409 conflict) or is in a state we refuse to touch. */
  CONFLICT: 7,
  /** The change needed confirmation and got "no", or there was no terminal to ask on. */
  ABORTED: 8,
  /** An external tool we drive (helm, tshark) is missing, of the wrong version, or failed. */
  TOOL_FAILED: 9,
  /** Stopped by SIGINT (Ctrl-C) during an action, at a safe point (128 + 2, as a shell reports it). */
  INTERRUPTED: 130,
  /** stdout's reader went away (EPIPE: `| head`, a pager quit); quiet, as kubectl (128 + SIGPIPE). */
  PIPE_CLOSED: 141,
  /** Stopped by SIGTERM during an action, at a safe point (128 + 15). */
  TERMINATED: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export const exitCodeDescriptions: ReadonlyArray<[ExitCodeValue, string, string]> = [
  [ExitCode.OK, 'ok', 'the command did what it said'],
  [ExitCode.UNEXPECTED, 'unexpected', 'a failure nobody anticipated (a bug); rerun with --debug'],
  [ExitCode.USAGE, 'usage', 'bad flags or arguments, unknown context, unreadable input file'],
  [ExitCode.NOT_FOUND, 'not found', 'the named object does not exist'],
  [ExitCode.FORBIDDEN, 'forbidden', 'unauthenticated (401) or not allowed by RBAC/IAM (403)'],
  [ExitCode.UNREACHABLE, 'unreachable', 'the API server or AWS endpoint could not be reached'],
  [ExitCode.CHECK_FAILED, 'check failed', 'a check found something wrong (see the ✗ lines)'],
  [ExitCode.CONFLICT, 'conflict', 'the object changed underneath us or is in a state we refuse to touch'],
  [ExitCode.ABORTED, 'aborted', 'the change was not confirmed (or there was no terminal to ask on)'],
  [ExitCode.TOOL_FAILED, 'tool failed', 'helm/tshark missing, of the wrong version, or failed'],
  [ExitCode.INTERRUPTED, 'interrupted', 'SIGINT (Ctrl-C) during an action: stopped at a safe point; the last line says what state things are in'],
  [ExitCode.PIPE_CLOSED, '(pipe closed)', "stdout's reader went away (`| head`, a pager quit): stopped quietly, as kubectl"],
  [ExitCode.TERMINATED, 'terminated', 'SIGTERM during an action: stopped at a safe point, as for 130'],
]

export type ErrorKind =
  'usage' | 'not-found' | 'forbidden' | 'unreachable' | 'check-failed' | 'conflict' | 'aborted' | 'tool-failed' | 'interrupted' | 'terminated' | 'unexpected'

const kindToExit: Record<ErrorKind, ExitCodeValue> = {
  usage: ExitCode.USAGE,
  'not-found': ExitCode.NOT_FOUND,
  forbidden: ExitCode.FORBIDDEN,
  unreachable: ExitCode.UNREACHABLE,
  'check-failed': ExitCode.CHECK_FAILED,
  conflict: ExitCode.CONFLICT,
  aborted: ExitCode.ABORTED,
  'tool-failed': ExitCode.TOOL_FAILED,
  interrupted: ExitCode.INTERRUPTED,
  terminated: ExitCode.TERMINATED,
  unexpected: ExitCode.UNEXPECTED,
}

/**
 * An expected failure: `message` says what failed on which object, `hint` what to do next.
 * Commands print exactly `error: <message>; <hint>` and exit with `exitCode`.
 */
export class CliError extends Error {
  readonly kind: ErrorKind
  readonly hint?: string
  override readonly cause?: unknown

  constructor(kind: ErrorKind, message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message)
    this.name = 'CliError'
    this.kind = kind
    this.hint = options.hint
    this.cause = options.cause
  }

  get exitCode(): ExitCodeValue {
    return kindToExit[this.kind]
  }

  /** The one line a user sees. */
  get line(): string {
    return this.hint ? `${this.message}; ${this.hint}` : this.message
  }
}

export function isCliError(err: unknown): err is CliError {
  return err instanceof CliError
}
