import type {EKSClient} from '@aws-sdk/client-eks'
import type {STSClient} from '@aws-sdk/client-sts'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {CliError} from '../errors.js'
import {toAwsCliError} from './aws-errors.js'
import {awsClientOptions, boundRetries} from './client-options.js'
import {awsCredentials} from './credentials.js'

/**
 * The one place EKS and STS clients are made and their region decided (kubeconfig, token,
 * kube-proxy fix --eks-cluster, bootstrap --cluster). Every client gets the same transport limits
 * (--request-timeout for the whole call, retries included: ./client-options.ts) and the same
 * credential chain (./credentials.ts). The SDKs are imported when a client is first made, so the
 * token path that finds a cached token never loads them.
 */

/** What an AWS call is for: the cluster it names, and --region / --profile as given. */
export interface AwsTarget {
  /** The EKS cluster name, for the "no AWS region" line. */
  cluster: string
  /** --region; else AWS_REGION, AWS_DEFAULT_REGION, else the profile's region. */
  region?: string
  /** --profile; else AWS_PROFILE (read by the SDK). */
  profile?: string
}

/** No region from --region, the environment or the profile. kube-proxy fix skips its optional EKS comparison on it. */
export class NoAwsRegion extends CliError {}

/** The region for `target`: --region, AWS_REGION, AWS_DEFAULT_REGION, else the profile's (read as the SDK reads it). */
export async function resolveAwsRegion(target: AwsTarget, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = target.region || env.AWS_REGION || env.AWS_DEFAULT_REGION
  if (explicit) return explicit
  const {STSClient} = await import('@aws-sdk/client-sts')
  const probe = new STSClient({...awsClientOptions(), profile: target.profile})
  try {
    return await probe.config.region()
  } catch (error) {
    const mapped = toAwsCliError(error, {what: `find the AWS region of EKS cluster "${target.cluster}"`, profile: target.profile})
    if (mapped.kind === 'usage' || /region/i.test(String((error as Error)?.message))) {
      throw new NoAwsRegion('usage', `no AWS region for EKS cluster "${target.cluster}"`, {
        hint: 'pass --region, set AWS_REGION, or set region in the AWS profile',
        cause: error,
      })
    }
    throw mapped
  } finally {
    probe.destroy()
  }
}

export interface ClientOptions {
  region: string
  profile?: string
  /** Default: the standard chain for `profile` (./credentials.ts). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider
}

/** An EKS client for the region; the caller destroys it (or uses withEksClient). */
export async function eksClient(options: ClientOptions): Promise<EKSClient> {
  const {EKSClient} = await import('@aws-sdk/client-eks')
  return boundRetries(
    new EKSClient({
      ...awsClientOptions(),
      region: options.region,
      profile: options.profile,
      credentials: options.credentials ?? awsCredentials(options.profile),
    }),
  )
}

/** An STS client for the region; the caller destroys it. */
export async function stsClient(options: ClientOptions): Promise<STSClient> {
  const {STSClient} = await import('@aws-sdk/client-sts')
  return boundRetries(
    new STSClient({
      ...awsClientOptions(),
      region: options.region,
      profile: options.profile,
      credentials: options.credentials ?? awsCredentials(options.profile),
    }),
  )
}

/** Resolves the region, makes an EKS client, runs `fn` with both, and destroys the client. */
export async function withEksClient<R>(
  target: AwsTarget,
  fn: (eks: EKSClient, region: string) => Promise<R>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<R> {
  const region = await resolveAwsRegion(target, env)
  const eks = await eksClient({region, profile: target.profile})
  try {
    return await fn(eks, region)
  } finally {
    eks.destroy()
  }
}
