import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type {Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {stringify as stringifyYaml} from 'yaml'

import {
  allNamespacesFlag as allNamespaces,
  type GlobalFlagName,
  globalFlags,
  namespaceFlag as namespaceSpec,
  oclifOptions,
  type OutputFormat,
} from './lib/cli/flags.js'
import type {ActionContext} from './lib/cli/action.js'
import {installInterruptHandlers, quietOnClosedStdout} from './lib/cli/interrupt.js'
import {CommandIO} from './lib/cli/io.js'
import {checkOutputFormat, isDocumentFormat, outputInArgv} from './lib/cli/output.js'
import {reportFailure} from './lib/cli/report.js'
import {CliError} from './lib/errors.js'
import type {KubeAccess} from './lib/kube/clients.js'
import type {ApiAction} from './lib/kube/errors.js'
import type {StepLogger} from './lib/render/log.js'
import type {Column} from './lib/render/table.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<typeof globalBaseFlags & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** The flags every command shares, declared in src/lib/cli/flags.ts, which the fast paths read too. */
const globalBaseFlags = {
  kubeconfig: Flags.string(oclifOptions(globalFlags.kubeconfig)),
  context: Flags.string(oclifOptions(globalFlags.context)),
  namespace: Flags.string(oclifOptions(globalFlags.namespace)),
  output: Flags.string(oclifOptions(globalFlags.output)),
  debug: Flags.boolean(oclifOptions(globalFlags.debug)),
  'no-color': Flags.boolean(oclifOptions(globalFlags['no-color'])),
  'request-timeout': Flags.string(oclifOptions(globalFlags['request-timeout'])),
}

/**
 * A command's baseFlags when it has no use for some global flags (globalFlagsWithout in
 * src/lib/cli/flags.ts): `static override baseFlags = baseFlagsOf(globalFlagsWithout('namespace'))`.
 */
export function baseFlagsOf(declared: Partial<Record<GlobalFlagName, unknown>>): Interfaces.FlagInput {
  return Object.fromEntries(Object.entries(globalBaseFlags).filter(([name]) => name in declared))
}

/** Declared by commands that list across namespaces (kubectl's -A; src/lib/cli/flags.ts). */
export const allNamespacesFlag = Flags.boolean(oclifOptions(allNamespaces))

/**
 * -n for a command that acts in its component's namespace when -n is not given (alertmanager: adm)
 * rather than in the context's: declared in the command's flags, its help states that default and
 * BaseCommand acts there (CommandIO.namespace).
 */
export function namespaceFlag(defaultNamespace: string) {
  return Flags.string(oclifOptions(namespaceSpec(defaultNamespace)))
}

/** The namespace a command acts in without -n, if not the context's (namespaceFlag). */
function defaultNamespaceOf(command: typeof Command): string | undefined {
  return (command.flags?.namespace as {defaultNamespace?: string} | undefined)?.defaultNamespace
}

/** The -o formats a command offers: those of its -o flag (sniff's -o is a file, no format). */
function outputFormatsOf(command: typeof Command): readonly OutputFormat[] {
  const flag = (command.flags?.output ?? command.baseFlags?.output) as {formats?: readonly OutputFormat[]} | undefined
  return flag?.formats ?? []
}

/**
 * The one base command: the flags every command shares, lazy cluster clients, colour and the
 * two renderers, and `catch()` that turns any failure into one line and a documented exit code.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  /** True for a command that ends itself on SIGINT/SIGTERM (logs -f, sniff); others stop at a safe point (src/lib/cli/interrupt.ts). */
  static handlesSignals = false

  /** Every global flag; a command that has no use for some declares its own (baseFlagsOf). */
  static override baseFlags: Interfaces.FlagInput = globalBaseFlags

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
      // A bad --request-timeout or -o is refused before anything is sent.
      void this.io.timeouts
      const offered = outputFormatsOf(this.ctor)
      if (offered.length > 0) checkOutputFormat(this.flags.output, offered, this.id?.replaceAll(':', ' ') ?? '')
    } finally {
      // Parsed, even when the flags were refused: otherwise oclif (under NODE_ENV=development or
      // test) adds "did not parse its arguments" to the one-line usage error.
      this.parsed = true
    }
  }

  /** Cluster access and output, shared with the fast path (src/lib/cli/io.ts). */
  protected get io(): CommandIO {
    if (!this.commandIO) this.commandIO = new CommandIO(this.flags ?? {}, this.jsonEnabled(), process.env, defaultNamespaceOf(this.ctor))
    return this.commandIO
  }

  /**
   * -o's format if the command offers it: parsed, or (before parsing, e.g. when reporting a refused
   * flag) read from argv, as oclif reads --json.
   */
  protected get outputFormat(): OutputFormat | undefined {
    const value = this.flags ? this.flags.output : outputInArgv(this.argv)
    return outputFormatsOf(this.ctor).find((format) => format === value)
  }

  /** `-o json` is --json; `-o yaml` is the same result as YAML (logJson). */
  public override jsonEnabled(): boolean {
    return super.jsonEnabled() || isDocumentFormat(this.outputFormat)
  }

  /**
   * The result (or error) document, as JSON or, under -o yaml, YAML. A command whose document is
   * not its result (e.g. another tool's shape) overrides oclif's toSuccessJson.
   */
  public override logJson(json: unknown): void {
    if (this.outputFormat === 'yaml') process.stdout.write(stringifyYaml(json))
    else super.logJson(json)
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
