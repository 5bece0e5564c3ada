import {type KubeAccess, kubeAccess} from '../kube/clients.js'
import {contextNamespace, loadKubeConfig} from '../kube/config.js'
import {isCliError} from '../errors.js'
import {type ApiAction, toCliError} from '../kube/errors.js'
import {preconnect} from '../kube/raw.js'
import {configureTransport, type Timeouts, timeoutsFor, useTimeouts} from '../kube/timeouts.js'
import {checkpoint} from './interrupt.js'
import {CommandOutput, type GlobalFlags} from './output-io.js'

export type {GlobalFlags} from './output-io.js'

/**
 * What a command's body uses to reach the cluster and the terminal: lazy cluster access, the
 * namespace to act in, and (CommandOutput, ./output-io.ts) the step lines on stderr, the table and
 * plain lines on stdout. Built the
 * same way for a command run by oclif (BaseCommand) and for one run by the fast path that skips
 * loading oclif (src/lib/cli/fast.ts), so both print the same bytes.
 */
export class CommandIO extends CommandOutput {
  private access?: KubeAccess
  private limits?: Timeouts

  constructor(
    flags: GlobalFlags,
    json: boolean,
    env: NodeJS.ProcessEnv = process.env,
    /** Where the command acts without -n (BaseCommand.defaultNamespace); else the context's namespace. */
    private readonly defaultNamespace?: string,
  ) {
    super(flags, json, env)
  }

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
}

/** A CommandIO whose first request's credentials and connection are already on their way (the fast paths of the commands that read the cluster). */
export function preconnectedIO(flags: GlobalFlags, json: boolean, env: NodeJS.ProcessEnv): CommandIO {
  const io = new CommandIO(flags, json, env)
  io.preconnect()
  return io
}
