import * as Flags from '@oclif/core/flags'

import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {alertmanagerApplyAction, type AlertmanagerApplyResult, type AlertmanagerPlan} from '../../lib/alertmanager/action.js'
import {configKey} from '../../lib/alertmanager/secret.js'
import {runAction} from '../../lib/cli/action.js'
import {plural} from '../../lib/render/number.js'

export type {AlertmanagerApplyResult} from '../../lib/alertmanager/action.js'

export default class AlertmanagerApply extends BaseCommand<typeof AlertmanagerApply> {
  static override summary = 'Fill the Alertmanager config template and replace its secret in place, keeping the previous content for --rollback.'

  static override description = `Replaces the runbook's "Alertmanager is configured with a secret" steps (insert the webhook URLs into alertmanager-secret.yaml-template, delete the secret, create it again --from-file, rm the file), which leave the cluster without the secret in between and the URLs on disk.

Placeholders are written \${NAME} and filled from --set NAME=VALUE, then --values-file (NAME=value lines or a YAML mapping NAME: value), then the environment. The result is checked as an Alertmanager configuration (the same verdicts as amtool check-config for the routing tree, receivers and the Slack/webhook/email notifiers) before anything is sent.

The secret's ${configKey} key is replaced in place (created if the secret is missing, otherwise updated against the resourceVersion that was read); its labels, annotations and other keys are kept and it is never deleted. The content it replaces is kept in the Secret <secret>-previous, annotated as the backup of <secret>, so --rollback can put it back (and a second --rollback undoes the first). A <secret>-previous without that annotation (not made by elife-k8s), an immutable secret, and a rollback that would leave the secret without ${configKey} are refused (exit 7) before anything is written.

The rendered configuration is held in memory only, and secret values are never printed: the diff shows every value of a secret-bearing key (URLs, keys, tokens, passwords; both sides) as <redacted>, URLs as scheme://host/…redacted.`

  static override examples = [
    {
      description: 'See what would change, with URLs redacted',
      command: '<%= config.bin %> <%= command.id %> --template alertmanager-secret.yaml-template --values-file ~/alertmanager.env --dry-run',
    },
    {
      description: 'Apply, taking the webhook URLs from flags',
      command:
        '<%= config.bin %> <%= command.id %> --template alertmanager-secret.yaml-template --set SLACK_WEBHOOK_URL="$SLACK_URL" --set OPS_WEBHOOK_URL="$OPS_URL"',
    },
    {description: 'Undo the last apply', command: '<%= config.bin %> <%= command.id %> --rollback'},
  ]

  static override flags = {
    /** Alertmanager lives in adm in eLife's cluster (runbook), so that is the default here. */
    namespace: namespaceFlag('adm'),
    template: Flags.string({
      description: "The configuration template with ${NAME} placeholders (the runbook's alertmanager-secret.yaml-template).",
      exclusive: ['rollback'],
    }),
    set: Flags.string({
      description: 'A placeholder value, NAME=VALUE (repeatable; wins over --values-file and the environment).',
      multiple: true,
      default: [],
      exclusive: ['rollback'],
    }),
    'values-file': Flags.string({description: 'Placeholder values: NAME=value lines (dotenv) or a YAML mapping NAME: value.', exclusive: ['rollback']}),
    secret: Flags.string({description: "The Secret prometheus-operator reads Alertmanager's config from.", default: 'alertmanager-prometheus-operator'}),
    rollback: Flags.boolean({description: 'Restore the content the last apply replaced (kept in <secret>-previous).', default: false}),
    'dry-run': Flags.boolean({description: 'Show the redacted diff and change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<AlertmanagerApplyResult> {
    const {flags} = this
    const input = {
      namespace: this.namespace,
      secret: flags.secret,
      rollback: flags.rollback,
      template: flags.template,
      set: flags.set,
      valuesFile: flags['values-file'],
      env: process.env,
    }
    const result = await runAction(this.ctx, alertmanagerApplyAction, input, {dryRun: flags['dry-run'], yes: flags.yes, show: (plan) => this.showDiff(plan)})
    if (!result.changed) return result
    const where = `secret "${result.secret}" in ${result.namespace}`
    this.io.say(
      result.mode === 'apply'
        ? `${where} now holds the new ${configKey} (${plural(result.receivers.length, 'receiver')}); the previous content is in "${result.previousSecret}" (undo with --rollback)`
        : `${where} holds the previous ${configKey} again; the content it replaced is in "${result.previousSecret}" (--rollback again to undo)`,
    )
    return result
  }

  /** The redacted diff is the data of a plan: on stdout, before the plan lines and the prompt. */
  private showDiff(plan: AlertmanagerPlan): void {
    if (plan.mode === 'invalid' || plan.change.diff.length === 0) return
    const {change} = plan
    const chalk = this.stdoutChalk
    this.io.log(`${change.action === 'create' ? 'new' : 'changes to'} ${configKey} in secret "${change.secret}" (${change.namespace}), secret values redacted:`)
    for (const line of change.diff) this.io.log(line.startsWith('+') ? chalk.green(line) : line.startsWith('-') ? chalk.red(line) : chalk.dim(line))
  }
}
