import * as Flags from '@oclif/core/flags'
import {stringify} from 'yaml'

import {BaseCommand} from '../base-command.js'
import {eksClient, resolveAwsRegion} from '../lib/eks/clients.js'
import {elifeK8sExecCommand} from '../lib/eks/exec-command.js'
import type {Authenticator, KubeconfigEntries} from '../lib/eks/kubeconfig-entries.js'
import type {EntryChange} from '../lib/eks/kubeconfig-file.js'
import {applyKubeconfigUpdate, planKubeconfigUpdate, waitForKubeconfigUnlocked} from '../lib/eks/update-kubeconfig.js'

export interface KubeconfigResult {
  /** The kubeconfig file written (or that would be, under --dry-run). */
  file: string
  dryRun: boolean
  cluster: {name: string; arn: string; region: string; status: string; endpoint: string; version?: string}
  context: string
  user: string
  authenticator: Authenticator
  /** What kubectl will run for a token: command and arguments. */
  exec: string[]
  changes: {cluster: EntryChange; user: EntryChange; context: EntryChange}
  currentContext: {before?: string; after: string}
  entries: KubeconfigEntries
}

export default class Kubeconfig extends BaseCommand<typeof Kubeconfig> {
  static override summary = 'Add an EKS cluster to your kubeconfig, authenticating through `elife-k8s token`.'

  static override description = `Replaces runbook bootstrap step 1 (aws eks update-kubeconfig --name ... --role ...) without the aws CLI. Reads the cluster with EKS DescribeCluster (standard AWS credential chain: environment, shared config and --profile, SSO, web identity, instance metadata) and refuses a cluster that does not exist or is not ACTIVE/UPDATING.

It writes the cluster, user and context entries aws-cli would write (named by the cluster ARN unless --alias/--user-alias) and makes the context current, merging into the file --kubeconfig or KUBECONFIG names (else ~/.kube/config). Every other entry, comment and the key order are kept; the file is replaced atomically with mode 0600, keeping its owner and group, under kubectl's lock (<file>.lock, read again under it); a file that cannot be parsed is never touched.

Unlike aws-cli, a second --role-arn for the same cluster gets its own user and context (<role name>@<cluster ARN>) instead of replacing the first. The user runs \`elife-k8s token\` (or \`aws eks get-token\` with --authenticator aws-cli); a profile is carried as AWS_PROFILE.`

  static override examples = [
    {
      description: 'The runbook\'s bootstrap step 1',
      command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1 --role-arn arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole',
    },
    {description: 'A short context name, from an AWS profile', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --profile elife --alias prod'},
    {description: 'See the entries first; write nothing', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --dry-run'},
    {description: 'Keep using the aws CLI for tokens', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --authenticator aws-cli'},
  ]

  static override flags = {
    cluster: Flags.string({description: 'EKS cluster name.', required: true}),
    region: Flags.string({description: 'AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile\'s region).'}),
    'role-arn': Flags.string({description: 'IAM role kubectl\'s tokens are signed as (assumed through STS by `elife-k8s token`).'}),
    profile: Flags.string({description: 'AWS profile to read the cluster with; carried into the user entry as AWS_PROFILE (default: $AWS_PROFILE).'}),
    alias: Flags.string({description: 'Context name (default: the user name).'}),
    'user-alias': Flags.string({description: 'User name (default: the cluster ARN, or <role name>@<cluster ARN> with --role-arn).'}),
    authenticator: Flags.option({options: ['elife-k8s', 'aws-cli'] as const, default: 'elife-k8s', description: 'What kubectl runs for a token.'})(),
    'dry-run': Flags.boolean({description: 'Print the entries that would be written; change nothing.', default: false}),
  }

  public async run(): Promise<KubeconfigResult> {
    const {flags} = this
    const env = process.env
    const profile = flags.profile ?? env.AWS_PROFILE
    const region = await resolveAwsRegion({cluster: flags.cluster, region: flags.region, profile: flags.profile}, env)
    const eks = await eksClient({region, profile: flags.profile})
    try {
      this.steps.action(`reading EKS cluster "${flags.cluster}" in ${region}`)
      const plan = await planKubeconfigUpdate({
        eks,
        clusterName: flags.cluster,
        region,
        roleArn: flags['role-arn'],
        profile,
        contextAlias: flags.alias,
        userAlias: flags['user-alias'],
        authenticator: flags.authenticator,
        elifeK8sCommand: elifeK8sExecCommand(process.argv[1], env),
        kubeconfig: flags.kubeconfig,
        env,
      })
      const {cluster, entries, merge} = plan
      const {exec} = entries.user.user
      const result: KubeconfigResult = {
        file: merge.file,
        dryRun: flags['dry-run'],
        cluster: {name: cluster.name, arn: cluster.arn, region: cluster.region, status: cluster.status, endpoint: cluster.endpoint, version: cluster.version},
        context: entries.context.name,
        user: entries.user.name,
        authenticator: flags.authenticator,
        exec: [exec.command, ...exec.args],
        changes: merge.changes,
        currentContext: merge.currentContext,
        entries,
      }
      const summary = (changes: KubeconfigResult['changes']) => `cluster ${changes.cluster}, user ${changes.user}, context ${changes.context}`
      if (flags['dry-run']) {
        this.log(stringify({clusters: [entries.cluster], users: [entries.user], contexts: [entries.context], 'current-context': entries.context.name}, {lineWidth: 0, indentSeq: false}).trimEnd())
        this.steps.waiting(`dry run: would write ${merge.file} (${summary(merge.changes)}); nothing was changed`)
        return result
      }
      // Under the lock the file is read again: what changed is said against the file as written.
      let told = false
      const lock = {
        onWait: (lockFile: string) => {
          if (!told) this.steps.waiting(`waiting for ${lockFile} (kubectl or another program is writing ${merge.file})`)
          told = true
        },
      }
      await waitForKubeconfigUnlocked(plan, lock)
      const written = applyKubeconfigUpdate(plan, lock)
      result.changes = written.changes
      result.currentContext = written.currentContext
      const via = flags.authenticator === 'aws-cli' ? 'exec aws eks get-token' : 'exec elife-k8s token'
      this.steps.success(`context "${entries.context.name}" is now current in ${merge.file} (user ${entries.user.name}, ${via}; ${summary(written.changes)})`)
      return result
    } finally {
      eks.destroy()
    }
  }
}
