import * as Flags from '@oclif/core/flags'

import {BaseCommand} from '../base-command.js'
import {type BootstrapContext, type ClusterAccess, selectSteps, stepIds, type StepCheck} from '../lib/bootstrap/plan.js'
import {checkAll, runAll, type StepReport} from '../lib/bootstrap/run.js'
import {validateGitUrl} from '../lib/bootstrap/values.js'
import {CliError} from '../lib/errors.js'
import {eksClient, resolveAwsRegion} from '../lib/eks/clients.js'
import {elifeK8sExecCommand} from '../lib/eks/exec-command.js'
import {applyKubeconfigUpdate, planKubeconfigUpdate, waitForKubeconfigUnlocked} from '../lib/eks/update-kubeconfig.js'
import {type HelmTool, resolveHelm} from '../lib/helm/binary.js'
import {toCliError} from '../lib/kube/errors.js'
import {kubeAccess} from '../lib/kube/clients.js'
import {loadKubeConfig} from '../lib/kube/config.js'
import {confirm} from '../lib/render/confirm.js'

export interface BootstrapResult {
  dryRun: boolean
  steps: StepReport[]
  /** Steps this run changed something in. */
  changed: StepId[]
  deployKey?: string
}

type StepId = (typeof stepIds)[number]

const glyphState: Record<string, string> = {done: 'done', todo: 'to do', 'n/a': 'not applicable', manual: 'manual', skipped: 'skipped'}

export default class Bootstrap extends BaseCommand<typeof Bootstrap> {
  static override summary = 'Bootstrap a cluster for Flux v1: the runbook\'s five steps as one plan you can rerun.'

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
    {description: 'See the plan and each step\'s state; change nothing', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1 --git-url git@github.com:elifesciences/elife-flux-cluster --dry-run'},
    {
      description: 'The runbook\'s bootstrap',
      command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-test --role-arn arn:aws:iam::512686554592:role/kubernetes-aws--flux-test--AmazonEKSUserRole --git-url git@github.com:elifesciences/elife-flux-cluster',
    },
    {description: 'On the current kubeconfig context, from a chart mirror, charts only', command: '<%= config.bin %> <%= command.id %> --git-url git@github.com:elifesciences/elife-flux-cluster --chart-repo https://charts.example.org/fluxcd --only crds,namespace,flux,helm-operator --yes'},
  ]

  static override flags = {
    cluster: Flags.string({description: 'EKS cluster name: write its kubeconfig entries first (the kubeconfig step).'}),
    'role-arn': Flags.string({description: 'IAM role for the kubeconfig user (as `elife-k8s kubeconfig --role-arn`).'}),
    region: Flags.string({description: 'AWS region of --cluster (default: $AWS_REGION / the profile\'s).'}),
    profile: Flags.string({description: 'AWS profile for --cluster.'}),
    'git-url': Flags.string({description: 'The Git repository flux syncs (the flux chart\'s git.url): git@HOST:OWNER/REPO, ssh://… or https://… without a password, e.g. git@github.com:elifesciences/elife-flux-cluster.'}),
    'flux-namespace': Flags.string({description: 'Namespace for flux and helm-operator.', default: 'flux'}),
    'chart-repo': Flags.string({description: 'Helm chart repository with the flux and helm-operator charts (the runbook\'s fluxcd repo, or a mirror).', default: 'https://charts.fluxcd.io'}),
    'flux-chart-version': Flags.string({description: 'flux chart version (default: the repository\'s latest, as the runbook does).'}),
    'helm-operator-chart-version': Flags.string({description: 'helm-operator chart version (default: the repository\'s latest, as the runbook does).'}),
    crds: Flags.string({description: 'helm-operator CRDs to apply: a file or http(s) URL (default: the CRD bundled with elife-k8s).'}),
    'kube-proxy-bind-address': Flags.string({description: 'metricsBindAddress for kube-proxy.', default: '0.0.0.0:10249'}),
    'kube-proxy-namespace': Flags.string({description: 'Namespace of the kube-proxy DaemonSet and kube-proxy-config ConfigMap.', default: 'kube-system'}),
    'helm-binary': Flags.string({description: 'helm 3 binary (default: $ELIFE_K8S_HELM, else helm on PATH).'}),
    only: Flags.string({description: `Only these steps (comma-separated): ${stepIds.join(',')}.`, delimiter: ',', multiple: true}),
    skip: Flags.string({description: 'Leave out these steps (comma-separated).', delimiter: ',', multiple: true}),
    timeout: Flags.integer({description: 'Seconds to wait for each slow step (helm --wait, CRDs, kube-proxy restart).', default: 300}),
    'dry-run': Flags.boolean({description: 'Print the plan with each step\'s state; change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<BootstrapResult> {
    const {flags} = this
    const {selected} = selectSteps(flags.only, flags.skip)
    // Before anything is read or asked: the URL ends up in flux's chart values and in git's argv.
    if (flags['git-url'] !== undefined) validateGitUrl(flags['git-url'])
    const ctx = this.context()
    const label = (check: StepCheck | {state: string}) => glyphState[check.state] ?? check.state

    this.steps.action(`checking ${selected.length} of ${stepIds.length} bootstrap steps`)
    const plan = await this.guard(() =>
      checkAll(ctx, selected, {
        onCheck: (step, check, index, total) => {
          const line = `[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`
          if (check.state === 'todo') this.steps.action(line)
          else if (check.state === 'done') this.steps.success(line)
          else this.steps.waiting(line)
          for (const detail of check.details ?? []) this.steps.waiting(`    ${detail}`)
        },
      }),
    )
    this.steps.done()
    const deployKey = plan.find((r) => r.id === 'deploy-key' && 'details' in r.before)?.before
    const key = deployKey && 'details' in deployKey ? deployKey.details?.[0] : undefined
    const todo = plan.filter((r) => r.before.state === 'todo')
    if (flags['dry-run']) {
      this.log(`dry run: ${todo.length} step${todo.length === 1 ? '' : 's'} to do (${todo.map((r) => r.id).join(', ') || 'none'}); nothing was changed`)
      return {dryRun: true, steps: plan, changed: [], deployKey: key}
    }
    if (todo.length === 0) {
      if (key) this.log(key)
      this.log(`the cluster is bootstrapped: every selected step is done or not applicable${key ? '; the deploy key above must be on the Git repository with write access' : ''}`)
      return {dryRun: false, steps: plan, changed: [], deployKey: key}
    }
    await confirm({yes: flags.yes, action: `bootstrap: ${todo.map((r) => r.id).join(', ')}`})

    const reports = await this.guard(() =>
      runAll(ctx, selected, {
        onStart: (step, check, index, total) => this.steps.action(`[${index}/${total}] ${step.id}: ${check.reason}`),
        onDone: (step, result, index, total) => this.steps.success(`[${index}/${total}] ${step.id}: ${result}`),
        onCheck: (step, check, index, total) => {
          if (check.state === 'done') this.steps.success(`[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`)
          else this.steps.waiting(`[${index}/${total}] ${step.id}: ${label(check)} - ${check.reason}`)
        },
      }),
    )
    this.steps.done()
    const after = reports.find((r) => r.id === 'deploy-key')?.before
    const finalKey = after && 'details' in after ? after.details?.[0] : key
    if (finalKey) this.log(finalKey)
    const changed = reports.filter((r) => r.changed).map((r) => r.id)
    this.log(`bootstrap finished: changed ${changed.join(', ') || 'nothing'}; every selected step is now done or not applicable${finalKey ? '; add the deploy key above to the Git repository with write access' : ''}`)
    return {dryRun: false, steps: reports, changed, deployKey: finalKey}
  }

  /** API failures become one line naming the step's target. */
  private async guard<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof CliError) throw error
      throw toCliError(error, {verb: 'bootstrap', target: 'the cluster', server: this.kube.server, context: this.kube.context})
    }
  }

  private context(): BootstrapContext {
    const {flags} = this
    let access: ClusterAccess | undefined
    let contextOverride: string | undefined
    let helm: Promise<HelmTool> | undefined
    const load = (): ClusterAccess => {
      // After the kubeconfig step the plan goes on in the context it wrote.
      return contextOverride ? kubeAccess(loadKubeConfig({kubeconfig: flags.kubeconfig, context: contextOverride})) : this.kube
    }
    const env = process.env
    return {
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
      cluster: () => (access ??= load()),
      reloadCluster: () => {
        access = undefined
        helm = undefined
      },
      helm: () => (helm ??= resolveHelm({flag: flags['helm-binary'], env, kubeconfig: flags.kubeconfig, context: contextOverride ?? flags.context})),
      kubeconfig: {
        plan: flags.cluster
          ? async () => {
              const region = await resolveAwsRegion({cluster: flags.cluster!, region: flags.region, profile: flags.profile}, env)
              const eks = await eksClient({region, profile: flags.profile})
              try {
                const plan = await planKubeconfigUpdate({
                  eks,
                  clusterName: flags.cluster!,
                  region,
                  roleArn: flags['role-arn'],
                  profile: flags.profile ?? env.AWS_PROFILE,
                  authenticator: 'elife-k8s',
                  elifeK8sCommand: elifeK8sExecCommand(process.argv[1], env),
                  kubeconfig: flags.kubeconfig,
                  env,
                })
                return {
                  file: plan.merge.file,
                  context: plan.entries.context.name,
                  changes: plan.merge.changes,
                  currentBefore: plan.merge.currentContext.before,
                  apply: async () => {
                    // Waits for another program's lock without blocking, so Ctrl-C still works meanwhile.
                    await waitForKubeconfigUnlocked(plan)
                    applyKubeconfigUpdate(plan)
                    contextOverride = plan.entries.context.name
                  },
                }
              } finally {
                eks.destroy()
              }
            }
          : undefined,
      },
      onProgress: (message) => this.steps.progress(message),
    }
  }
}
