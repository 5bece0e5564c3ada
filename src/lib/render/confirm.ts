import {createInterface} from 'node:readline/promises'

import {CliError} from '../errors.js'

export interface ConfirmOptions {
  /** --yes: the user already said yes. */
  yes?: boolean
  /** What the user is agreeing to, e.g. `roll back release "reviewer" in prod to revision 4`. */
  action: string
  input?: NodeJS.ReadStream
  output?: NodeJS.WriteStream
}

/**
 * Asks before a change. Without a terminal to ask on (CI, a pipe, kubectl exec'ing us) it fails
 * instead of guessing: a script has to say --yes.
 */
export async function confirm(options: ConfirmOptions): Promise<void> {
  if (options.yes) return
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  if (!input.isTTY) {
    throw new CliError('aborted', `not confirmed: ${options.action}`, {hint: 'there is no terminal to ask on; rerun with --yes to go ahead (or --dry-run to see the plan)'})
  }
  const rl = createInterface({input, output})
  try {
    const answer = (await rl.question(`? ${options.action}. Go ahead? [y/N] `)).trim().toLowerCase()
    if (answer !== 'y' && answer !== 'yes') throw new CliError('aborted', `not confirmed: ${options.action}`, {hint: 'nothing was changed'})
  } finally {
    rl.close()
  }
}
