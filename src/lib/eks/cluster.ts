import {DescribeClusterCommand, type EKSClient} from '@aws-sdk/client-eks'

import {CliError} from '../errors.js'
import {clusterArnRegion} from './arn.js'
import {toAwsCliError} from './aws-errors.js'

/** What a kubeconfig needs to know about an EKS cluster. */
export interface EksCluster {
  name: string
  arn: string
  region: string
  status: string
  /** The API server URL. */
  endpoint: string
  /** Base64 PEM of the cluster CA, as DescribeCluster returns it. */
  certificateAuthorityData: string
  version?: string
  /** Local clusters on Outposts are addressed by id, not name, in get-token (as aws-cli does). */
  outpostClusterId?: string
}

// aws eks update-kubeconfig accepts these two and refuses every other state; so do we.
const usableStatuses = new Set(['ACTIVE', 'UPDATING'])

/** DescribeCluster, refusing a cluster that is missing, not usable yet, or has no endpoint. */
export async function describeCluster(eks: EKSClient, name: string, options: {region: string; profile?: string}): Promise<EksCluster> {
  const what = `describe EKS cluster "${name}" in ${options.region}`
  let described
  try {
    described = await eks.send(new DescribeClusterCommand({name}))
  } catch (error) {
    throw toAwsCliError(error, {what, profile: options.profile})
  }
  const cluster = described.cluster
  if (!cluster?.arn || !cluster.status) {
    throw new CliError('not-found', `EKS cluster "${name}" was not found in ${options.region}`, {hint: 'check the name and --region'})
  }
  if (!usableStatuses.has(cluster.status)) {
    throw new CliError('conflict', `EKS cluster "${name}" in ${options.region} is ${cluster.status}, not ACTIVE`, {
      hint:
        cluster.status === 'CREATING'
          ? 'wait until it is ACTIVE (`aws eks wait cluster-active`) and retry'
          : 'a kubeconfig is only written for an ACTIVE or UPDATING cluster',
    })
  }
  if (!cluster.endpoint || !cluster.certificateAuthority?.data) {
    throw new CliError('conflict', `EKS cluster "${name}" in ${options.region} has no API endpoint or CA yet`, {hint: 'wait a minute and retry'})
  }
  return {
    name: cluster.name ?? name,
    arn: cluster.arn,
    region: clusterArnRegion(cluster.arn) ?? options.region,
    status: cluster.status,
    endpoint: cluster.endpoint,
    certificateAuthorityData: cluster.certificateAuthority.data,
    version: cluster.version,
    outpostClusterId: cluster.outpostConfig ? cluster.id : undefined,
  }
}
