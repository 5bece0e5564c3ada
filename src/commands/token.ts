import * as Flags from '@oclif/core/flags'

import {BaseCommand, baseFlagsOf} from '../base-command.js'
import {oclifOptions, tokenFlags, tokenGlobalFlags} from '../lib/cli/flags.js'
import {tokenAction} from '../lib/eks/action.js'
import type {ExecCredential} from '../lib/eks/exec-credential.js'

export type TokenResult = ExecCredential

export default class Token extends BaseCommand<typeof Token> {
  static override summary = 'Print an EKS authentication token as a kubectl ExecCredential.'

  static override description = `Does what \`aws eks get-token\` does for kubectl, without the aws CLI: signs an STS GetCallerIdentity URL (with the x-k8s-aws-id header naming the cluster) using the standard AWS credential chain, or a role assumed first with --role-arn, and prints it as the k8s-aws-v1. token EKS accepts.

kubectl runs this before its requests (the kubeconfig user that \`elife-k8s kubeconfig\` writes calls it), so the token is cached per cluster, role, profile and region in a 0600 file under $XDG_CACHE_HOME/elife-k8s (or ~/.cache/elife-k8s) until a minute before it expires: a cached token costs one process start and one file read, without loading the AWS SDK.

The token is printed only here, on stdout, inside the ExecCredential; it is never logged.`

  static override examples = [
    {description: 'A token for the production cluster', command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1'},
    {
      description: 'Signed as the EKS user role (assumed first through STS)',
      command:
        '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod --region us-east-1 --role-arn arn:aws:iam::512686554592:role/kubernetes-aws--flux-prod--AmazonEKSUserRole',
    },
    {
      description: 'When kubectl will ask for a new one',
      command: '<%= config.bin %> <%= command.id %> --cluster kubernetes-aws--flux-prod | jq -r .status.expirationTimestamp',
    },
  ]

  // AWS only: no --kubeconfig, --context or -n, which would do nothing here.
  static override baseFlags = baseFlagsOf(tokenGlobalFlags)

  static override flags = {
    cluster: Flags.string(oclifOptions(tokenFlags.cluster)),
    region: Flags.string(oclifOptions(tokenFlags.region)),
    'role-arn': Flags.string(oclifOptions(tokenFlags['role-arn'])),
    profile: Flags.string(oclifOptions(tokenFlags.profile)),
  }

  public async run(): Promise<TokenResult> {
    const {flags} = this
    const credential = await tokenAction.run(this.ctx, {
      cluster: flags.cluster,
      region: flags.region,
      roleArn: flags['role-arn'],
      profile: flags.profile,
      env: process.env,
    })
    // The ExecCredential is the output either way; --json prints the same object.
    this.io.log(JSON.stringify(credential))
    return credential
  }
}
