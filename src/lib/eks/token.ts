import {userInfo} from 'node:os'
import path from 'node:path'

import {Sha256} from '@aws-crypto/sha256-js'
import {SignatureV4} from '@smithy/signature-v4'
import type {AwsCredentialIdentity, AwsCredentialIdentityProvider} from '@smithy/types'

import {CliError} from '../errors.js'
import {parseRoleArn} from './arn.js'
import {toAwsCliError} from './aws-errors.js'
import {resolveAwsRegion, stsClient} from './clients.js'
import {awsCredentials} from './credentials.js'
import {type ExecCredential, execCredential, execCredentialApiVersion} from './exec-credential.js'
import {type TokenFlags, readCachedToken, tokenCacheFile, tokenCacheKey, writeCachedToken} from './token-cache.js'
import {clusterIdHeader, encodeToken} from './token-format.js'

/** X-Amz-Expires of the presigned URL, as aws-cli and aws-iam-authenticator sign it. */
export const presignExpiresSeconds = 60
/**
 * EKS accepts a token for 15 minutes after its X-Amz-Date (STS ignores X-Amz-Expires for this
 * call); like aws-cli we tell kubectl 14, so it asks again before EKS would refuse.
 */
export const tokenLifetimeMs = 14 * 60_000

/**
 * The STS endpoint a token is signed for: AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL (the SDK's
 * configured-endpoint variables, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), else the regional
 * endpoint (FIPS when AWS_USE_FIPS_ENDPOINT), in the region's partition.
 */
export function stsEndpoint(region: string, env: NodeJS.ProcessEnv): URL {
  const ignoreConfigured = env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
  const configured = ignoreConfigured ? undefined : env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL
  if (configured) return new URL(configured)
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  const fips = env.AWS_USE_FIPS_ENDPOINT === 'true' ? '-fips' : ''
  return new URL(`https://sts${fips}.${region}.${suffix}`)
}

// RFC 3986 unreserved characters only, as SigV4 canonicalises query strings.
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

// botocore's parameter order, so that for the same credentials, clock and cluster the token is
// byte-for-byte the one `aws eks get-token` prints (the signature itself does not depend on it).
const queryOrder = [
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
]
function queryRank(name: string): number {
  const rank = queryOrder.indexOf(name)
  return rank === -1 ? queryOrder.length : rank
}

export interface PresignOptions {
  /** The cluster name (or Outposts cluster id) signed into x-k8s-aws-id. */
  clusterId: string
  region: string
  credentials: AwsCredentialIdentity
  endpoint: URL
  now: Date
}

/** The presigned STS GetCallerIdentity URL that signs x-k8s-aws-id, and the token made of it. */
export async function presignClusterToken(options: PresignOptions): Promise<{token: string; url: string}> {
  const {endpoint} = options
  const signer = new SignatureV4({service: 'sts', region: options.region, credentials: options.credentials, sha256: Sha256})
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: endpoint.pathname || '/',
      query: {Action: 'GetCallerIdentity', Version: '2011-06-15'},
      headers: {host: endpoint.host, [clusterIdHeader]: options.clusterId},
    },
    {expiresIn: presignExpiresSeconds, signingDate: options.now},
  )
  const query = Object.entries(presigned.query ?? {})
    .sort(([a], [b]) => queryRank(a) - queryRank(b))
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${uriEscape(name)}=${uriEscape(v ?? '')}`))
    .join('&')
  const url = `${endpoint.protocol}//${endpoint.host}${presigned.path}?${query}`
  return {token: encodeToken(url), url}
}

/** Now + 14 minutes, or earlier if the signing credentials expire first (the token dies with them). */
export function tokenExpiration(now: Date, credentials: AwsCredentialIdentity): Date {
  const latest = now.getTime() + tokenLifetimeMs
  const credentialsExpire = credentials.expiration?.getTime()
  return new Date(credentialsExpire !== undefined && credentialsExpire < latest ? credentialsExpire : latest)
}

/** --region, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's region (the one decision: ./clients.ts). */
export async function resolveTokenRegion(flags: TokenFlags, env: NodeJS.ProcessEnv): Promise<string> {
  return resolveAwsRegion({cluster: flags.cluster, region: flags.region, profile: flags.profile}, env)
}

/** A role session name that says who assumed the role (CloudTrail, EKS access entries show it). */
export function roleSessionName(username: string): string {
  return `elife-k8s-${username}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64)
}

export interface TokenCollaborators {
  /** The base credentials: the SDK's standard chain by default. */
  baseCredentials?: (profile?: string) => AwsCredentialIdentityProvider
  now?: () => Date
  username?: () => string
}

/** The credentials a token is signed with: the standard chain, then AssumeRole when --role-arn. */
export async function signingCredentials(flags: TokenFlags, region: string, collaborators: TokenCollaborators = {}): Promise<AwsCredentialIdentity> {
  const base = (collaborators.baseCredentials ?? awsCredentials)(flags.profile)
  if (!flags.roleArn) {
    try {
      return await base()
    } catch (error) {
      throw toAwsCliError(error, {what: `get a token for EKS cluster "${flags.cluster}"`, profile: flags.profile})
    }
  }
  const role = parseRoleArn(flags.roleArn)
  const {AssumeRoleCommand} = await import('@aws-sdk/client-sts')
  const sts = await stsClient({region, credentials: base, profile: flags.profile})
  try {
    const sessionName = roleSessionName((collaborators.username ?? (() => userInfo().username))())
    const assumed = await sts.send(new AssumeRoleCommand({RoleArn: role.arn, RoleSessionName: sessionName}))
    const c = assumed.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('AssumeRole returned no credentials')
    return {accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration}
  } catch (error) {
    throw toAwsCliError(error, {what: `assume role ${role.arn} for EKS cluster "${flags.cluster}"`, profile: flags.profile})
  } finally {
    sts.destroy()
  }
}

/** A fresh token for the cluster, and when kubectl should ask again. */
export async function issueToken(
  flags: TokenFlags,
  env: NodeJS.ProcessEnv,
  collaborators: TokenCollaborators = {},
): Promise<{token: string; expiration: Date}> {
  if (flags.roleArn) parseRoleArn(flags.roleArn)
  const region = await resolveTokenRegion(flags, env)
  const credentials = await signingCredentials(flags, region, collaborators)
  const now = (collaborators.now ?? (() => new Date()))()
  const {token} = await presignClusterToken({clusterId: flags.cluster, region, credentials, endpoint: stsEndpoint(region, env), now})
  return {token, expiration: tokenExpiration(now, credentials)}
}

export interface GetTokenResult {
  credential: ExecCredential
  /** Whether the token came from the cache (no AWS call was made). */
  fromCache: boolean
}

/**
 * The ExecCredential for kubectl: from the per-(cluster, role, profile, region) cache while it has
 * time left, else freshly signed and cached. A cache that cannot be written costs speed, not the token.
 */
export async function getExecCredential(flags: TokenFlags, env: NodeJS.ProcessEnv, collaborators: TokenCollaborators = {}): Promise<GetTokenResult> {
  const apiVersion = execCredentialApiVersion(env)
  const key = tokenCacheKey(flags, env)
  const file = tokenCacheFile(env, key)
  const now = (collaborators.now ?? (() => new Date()))()
  const cached = readCachedToken(file, key, now.getTime())
  if (cached) return {credential: execCredential(apiVersion, cached.token, new Date(cached.expirationTimestamp)), fromCache: true}
  const {token, expiration} = await issueToken(flags, env, collaborators)
  const credential = execCredential(apiVersion, token, expiration)
  try {
    writeCachedToken(file, {version: 1, key, cluster: flags.cluster, token, expirationTimestamp: credential.status.expirationTimestamp})
  } catch (error) {
    // A read-only home or a full disk costs speed (the next call signs again), not the token. A
    // directory that can never exist (inside /proc, below a regular file) is a setting to fix.
    const code = (error as NodeJS.ErrnoException)?.code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CliError(
        'usage',
        `the token cache directory ${path.dirname(file)} cannot be created (${code} at ${(error as NodeJS.ErrnoException).path ?? path.dirname(file)})`,
        {
          hint: 'set XDG_CACHE_HOME (or HOME) to a directory that can be created',
          cause: error,
        },
      )
    }
  }
  return {credential, fromCache: false}
}
