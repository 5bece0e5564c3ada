// Loaded on the token fast path: node built-ins only, no SDK, no oclif.
import {createHash} from 'node:crypto'
import {closeSync, constants, fstatSync, openSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {cacheDir, writePrivateFile} from '../cache-dir.js'
import {decodeToken} from './token-format.js'

/** The flags of `elife-k8s token`. */
export interface TokenFlags {
  cluster: string
  region?: string
  roleArn?: string
  profile?: string
}

/** One cached token, as stored in its 0600 file. */
export interface CachedToken {
  version: 1
  key: string
  cluster: string
  token: string
  expirationTimestamp: string
}

/** A cached token is handed out only while it has at least this long left. */
export const cacheMarginMs = 60_000

/**
 * How far in the future a cached token's X-Amz-Date may be. More means it was signed by a clock
 * ahead of ours (since set back): its expiry, counted from that clock, would have it served long
 * after EKS stops taking it.
 */
export const futureSkewMs = 60_000

// The longest a token can be good for: EKS takes one for 15 minutes after its X-Amz-Date.
const longestLifetimeMs = 15 * 60_000

// The environment that decides which identity signs, and where: a change in any of these must
// not be answered with a token signed for the old setting.
const identityEnv = [
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_USE_FIPS_ENDPOINT',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
] as const

/**
 * The cache key: (cluster, role, profile, region) as the issue asks, plus the identity-deciding
 * environment, hashed so neither key ids nor role names appear in file names.
 */
export function tokenCacheKey(flags: TokenFlags, env: NodeJS.ProcessEnv): string {
  const input = {
    cluster: flags.cluster,
    roleArn: flags.roleArn ?? '',
    profile: flags.profile ?? env.AWS_PROFILE ?? '',
    region: flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? '',
    env: identityEnv.map((name) => env[name] ?? ''),
  }
  return createHash('sha256').update(JSON.stringify(input)).digest('hex')
}

/** $XDG_CACHE_HOME/elife-k8s/eks-tokens (or the platform's cache directory). */
export function tokenCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  return path.join(cacheDir(env, platform), 'eks-tokens')
}

export function tokenCacheFile(env: NodeJS.ProcessEnv, key: string): string {
  return path.join(tokenCacheDir(env), `${key}.json`)
}

/** When a token was signed: its presigned URL's X-Amz-Date (20260102T030405Z), or undefined. */
export function tokenSignedAt(token: string): number | undefined {
  try {
    const date = decodeToken(token).searchParams.get('X-Amz-Date')
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date ?? '')
    if (!match) return undefined
    const [, y, mo, d, h, mi, s] = match
    return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  } catch {
    return undefined
  }
}

function isCachedToken(value: unknown): value is CachedToken {
  const v = value as Partial<CachedToken> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === 1 &&
    typeof v.key === 'string' &&
    typeof v.cluster === 'string' &&
    typeof v.token === 'string' &&
    v.token.startsWith('k8s-aws-v1.') &&
    /^[\w.-]+$/.test(v.token) &&
    typeof v.expirationTimestamp === 'string'
  )
}

/**
 * The cached token for `key`, if the file is ours to trust and the token has time left. A file
 * that is not a regular file, not owned by us, readable by others, malformed, for another key,
 * expiring, or signed in the future (X-Amz-Date ahead of now by more than `futureSkewMs`) is
 * ignored (and replaced by the next write), never used.
 */
export function readCachedToken(file: string, key: string, now: number): CachedToken | undefined {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  } catch {
    return undefined
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile() || (stats.mode & 0o077) !== 0) return undefined
    if (typeof process.getuid === 'function' && stats.uid !== process.getuid()) return undefined
    if (stats.size > 64 * 1024) return undefined
    const parsed: unknown = JSON.parse(readFileSync(fd, 'utf8'))
    if (!isCachedToken(parsed) || parsed.key !== key) return undefined
    const expires = Date.parse(parsed.expirationTimestamp)
    if (!Number.isFinite(expires) || expires - now < cacheMarginMs) return undefined
    const signedAt = tokenSignedAt(parsed.token)
    if (signedAt === undefined || signedAt - now > futureSkewMs || expires - now > longestLifetimeMs + futureSkewMs) return undefined
    return parsed
  } catch {
    return undefined
  } finally {
    closeSync(fd)
  }
}

/** Stores a token: a 0600 temp file in a 0700 directory, renamed over whatever was there. */
export function writeCachedToken(file: string, entry: CachedToken): void {
  writePrivateFile(file, JSON.stringify(entry))
}
