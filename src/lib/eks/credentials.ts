import {fromNodeProviderChain} from '@aws-sdk/credential-providers'
import type {AwsCredentialIdentityProvider, Logger} from '@smithy/types'

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
 * The chain's logger: as without one (debug and info dropped, warnings and errors on stderr),
 * except for the SDK's nine-line "Multiple credential sources detected" warning when both a
 * profile and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set. Using the profile is the order
 * the README documents, and `elife-k8s token` would print the warning into kubectl's terminal
 * before every request.
 */
export const chainLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (...content: unknown[]) => {
    if (typeof content[0] === 'string' && content[0].includes('Multiple credential sources detected')) return
    console.warn(...content)
  },
  error: (...content: unknown[]) => console.error(...content),
}

/**
 * The SDK's standard chain (environment, shared config and credentials files with --profile, SSO,
 * web identity, container and instance metadata), refusing credentials that say they have already
 * expired (AWS_CREDENTIAL_EXPIRATION, a credential_process's Expiration): signing with them would
 * only make EKS or STS refuse later, with a less helpful message.
 */
export function awsCredentials(profile?: string, now: () => number = Date.now): AwsCredentialIdentityProvider {
  const chain = fromNodeProviderChain({profile, logger: chainLogger})
  return async (options) => {
    const credentials = await chain(options)
    if (credentials.expiration && credentials.expiration.getTime() <= now()) throw new CredentialsExpiredError(credentials.expiration)
    return credentials
  }
}
