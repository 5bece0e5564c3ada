import * as Flags from '@oclif/core/flags'

import {BaseCommand, namespaceFlag} from '../../base-command.js'
import {checkFailed, runAction} from '../../lib/cli/action.js'
import {
  checkFailure,
  checkPassed,
  describeNow,
  type KubeProxyFixResult,
  type KubeProxyInput,
  kubeProxyCheck,
  kubeProxyFix,
} from '../../lib/kube-proxy/action.js'

export type {KubeProxyFixResult} from '../../lib/kube-proxy/action.js'

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
    region: Flags.string({description: "AWS region of --eks-cluster (default: AWS_REGION / the AWS profile's)."}),
    timeout: Flags.integer({description: 'Seconds to wait for the restart to reach every node.', default: 300}),
    'dry-run': Flags.boolean({description: 'Show the plan and change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation.', default: false}),
  }

  public async run(): Promise<KubeProxyFixResult> {
    const {flags} = this
    const input: KubeProxyInput = {
      namespace: this.namespace,
      bindAddress: flags['bind-address'],
      imageTag: flags.image,
      eks: flags['eks-cluster'] ? {cluster: flags['eks-cluster'], region: flags.region} : undefined,
      timeoutMs: flags.timeout * 1000,
      reportFindings: true,
    }
    if (flags.check) {
      const result = await kubeProxyCheck.run(this.ctx, input)
      const failure = checkFailure(result)
      if (failure) return checkFailed(this.ctx, result, failure)
      this.io.say(checkPassed(result))
      return result
    }
    const result = await runAction(this.ctx, kubeProxyFix, input, {dryRun: flags['dry-run'], yes: flags.yes})
    // Nothing to do and --dry-run said their line already; a fix says what is true now.
    if (result.changed) this.io.say(describeNow(result))
    return result
  }
}
