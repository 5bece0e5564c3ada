import {EKSClient} from '@aws-sdk/client-eks'
import {AppsV1Api, CoreV1Api, VersionApi} from '@kubernetes/client-node'
import * as Flags from '@oclif/core/flags'

import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {awsClientOptions} from '../../lib/eks/client-options.js'
import {CliError, ExitCode} from '../../lib/errors.js'
import {type Finding, runChecks} from '../../lib/kube-proxy/checks.js'
import {isBindAddress} from '../../lib/kube-proxy/config.js'
import {describeKubeProxyOnEks, type EksKubeProxyInfo} from '../../lib/kube-proxy/eks.js'
import {confirmWritten, finishRestart, WrittenConfigMismatch, type FixPlan, planFix, startRestart, waitForRestart, writeConfig} from '../../lib/kube-proxy/fix.js'
import {configMapName, type KubeProxyClients, kubeProxyImage, podsByNode, readKubeProxyState, savedStrategyAnnotation} from '../../lib/kube-proxy/state.js'
import {parseVersion} from '../../lib/kube-proxy/version.js'
import {confirm} from '../../lib/render/confirm.js'

export interface KubeProxyFixResult {
  namespace: string
  mode: 'check' | 'fix'
  findings: Finding[]
  /** The plan (fix mode); absent under --check. */
  plan?: Omit<FixPlan, 'updatedConfig'>
  dryRun: boolean
  changed: boolean
  nodesRestarted: string[]
  /** After the run, read again from the cluster. */
  now?: {metricsBindAddress: string; image: string; nodesReady: number; nodes: number}
}

export default class KubeProxyFix extends BaseCommand<typeof KubeProxyFix> {
  static override summary = 'Expose kube-proxy metrics to Prometheus, keep its version within the skew policy, and restart it one node at a time.'

  static override description = `Replaces runbook bootstrap step 5: edit kube-proxy-config to set metricsBindAddress: 0.0.0.0:10249, delete all kube-proxy pods, and \`kubectl set image\` if the versions then mismatch.

Only the metricsBindAddress value inside the ConfigMap's embedded KubeProxyConfiguration changes; every other line, comment and key stays byte for byte, and a JSON config stays JSON. The edited config is parsed before it is written and read back and parsed after; kube-proxy is never restarted onto a config that does not parse. The pods are then restarted one node at a time by the DaemonSet controller (RollingUpdate with maxUnavailable 1 and maxSurge 0 for the duration of the restart, put back afterwards), each replacement Running and Ready before the next node. If the restart does not finish within --timeout, it stops with the nodes done, pending, and without a kube-proxy pod, and what was already changed; running the command again finishes it.

The kube-proxy image is compared with the API server under Kubernetes' version-skew policy (kube-proxy not newer than the API server, at most three minors older) and with every kubelet, and, with --eks-cluster and --region and AWS credentials, with the version EKS recommends for the cluster (DescribeAddonVersions). The image is changed only with --image, or when the skew policy is broken and EKS names the replacement; its registry, account and region are kept.

kube-proxy installed as an EKS managed add-on is refused: change it through the add-on instead.

--check changes nothing: it prints each finding as ✔/✗ and exits with code 6 when any is ✗.`

  static override examples = [
    {description: 'Is anything off? (exit code 6 if so)', command: '<%= config.bin %> <%= command.id %> --check'},
    {description: 'See the plan without changing anything', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'Fix, comparing with what EKS recommends', command: '<%= config.bin %> <%= command.id %> --eks-cluster elife-prod --region us-east-1'},
    {description: 'Fix and move to a given kube-proxy build', command: '<%= config.bin %> <%= command.id %> --image v1.35.3-eksbuild.2 --yes'},
  ]

  static override flags = {
    /** kube-proxy lives in kube-system; -n exists for copies of it. */
    namespace: namespaceFlag('kube-system'),
    check: Flags.boolean({description: 'Only check: print each finding and exit 6 if anything is off.', default: false}),
    'bind-address': Flags.string({description: 'The metricsBindAddress kube-proxy should listen on for metrics.', default: '0.0.0.0:10249'}),
    image: Flags.string({description: 'Run this kube-proxy image tag (registry, account and region of the current image are kept).'}),
    'eks-cluster': Flags.string({description: 'The EKS cluster name, to compare with the kube-proxy version EKS recommends (needs AWS credentials).'}),
    region: Flags.string({description: 'AWS region of --eks-cluster (default: AWS_REGION / the AWS profile\'s).'}),
    timeout: Flags.integer({description: 'Seconds to wait for the restart to reach every node.', default: 300}),
    'dry-run': Flags.boolean({description: 'Show the plan and change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  private get clients(): KubeProxyClients {
    return {core: this.kube.api(CoreV1Api), apps: this.kube.api(AppsV1Api), version: this.kube.api(VersionApi)}
  }

  public async run(): Promise<KubeProxyFixResult> {
    const {flags} = this
    if (!isBindAddress(flags['bind-address'])) {
      throw new CliError('usage', `--bind-address "${flags['bind-address']}" is not IP:port`, {hint: 'use e.g. 0.0.0.0:10249 or [::]:10249'})
    }
    const namespace = this.namespace
    const state = await this.callApi({verb: 'read kube-proxy', target: `in ${namespace}`}, () => readKubeProxyState(this.clients, namespace))
    const eks = await this.eksInfo(state.apiServerVersion)
    const findings = runChecks(state, {bindAddress: flags['bind-address'], eks})
    this.printFindings(findings)
    const failed = findings.filter((f) => f.status === 'failed')

    if (flags.check) {
      const result: KubeProxyFixResult = {namespace, mode: 'check', findings, dryRun: false, changed: false, nodesRestarted: []}
      if (failed.length > 0) {
        if (this.jsonEnabled()) {
          process.exitCode = ExitCode.CHECK_FAILED
          return result
        }
        throw new CliError('check-failed', `kube-proxy in ${namespace}: ${failed.length} of ${findings.length} checks failed (see the ✗ lines)`, {hint: 'run `elife-k8s kube-proxy fix --dry-run` to see what fix would change'})
      }
      this.log(`kube-proxy in ${namespace}: all ${findings.filter((f) => f.status === 'ok').length} checks pass`)
      return result
    }

    const plan = planFix(state, {bindAddress: flags['bind-address'], imageTag: flags.image, eks})
    const {updatedConfig: _config, ...shownPlan} = plan
    const base = {namespace, mode: 'fix' as const, findings, plan: shownPlan}
    const changes = this.describePlan(plan)
    if (changes.length === 0) {
      this.log(`kube-proxy in ${namespace} is already fixed: metricsBindAddress ${plan.metricsBindAddress.to}, image ${plan.image.to}, every pod current and Ready`)
      return {...base, dryRun: flags['dry-run'], changed: false, nodesRestarted: []}
    }
    this.log('plan:')
    for (const change of changes) this.log(`  - ${change}`)
    if (flags['dry-run']) {
      this.log('dry run: nothing was changed')
      return {...base, dryRun: true, changed: false, nodesRestarted: []}
    }
    let nodesRestarted: string[] = []
    await confirm({yes: flags.yes, action: `change kube-proxy in ${namespace} (${changes.length} step${changes.length === 1 ? '' : 's'} above)`})

    // What has been changed so far, so that a failure further on says what is true now.
    const changed: string[] = []
    try {
      let restartPlan = plan
      if (plan.metricsBindAddress.changed) {
        await this.callApi({verb: 'update configmap', target: `"${configMapName}" in ${namespace}`}, () => writeConfig(this.clients, state, plan))
        changed.push(`configmap "${configMapName}" now sets metricsBindAddress ${plan.metricsBindAddress.to} (was ${plan.metricsBindAddress.from})`)
        this.steps.success(`${configMapName}: metricsBindAddress ${plan.metricsBindAddress.from} → ${plan.metricsBindAddress.to} (no other byte changed)`)
        // Never restart kube-proxy onto a config it cannot read: read back what is stored and parse it first.
        let written: string
        try {
          written = await this.callApi({verb: 'read configmap', target: `"${configMapName}" in ${namespace}`}, () => confirmWritten(this.clients, state, plan))
        } catch (error) {
          // Its message says what the ConfigMap holds now (ours put back, or someone else's).
          if (error instanceof WrittenConfigMismatch) changed.length = 0
          throw error
        }
        restartPlan = {...plan, updatedConfig: written}
        this.steps.success(`${configMapName} read back: it parses as ${plan.configFormat.toUpperCase()} and sets metricsBindAddress ${plan.metricsBindAddress.to}`)
      }
      if (plan.restart.needed || plan.image.changed) {
        if (state.daemonSet.metadata?.annotations?.[savedStrategyAnnotation] === undefined || plan.image.changed || plan.metricsBindAddress.changed) {
          await this.callApi({verb: 'update daemonset', target: `"kube-proxy" in ${namespace}`}, () => startRestart(this.clients, state, restartPlan))
          changed.push(`daemonset "kube-proxy" is restarting its pods one node at a time${plan.image.changed ? ` with image ${plan.image.to}` : ''}`)
        }
        this.steps.action(`restarting kube-proxy one node at a time on ${plan.restart.nodes.length} nodes${plan.image.changed ? ` with image ${plan.image.to}` : ''}`)
        const outcome = await this.callApi({verb: 'watch kube-proxy pods', target: `in ${namespace}`}, () =>
          waitForRestart(this.clients, namespace, {
            timeoutMs: flags.timeout * 1000,
            onNodeDone: (node, pod, done, total) => this.steps.success(`${node}: ${pod} Running and Ready (${done}/${total})`),
            onProgress: (message) => this.steps.progress(message),
            onRetry: (message) => this.steps.warning(message),
          }),
        )
        nodesRestarted = outcome.nodesDone
        await this.callApi({verb: 'update daemonset', target: `"kube-proxy" in ${namespace}`}, () => finishRestart(this.clients, namespace))
        this.steps.success('DaemonSet update strategy put back as it was')
      }
    } catch (error) {
      throw alreadyChanged(error, changed)
    }
    this.steps.done()
    const after = await this.callApi({verb: 'read kube-proxy', target: `in ${namespace}`}, () => readKubeProxyState(this.clients, namespace))
    const afterFindings = runChecks(after, {bindAddress: flags['bind-address']}).filter((f) => f.check !== 'eks-recommended')
    const rows = podsByNode(after)
    const now = {
      metricsBindAddress: flags['bind-address'],
      image: kubeProxyImage(after.daemonSet),
      nodesReady: rows.filter((row) => row.ready).length,
      nodes: after.daemonSet.status?.desiredNumberScheduled ?? rows.length,
    }
    const stillFailing = afterFindings.filter((f) => f.status === 'failed' && f.check !== 'kubelet-skew')
    if (stillFailing.length > 0) {
      for (const finding of stillFailing) this.steps.failure(finding.message)
      throw new CliError('check-failed', `kube-proxy in ${namespace} is not fixed yet (${stillFailing.length} check${stillFailing.length === 1 ? '' : 's'} still failing, see the ✗ lines); ${plan.metricsBindAddress.changed ? `configmap "${configMapName}" now sets metricsBindAddress ${plan.metricsBindAddress.to} (was ${plan.metricsBindAddress.from})` : `configmap "${configMapName}" was not changed`}`, {hint: 'run the command again'})
    }
    this.log(`kube-proxy in ${namespace} now serves metrics on ${now.metricsBindAddress}, runs ${now.image}, and is Ready on ${now.nodesReady}/${now.nodes} nodes`)
    return {...base, dryRun: false, changed: true, nodesRestarted, now}
  }

  private describePlan(plan: FixPlan): string[] {
    const changes: string[] = []
    if (plan.metricsBindAddress.changed) changes.push(`set metricsBindAddress ${plan.metricsBindAddress.from} → ${plan.metricsBindAddress.to} in configmap "${configMapName}"`)
    if (plan.image.changed) changes.push(`set image ${plan.image.from} → ${plan.image.to} (${plan.image.why})`)
    if (plan.restart.needed) changes.push(`restart kube-proxy one node at a time on ${plan.restart.nodes.length} nodes (${plan.restart.why})`)
    return changes
  }

  private printFindings(findings: Finding[]): void {
    for (const finding of findings) {
      if (finding.status === 'ok') this.steps.success(finding.message)
      else if (finding.status === 'failed') this.steps.failure(finding.message)
      else this.steps.waiting(finding.message)
    }
  }

  private async eksInfo(apiServerVersion: string): Promise<EksKubeProxyInfo | undefined> {
    const cluster = this.flags['eks-cluster']
    if (!cluster) return undefined
    const version = parseVersion(apiServerVersion)
    const clusterVersion = version ? `${version.major}.${version.minor}` : apiServerVersion
    const eks = new EKSClient({...awsClientOptions(), region: this.flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION, maxAttempts: 2})
    try {
      return await describeKubeProxyOnEks(eks, cluster, clusterVersion)
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
      if (/region/i.test(message)) return {skipped: true, reason: `no AWS region (pass --region): ${message}`}
      throw new CliError('unreachable', `cannot ask EKS about kube-proxy on cluster ${cluster}: ${message}`, {hint: 'check --eks-cluster and --region, or leave them out to skip the EKS comparison'})
    } finally {
      eks.destroy()
    }
  }
}

/** A failure after something was changed: the line also says what is changed now. */
function alreadyChanged(error: unknown, changed: string[]): unknown {
  if (changed.length === 0 || !(error instanceof CliError)) return error
  return new CliError(error.kind, `${error.message} (already changed: ${changed.join('; ')})`, {hint: error.hint, cause: error.cause})
}
