import type {ChalkInstance} from 'chalk'

import {escapeControl} from './table.js'

/**
 * The one step/status line renderer, with flux's glyphs: ► doing, ✔ done, ◎ waiting/skipped,
 * ✗ failed, ⚠ warning. Lines go to stderr so stdout stays the command's result.
 */
export interface StepLogger {
  action(msg: string): void
  success(msg: string): void
  waiting(msg: string): void
  warning(msg: string): void
  failure(msg: string): void
  /** A transient progress line: rewritten in place on a terminal, silent otherwise. */
  progress(msg: string): void
  /** Clears a pending progress line. */
  done(): void
}

export interface StepLoggerOptions {
  chalk: ChalkInstance
  write: (text: string) => void
  /** Whether progress lines may be drawn (stderr is a terminal). */
  interactive: boolean
  quiet?: boolean
}

export function createStepLogger(options: StepLoggerOptions): StepLogger {
  const {chalk, write, interactive, quiet} = options
  let progressShown = false
  const clear = () => {
    if (progressShown) {
      write('\r\u001B[2K')
      progressShown = false
    }
  }
  const line = (glyph: string, msg: string) => {
    if (quiet) return
    clear()
    // Messages carry cluster data (names, helm's errors, log lines): never terminal controls.
    write(`${glyph} ${escapeControl(msg)}\n`)
  }
  return {
    action: (msg) => line(chalk.cyan('►'), msg),
    success: (msg) => line(chalk.green('✔'), msg),
    waiting: (msg) => line(chalk.yellow('◎'), msg),
    warning: (msg) => line(chalk.yellow('⚠'), msg),
    failure: (msg) => line(chalk.red('✗'), msg),
    progress(msg) {
      if (quiet || !interactive) return
      write(`\r\u001B[2K${chalk.dim(escapeControl(msg))}`)
      progressShown = true
    },
    done: clear,
  }
}
