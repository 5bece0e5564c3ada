// Loaded on the token fast path: no dependencies.

/** What EKS's authenticator (aws-iam-authenticator) expects in front of the encoded URL. */
export const tokenPrefix = 'k8s-aws-v1.'

/** The header that binds a token to one cluster; signed, so a token for one cluster fails on another. */
export const clusterIdHeader = 'x-k8s-aws-id'

/** k8s-aws-v1. + unpadded base64url of the presigned GetCallerIdentity URL. */
export function encodeToken(presignedUrl: string): string {
  return tokenPrefix + Buffer.from(presignedUrl, 'utf8').toString('base64url')
}

/** The presigned URL inside a token (for tests and for the webhook that plays EKS in them). */
export function decodeToken(token: string): URL {
  if (!token.startsWith(tokenPrefix)) throw new Error(`not a ${tokenPrefix} token`)
  return new URL(Buffer.from(token.slice(tokenPrefix.length), 'base64url').toString('utf8'))
}
