import {describe, expect, it} from 'vitest'

import {alertmanagerApplyAction, type AlertmanagerPlan} from '../../src/lib/alertmanager/action.js'

const change = {namespace: 'adm', secret: 'alertmanager-prometheus-operator', previousSecret: 'alertmanager-prometheus-operator-previous', diff: ['+ route:']}
const base = {mode: 'apply' as const, receivers: ['slack'], unusedReceivers: [], placeholders: [], problems: []}
const live = {metadata: {name: change.secret}}

// The one plan shape (src/lib/cli/action.ts): what apply and --rollback change, said before the prompt and under --dry-run.
describe('alertmanager apply plans', () => {
  it('apply: an update keeps the current content, then replaces it; an unchanged secret has nothing to do', () => {
    const update: AlertmanagerPlan = {mode: 'apply', change: {...change, action: 'update', state: {current: live}}, rendered: 'route: {}', base}
    expect(alertmanagerApplyAction.describe(update).changes).toEqual([
      'keep the current alertmanager.yaml in "alertmanager-prometheus-operator-previous"',
      'replace alertmanager.yaml in secret "alertmanager-prometheus-operator" in adm',
    ])
    expect(alertmanagerApplyAction.notExecuted(update, 'dry-run')).toMatchObject({
      mode: 'apply',
      action: 'update',
      dryRun: true,
      changed: false,
      diff: ['+ route:'],
      receivers: ['slack'],
    })
    const unchanged: AlertmanagerPlan = {...update, change: {...update.change, action: 'unchanged', diff: []}}
    expect(alertmanagerApplyAction.describe(unchanged)).toMatchObject({
      changes: [],
      nothingToDo: 'secret "alertmanager-prometheus-operator" in adm already holds this alertmanager.yaml; nothing to change',
    })
  })

  it('rollback: an interrupted rollback still has its last step to do, though the live secret is already restored', () => {
    const state = {current: live, previous: live, previousConfig: 'route: {}', finishOnly: true}
    const finish: AlertmanagerPlan = {mode: 'rollback', change: {...change, action: 'unchanged', diff: [], state}, base: {...base, mode: 'rollback'}}
    expect(alertmanagerApplyAction.describe(finish).changes).toEqual([
      'finish the interrupted rollback: update "alertmanager-prometheus-operator-previous" to hold the content it replaced',
    ])
    const done: AlertmanagerPlan = {...finish, change: {...finish.change, state: {...state, finishOnly: false}}}
    expect(alertmanagerApplyAction.describe(done).changes).toEqual([])
  })
})
