import {Args} from '@oclif/core'
import * as Flags from '@oclif/core/flags'

import {BaseCommand, baseFlagsOf} from '../base-command.js'
import {lintFlags, lintGlobalFlags, oclifOptions} from '../lib/cli/flags.js'
import {CliError} from '../lib/errors.js'
import {clusterSchemas} from '../lib/lint/cluster-schemas.js'
import {runLintCommand} from '../lib/lint/command.js'
import type {LintResult} from '../lib/lint/lint.js'
import {lintRules} from '../lib/rules/registry.js'

export default class Lint extends BaseCommand<typeof Lint> {
  static override summary = "Check the GitOps repository for the runbook's gotchas before Flux applies it: offline, read-only, with file:line:col."

  static override description = `Reads the repository as Flux v1 does (every .yaml/.yml file, recursively, except directories that look like Helm charts; *.yaml-template files are not applied but the Alertmanager template is checked) and runs every rule over the objects: what Flux will apply, references between objects, Flagger's gotchas, PrometheusRules, dashboards and oauth2-proxy annotations, and the Alertmanager configuration. In a repository run by Flux v2 alone (Kustomizations, no Flux v1), a file that no Kustomization's spec.path covers is reported as never applied. It never changes a file and needs no cluster or network (unless --online, or --from-cluster, which reads the cluster's CRDs).

HelmReleases whose chart can be reached offline (a chart directory in this repository: helm-operator's spec.chart.git naming this repository, or a Flux v2 GitRepository source that this repository's Kustomizations read; or a chart archive in helm's download cache) are rendered with the real helm (helm template, the release's spec.values and the valuesFrom ConfigMaps and Secrets found in the repository, passed on helm's stdin and never printed), and the rendered objects go through the same rules, reported at the HelmRelease with the template named. Other charts are skipped, said in one line on stderr; --online fetches them (git clone, helm's --repo). --skip-rule helm-render turns rendering off. helm is found with --helm-binary, else $ELIFE_K8S_HELM, else "helm" on PATH.

Findings read "path:line:col  severity  rule-id  message", grouped by file, with a hint under each; a summary goes to stderr. Silence one finding with a comment "# elife-k8s:ignore rule-id reason" at the end of its line or on the line above; at the top of a document it silences the rule for the whole object.

Rules: ${lintRules.map((rule) => rule.id).join(', ')} (docs/lint-rules.md says what each checks).

Exit codes: 0 no errors (warnings alone are fine), 6 errors found, 2 bad usage (an unknown rule, a path that does not exist); with --from-cluster, 4 when the cluster forbids listing its CRDs and 5 when it cannot be reached (one line, no findings: lint does not judge without the schemas asked for).`

  static override examples = [
    {description: 'Lint the repository in the current directory', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Only the Flagger rules, errors only',
      command:
        '<%= config.bin %> <%= command.id %> ~/elife-flux-cluster --rule flagger-metric-interval,flagger-analysis-steps,flagger-nginx-namespace --severity error',
    },
    {description: 'For GitHub code scanning', command: '<%= config.bin %> <%= command.id %> --format sarif > lint.sarif'},
  ]

  static override strict = false

  static override args = {
    path: Args.string({description: 'Files or directories of the GitOps repository (default: the current directory; several may be given).'}),
  }

  // Files, and the cluster's CRDs with --from-cluster (--kubeconfig, --context, --request-timeout
  // are for that read only); no namespace.
  static override baseFlags = baseFlagsOf(lintGlobalFlags)

  // Declared once (src/lib/cli/flags.ts): the fast path (src/lib/cli/fast-lint.ts) parses the same.
  static override flags = {
    format: Flags.option(oclifOptions(lintFlags.format))(),
    rule: Flags.string(oclifOptions(lintFlags.rule)),
    'skip-rule': Flags.string(oclifOptions(lintFlags['skip-rule'])),
    severity: Flags.option(oclifOptions(lintFlags.severity))(),
    'kubernetes-version': Flags.string(oclifOptions(lintFlags['kubernetes-version'])),
    online: Flags.boolean(oclifOptions(lintFlags.online)),
    'helm-binary': Flags.string(oclifOptions(lintFlags['helm-binary'])),
    'from-cluster': Flags.boolean(oclifOptions(lintFlags['from-cluster'])),
  }

  public async run(): Promise<LintResult> {
    const {flags} = this
    // Several PATH arguments: oclif keeps the extra ones in argv (strict = false).
    const {argv} = await this.parse({flags: Lint.flags, baseFlags: Lint.baseFlags, args: Lint.args, strict: false, enableJsonFlag: true})
    const paths = argv.map(String)
    if (!flags['from-cluster']) {
      const clusterFlag = (['kubeconfig', 'context', 'request-timeout'] as const).find((name) => flags[name] !== undefined)
      if (clusterFlag)
        throw new CliError('usage', `--${clusterFlag} is read only with --from-cluster: lint reads files and talks to no cluster`, {
          hint: 'add --from-cluster to validate custom resources against that cluster, or drop the flag',
        })
    }
    return runLintCommand(this.io, {
      paths,
      flags,
      json: this.jsonEnabled(),
      version: this.config.version,
      clusterSchemas: flags['from-cluster'] ? clusterSchemas(this.io) : undefined,
    })
  }
}
