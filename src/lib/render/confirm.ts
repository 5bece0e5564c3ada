import {createInterface} from 'node:readline/promises'

import {checkpoint, noteChangeConfirmed, onInterrupt} from '../cli/interrupt.js'
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
 * instead of guessing: a script has to say --yes. Ctrl-C or end of input (Ctrl-D) at the prompt
 * is a "no" (exit 8, nothing changed); SIGTERM while asking is reported as such (exit 143).
 */
export async function confirm(options: ConfirmOptions): Promise<void> {
  // A signal that came before the prompt: stop here, before anything changes.
  checkpoint()
  if (options.yes) {
    noteChangeConfirmed()
    return
  }
  const input = options.input ?? process.stdin
  const output = options.output ?? process.stderr
  if (!input.isTTY) {
    throw new CliError('aborted', `not confirmed: ${options.action}`, {
      hint: 'there is no terminal to ask on; rerun with --yes to go ahead (or --dry-run to see the plan)',
    })
  }
  const rl = createInterface({input, output})
  const asking = new AbortController()
  let why: 'ctrl-c' | 'eof' | 'signal' | undefined
  const stop = (reason: typeof why) => {
    why ??= reason
    asking.abort()
  }
  // In a terminal readline reads Ctrl-C as a key (raw mode) and says so here.
  rl.on('SIGINT', () => stop('ctrl-c'))
  rl.on('close', () => stop('eof'))
  const unsubscribe = onInterrupt(() => stop('signal'))
  let answer: string
  try {
    answer = (await rl.question(`? ${options.action}. Go ahead? [y/N] `, {signal: asking.signal})).trim().toLowerCase()
  } catch (error) {
    if (!asking.signal.aborted) throw error
    checkpoint()
    throw new CliError('aborted', `not confirmed: ${options.action}`, {
      hint: `${why === 'eof' ? 'no answer (end of input)' : 'interrupted at the prompt'}; nothing was changed`,
    })
  } finally {
    unsubscribe()
    rl.close()
  }
  if (answer !== 'y' && answer !== 'yes') throw new CliError('aborted', `not confirmed: ${options.action}`, {hint: 'nothing was changed'})
  noteChangeConfirmed()
}
