import {CliError, ExitCode} from '../errors.js'
import {confirm} from '../render/confirm.js'
import {checkpoint} from './interrupt.js'
import type {CommandIO} from './io.js'
import type {CommandOutput} from './output-io.js'

/**
 * The one shape of every command (docs/architecture.md):
 *
 *   src/commands/<topic>/<verb>.ts   flags and args -> input; one action; render its typed result
 *   src/lib/<domain>/action.ts       the action: read-only `run`, or validate -> plan -> execute
 *
 * A command that only reads (images, helm list, doctor, lint) calls a ReadAction. A command that
 * changes something calls runAction with a ChangeAction: `plan` reads and decides (refusals are
 * CliErrors, nothing is changed), `describe` says what the plan would change (the --dry-run output,
 * the confirmation prompt, no secret values), `execute` changes it and reads back what is true now.
 * runAction owns the ceremony between them, the same for every command: --dry-run, confirmation
 * (--yes; no terminal: refuse; Ctrl-C or "no": exit 8), the safe point before the first change.
 * Commands compose actions (bootstrap runs kubeconfig's and kube-proxy fix's) rather than copy them.
 */

/** What an action gets from the command running it: cluster access, the namespace, output. */
export interface ActionContext {
  io: CommandIO
}

/** The context of an action that reads no cluster (lint): output only, no Kubernetes client loaded. */
export interface OutputContext {
  io: CommandOutput
}

/** What a plan would change: printed under --dry-run and before the prompt, returned under --json. */
export interface PlanDescription {
  /** One line per change, in order; none: there is nothing to do. Never a secret value. */
  changes: string[]
  /** What the user agrees to at the prompt, e.g. `change kube-proxy in kube-system (3 steps above)`. */
  confirm: string
  /** Said before the prompt when a change loses something (helm rollback --force replaces objects). */
  consequence?: string
  /** The line that says what is true when there is nothing to change ("... is already fixed: ..."). */
  nothingToDo?: string
}

/** A read-only command's action: read, decide, return a typed result the command renders. */
export interface ReadAction<Input, Result, Context extends OutputContext = ActionContext> {
  run(ctx: Context, input: Input): Promise<Result>
}

/** A changing command's action, in three named stages. */
export interface ChangeAction<Input, Plan, Result> {
  /** Validate the input and read the state; decide what to change. Changes nothing. */
  plan(ctx: ActionContext, input: Input): Promise<Plan>
  describe(plan: Plan): PlanDescription
  /** Change what the plan says, then read back and return what is true now. */
  execute(ctx: ActionContext, plan: Plan): Promise<Result>
  /** The result when nothing is executed: --dry-run, or nothing to change. */
  notExecuted(plan: Plan, why: 'dry-run' | 'nothing-to-do'): Result
}

export interface RunOptions<Plan = unknown> {
  dryRun: boolean
  /** --yes: already confirmed. */
  yes: boolean
  /** Renders the plan's data on stdout (alertmanager's redacted diff) before the plan lines and the prompt. */
  show?: (plan: Plan) => void
}

/**
 * plan -> describe -> (nothing to do | --dry-run | confirm -> execute). Plan and narrative lines go
 * to stderr (stdout carries only the command's data: the rendered result or --json).
 */
export async function runAction<Input, Plan, Result>(
  ctx: ActionContext,
  action: ChangeAction<Input, Plan, Result>,
  input: Input,
  options: RunOptions<Plan>,
): Promise<Result> {
  const plan = await action.plan(ctx, input)
  const description = action.describe(plan)
  const {io} = ctx
  options.show?.(plan)
  if (description.changes.length === 0) {
    if (description.nothingToDo) io.say(description.nothingToDo)
    return action.notExecuted(plan, 'nothing-to-do')
  }
  io.say(options.dryRun ? 'plan (dry run):' : 'plan:')
  for (const change of description.changes) io.say(`  - ${change}`)
  if (description.consequence) io.say(description.consequence)
  if (options.dryRun) {
    io.say('dry run: nothing was changed')
    return action.notExecuted(plan, 'dry-run')
  }
  await confirm({yes: options.yes, action: description.confirm})
  // The last safe point before the first change.
  checkpoint()
  return action.execute(ctx, plan)
}

/**
 * The one convention for a check that fails (exit 6): under --json the result is still the output
 * (it says what failed) and the exit code is 6; otherwise the error line is the last line. Every
 * command with a check (kube-proxy fix --check, doctor, lint, flux sync --check...) ends this way.
 */
export function checkFailed<Result>(ctx: ActionContext, result: Result, error: CliError): Result {
  if (error.exitCode !== ExitCode.CHECK_FAILED) throw error
  if (ctx.io.json) {
    process.exitCode = ExitCode.CHECK_FAILED
    return result
  }
  throw error
}

export {CliError}
