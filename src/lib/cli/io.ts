import type {ChalkInstance} from 'chalk'

import {type KubeAccess, kubeAccess} from '../kube/clients.js'
import {contextNamespace, loadKubeConfig} from '../kube/config.js'
import {isCliError} from '../errors.js'
import {type ApiAction, toCliError} from '../kube/errors.js'
import {preconnect} from '../kube/raw.js'
import {configureTransport, type Timeouts, timeoutsFor, useTimeouts} from '../kube/timeouts.js'
import {createStepLogger, type StepLogger} from '../render/log.js'
import {colorEnabled, makeChalk} from '../render/style.js'
import {type Column, renderTable} from '../render/table.js'
import {checkpoint} from './interrupt.js'

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
 * What a command's body uses to reach the cluster and the terminal: lazy cluster access, the
 * namespace to act in, the step lines on stderr, the table and plain lines on stdout. Built the
 * same way for a command run by oclif (BaseCommand) and for one run by the fast path that skips
 * loading oclif (src/lib/cli/fast.ts), so both print the same bytes.
 */
export class CommandIO {
  private access?: KubeAccess
  private stepLogger?: StepLogger
  private limits?: Timeouts

  constructor(
    private readonly flags: GlobalFlags,
    /** --json: the result object is the output; steps are silent and no table is drawn. */
    readonly json: boolean,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Where the command acts without -n (BaseCommand.defaultNamespace); else the context's namespace. */
    private readonly defaultNamespace?: string,
  ) {}

  /** The same command's access to another context of the kubeconfig (bootstrap, after its kubeconfig step wrote one). */
  forContext(context: string): CommandIO {
    this.endSteps()
    return new CommandIO({...this.flags, context}, this.json, this.env, this.defaultNamespace)
  }

  /** Kubeconfig and API clients, loaded the first time the command needs the cluster. */
  get kube(): KubeAccess {
    if (!this.access) {
      const loaded = loadKubeConfig({kubeconfig: this.flags.kubeconfig, context: this.flags.context})
      configureTransport(loaded.kc, this.timeouts)
      this.access = kubeAccess(loaded)
    }
    return this.access
  }

  /** --request-timeout, parsed (a bad value is a usage error naming the flag). */
  get timeouts(): Timeouts {
    if (!this.limits) {
      this.limits = timeoutsFor(this.flags['request-timeout'])
      useTimeouts(this.limits)
    }
    return this.limits
  }

  /**
   * Starts the credentials and connection for the first request early (see preconnect). A
   * kubeconfig that cannot be loaded is left for the command itself to report.
   */
  preconnect(): void {
    let kube: KubeAccess
    try {
      kube = this.kube
    } catch {
      return
    }
    preconnect(kube.kc)
  }

  /** The namespace to act in: -n, else the command's default, else the context's namespace, else "default". */
  get namespace(): string {
    return this.flags.namespace ?? this.defaultNamespace ?? contextNamespace(this.kube.kc)
  }

  /** Wraps an API call so its failure becomes one line naming what we were doing. */
  async callApi<R>(action: Omit<ApiAction, 'server' | 'context'>, fn: () => Promise<R>): Promise<R> {
    let result: R
    try {
      result = await fn()
    } catch (error) {
      // SIGINT/SIGTERM came meanwhile: the call has been answered, this is the safe point to stop.
      checkpoint()
      // Already one line (an action's own refusal): as it is, without loading the kubeconfig to name the server.
      if (isCliError(error)) throw error
      throw toCliError(error, {...action, server: this.kube.server, context: this.kube.context})
    }
    checkpoint()
    return result
  }

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
