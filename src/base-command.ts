import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type {Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {allNamespacesFlag as allNamespaces, globalFlags, oclifOptions} from './lib/cli/flags.js'
import type {ActionContext} from './lib/cli/action.js'
import {installInterruptHandlers, quietOnClosedStdout} from './lib/cli/interrupt.js'
import {CommandIO} from './lib/cli/io.js'
import {reportFailure} from './lib/cli/report.js'
import {CliError} from './lib/errors.js'
import type {KubeAccess} from './lib/kube/clients.js'
import {defaultRequestTimeout} from './lib/kube/timeouts.js'
import type {ApiAction} from './lib/kube/errors.js'
import type {StepLogger} from './lib/render/log.js'
import type {Column} from './lib/render/table.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Declared by commands that list across namespaces (kubectl's -A; src/lib/cli/flags.ts). */
export const allNamespacesFlag = Flags.boolean(oclifOptions(allNamespaces))

/**
 * The one base command: the flags every command shares, lazy cluster clients, colour and the
 * two renderers, and `catch()` that turns any failure into one line and a documented exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  /** True for a command that ends itself on SIGINT/SIGTERM (logs -f, sniff); others stop at a safe point (src/lib/cli/interrupt.ts). */
  static handlesSignals = false

  static override baseFlags = {
    // Declared in src/lib/cli/flags.ts, which the fast paths read too.
    kubeconfig: Flags.string(oclifOptions(globalFlags.kubeconfig)),
    context: Flags.string(oclifOptions(globalFlags.context)),
    namespace: Flags.string(oclifOptions(globalFlags.namespace)),
    debug: Flags.boolean(oclifOptions(globalFlags.debug)),
    'no-color': Flags.boolean(oclifOptions(globalFlags['no-color'])),
    'request-timeout': Flags.string(oclifOptions(globalFlags['request-timeout'])),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private commandIO?: CommandIO

  public override async init(): Promise<void> {
    await super.init()
    // Ctrl-C/SIGTERM during an action: stop at the next safe point (src/lib/cli/interrupt.ts).
    installInterruptHandlers((error) => this.reportInterruption(error), {commandHandlesSignals: (this.ctor as typeof BaseCommand).handlesSignals})
    // `| head`: stop quietly with exit 141, as kubectl.
    quietOnClosedStdout()
    try {
      const {args, flags} = await this.parse({
        flags: this.ctor.flags,
        baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
        enableJsonFlag: this.ctor.enableJsonFlag,
        args: this.ctor.args,
        strict: this.ctor.strict,
      })
      this.flags = flags as BaseFlags<T>
      this.args = args as BaseArgs<T>
      // A bad --request-timeout is refused before anything is sent.
      void this.io.timeouts
    } finally {
      // Parsed, even when the flags were refused: otherwise oclif (under NODE_ENV=development or
      // test) adds "did not parse its arguments" to the one-line usage error.
      this.parsed = true
    }
  }

  /** Cluster access and output, shared with the fast path (src/lib/cli/io.ts). */
  protected get io(): CommandIO {
    if (!this.commandIO) this.commandIO = new CommandIO(this.flags ?? {}, this.jsonEnabled())
    return this.commandIO
  }

  /** What an action gets (src/lib/cli/action.ts): the command's cluster access and output. */
  protected get ctx(): ActionContext {
    return {io: this.io}
  }

  /** Kubeconfig and API clients, loaded the first time a command needs the cluster. */
  protected get kube(): KubeAccess {
    return this.io.kube
  }

  /** The namespace to act in: -n, else the context's namespace, else "default". */
  protected get namespace(): string {
    return this.io.namespace
  }

  /** Wraps an API call so its failure becomes one line naming what we were doing. */
  protected callApi<R>(action: Omit<ApiAction, 'server' | 'context'>, fn: () => Promise<R>): Promise<R> {
    return this.io.callApi(action, fn)
  }

  protected get stdoutChalk(): ChalkInstance {
    return this.io.stdoutChalk
  }

  /** Step lines (► ✔ ◎ ✗) on stderr; silent under --json so stdout/stderr stay parseable. */
  protected get steps(): StepLogger {
    return this.io.steps
  }

  protected table<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): void {
    this.io.table(rows, columns)
  }

  private reportInterruption(error: Error): void {
    this.commandIO?.endSteps()
    reportFailure(error, {
      json: this.jsonEnabled(),
      debug: false,
      noColor: Boolean(this.flags?.['no-color']),
      logJson: (value) => this.logJson(value),
    })
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    this.commandIO?.endSteps()
    reportFailure(err, {
      json: this.jsonEnabled(),
      debug: Boolean(this.flags?.debug) || process.argv.includes('--debug'),
      noColor: Boolean(this.flags?.['no-color']),
      logJson: (value) => this.logJson(value),
    })
    return undefined
  }
}

export {CliError}
