import {DescribeAddonCommand, DescribeAddonVersionsCommand, type DescribeAddonVersionsCommandOutput, type EKSClient} from '@aws-sdk/client-eks'

/** What EKS says about kube-proxy for this cluster; `skipped` when AWS could not be asked. */
export type EksKubeProxyInfo =
  | {skipped: true; reason: string}
  | {skipped: false; cluster: string; clusterVersion: string; recommendedVersion?: string; managedAddon: boolean; addonVersion?: string}

/** The default version of an add-on (kube-proxy unless named) DescribeAddonVersions lists for a cluster minor. */
export function defaultAddonVersion(
  output: Pick<DescribeAddonVersionsCommandOutput, 'addons'>,
  clusterVersion: string,
  addonName = 'kube-proxy',
): string | undefined {
  for (const addon of output.addons ?? []) {
    if (addon.addonName !== addonName) continue
    for (const version of addon.addonVersions ?? []) {
      if (version.compatibilities?.some((c) => c.clusterVersion === clusterVersion && c.defaultVersion)) return version.addonVersion
    }
  }
  return undefined
}

function errorName(error: unknown): string {
  return (error as {name?: string})?.name ?? ''
}

/** Errors that mean "no usable AWS credentials here", as opposed to a real AWS answer. */
export function isNoCredentials(error: unknown): boolean {
  const name = errorName(error)
  return (
    name === 'CredentialsProviderError' ||
    name === 'ExpiredTokenException' ||
    name === 'UnrecognizedClientException' ||
    /credential/i.test((error as Error)?.message ?? '')
  )
}

/**
 * Asks EKS (DescribeAddon, DescribeAddonVersions) whether kube-proxy is a managed add-on on the
 * cluster and which kube-proxy version it recommends for the cluster's Kubernetes minor.
 * Without credentials it reports `skipped` instead of failing: this comparison is optional.
 */
export async function describeKubeProxyOnEks(eks: EKSClient, cluster: string, clusterVersion: string): Promise<EksKubeProxyInfo> {
  let managedAddon = false
  let addonVersion: string | undefined
  try {
    const addon = await eks.send(new DescribeAddonCommand({clusterName: cluster, addonName: 'kube-proxy'}))
    managedAddon = true
    addonVersion = addon.addon?.addonVersion
  } catch (error) {
    if (isNoCredentials(error)) return {skipped: true, reason: `no AWS credentials (${(error as Error).message.split('\n')[0]})`}
    // ResourceNotFoundException: kube-proxy is not an EKS add-on here (self-managed).
    if (errorName(error) !== 'ResourceNotFoundException') throw error
    // A missing *cluster* is also ResourceNotFound; the message says which.
    if (/cluster/i.test((error as Error).message) && !/addon/i.test((error as Error).message)) throw error
  }
  const versions = await eks.send(new DescribeAddonVersionsCommand({addonName: 'kube-proxy', kubernetesVersion: clusterVersion}))
  return {skipped: false, cluster, clusterVersion, recommendedVersion: defaultAddonVersion(versions, clusterVersion), managedAddon, addonVersion}
}
