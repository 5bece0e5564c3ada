import {chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {
  type CachedToken,
  readCachedToken,
  tokenCacheDir,
  tokenCacheFile,
  tokenCacheKey,
  tokenSignedAt,
  writeCachedToken,
} from '../../src/lib/eks/token-cache.js'
import {encodeToken} from '../../src/lib/eks/token-format.js'

const flags = {cluster: 'kubernetes-aws--flux-prod', region: 'us-east-1'}
const now = Date.parse('2026-01-02T03:04:05Z')

function cacheEnv() {
  return {XDG_CACHE_HOME: mkdtempSync(path.join(tmpdir(), 'elife-k8s-cache-'))}
}

/** A token's shape: a presigned STS URL dated `signedAt` (X-Amz-Date, basic ISO 8601). */
function tokenSignedOn(signedAt: number): string {
  const amzDate = new Date(signedAt).toISOString().replace(/[-:]|\.\d{3}/g, '')
  return encodeToken(
    `https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Date=${amzDate}&X-Amz-Expires=60&X-Amz-Signature=00`,
  )
}

/** A token signed `minutesLeft` before its 14-minute expiry, as `elife-k8s token` caches it. */
function entry(key: string, minutesLeft: number, signedAt = now + (minutesLeft - 14) * 60_000): CachedToken {
  return {version: 1, key, cluster: flags.cluster, token: tokenSignedOn(signedAt), expirationTimestamp: new Date(now + minutesLeft * 60_000).toISOString()}
}

describe('tokenCacheKey', () => {
  it('differs per cluster, role, profile and region, and per identity-deciding environment', () => {
    const base = tokenCacheKey(flags, {})
    expect(tokenCacheKey(flags, {})).toBe(base)
    expect(tokenCacheKey({...flags, cluster: 'other'}, {})).not.toBe(base)
    expect(tokenCacheKey({...flags, roleArn: 'arn:aws:iam::123456789012:role/a'}, {})).not.toBe(base)
    expect(tokenCacheKey({...flags, profile: 'elife'}, {})).not.toBe(base)
    expect(tokenCacheKey({...flags, region: 'eu-west-1'}, {})).not.toBe(base)
    expect(tokenCacheKey(flags, {AWS_PROFILE: 'elife'})).not.toBe(base)
    expect(tokenCacheKey(flags, {AWS_ACCESS_KEY_ID: 'AKIAOTHER'})).not.toBe(base)
    expect(tokenCacheKey(flags, {AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:1'})).not.toBe(base)
    // --profile and AWS_PROFILE name the same profile.
    expect(tokenCacheKey({...flags, profile: 'elife'}, {AWS_PROFILE: 'elife'})).toBe(tokenCacheKey({...flags}, {AWS_PROFILE: 'elife'}))
  })

  it('keeps names and key ids out of file names', () => {
    const file = tokenCacheFile(
      {XDG_CACHE_HOME: '/c'},
      tokenCacheKey({...flags, roleArn: 'arn:aws:iam::123456789012:role/secret-name'}, {AWS_ACCESS_KEY_ID: 'AKIAKEY'}),
    )
    expect(file).toMatch(/^\/c\/elife-k8s\/eks-tokens\/[0-9a-f]{64}\.json$/)
  })
})

describe('tokenCacheDir', () => {
  it('follows XDG_CACHE_HOME, else the platform cache directory', () => {
    expect(tokenCacheDir({XDG_CACHE_HOME: '/x'}, 'linux')).toBe('/x/elife-k8s/eks-tokens')
    expect(tokenCacheDir({XDG_CACHE_HOME: 'relative', HOME: '/home/j'}, 'linux')).toBe('/home/j/.cache/elife-k8s/eks-tokens')
    expect(tokenCacheDir({HOME: '/Users/j'}, 'darwin')).toBe('/Users/j/Library/Caches/elife-k8s/eks-tokens')
  })
})

describe('token cache files', () => {
  it('round-trips a token in a 0600 file inside a 0700 directory', () => {
    const env = cacheEnv()
    const key = tokenCacheKey(flags, env)
    const file = tokenCacheFile(env, key)
    writeCachedToken(file, entry(key, 14))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    expect(readCachedToken(file, key, now)).toEqual(entry(key, 14))
  })

  it('stops handing out a token a minute before it expires', () => {
    const env = cacheEnv()
    const file = tokenCacheFile(env, 'k')
    writeCachedToken(file, entry('k', 1.5))
    expect(readCachedToken(file, 'k', now)).toBeDefined()
    expect(readCachedToken(file, 'k', now + 31_000)).toBeUndefined()
  })

  it('ignores corrupt, foreign and unsafe files, and a later write replaces them', () => {
    const env = cacheEnv()
    const file = tokenCacheFile(env, 'k')
    writeCachedToken(file, entry('k', 14))
    const good = readFileSync(file, 'utf8')

    writeFileSync(file, '{"version":1,"key":"k","tok', {mode: 0o600})
    expect(readCachedToken(file, 'k', now)).toBeUndefined()

    writeFileSync(file, good.replace('"key":"k"', '"key":"other"'))
    expect(readCachedToken(file, 'k', now), 'another key').toBeUndefined()

    writeFileSync(file, good.replace('k8s-aws-v1.', 'Bearer '))
    expect(readCachedToken(file, 'k', now), 'not an EKS token').toBeUndefined()

    writeFileSync(file, good)
    chmodSync(file, 0o644)
    expect(readCachedToken(file, 'k', now), 'readable by others').toBeUndefined()

    const elsewhere = path.join(env.XDG_CACHE_HOME, 'planted.json')
    writeFileSync(elsewhere, good, {mode: 0o600})
    const link = tokenCacheFile(env, 'link')
    symlinkSync(elsewhere, link)
    expect(readCachedToken(link, 'k', now), 'a symlink').toBeUndefined()

    writeCachedToken(file, entry('k', 14))
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readCachedToken(file, 'k', now)).toEqual(entry('k', 14))
  })

  it('ignores a token signed by a clock ahead of now (X-Amz-Date in the future), beyond a minute of skew', () => {
    const env = cacheEnv()
    const file = tokenCacheFile(env, 'k')
    // Signed by a clock a day ahead: by that clock it expires tomorrow; EKS refuses it today.
    const tomorrow = now + 86_400_000
    writeCachedToken(file, {...entry('k', 14), token: tokenSignedOn(tomorrow), expirationTimestamp: new Date(tomorrow + 14 * 60_000).toISOString()})
    expect(readCachedToken(file, 'k', now)).toBeUndefined()
    // Five minutes ahead, with the expiry that goes with it.
    writeCachedToken(file, entry('k', 19, now + 5 * 60_000))
    expect(readCachedToken(file, 'k', now)).toBeUndefined()
    // An expiry further ahead than any token lives, whatever the date says.
    writeCachedToken(file, entry('k', 60, now))
    expect(readCachedToken(file, 'k', now)).toBeUndefined()
    // Within the skew allowance (our clock half a minute behind the one that signed): served.
    writeCachedToken(file, entry('k', 14.5, now + 30_000))
    expect(readCachedToken(file, 'k', now)).toEqual(entry('k', 14.5, now + 30_000))
    // A token without a date is not one we signed.
    writeCachedToken(file, {...entry('k', 14), token: 'k8s-aws-v1.aHR0cHM6Ly9zdHM'})
    expect(readCachedToken(file, 'k', now)).toBeUndefined()
  })

  it('reads the signing time from the token', () => {
    expect(tokenSignedAt(tokenSignedOn(now))).toBe(now)
    expect(tokenSignedAt('k8s-aws-v1.aHR0cHM6Ly9zdHM')).toBeUndefined()
    expect(tokenSignedAt('k8s-aws-v1.%%%')).toBeUndefined()
  })

  it('treats a missing file as a miss', () => {
    expect(readCachedToken(path.join(tmpdir(), 'no-such-elife-k8s-token.json'), 'k', now)).toBeUndefined()
  })
})
