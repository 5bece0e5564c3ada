import {CoreV1Api} from '@kubernetes/client-node'

import * as Flags from '@oclif/core/flags'

import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {
  type AlertmanagerChange,
  configKey,
  executeApply,
  executeRollback,
  planApply,
  planRollback,
  readConfig,
} from '../../lib/alertmanager/secret.js'
import {findPlaceholders, mergeValues, parseSetFlags, parseValuesFile, readInput, renderTemplate} from '../../lib/alertmanager/template.js'
import {checkAlertmanagerConfig} from '../../lib/alertmanager/validate.js'
import {CliError} from '../../lib/errors.js'
import {confirm} from '../../lib/render/confirm.js'

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
}

export default class AlertmanagerApply extends BaseCommand<typeof AlertmanagerApply> {
  static override summary = 'Fill the Alertmanager config template and replace its secret in place, keeping the previous content for --rollback.'

  static override description = `Replaces the runbook's "Alertmanager is configured with a secret" steps (insert the webhook URLs into alertmanager-secret.yaml-template, delete the secret, create it again --from-file, rm the file), which leave the cluster without the secret in between and the URLs on disk.

Placeholders are written \${NAME} and filled from --set NAME=VALUE, then --values-file (NAME=value lines or a YAML mapping NAME: value), then the environment. The result is checked as an Alertmanager configuration (the same verdicts as amtool check-config for the routing tree, receivers and the Slack/webhook/email notifiers) before anything is sent.

The secret's ${configKey} key is replaced in place (created if the secret is missing, otherwise updated against the resourceVersion that was read); its labels, annotations and other keys are kept and it is never deleted. The content it replaces is kept in the Secret <secret>-previous, annotated as the backup of <secret>, so --rollback can put it back (and a second --rollback undoes the first). A <secret>-previous without that annotation (not made by elife-k8s), an immutable secret, and a rollback that would leave the secret without ${configKey} are refused (exit 7) before anything is written.

The rendered configuration is held in memory only, and secret values are never printed: the diff shows every value of a secret-bearing key (URLs, keys, tokens, passwords; both sides) as <redacted>, URLs as scheme://host/…redacted.`

  static override examples = [
    {description: 'See what would change, with URLs redacted', command: '<%= config.bin %> <%= command.id %> --template alertmanager-secret.yaml-template --values-file ~/alertmanager.env --dry-run'},
    {description: 'Apply, taking the webhook URLs from flags', command: '<%= config.bin %> <%= command.id %> --template alertmanager-secret.yaml-template --set SLACK_WEBHOOK_URL="$SLACK_URL" --set OPS_WEBHOOK_URL="$OPS_URL"'},
    {description: 'Undo the last apply', command: '<%= config.bin %> <%= command.id %> --rollback'},
  ]

  static override flags = {
    /** Alertmanager lives in adm in eLife's cluster (runbook), so that is the default here. */
    namespace: namespaceFlag('adm'),
    template: Flags.string({description: 'The configuration template with ${NAME} placeholders (the runbook\'s alertmanager-secret.yaml-template).', exclusive: ['rollback']}),
    set: Flags.string({description: 'A placeholder value, NAME=VALUE (repeatable; wins over --values-file and the environment).', multiple: true, default: [], exclusive: ['rollback']}),
    'values-file': Flags.string({description: 'Placeholder values: NAME=value lines (dotenv) or a YAML mapping NAME: value.', exclusive: ['rollback']}),
    secret: Flags.string({description: 'The Secret prometheus-operator reads Alertmanager\'s config from.', default: 'alertmanager-prometheus-operator'}),
    rollback: Flags.boolean({description: 'Restore the content the last apply replaced (kept in <secret>-previous).', default: false}),
    'dry-run': Flags.boolean({description: 'Show the redacted diff and change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<AlertmanagerApplyResult> {
    if (this.flags.rollback) return this.rollback()
    if (!this.flags.template) {
      throw new CliError('usage', 'missing --template', {hint: 'pass --template alertmanager-secret.yaml-template, or --rollback to restore the previous content'})
    }
    return this.apply(this.flags.template)
  }

  private async apply(templateFile: string): Promise<AlertmanagerApplyResult> {
    const {flags} = this
    const templateText = readInput(templateFile, 'template')
    const names = [...new Set(findPlaceholders(templateText, templateFile).map((use) => use.name))]
    const valuesFile = flags['values-file'] ? parseValuesFile(readInput(flags['values-file'], 'values file'), flags['values-file']) : undefined
    const values = mergeValues(parseSetFlags(flags.set), valuesFile?.values, process.env, names)
    const rendered = renderTemplate(templateText, templateFile, values)
    this.steps.success(`filled ${names.length} placeholder${names.length === 1 ? '' : 's'} in ${templateFile}${names.length > 0 ? ` (${names.map((n) => `${n} from ${describe(values.sources.get(n))}`).join(', ')})` : ''}`)

    const check = checkAlertmanagerConfig(rendered.text)
    for (const error of check.errors) this.steps.failure(error)
    if (check.errors.length > 0) {
      throw new CliError('check-failed', `the configuration rendered from ${templateFile} is not valid for Alertmanager (${check.errors.length} problem${check.errors.length === 1 ? '' : 's'}, see the ✗ lines); nothing was changed`, {
        hint: 'fix the template and run again',
      })
    }
    this.steps.success(`valid Alertmanager configuration: ${check.receivers.length} receiver${check.receivers.length === 1 ? '' : 's'} (${check.receivers.join(', ')})`)
    for (const unused of check.unusedReceivers) this.steps.warning(`receiver "${unused}" is not used by any route`)

    const target = {namespace: this.namespace, secret: flags.secret}
    const plan = await this.callApi({verb: 'get secret', target: `"${flags.secret}" in ${this.namespace}`}, () => planApply(this.kube.api(CoreV1Api), target, rendered.text, rendered.substituted))
    const base = {
      mode: 'apply' as const,
      receivers: check.receivers,
      unusedReceivers: check.unusedReceivers,
      placeholders: names.map((name) => ({name, from: describe(values.sources.get(name))})),
    }
    const summary = {namespace: plan.namespace, secret: plan.secret, previousSecret: plan.previousSecret, action: plan.action, diff: plan.diff}

    if (plan.action === 'unchanged') {
      this.log(`secret "${plan.secret}" in ${plan.namespace} already holds this ${configKey}; nothing to change`)
      return {...summary, ...base, dryRun: flags['dry-run'], changed: false}
    }
    this.showDiff(plan)
    const what = plan.action === 'create' ? `create secret "${plan.secret}" in ${plan.namespace}` : `replace ${configKey} in secret "${plan.secret}" in ${plan.namespace} (the current content is kept in "${plan.previousSecret}")`
    if (flags['dry-run']) {
      this.log(`dry run: would ${what}; nothing was changed`)
      return {...summary, ...base, dryRun: true, changed: false}
    }
    await confirm({yes: flags.yes, action: what})
    this.steps.action(`${plan.action === 'create' ? 'creating' : 'updating'} secret "${plan.secret}" in ${plan.namespace}`)
    await this.callApi({verb: `${plan.action} secret`, target: `"${plan.secret}" in ${plan.namespace}`}, () => executeApply(this.kube.api(CoreV1Api), plan, rendered.text))
    const live = await this.callApi({verb: 'get secret', target: `"${plan.secret}" in ${plan.namespace}`}, () => readConfig(this.kube.api(CoreV1Api), target))
    if (live !== rendered.text) {
      throw new CliError('conflict', `secret "${plan.secret}" in ${plan.namespace} does not hold the new ${configKey} after the update (someone changed it meanwhile)`, {hint: 'run the command again'})
    }
    this.log(`secret "${plan.secret}" in ${plan.namespace} now holds the new ${configKey} (${check.receivers.length} receivers); the previous content is in "${plan.previousSecret}" (undo with --rollback)`)
    return {...summary, ...base, dryRun: false, changed: true}
  }

  private async rollback(): Promise<AlertmanagerApplyResult> {
    const {flags} = this
    const target = {namespace: this.namespace, secret: flags.secret}
    const plan = await this.callApi({verb: 'get secret', target: `"${flags.secret}" in ${this.namespace}`}, () => planRollback(this.kube.api(CoreV1Api), target))
    const summary = {namespace: plan.namespace, secret: plan.secret, previousSecret: plan.previousSecret, action: plan.action, diff: plan.diff}
    const restored = checkAlertmanagerConfig(plan.state.previousConfig)
    const base = {mode: 'rollback' as const, receivers: restored.receivers, unusedReceivers: restored.unusedReceivers, placeholders: []}
    if (plan.action === 'unchanged' && !plan.state.finishOnly) {
      this.log(`secret "${plan.secret}" in ${plan.namespace} already holds the content kept in "${plan.previousSecret}"; nothing to roll back`)
      return {...summary, ...base, dryRun: flags['dry-run'], changed: false}
    }
    this.showDiff(plan)
    const what = plan.state.finishOnly
      ? `finish the interrupted rollback of secret "${plan.secret}" in ${plan.namespace} (update "${plan.previousSecret}")`
      : `restore the previous ${configKey} into secret "${plan.secret}" in ${plan.namespace} (the current content moves to "${plan.previousSecret}")`
    if (flags['dry-run']) {
      this.log(`dry run: would ${what}; nothing was changed`)
      return {...summary, ...base, dryRun: true, changed: false}
    }
    await confirm({yes: flags.yes, action: what})
    this.steps.action(`restoring secret "${plan.secret}" in ${plan.namespace}`)
    await this.callApi({verb: 'update secret', target: `"${plan.secret}" in ${plan.namespace}`}, () => executeRollback(this.kube.api(CoreV1Api), plan))
    const live = await this.callApi({verb: 'get secret', target: `"${plan.secret}" in ${plan.namespace}`}, () => readConfig(this.kube.api(CoreV1Api), target))
    if (live !== plan.state.previousConfig) {
      throw new CliError('conflict', `secret "${plan.secret}" in ${plan.namespace} does not hold the restored ${configKey} after the update (someone changed it meanwhile)`, {hint: 'run the command again'})
    }
    this.log(`secret "${plan.secret}" in ${plan.namespace} holds the previous ${configKey} again; the content it replaced is in "${plan.previousSecret}" (--rollback again to undo)`)
    return {...summary, ...base, dryRun: false, changed: true}
  }

  private showDiff(change: AlertmanagerChange): void {
    if (change.diff.length === 0) return
    const chalk = this.stdoutChalk
    this.log(`${change.action === 'create' ? 'new' : 'changes to'} ${configKey} in secret "${change.secret}" (${change.namespace}), secret values redacted:`)
    for (const line of change.diff) this.log(line.startsWith('+') ? chalk.green(line) : line.startsWith('-') ? chalk.red(line) : chalk.dim(line))
  }
}

function describe(source: string | undefined): string {
  return source === 'set' ? '--set' : source === 'values-file' ? '--values-file' : 'the environment'
}
