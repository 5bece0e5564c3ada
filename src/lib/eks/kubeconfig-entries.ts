import {parseRoleArn} from './arn.js'
import type {EksCluster} from './cluster.js'

/** Who kubectl runs to get a token: us (the default) or the aws CLI, as update-kubeconfig writes it. */
export type Authenticator = 'elife-k8s' | 'aws-cli'

/** The ExecCredential API the exec entry declares; the one aws-cli writes, understood by kubectl >= 1.22. */
export const execApiVersion = 'client.authentication.k8s.io/v1beta1'

// Field order follows aws-cli's OrderedDicts so a written file reads like one update-kubeconfig wrote.
export interface ClusterEntry {
  cluster: {'certificate-authority-data': string; server: string}
  name: string
}

export interface ExecConfig {
  apiVersion: string
  args: string[]
  command: string
  env?: Array<{name: string; value: string}>
}

export interface UserEntry {
  name: string
  user: {exec: ExecConfig}
}

export interface ContextEntry {
  context: {cluster: string; user: string}
  name: string
}

export interface KubeconfigEntries {
  cluster: ClusterEntry
  user: UserEntry
  context: ContextEntry
}

export interface EntryOptions {
  cluster: EksCluster
  /** --role-arn: the role kubectl's token is signed as. */
  roleArn?: string
  /** --profile or AWS_PROFILE: carried into the exec entry as AWS_PROFILE, as aws-cli does. */
  profile?: string
  /** --alias: the context name (default: the user name). */
  contextAlias?: string
  /** --user-alias: the user name (default: see userEntryName). */
  userAlias?: string
  authenticator: Authenticator
  /** How kubectl should invoke elife-k8s: "elife-k8s" when that is on PATH, else an absolute path (./exec-command.ts). */
  elifeK8sCommand: string
  /** Arguments before `token`: the bin script, when elifeK8sCommand is a Node binary. */
  elifeK8sArgs?: string[]
}

/**
 * The user entry's name. Without a role it is the cluster ARN, exactly as aws-cli names it. With
 * a role it is `<role name>@<cluster ARN>`: aws-cli uses the cluster ARN for every role, so a second
 * `--role-arn` for the same cluster silently replaced the first user (and its context); here each
 * role keeps its own user and context, and switching role is switching context.
 */
export function userEntryName(options: Pick<EntryOptions, 'cluster' | 'roleArn' | 'userAlias'>): string {
  if (options.userAlias) return options.userAlias
  if (!options.roleArn) return options.cluster.arn
  return `${parseRoleArn(options.roleArn).roleName}@${options.cluster.arn}`
}

/** The exec credential plugin kubectl runs before each request (and again when the token expires). */
export function execConfig(options: EntryOptions): ExecConfig {
  const {cluster, roleArn, profile} = options
  // Local clusters on Outposts sign the cluster id, not the name (aws-cli's --cluster-id).
  const clusterId = cluster.outpostClusterId ?? cluster.name
  const exec: ExecConfig =
    options.authenticator === 'aws-cli'
      ? {
          apiVersion: execApiVersion,
          args: [
            '--region',
            cluster.region,
            'eks',
            'get-token',
            cluster.outpostClusterId ? '--cluster-id' : '--cluster-name',
            clusterId,
            '--output',
            'json',
            ...(roleArn ? ['--role', roleArn] : []),
          ],
          command: 'aws',
        }
      : {
          apiVersion: execApiVersion,
          args: [...(options.elifeK8sArgs ?? []), 'token', '--cluster', clusterId, '--region', cluster.region, ...(roleArn ? ['--role-arn', roleArn] : [])],
          command: options.elifeK8sCommand,
        }
  if (profile) exec.env = [{name: 'AWS_PROFILE', value: profile}]
  return exec
}

/** The three entries `aws eks update-kubeconfig` would write, with our naming and exec plugin. */
export function kubeconfigEntries(options: EntryOptions): KubeconfigEntries {
  const {cluster} = options
  const userName = userEntryName(options)
  return {
    cluster: {
      cluster: {'certificate-authority-data': cluster.certificateAuthorityData, server: cluster.endpoint},
      name: cluster.arn,
    },
    user: {name: userName, user: {exec: execConfig(options)}},
    context: {context: {cluster: cluster.arn, user: userName}, name: options.contextAlias ?? userName},
  }
}
