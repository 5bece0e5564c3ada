import * as Flags from '@oclif/core/flags'

import {BaseCommand, baseFlagsOf} from '../base-command.js'
import {globalFlagsWithout} from '../lib/cli/flags.js'
import {bootstrapAction, type BootstrapResult, describeFinished} from '../lib/bootstrap/action.js'
import {stepIds} from '../lib/bootstrap/plan.js'
import {runAction} from '../lib/cli/action.js'

export type {BootstrapResult} from '../lib/bootstrap/action.js'

export default class Bootstrap extends BaseCommand<typeof Bootstrap> {
  static override summary = "Bootstrap a cluster for Flux v1: the runbook's five steps as one plan you can rerun."

  static override description = `Replaces the runbook's "Bootstrapping the cluster to use flux". Steps, in order (names for --only/--skip):

  kubeconfig     kubeconfig entries for --cluster through EKS (as \`elife-k8s kubeconfig\`); not applicable without --cluster
  crds           helm-operator's HelmRelease CRD (bundled; --crds FILE|URL for another), server-side applied
  namespace      the flux namespace (--flux-namespace, default flux)
  flux           \`helm upgrade -i flux\` from --chart-repo with git.url=--git-url, syncGarbageCollection.enabled=true, prometheus.serviceMonitor.create=true, prometheus.serviceMonitor.namespace=adm; refused (exit 7) when flux already runs in the namespace outside a helm 3 release
  helm-operator  \`helm upgrade -i helm-operator\` with git.ssh.secretName=flux-git-deploy, helm.versions=v3, statusUpdateInterval=90s, resources.limits.memory=1Gi, resources.requests.memory=500Mi, resources.requests.cpu=400m, prometheus.serviceMonitor.create=true, prometheus.serviceMonitor.namespace=adm
  deploy-key     flux's public key (as \`fluxctl identity\`): add it to the Git repository as a deploy key with write access
  psp            delete EKS's eks.privileged PodSecurityPolicy, role and binding once baseline's are in place; not applicable on Kubernetes 1.25+
  kube-proxy     metricsBindAddress 0.0.0.0:10249 and a one-node-at-a-time restart (as \`elife-k8s kube-proxy fix\`)

Each step is checked first (done, to do, not applicable, manual); only steps to do are acted on, after one confirmation. A second run changes nothing; a run that stopped part-way (interrupted, or a failed step) resumes where it stopped when run again. Values reach helm as a values file on its stdin, never through --set, so nothing in --git-url can set another value; --git-url must be user@host:path or an ssh:// or https:// URL without a password (exit 2 otherwise). Charts are installed with the real helm 3 (--helm-binary / ELIFE_K8S_HELM / PATH), from --chart-repo by URL: the public Flux v1 chart repository is archived, so point it at a mirror if it is gone.`

  static override examples = [
    {
      description: "See the plan and each step's state; change nothing",
      command:
        '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1 --git-url git@github.com:elifesciences/elife-flux-cluster --dry-run',
    },
    {
      description: "The runbook's bootstrap",
      command:
        '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-test --role-arn arn:aws:iam::512686554592:role/kubernetes-aws--flux-test--AmazonEKSUserRole --git-url git@github.com:elifesciences/elife-flux-cluster',
    },
    {
      description: 'On the current kubeconfig context, from a chart mirror, charts only',
      command:
        '<%= config.bin %> <%= command.id %> --git-url git@github.com:elifesciences/elife-flux-cluster --chart-repo https://charts.example.org/fluxcd --only crds,namespace,flux,helm-operator --yes',
    },
  ]

  // Its namespaces are --flux-namespace and --kube-proxy-namespace, not -n.
  static override baseFlags = baseFlagsOf(globalFlagsWithout('namespace'))

  static override flags = {
    cluster: Flags.string({description: 'EKS cluster name: write its kubeconfig entries first (the kubeconfig step).'}),
    'role-arn': Flags.string({description: 'IAM role for the kubeconfig user (as `elife-k8s kubeconfig --role-arn`).'}),
    region: Flags.string({description: "AWS region of --cluster (default: $AWS_REGION / the profile's)."}),
    profile: Flags.string({description: 'AWS profile for --cluster.'}),
    'git-url': Flags.string({
      description:
        "The Git repository flux syncs (the flux chart's git.url): git@HOST:OWNER/REPO, ssh://… or https://… without a password, e.g. git@github.com:elifesciences/elife-flux-cluster.",
    }),
    'flux-namespace': Flags.string({description: 'Namespace for flux and helm-operator.', default: 'flux'}),
    'chart-repo': Flags.string({
      description: "Helm chart repository with the flux and helm-operator charts (the runbook's fluxcd repo, or a mirror).",
      default: 'https://charts.fluxcd.io',
    }),
    'flux-chart-version': Flags.string({description: "flux chart version (default: the repository's latest, as the runbook does)."}),
    'helm-operator-chart-version': Flags.string({description: "helm-operator chart version (default: the repository's latest, as the runbook does)."}),
    crds: Flags.string({description: 'helm-operator CRDs to apply: a file or http(s) URL (default: the CRD bundled with elife-k8s).'}),
    'kube-proxy-bind-address': Flags.string({description: 'metricsBindAddress for kube-proxy.', default: '0.0.0.0:10249'}),
    'kube-proxy-namespace': Flags.string({description: 'Namespace of the kube-proxy DaemonSet and kube-proxy-config ConfigMap.', default: 'kube-system'}),
    'helm-binary': Flags.string({description: 'helm 3 binary (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
    only: Flags.string({description: `Only these steps (comma-separated): ${stepIds.join(',')}.`, delimiter: ',', multiple: true}),
    skip: Flags.string({description: 'Leave out these steps (comma-separated).', delimiter: ',', multiple: true}),
    timeout: Flags.integer({description: 'Seconds to wait for each slow step (helm --wait, CRDs, kube-proxy restart).', default: 300}),
    'dry-run': Flags.boolean({description: "Print the plan with each step's state; change nothing.", default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<BootstrapResult> {
    const {flags} = this
    const env = process.env
    const input = {
      only: flags.only,
      skip: flags.skip,
      options: {
        gitUrl: flags['git-url'],
        fluxNamespace: flags['flux-namespace'],
        chartRepo: flags['chart-repo'],
        fluxChartVersion: flags['flux-chart-version'],
        helmOperatorChartVersion: flags['helm-operator-chart-version'],
        crdsSource: flags.crds,
        kubeProxyBindAddress: flags['kube-proxy-bind-address'],
        kubeProxyNamespace: flags['kube-proxy-namespace'],
        timeoutMs: flags.timeout * 1000,
      },
      // The kubeconfig step is `elife-k8s kubeconfig --cluster ... --role-arn ... --region ... --profile ...`.
      kubeconfig: flags.cluster
        ? {
            cluster: flags.cluster,
            region: flags.region,
            roleArn: flags['role-arn'],
            profile: flags.profile,
            authenticator: 'elife-k8s' as const,
            kubeconfig: flags.kubeconfig,
            env,
            script: process.argv[1],
          }
        : undefined,
      helmBinary: flags['helm-binary'],
      kubeconfigFile: flags.kubeconfig,
      context: flags.context,
      env,
    }
    const result = await runAction(this.ctx, bootstrapAction, input, {dryRun: flags['dry-run'], yes: flags.yes})
    // flux's public key is data: stdout (the lines around it say what to do with it).
    if (!result.dryRun && result.deployKey) this.io.log(result.deployKey)
    // Steps were run (runAction said the line when there was nothing to do, or under --dry-run).
    if (result.steps.some((step) => step.result !== undefined)) this.io.say(describeFinished(result))
    return result
  }
}
