import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type {Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {CliError, ExitCode, isCliError} from './lib/errors.js'
import {type KubeAccess, kubeAccess} from './lib/kube/clients.js'
import {contextNamespace, loadKubeConfig} from './lib/kube/config.js'
import {type ApiAction, toCliError} from './lib/kube/errors.js'
import {createStepLogger, type StepLogger} from './lib/render/log.js'
import {colorEnabled, makeChalk} from './lib/render/style.js'
import {type Column, renderTable} from './lib/render/table.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Declared by commands that list across namespaces (kubectl's -A). */
export const allNamespacesFlag = Flags.boolean({
  char: 'A',
  description: 'Look in all namespaces (overrides --namespace).',
  default: false,
})

/**
 * The one base command: the flags every command shares, lazy cluster clients, colour and the
 * two renderers, and `catch()` that turns any failure into one line and a documented exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    kubeconfig: Flags.string({
      description: 'Path to the kubeconfig file (default: $KUBECONFIG, merged as kubectl does, else ~/.kube/config).',
      helpGroup: 'GLOBAL',
    }),
    context: Flags.string({description: 'The kubeconfig context to use.', helpGroup: 'GLOBAL'}),
    namespace: Flags.string({char: 'n', description: 'Namespace (default: the context\'s namespace, else "default").', helpGroup: 'GLOBAL'}),
    debug: Flags.boolean({description: 'Show stack traces and API details on failure.', helpGroup: 'GLOBAL', default: false}),
    'no-color': Flags.boolean({description: 'Do not colour output (also: NO_COLOR=1).', helpGroup: 'GLOBAL', default: false}),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  private access?: KubeAccess
  private stepLogger?: StepLogger

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  /** Kubeconfig and API clients, loaded the first time a command needs the cluster. */
  protected get kube(): KubeAccess {
    if (!this.access) {
      this.access = kubeAccess(loadKubeConfig({kubeconfig: this.flags.kubeconfig, context: this.flags.context}))
    }
    return this.access
  }

  /** The namespace to act in: -n, else the context's namespace, else "default". */
  protected get namespace(): string {
    return this.flags.namespace ?? contextNamespace(this.kube.kc)
  }

  /** Wraps an API call so its failure becomes one line naming what we were doing. */
  protected async callApi<R>(action: Omit<ApiAction, 'server' | 'context'>, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn()
    } catch (error) {
      throw toCliError(error, {...action, server: this.kube.server, context: this.kube.context})
    }
  }

  protected get stdoutChalk(): ChalkInstance {
    return makeChalk(colorEnabled(process.stdout, process.env, this.flags?.['no-color']))
  }

  /** Step lines (► ✔ ◎ ✗) on stderr; silent under --json so stdout/stderr stay parseable. */
  protected get steps(): StepLogger {
    if (!this.stepLogger) {
      this.stepLogger = createStepLogger({
        chalk: makeChalk(colorEnabled(process.stderr, process.env, this.flags?.['no-color'])),
        write: (text) => process.stderr.write(text),
        interactive: Boolean(process.stderr.isTTY),
        quiet: this.jsonEnabled(),
      })
    }
    return this.stepLogger
  }

  protected table<Row>(rows: readonly Row[], columns: ReadonlyArray<Column<Row>>): void {
    // Under --json the result object is the output; do not lay out a table nobody sees.
    if (this.jsonEnabled()) return
    this.log(renderTable(rows, columns, this.stdoutChalk))
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    this.stepLogger?.done()
    const cliError = isCliError(err) ? err : undefined
    // oclif's own parse errors (unknown flag, missing argument) already read well and exit 2.
    const parseExit = err.oclif?.exit
    const exitCode = cliError?.exitCode ?? (typeof parseExit === 'number' ? parseExit : ExitCode.UNEXPECTED)
    process.exitCode = exitCode
    const debug = Boolean(this.flags?.debug) || process.argv.includes('--debug')
    const message = cliError?.line ?? err.message ?? String(err)
    if (this.jsonEnabled()) {
      this.logJson({error: {kind: cliError?.kind ?? (parseExit === 2 ? 'usage' : 'unexpected'), message: cliError?.message ?? message, hint: cliError?.hint, exitCode}})
      return
    }
    const red = makeChalk(colorEnabled(process.stderr, process.env, this.flags?.['no-color'])).red
    process.stderr.write(`${red('error:')} ${message}\n`)
    if (debug) {
      // dist/ is bundled; with source maps on, the trace (formatted on first read) names src/ lines.
      process.setSourceMapsEnabled(true)
      process.stderr.write(`${err.stack ?? ''}\n`)
      if (cliError?.cause instanceof Error) process.stderr.write(`caused by: ${cliError.cause.stack ?? cliError.cause.message}\n`)
    } else if (!cliError && parseExit === undefined) {
      process.stderr.write('(an unexpected failure; rerun with --debug for details, and please report it)\n')
    }
    return undefined
  }
}

export {CliError}
