import {type BootstrapContext, type BootstrapStep, bootstrapSteps, type StepCheck, type StepId} from './plan.js'

export interface StepReport {
  id: StepId
  description: string
  /** State before this run (or, under --dry-run, the only check). */
  before: StepCheck | {state: 'skipped'; reason: string}
  /** What the action did; absent when nothing was done. */
  result?: string
  changed: boolean
}

export interface RunHooks {
  onCheck?(step: BootstrapStep, check: StepCheck, index: number, total: number): void
  onStart?(step: BootstrapStep, check: StepCheck, index: number, total: number): void
  onDone?(step: BootstrapStep, result: string, index: number, total: number): void
}

const leftOut = (step: BootstrapStep): StepReport => ({
  id: step.id,
  description: step.description,
  before: {state: 'skipped', reason: 'left out by --only/--skip'},
  changed: false,
})

/** Checks every selected step; changes nothing. */
export function checkAll(ctx: BootstrapContext, selected: StepId[], hooks: RunHooks = {}): Promise<StepReport[]> {
  return walk(ctx, selected, hooks, false)
}

/**
 * Runs the plan in order. Each step is checked again right before its action, so a run that was
 * interrupted (or a step someone did by hand) resumes where things are, and a step already done
 * is left alone.
 */
export function runAll(ctx: BootstrapContext, selected: StepId[], hooks: RunHooks = {}): Promise<StepReport[]> {
  return walk(ctx, selected, hooks, true)
}

/** Checks the selected steps in order and, when `apply`, acts on each one that is to do. */
async function walk(ctx: BootstrapContext, selected: StepId[], hooks: RunHooks, apply: boolean): Promise<StepReport[]> {
  const reports: StepReport[] = []
  const total = bootstrapSteps.length
  for (const [index, step] of bootstrapSteps.entries()) {
    if (!selected.includes(step.id)) {
      reports.push(leftOut(step))
      continue
    }
    // Every failure of a step, an API answer or not, becomes one line through the one wrapper.
    const check = await ctx.action().io.callApi({verb: 'check', target: `the ${step.id} step`}, () => step.check(ctx))
    if (!apply || check.state !== 'todo') {
      hooks.onCheck?.(step, check, index + 1, total)
      reports.push({id: step.id, description: step.description, before: check, changed: false})
      continue
    }
    hooks.onStart?.(step, check, index + 1, total)
    const result = await ctx.action().io.callApi({verb: 'run', target: `the ${step.id} step`}, () => step.apply(ctx))
    hooks.onDone?.(step, result, index + 1, total)
    reports.push({id: step.id, description: step.description, before: check, result, changed: true})
  }
  return reports
}
