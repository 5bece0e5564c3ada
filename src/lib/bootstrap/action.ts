import type {ActionContext, ChangeAction, PlanDescription} from '../cli/action.js'
import type {CommandIO} from '../cli/io.js'
import type {KubeconfigInput} from '../eks/action.js'
import {type HelmTool, resolveHelm} from '../helm/binary.js'
import {plural} from '../render/number.js'
import {type BootstrapContext, type BootstrapOptions, selectSteps, type StepCheck, stepIds, type StepId} from './plan.js'
import {checkAll, runAll, type StepReport} from './run.js'
import {validateGitUrl} from './values.js'

/**
 * `bootstrap` as an action (docs/architecture.md): plan = check every selected step (read-only),
 * describe = the steps to do, execute = run them in order, each checked again right before it
 * acts. The kubeconfig and kube-proxy steps run the actions `kubeconfig` and `kube-proxy fix` run
 * (src/lib/eks/action.ts, src/lib/kube-proxy/action.ts), so their plans are part of this one.
 */

export interface BootstrapInput {
  /** --only / --skip (validated in plan). */
  only?: string[]
  skip?: string[]
  options: BootstrapOptions
  /** The kubeconfig step's input (--cluster ...); undefined without --cluster. */
  kubeconfig?: KubeconfigInput
  /** --helm-binary. */
  helmBinary?: string
  /** --kubeconfig and --context, for helm. */
  kubeconfigFile?: string
  context?: string
  env: NodeJS.ProcessEnv
}

export interface BootstrapResult {
  dryRun: boolean
  steps: StepReport[]
  /** Steps this run changed something in. */
  changed: StepId[]
  deployKey?: string
}

export interface BootstrapPlan {
  selected: StepId[]
  reports: StepReport[]
  deployKey?: string
  context: BootstrapContext
}

const glyphState: Record<string, string> = {done: 'done', todo: 'to do', 'n/a': 'not applicable', manual: 'manual', skipped: 'skipped'}
const label = (check: StepCheck | {state: string}) => glyphState[check.state] ?? check.state

function deployKeyOf(reports: StepReport[]): string | undefined {
  const before = reports.find((r) => r.id === 'deploy-key')?.before
  return before && 'details' in before ? before.details?.[0] : undefined
}

/** The steps' context: the command's cluster access, switched to the context the kubeconfig step writes. */
function stepContext(ctx: ActionContext, input: BootstrapInput): BootstrapContext {
  let io: CommandIO = ctx.io
  let context = input.context
  let helm: Promise<HelmTool> | undefined
  return {
    options: input.options,
    action: () => ({io}),
    cluster: () => io.kube,
    useContext: (name) => {
      io = ctx.io.forContext(name)
      context = name
      helm = undefined
    },
    helm: () => (helm ??= resolveHelm({flag: input.helmBinary, env: input.env, kubeconfig: input.kubeconfigFile, context})),
    kubeconfig: input.kubeconfig,
    onProgress: (message) => ctx.io.steps.progress(message),
  }
}

/** The line that says what is true when every selected step is done (or not applicable). */
function bootstrapped(deployKey: string | undefined): string {
  return `the cluster is bootstrapped: every selected step is done or not applicable${deployKey ? '; the deploy key printed on stdout must be on the Git repository with write access' : ''}`
}

export const bootstrapAction: ChangeAction<BootstrapInput, BootstrapPlan, BootstrapResult> = {
  async plan(ctx, input) {
    const {selected} = selectSteps(input.only, input.skip)
    // Before anything is read or asked: the URL ends up in flux's chart values and in git's argv.
    if (input.options.gitUrl !== undefined) validateGitUrl(input.options.gitUrl)
    const context = stepContext(ctx, input)
    const {steps} = ctx.io
    steps.action(`checking ${selected.length} of ${stepIds.length} bootstrap steps`)
    const reports = await checkAll(context, selected, {
      onCheck: (step, check, index, total) => {
        const line = `[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`
        if (check.state === 'todo') steps.action(line)
        else if (check.state === 'done') steps.success(line)
        else steps.waiting(line)
        for (const detail of check.details ?? []) steps.waiting(`    ${detail}`)
      },
    })
    steps.done()
    return {selected, reports, deployKey: deployKeyOf(reports), context}
  },

  describe(plan): PlanDescription {
    const todo = plan.reports.filter((r) => r.before.state === 'todo')
    // One line per step, then the lines of its own plan (kubeconfig's and kube-proxy fix's changes, values that differ).
    const changes = todo.flatMap((r) => [`${r.id}: ${r.before.reason}`, ...('details' in r.before ? (r.before.details ?? []).map((d) => `${r.id}: ${d}`) : [])])
    return {
      changes,
      confirm: `bootstrap: ${todo.map((r) => r.id).join(', ')} (${plural(todo.length, 'step')})`,
      nothingToDo: bootstrapped(plan.deployKey),
    }
  },

  notExecuted(plan, why) {
    return {dryRun: why === 'dry-run', steps: plan.reports, changed: [], deployKey: plan.deployKey}
  },

  async execute(ctx, plan) {
    const {steps} = ctx.io
    const reports = await runAll(plan.context, plan.selected, {
      onStart: (step, check, index, total) => steps.action(`[${index}/${total}] ${step.id}: ${check.reason}`),
      onDone: (step, result, index, total) => steps.success(`[${index}/${total}] ${step.id}: ${result}`),
      onCheck: (step, check, index, total) => {
        if (check.state === 'done') steps.success(`[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`)
        else steps.waiting(`[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`)
      },
    })
    steps.done()
    const changed = reports.filter((r) => r.changed).map((r) => r.id)
    return {dryRun: false, steps: reports, changed, deployKey: deployKeyOf(reports) ?? plan.deployKey}
  },
}

/** The final line after bootstrap ran its steps. */
export function describeFinished(result: BootstrapResult): string {
  return `bootstrap finished: changed ${result.changed.join(', ') || 'nothing'}; every selected step is now done or not applicable${result.deployKey ? '; add the deploy key printed on stdout to the Git repository with write access' : ''}`
}
