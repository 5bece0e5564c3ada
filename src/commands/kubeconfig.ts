import * as Flags from '@oclif/core/flags'
import {stringify} from 'yaml'

import {BaseCommand, baseFlagsOf} from '../base-command.js'
import {globalFlagsWithout} from '../lib/cli/flags.js'
import {runAction} from '../lib/cli/action.js'
import {describeWritten, kubeconfigAction, type KubeconfigResult} from '../lib/eks/action.js'

export type {KubeconfigResult} from '../lib/eks/action.js'

export default class Kubeconfig extends BaseCommand<typeof Kubeconfig> {
  static override summary = 'Add an EKS cluster to your kubeconfig, authenticating through `elife-k8s token`.'

  static override description = `Replaces runbook bootstrap step 1 (aws eks update-kubeconfig --name ... --role ...) without the aws CLI. Reads the cluster with EKS DescribeCluster (standard AWS credential chain: environment, shared config and --profile, SSO, web identity, instance metadata) and refuses a cluster that does not exist or is not ACTIVE/UPDATING.

It writes the cluster, user and context entries aws-cli would write (named by the cluster ARN unless --alias/--user-alias) and makes the context current, merging into the file --kubeconfig or KUBECONFIG names (else ~/.kube/config). Every other entry, comment and the key order are kept; the file is replaced atomically with mode 0600, keeping its owner and group, under kubectl's lock (<file>.lock, read again under it); a file that cannot be parsed is never touched.

Unlike aws-cli, a second --role-arn for the same cluster gets its own user and context (<role name>@<cluster ARN>) instead of replacing the first. The user runs \`elife-k8s token\` (or \`aws eks get-token\` with --authenticator aws-cli); a profile is carried as AWS_PROFILE.`

  static override examples = [
    {
      description: "The runbook's bootstrap step 1",
      command:
        '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1 --role-arn arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole',
    },
    {
      description: 'A short context name, from an AWS profile',
      command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --profile elife --alias prod',
    },
    {description: 'See the entries first; write nothing', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --dry-run'},
    {
      description: 'Keep using the aws CLI for tokens',
      command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --authenticator aws-cli',
    },
  ]

  // --kubeconfig is the file written; the context written is --alias's, and nothing is namespaced.
  static override baseFlags = baseFlagsOf(globalFlagsWithout('context', 'namespace'))

  static override flags = {
    cluster: Flags.string({description: 'EKS cluster name.', required: true}),
    region: Flags.string({description: "AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region)."}),
    'role-arn': Flags.string({description: "IAM role kubectl's tokens are signed as (assumed through STS by `elife-k8s token`)."}),
    profile: Flags.string({description: 'AWS profile to read the cluster with; carried into the user entry as AWS_PROFILE (default: $AWS_PROFILE).'}),
    alias: Flags.string({description: 'Context name (default: the user name).'}),
    'user-alias': Flags.string({description: 'User name (default: the cluster ARN, or <role name>@<cluster ARN> with --role-arn).'}),
    authenticator: Flags.option({options: ['elife-k8s', 'aws-cli'] as const, default: 'elife-k8s', description: 'What kubectl runs for a token.'})(),
    'dry-run': Flags.boolean({description: 'Print the entries that would be written; change nothing.', default: false}),
  }

  public async run(): Promise<KubeconfigResult> {
    const {flags} = this
    const input = {
      cluster: flags.cluster,
      region: flags.region,
      roleArn: flags['role-arn'],
      profile: flags.profile,
      alias: flags.alias,
      userAlias: flags['user-alias'],
      authenticator: flags.authenticator,
      kubeconfig: flags.kubeconfig,
      env: process.env,
      script: process.argv[1],
    }
    // As aws eks update-kubeconfig: no confirmation (the file is merged, never overwritten, and --dry-run shows it first).
    const result = await runAction(this.ctx, kubeconfigAction, input, {dryRun: flags['dry-run'], yes: true})
    if (result.dryRun) {
      // The entries that would be written are the data of a dry run.
      const {entries} = result
      this.io.log(
        stringify(
          {clusters: [entries.cluster], users: [entries.user], contexts: [entries.context], 'current-context': entries.context.name},
          {lineWidth: 0, indentSeq: false},
        ).trimEnd(),
      )
    } else if (result.written) {
      this.io.steps.success(describeWritten(result))
    }
    return result
  }
}
