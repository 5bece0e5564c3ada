import * as Flags from '@oclif/core/flags'

import {BaseCommand, baseFlagsOf} from '../base-command.js'
import {globalFlagsWithout} from '../lib/cli/flags.js'
import {type DoctorResult, runDoctor} from '../lib/doctor/doctor.js'
import {doctorChecks} from '../lib/doctor/checks.js'
import {renderCheckLines, summaryLine} from '../lib/doctor/render.js'
import {durationFlag, formatGoDuration} from '../lib/duration.js'
import {checkFailed} from '../lib/cli/action.js'
import {CliError} from '../lib/errors.js'
import {defaultFluxNamespace} from '../lib/flux/v1.js'

export type {DoctorResult} from '../lib/doctor/doctor.js'

const duration = Flags.custom<number>({
  parse: async (input, _context, options) => durationFlag(input, `--${options.name}`),
})

const checkIds = doctorChecks.map((c) => c.id)

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override summary = 'Say what is wrong with the cluster, check by check, and which command fixes each problem.'

  static override description = `The first question at 2 a.m., answered in one command against the live cluster: nodes, system pods, Flux (v1 fluxd and helm-operator, or v2) and its sync with Git, helm releases failed or stuck and HelmReleases not ready, the runbook's bootstrap state (kube-proxy metrics, pod security, helm-operator's CRD), Alertmanager's secret, PrometheusRules and ServiceMonitors Prometheus never loads, dashboards, Flagger canaries, Deployments and pods, the APIs in helm releases' manifests that the next Kubernetes minor (or --kubernetes-version) removes, and, with AWS credentials, what EKS says: platform and Kubernetes version, standard or extended support (DescribeClusterVersions), and kube-proxy, CoreDNS and the VPC CNI against EKS's default add-on versions.

All checks run at once, each with its own timeout (--check-timeout), so a slow or failing one never hides the others; a check your RBAC does not allow is skipped with the permission it needs. Read-only: it changes nothing, and secrets it reads (the Alertmanager config, Flux's key) are never printed.

One line per check on stdout (✔ ok, ⚠ warn, ✗ fail, ◎ skipped) with the fix under each problem; the summary on stderr. Exit 0 when no check failed (warnings alone: 0, or 6 with --strict), 6 when one did, 4/5 when the cluster cannot be read at all.

Checks: ${checkIds.join(', ')}.`

  static override examples = [
    {description: 'Everything', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Only Flux and the helm releases',
      command: '<%= config.bin %> <%= command.id %> --only flux-controllers,flux-sync,helm-releases,helmreleases',
    },
    {
      description: 'The failed checks, for a script',
      command: '<%= config.bin %> <%= command.id %> --json | jq -r \'.checks[] | select(.status == "fail") | "\\(.id): \\(.message)"\'',
    },
  ]

  // Reads the whole cluster; its namespaces are --flux-namespace, --monitoring-namespace and --system-namespaces, not -n.
  static override baseFlags = baseFlagsOf(globalFlagsWithout('namespace'))

  static override flags = {
    only: Flags.string({
      description: `Run only these checks (comma-separated or repeated): ${checkIds.join(', ')}.`,
      multiple: true,
      delimiter: ',',
      default: [],
    }),
    skip: Flags.string({description: 'Skip these checks (comma-separated or repeated).', multiple: true, delimiter: ',', default: []}),
    strict: Flags.boolean({description: 'Exit 6 on warnings too.', default: false}),
    'check-timeout': duration({
      description: 'How long each check may take before it is reported as hanging (Go duration: 10s, 1m).',
      default: 10_000,
      defaultHelp: async () => '10s',
    }),
    'stuck-after': duration({
      description: 'A pod Pending or a canary Progressing for longer than this is reported.',
      default: 600_000,
      defaultHelp: async () => '10m',
    }),
    'flux-namespace': Flags.string({
      description: "Where Flux v1 (fluxd, helm-operator) runs, as fluxctl's --k8s-fwd-ns.",
      env: 'FLUX_FORWARD_NAMESPACE',
      default: defaultFluxNamespace,
    }),
    'monitoring-namespace': Flags.string({
      description: "Where the Prometheus operator, Grafana's dashboards and Alertmanager's secret live (the runbook's adm).",
      default: 'adm',
    }),
    'alertmanager-secret': Flags.string({
      description: "The Secret prometheus-operator reads Alertmanager's config from.",
      default: 'alertmanager-prometheus-operator',
    }),
    'kubernetes-version': Flags.string({
      description: "The Kubernetes minor to check upgrade readiness against (default: the next minor after the API server's), e.g. 1.36.",
    }),
    'sync-stale-after': duration({
      description:
        'A Flux v2 Kustomization whose last successful apply (status.history), or a fluxd whose last sync (its log), is older than this warns (Go duration; default: 3 × its spec.interval or --sync-interval, at least 30m).',
    }),
    'eks-cluster': Flags.string({
      description:
        "The EKS cluster to ask AWS about (platform and Kubernetes version, support status, add-on versions); default: the one the kubeconfig's exec credential plugin or cluster ARN names. Needs AWS credentials; without them the eks checks are skipped.",
    }),
    region: Flags.string({description: "AWS region of the EKS cluster (default: the kubeconfig's exec arguments, then AWS_REGION / the AWS profile's)."}),
    'system-namespaces': Flags.string({
      description: 'Namespaces whose broken pods fail the check (elsewhere they warn).',
      multiple: true,
      delimiter: ',',
      default: ['kube-system', 'flux', 'adm'],
    }),
  }

  public async run(): Promise<DoctorResult> {
    const {flags} = this
    let done = 0
    const result = await runDoctor(
      () => this.kube,
      {
        only: flags.only,
        skip: flags.skip,
        checkTimeoutMs: flags['check-timeout'],
        stuckAfterMs: flags['stuck-after'],
        fluxNamespace: flags['flux-namespace'],
        monitoringNamespace: flags['monitoring-namespace'],
        alertmanagerSecret: flags['alertmanager-secret'],
        systemNamespaces: flags['system-namespaces'],
        targetVersion: flags['kubernetes-version'],
        syncStaleAfterMs: flags['sync-stale-after'],
        eks: {cluster: flags['eks-cluster'], region: flags.region},
      },
      {onDone: (check) => this.steps.progress(`${++done} checks done (last: ${check.id}, ${check.status})…`)},
    )
    this.steps.done()
    for (const line of renderCheckLines(result.checks, this.stdoutChalk)) this.log(line)
    const failed = result.summary.fail > 0 || (flags.strict && result.summary.warn > 0)
    const summary = `${summaryLine(result.summary)} (context "${result.context}", ${result.checks.length} checks, each within ${formatGoDuration(flags['check-timeout'])})`
    if (failed) {
      const worst = result.checks.find((c) => c.status === 'fail') ?? result.checks.find((c) => c.status === 'warn')
      return checkFailed(
        this.ctx,
        result,
        new CliError('check-failed', `${summaryLine(result.summary)}: ${worst?.id} and the other ✗${flags.strict ? '/⚠' : ''} lines above need a look`, {
          hint: 'each has its fix under it',
        }),
      )
    }
    if (!this.jsonEnabled()) process.stderr.write(`${summary}\n`)
    return result
  }
}
