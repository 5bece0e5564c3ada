import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {type ChangeAction, checkFailed, runAction} from '../../src/lib/cli/action.js'
import {CommandIO} from '../../src/lib/cli/io.js'
import {CliError, ExitCode} from '../../src/lib/errors.js'

interface Plan {
  from: number
  to: number
}

function counter(): ChangeAction<{to: number}, Plan, {value: number; executed: boolean}> & {value: number; plans: number} {
  return {
    value: 1,
    plans: 0,
    async plan(_ctx, input) {
      this.plans++
      if (input.to < 0) throw new CliError('usage', '--to must not be negative')
      return {from: this.value, to: input.to}
    },
    describe(plan) {
      return {
        changes: plan.from === plan.to ? [] : [`set value ${plan.from} → ${plan.to}`],
        confirm: `set value to ${plan.to}`,
        nothingToDo: `value is already ${plan.to}`,
      }
    },
    async execute(_ctx, plan) {
      this.value = plan.to
      return {value: this.value, executed: true}
    },
    notExecuted(plan) {
      return {value: plan.from, executed: false}
    },
  }
}

describe('runAction: the one plan -> confirm -> execute ceremony', () => {
  let stderr: string[]
  let stdout: string[]
  beforeEach(() => {
    stderr = []
    stdout = []
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (stderr.push(String(chunk)), true))
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true))
    process.exitCode = undefined
  })
  afterEach(() => {
    vi.restoreAllMocks()
    process.exitCode = undefined
  })
  const ctx = (json = false) => ({io: new CommandIO({}, json)})

  it("show renders the plan's data on stdout before the plan lines and before anything is executed", async () => {
    const action = counter()
    const seen: string[] = []
    await runAction(
      ctx(),
      action,
      {to: 5},
      {dryRun: true, yes: false, show: (plan) => (seen.push(`value ${action.value}`), ctx().io.log(`diff ${plan.from} -> ${plan.to}`))},
    )
    expect(stdout.join('')).toBe('diff 1 -> 5\n')
    expect(seen).toEqual(['value 1'])
    const executed = await runAction(ctx(), action, {to: 6}, {dryRun: false, yes: true, show: () => seen.push(`value ${action.value}`)})
    expect(executed).toEqual({value: 6, executed: true})
    expect(seen).toEqual(['value 1', 'value 1'])
  })

  it('--dry-run prints the plan on stderr, changes nothing and returns the unexecuted result', async () => {
    const action = counter()
    const result = await runAction(ctx(), action, {to: 5}, {dryRun: true, yes: false})
    expect(result).toEqual({value: 1, executed: false})
    expect(action.value).toBe(1)
    expect(stderr.join('')).toBe('plan (dry run):\n  - set value 1 → 5\ndry run: nothing was changed\n')
    expect(stdout).toEqual([])
  })

  it('nothing to change: says what is true and does not ask', async () => {
    const action = counter()
    const result = await runAction(ctx(), action, {to: 1}, {dryRun: false, yes: false})
    expect(result).toEqual({value: 1, executed: false})
    expect(stderr.join('')).toBe('value is already 1\n')
  })

  it('without a terminal and without --yes it refuses with exit 8 and changes nothing', async () => {
    const action = counter()
    const error = await runAction(ctx(), action, {to: 5}, {dryRun: false, yes: false}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(ExitCode.ABORTED)
    expect((error as CliError).line).toContain('not confirmed: set value to 5')
    expect(action.value).toBe(1)
  })

  it('--yes executes the plan', async () => {
    const action = counter()
    expect(await runAction(ctx(), action, {to: 5}, {dryRun: false, yes: true})).toEqual({value: 5, executed: true})
    expect(action.value).toBe(5)
  })

  it('a refusal in plan changes nothing and prints no plan', async () => {
    const action = counter()
    await expect(runAction(ctx(), action, {to: -1}, {dryRun: false, yes: true})).rejects.toThrow('--to must not be negative')
    expect(stderr).toEqual([])
  })

  it('under --json nothing narrative is printed', async () => {
    const action = counter()
    await runAction(ctx(true), action, {to: 5}, {dryRun: true, yes: false})
    expect(stderr).toEqual([])
    expect(stdout).toEqual([])
  })
})

describe('checkFailed: the one exit-6 convention', () => {
  afterEach(() => {
    process.exitCode = undefined
  })
  const failure = new CliError('check-failed', '2 of 5 checks failed')

  it('under --json returns the result and sets exit 6', () => {
    expect(checkFailed({io: new CommandIO({}, true)}, {ok: false}, failure)).toEqual({ok: false})
    expect(process.exitCode).toBe(ExitCode.CHECK_FAILED)
  })

  it('otherwise throws the error line', () => {
    expect(() => checkFailed({io: new CommandIO({}, false)}, {ok: false}, failure)).toThrow(failure)
  })

  it('any other error is thrown even under --json', () => {
    const usage = new CliError('usage', 'bad')
    expect(() => checkFailed({io: new CommandIO({}, true)}, {}, usage)).toThrow(usage)
  })
})
