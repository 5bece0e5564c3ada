import {CliError, ExitCode} from '../errors.js'
import {type CorruptRecord, corruptLine} from './release.js'

export type {CorruptRecord} from './release.js'

export interface CorruptReport {
  /** A ⚠ line on stderr (silent under --json, whose result lists them). */
  warn: (line: string) => void
  json: boolean
  /** --strict: a corrupt record fails the command (exit 6) once everything else is shown. */
  strict: boolean
}

/**
 * Says once which release records cannot be decoded (helm skips them too, with no word unless
 * --debug). Without --strict each is a warning and the command succeeds; with it, the command
 * ends with one error line (exit 6), after its output. Call it after the output is printed.
 */
export function reportCorrupt(corrupt: readonly CorruptRecord[], report: CorruptReport): void {
  const first = corrupt[0]
  if (!first) return
  const [kind, name] = first.object.split(' ')
  const hint = `helm skips such records too; look at it with \`kubectl get ${kind?.toLowerCase()} ${name} -n ${first.namespace} -o yaml\`, then restore it from a backup or delete it`
  if (!report.strict) {
    for (const c of corrupt) report.warn(`${corruptLine(c)}; skipped, as helm does`)
    return
  }
  if (report.json) {
    // The result (with its `corrupt` list) is still the output; only the exit code says it.
    process.exitCode = ExitCode.CHECK_FAILED
    return
  }
  if (corrupt.length === 1) throw new CliError('check-failed', `${corruptLine(first)} (--strict)`, {hint})
  for (const c of corrupt) report.warn(corruptLine(c))
  throw new CliError('check-failed', `${corrupt.length} helm release records cannot be decoded (see ⚠ above; --strict)`, {hint})
}
