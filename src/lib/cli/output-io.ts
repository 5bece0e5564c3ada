import type {ChalkInstance} from 'chalk'

import {createStepLogger, type StepLogger} from '../render/log.js'
import {colorEnabled, makeChalk} from '../render/style.js'
import {type Column, renderTable} from '../render/table.js'

/** The flags every command shares (declared for oclif in src/base-command.ts). */
export interface GlobalFlags {
  kubeconfig?: string
  context?: string
  namespace?: string
  debug?: boolean
  'no-color'?: boolean
  /** Go duration (kubectl's --request-timeout): how long to wait on a server. */
  'request-timeout'?: string
  /** -o/--output (src/lib/cli/output.ts). */
  output?: string
}

/**
 * A command's terminal: the step lines on stderr, the table and plain lines on stdout, quiet under
 * --json. What CommandIO (./io.ts) adds cluster access to. A command that reads no cluster (lint,
 * unless --from-cluster) runs on this alone, so its fast path (src/lib/cli/fast-lint.ts) loads no
 * Kubernetes client.
 */
export class CommandOutput {
  private stepLogger?: StepLogger

  constructor(
    protected readonly flags: GlobalFlags,
    /** --json: the result object is the output; steps are silent and no table is drawn. */
    readonly json: boolean,
    protected readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get stdoutChalk(): ChalkInstance {
    return makeChalk(colorEnabled(process.stdout, this.env, this.flags['no-color']))
  }

  /** Step lines (► ✔ ◎ ✗) on stderr; silent under --json so stdout/stderr stay parseable. */
  get steps(): StepLogger {
    if (!this.stepLogger) {
      this.stepLogger = createStepLogger({
        chalk: makeChalk(colorEnabled(process.stderr, this.env, this.flags['no-color'])),
        write: (text) => process.stderr.write(text),
        interactive: Boolean(process.stderr.isTTY),
        quiet: this.json,
      })
    }
    return this.stepLogger
  }

  /** Clears a progress line left on the terminal, if a step logger was made. */
  endSteps(): void {
    this.stepLogger?.done()
  }

  /**
   * One line about the run on stderr: plans, what was done, the final "what is true now" line.
   * stdout carries only data (tables, YAML, --json); none under --json, whose result says it all.
   */
  say(line = ''): void {
    if (this.json) return
    this.endSteps()
    process.stderr.write(`${line}\n`)
  }

  /** One line of data on stdout, as oclif's `this.log` writes it (and, like it, none under --json). */
  log(line = ''): void {
    if (this.json) return
    process.stdout.write(`${line}\n`)
  }

  table<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): void {
    // Under --json the result object is the output; do not lay out a table nobody sees.
    if (this.json) return
    this.log(renderTable(rows, columns, this.stdoutChalk))
  }
}
