import {fromNodeProviderChain} from '@aws-sdk/credential-providers'
import type {AwsCredentialIdentityProvider} from '@smithy/types'

/** Thrown when the chain hands over credentials whose own expiry has passed. */
export class CredentialsExpiredError extends Error {
  readonly expiredAt: Date

  constructor(expiredAt: Date) {
    super(`credentials expired at ${expiredAt.toISOString()}`)
    this.name = 'CredentialsExpiredError'
    this.expiredAt = expiredAt
  }
}

/**
 * The SDK's standard chain (environment, shared config and credentials files with --profile, SSO,
 * web identity, container and instance metadata), refusing credentials that say they have already
 * expired (AWS_CREDENTIAL_EXPIRATION, a credential_process's Expiration): signing with them would
 * only make EKS or STS refuse later, with a less helpful message.
 */
export function awsCredentials(profile?: string, now: () => number = Date.now): AwsCredentialIdentityProvider {
  const chain = fromNodeProviderChain({profile})
  return async (options) => {
    const credentials = await chain(options)
    if (credentials.expiration && credentials.expiration.getTime() <= now()) throw new CredentialsExpiredError(credentials.expiration)
    return credentials
  }
}
