import {CoreV1Api} from '@kubernetes/client-node'

import {type ChangeAction, checkFailed} from '../cli/action.js'
import {CliError} from '../errors.js'
import {plural} from '../render/number.js'
import {
  type AlertmanagerChange,
  type ApplyPlan,
  configKey,
  executeApply,
  executeRollback,
  planApply,
  planRollback,
  readConfig,
  type RollbackPlan,
  type SecretTarget,
} from './secret.js'
import {findPlaceholders, mergeValues, parseSetFlags, parseValuesFile, readInput, renderTemplate, type ValueSource} from './template.js'
import {checkAlertmanagerConfig} from './validate.js'

export interface AlertmanagerApplyInput extends SecretTarget {
  /** Restore the content the last apply replaced, instead of filling a template. */
  rollback: boolean
  /** The template file with ${NAME} placeholders (apply). */
  template?: string
  /** --set NAME=VALUE, in order. */
  set: readonly string[]
  valuesFile?: string
  /** Where placeholders not given by --set or --values-file come from. */
  env: NodeJS.ProcessEnv
}

export interface AlertmanagerApplyResult extends AlertmanagerChange {
  /** apply: fill the template and replace the secret's config; rollback: restore the kept one. */
  mode: 'apply' | 'rollback'
  dryRun: boolean
  /** Whether the cluster was changed by this run. */
  changed: boolean
  receivers: string[]
  unusedReceivers: string[]
  /** Which placeholders were filled, and from where (never their values). */
  placeholders: Array<{name: string; from: string}>
  /** Why the rendered configuration is not valid for Alertmanager (exit 6); empty when it is. */
  problems: string[]
}

/** What the result says besides the change: the same for every outcome of one plan. */
type ResultBase = Pick<AlertmanagerApplyResult, 'mode' | 'receivers' | 'unusedReceivers' | 'placeholders' | 'problems'>

export type AlertmanagerPlan =
  | {mode: 'apply'; change: ApplyPlan; rendered: string; base: ResultBase}
  | {mode: 'rollback'; change: RollbackPlan; base: ResultBase}
  /** The template rendered to a configuration Alertmanager would refuse: nothing to do but say so (under --json, the result). */
  | {mode: 'invalid'; result: AlertmanagerApplyResult}

function summary(change: AlertmanagerChange): AlertmanagerChange {
  return {namespace: change.namespace, secret: change.secret, previousSecret: change.previousSecret, action: change.action, diff: change.diff}
}

function describeSource(source: ValueSource | undefined): string {
  return source === 'set' ? '--set' : source === 'values-file' ? '--values-file' : 'the environment'
}

/**
 * `alertmanager apply`: fill the template, check the configuration, and replace alertmanager.yaml
 * in the secret in place (keeping the current content in `<secret>-previous`); or, with
 * --rollback, swap the kept content back. The plan reads the secrets and computes the redacted
 * diff; execute writes, then reads the secret back to say what is true now.
 */
export const alertmanagerApplyAction: ChangeAction<AlertmanagerApplyInput, AlertmanagerPlan, AlertmanagerApplyResult> = {
  async plan(ctx, input) {
    const {io} = ctx
    const target = {namespace: input.namespace, secret: input.secret}
    const getSecret = {verb: 'get secret', target: `"${input.secret}" in ${input.namespace}`}
    if (input.rollback) {
      const change = await io.callApi(getSecret, () => planRollback(io.kube.api(CoreV1Api), target))
      const restored = checkAlertmanagerConfig(change.state.previousConfig)
      return {
        mode: 'rollback',
        change,
        base: {mode: 'rollback', receivers: restored.receivers, unusedReceivers: restored.unusedReceivers, placeholders: [], problems: []},
      }
    }
    const templateFile = input.template
    if (!templateFile) {
      throw new CliError('usage', 'missing --template', {
        hint: 'pass --template alertmanager-secret.yaml-template, or --rollback to restore the previous content',
      })
    }
    const templateText = readInput(templateFile, 'template')
    const names = [...new Set(findPlaceholders(templateText, templateFile).map((use) => use.name))]
    const valuesFile = input.valuesFile ? parseValuesFile(readInput(input.valuesFile, 'values file'), input.valuesFile) : undefined
    const values = mergeValues(parseSetFlags(input.set), valuesFile?.values, input.env, names)
    const rendered = renderTemplate(templateText, templateFile, values)
    const placeholders = names.map((name) => ({name, from: describeSource(values.sources.get(name))}))
    io.steps.success(
      `filled ${plural(names.length, 'placeholder')} in ${templateFile}${names.length > 0 ? ` (${placeholders.map((p) => `${p.name} from ${p.from}`).join(', ')})` : ''}`,
    )

    const check = checkAlertmanagerConfig(rendered.text)
    const base: ResultBase = {mode: 'apply', receivers: check.receivers, unusedReceivers: check.unusedReceivers, placeholders, problems: check.errors}
    for (const error of check.errors) io.steps.failure(error)
    if (check.errors.length > 0) {
      const error = new CliError(
        'check-failed',
        `the configuration rendered from ${templateFile} is not valid for Alertmanager (${plural(check.errors.length, 'problem')}, see the ✗ lines); nothing was changed`,
        {
          hint: 'fix the template and run again',
        },
      )
      // Nothing was read from the cluster: the result names the secret and the problems only.
      const result: AlertmanagerApplyResult = {
        ...target,
        previousSecret: `${input.secret}-previous`,
        action: 'unchanged',
        diff: [],
        ...base,
        dryRun: false,
        changed: false,
      }
      return {mode: 'invalid', result: checkFailed(ctx, result, error)}
    }
    io.steps.success(`valid Alertmanager configuration: ${plural(check.receivers.length, 'receiver')} (${check.receivers.join(', ')})`)
    for (const unused of check.unusedReceivers) io.steps.warning(`receiver "${unused}" is not used by any route`)
    const change = await io.callApi(getSecret, () => planApply(io.kube.api(CoreV1Api), target, rendered.text, rendered.substituted))
    return {mode: 'apply', change, rendered: rendered.text, base}
  },

  describe(plan) {
    if (plan.mode === 'invalid') return {changes: [], confirm: ''}
    const {secret, namespace, previousSecret} = plan.change
    const where = `secret "${secret}" in ${namespace}`
    if (plan.mode === 'apply') {
      const {action} = plan.change
      return {
        changes:
          action === 'unchanged'
            ? []
            : action === 'create'
              ? [`create ${where} with the new ${configKey}`]
              : [`keep the current ${configKey} in "${previousSecret}"`, `replace ${configKey} in ${where}`],
        confirm: action === 'create' ? `create ${where}` : `replace ${configKey} in ${where} (the current content is kept in "${previousSecret}")`,
        nothingToDo: `${where} already holds this ${configKey}; nothing to change`,
      }
    }
    const {finishOnly} = plan.change.state
    return {
      changes: finishOnly
        ? [`finish the interrupted rollback: update "${previousSecret}" to hold the content it replaced`]
        : plan.change.action === 'unchanged'
          ? []
          : [
              `restore the ${configKey} kept in "${previousSecret}" into ${where}`,
              `keep the current ${configKey} in "${previousSecret}" (--rollback again undoes this)`,
            ],
      confirm: finishOnly
        ? `finish the interrupted rollback of ${where} (update "${previousSecret}")`
        : `restore the previous ${configKey} into ${where} (the current content moves to "${previousSecret}")`,
      nothingToDo: `${where} already holds the content kept in "${previousSecret}"; nothing to roll back`,
    }
  },

  notExecuted(plan, why) {
    if (plan.mode === 'invalid') return plan.result
    return {...summary(plan.change), ...plan.base, dryRun: why === 'dry-run', changed: false}
  },

  async execute({io}, plan) {
    if (plan.mode === 'invalid') return plan.result
    const {change} = plan
    const target = {namespace: change.namespace, secret: change.secret}
    const where = `"${change.secret}" in ${change.namespace}`
    const core = io.kube.api(CoreV1Api)
    let expected: string
    if (plan.mode === 'apply') {
      const apply = plan.change
      io.steps.action(`${change.action === 'create' ? 'creating' : 'updating'} secret ${where}`)
      await io.callApi({verb: `${change.action} secret`, target: where}, () => executeApply(core, apply, plan.rendered))
      expected = plan.rendered
    } else {
      const rollback = plan.change
      io.steps.action(`restoring secret ${where}`)
      await io.callApi({verb: 'update secret', target: where}, () => executeRollback(core, rollback))
      expected = rollback.state.previousConfig
    }
    const live = await io.callApi({verb: 'get secret', target: where}, () => readConfig(core, target))
    if (live !== expected) {
      throw new CliError(
        'conflict',
        `secret ${where} does not hold the ${plan.mode === 'apply' ? 'new' : 'restored'} ${configKey} after the update (someone changed it meanwhile)`,
        {hint: 'run the command again'},
      )
    }
    return {...summary(change), ...plan.base, dryRun: false, changed: true}
  },
}
