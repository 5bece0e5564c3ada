import {CliError, isCliError} from '../errors.js'
import {formatDuration, transportTimeouts} from '../kube/timeouts.js'

/** What we were doing when AWS failed, so the one-line error can name it. */
export interface AwsAction {
  /** e.g. `describe EKS cluster "kubernetes-aws--flux-prod" in us-east-1` */
  what: string
  /** The profile in use, for credential hints. */
  profile?: string
}

// Error names from the SDK's credential providers and the services' own error codes.
const noCredentials = new Set(['CredentialsProviderError', 'TokenProviderError'])
const badCredentials = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'InvalidAccessKeyId',
  'AuthFailure',
  'MissingAuthenticationToken',
])
const expiredCredentials = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired', 'TokenRefreshRequired'])
const accessDenied = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedException'])
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'TimeoutError'])

function firstLine(text: string): string {
  return text.split('\n')[0].trim().replace(/\.$/, '')
}

/** The endpoint a failed request went to (set by the handler of src/lib/eks/client-options.ts). */
function endpointOf(err: unknown): string | undefined {
  let e: unknown = err
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const endpoint = (e as {endpoint?: unknown}).endpoint
    if (typeof endpoint === 'string') return endpoint
    e = (e as {cause?: unknown}).cause
  }
  return undefined
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const {code, name} = e as {code?: unknown; name?: unknown}
    if (typeof code === 'string' && networkCodes.has(code)) return code
    if (typeof name === 'string' && networkCodes.has(name)) return name
    e = (e as {cause?: unknown}).cause
  }
  return undefined
}

/**
 * Turns an AWS SDK failure into one line and an exit code. The SDK's own messages are kept
 * (they name the missing permission or the bad key) but never the credentials themselves: no
 * SDK error message carries a secret key, and tokens never reach this path.
 */
export function toAwsCliError(err: unknown, action: AwsAction): CliError {
  if (isCliError(err)) return err
  const name = (err as {name?: string})?.name ?? ''
  const message = err instanceof Error ? firstLine(err.message) : String(err)
  const profileHint = action.profile ? ` (profile "${action.profile}")` : ''
  // By name from AWS; by message from the credential providers (credential_process, SSO cache).
  const expiredAt = (err as {expiredAt?: unknown})?.expiredAt
  if (expiredAt instanceof Date || expiredCredentials.has(name) || /\bexpired\b/i.test(message)) {
    const detail = expiredAt instanceof Date ? `at ${expiredAt.toISOString()}` : expiredCredentials.has(name) ? name : message
    return new CliError('forbidden', `cannot ${action.what}: the AWS credentials${profileHint} have expired (${detail})`, {
      hint: 'refresh them (`aws sso login`, a new session token) and retry',
      cause: err,
    })
  }
  if (noCredentials.has(name)) {
    const detail = /could not load credentials from any providers/i.test(message) ? '' : ` (${message})`
    return new CliError('forbidden', `cannot ${action.what}: no AWS credentials found${profileHint}${detail}`, {
      hint: 'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, pass --profile, or run `aws sso login`',
      cause: err,
    })
  }
  if (badCredentials.has(name)) {
    return new CliError('forbidden', `cannot ${action.what}: AWS rejected the credentials${profileHint} (${name}: ${message})`, {
      hint: "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile's keys",
      cause: err,
    })
  }
  const httpStatusCode = (err as {$metadata?: {httpStatusCode?: number}})?.$metadata?.httpStatusCode
  // A 401/403 whose body was not the service's own error format (a proxy, or moto answering a
  // JSON service in XML): the status is all there is to go on.
  const unreadable = name === 'SyntaxError' || /Deserialization error/i.test(err instanceof Error ? err.message : '')
  if (unreadable && (httpStatusCode === 401 || httpStatusCode === 403)) {
    return new CliError('forbidden', `cannot ${action.what}: AWS refused the request (HTTP ${httpStatusCode}, with an error body the SDK could not read)`, {
      hint: 'check the credentials and their IAM permissions; `aws sts get-caller-identity` shows who you are',
      cause: err,
    })
  }
  if (accessDenied.has(name) || httpStatusCode === 403) {
    return new CliError('forbidden', `cannot ${action.what}: access denied (${message})`, {
      hint: 'the IAM identity needs the permission named above; `aws sts get-caller-identity` shows who you are',
      cause: err,
    })
  }
  if (name === 'ResourceNotFoundException' || name === 'NoSuchEntity') {
    return new CliError('not-found', `cannot ${action.what}: ${message}`, {
      hint: 'check the name and --region (`aws eks list-clusters` lists what exists)',
      cause: err,
    })
  }
  if (/region is missing/i.test(message)) {
    return new CliError('usage', `cannot ${action.what}: no AWS region given`, {
      hint: 'pass --region, set AWS_REGION, or set region in the AWS profile',
      cause: err,
    })
  }
  const code = networkCode(err)
  const endpoint = endpointOf(err)
  if (code === 'TimeoutError' || (err as {code?: unknown})?.code === 'ETIMEDOUT') {
    // --request-timeout (src/lib/eks/client-options.ts): the endpoint accepted and did not answer.
    const limits = transportTimeouts()
    const connecting = /establish a connection/i.test(err instanceof Error ? err.message : '')
    const phrase = connecting
      ? `did not accept a connection within ${formatDuration(limits.connectMs)}`
      : `did not answer within ${formatDuration(limits.requestMs)}`
    return new CliError('unreachable', `cannot ${action.what}: the AWS endpoint ${endpoint ?? ''} ${phrase}`.replace('  ', ' '), {
      hint: 'check the network, proxy settings and any AWS_ENDPOINT_URL_* override; --request-timeout sets how long to wait',
      cause: err,
    })
  }
  if (code) {
    return new CliError('unreachable', `cannot ${action.what}: the AWS endpoint could not be reached (${code})`, {
      hint: `check the network, proxy settings and any AWS_ENDPOINT_URL_* override${endpoint ? ` (the endpoint was ${endpoint})` : ''}`,
      cause: err,
    })
  }
  return new CliError('unexpected', `cannot ${action.what}: ${name ? `${name}: ` : ''}${message}`, {cause: err})
}
