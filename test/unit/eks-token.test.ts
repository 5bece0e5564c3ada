import {describe, expect, it} from 'vitest'

import {execCredential, execCredentialApiVersion} from '../../src/lib/eks/exec-credential.js'
import {parseTokenArgs} from '../../src/lib/eks/token-fast.js'
import {decodeToken, encodeToken} from '../../src/lib/eks/token-format.js'
import {presignClusterToken, roleSessionName, stsEndpoint, tokenExpiration} from '../../src/lib/eks/token.js'

// Golden tokens printed by aws-cli 1.45.11's own TokenGenerator (botocore 1.43.11) for these
// credentials, cluster and a clock frozen at 2026-01-02T03:04:05Z (see test/setup/eks-golden.py).
const credentials = {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}
const now = new Date('2026-01-02T03:04:05Z')
const awsCliToken =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lERVhBTVBMRSUyRjIwMjYwMTAyJTJGdXMtZWFzdC0xJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNjAxMDJUMDMwNDA1WiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9NTdkZjRlNWEyY2Q5YjNiY2I1YzUyMGU2YjQzODhlMDMyYzU1NjdlZGY2ZDJmMjY3NTI1YTJjOGZjN2FiN2Q3OQ'
const awsCliSessionToken =
  'k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BS0lERVhBTVBMRSUyRjIwMjYwMTAyJTJGdXMtZWFzdC0xJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNjAxMDJUMDMwNDA1WiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TZWN1cml0eS1Ub2tlbj1Gd29HWlhJdllYZHpFWEFNUExFJTJGc2Vzc2lvbiUyQnRva2VuJTNEJTNEJlgtQW16LVNpZ25hdHVyZT1kZGYzN2JiM2U1MmFmNTUyNTkzNWMwZjc2MzU1MjYzNDc5YWNmYTcyMjE1OWU3NTNjNWQ4NWRjZDRhYjQwMTg1'

describe('presignClusterToken', () => {
  const endpoint = stsEndpoint('us-east-1', {})

  it('is byte for byte the token aws eks get-token signs for the same credentials and clock', async () => {
    const {token} = await presignClusterToken({clusterId: 'kubernetes-aws--flux-prod', region: 'us-east-1', credentials, endpoint, now})
    expect(token).toBe(awsCliToken)
  })

  it('signs the session token of temporary credentials the same way', async () => {
    const {token} = await presignClusterToken({
      clusterId: 'kubernetes-aws--flux-prod',
      region: 'us-east-1',
      credentials: {...credentials, sessionToken: 'FwoGZXIvYXdzEXAMPLE/session+token=='},
      endpoint,
      now,
    })
    expect(token).toBe(awsCliSessionToken)
  })

  it('binds the token to the cluster: another cluster name gives another signature', async () => {
    const a = decodeToken((await presignClusterToken({clusterId: 'a', region: 'us-east-1', credentials, endpoint, now})).token)
    const b = decodeToken((await presignClusterToken({clusterId: 'b', region: 'us-east-1', credentials, endpoint, now})).token)
    expect(a.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id')
    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(b.searchParams.get('X-Amz-Signature'))
  })

  it('uses the unpadded base64url alphabet', async () => {
    const {token, url} = await presignClusterToken({clusterId: 'x', region: 'eu-west-2', credentials, endpoint: stsEndpoint('eu-west-2', {}), now})
    expect(token).toMatch(/^k8s-aws-v1\.[\w-]+$/)
    expect(decodeToken(token).toString()).toBe(url)
    expect(encodeToken(url)).toBe(token)
  })
})

describe('stsEndpoint', () => {
  it("is regional, in the region's partition", () => {
    expect(stsEndpoint('eu-west-1', {}).href).toBe('https://sts.eu-west-1.amazonaws.com/')
    expect(stsEndpoint('cn-north-1', {}).href).toBe('https://sts.cn-north-1.amazonaws.com.cn/')
    expect(stsEndpoint('us-east-1', {AWS_USE_FIPS_ENDPOINT: 'true'}).href).toBe('https://sts-fips.us-east-1.amazonaws.com/')
  })

  it("honours the SDK's configured-endpoint variables, service-specific first", () => {
    expect(stsEndpoint('us-east-1', {AWS_ENDPOINT_URL: 'http://127.0.0.1:5000'}).href).toBe('http://127.0.0.1:5000/')
    expect(stsEndpoint('us-east-1', {AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_STS: 'http://b:2'}).href).toBe('http://b:2/')
    expect(stsEndpoint('us-east-1', {AWS_ENDPOINT_URL_STS: 'http://b:2', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true'}).host).toBe('sts.us-east-1.amazonaws.com')
  })
})

describe('tokenExpiration', () => {
  it('is 14 minutes ahead, or when the signing credentials expire if that is sooner', () => {
    expect(tokenExpiration(now, credentials).toISOString()).toBe('2026-01-02T03:18:05.000Z')
    const soon = new Date('2026-01-02T03:10:00Z')
    expect(tokenExpiration(now, {...credentials, expiration: soon})).toEqual(soon)
    expect(tokenExpiration(now, {...credentials, expiration: new Date('2026-01-02T05:00:00Z')}).toISOString()).toBe('2026-01-02T03:18:05.000Z')
  })
})

describe('ExecCredential', () => {
  it('takes the apiVersion kubectl asks for in KUBERNETES_EXEC_INFO, else v1beta1', () => {
    expect(execCredentialApiVersion({})).toBe('client.authentication.k8s.io/v1beta1')
    expect(execCredentialApiVersion({KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}'})).toBe(
      'client.authentication.k8s.io/v1',
    )
    expect(execCredentialApiVersion({KUBERNETES_EXEC_INFO: '{"apiVersion":"client.authentication.k8s.io/v1alpha1"}'})).toBe(
      'client.authentication.k8s.io/v1beta1',
    )
    expect(execCredentialApiVersion({KUBERNETES_EXEC_INFO: 'not json'})).toBe('client.authentication.k8s.io/v1beta1')
  })

  it("has aws-cli's shape, with a second-precision timestamp", () => {
    expect(JSON.stringify(execCredential('client.authentication.k8s.io/v1beta1', 'k8s-aws-v1.x', new Date('2026-01-02T03:18:05.678Z')))).toBe(
      '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"expirationTimestamp":"2026-01-02T03:18:05Z","token":"k8s-aws-v1.x"}}',
    )
  })
})

describe('parseTokenArgs (the fast path)', () => {
  it('reads the token flags in both spellings', () => {
    expect(parseTokenArgs(['--cluster', 'c', '--region=eu-west-1', '--role-arn', 'arn:aws:iam::1:role/r', '--profile=p', '--no-color'])).toEqual({
      flags: {cluster: 'c', region: 'eu-west-1', roleArn: 'arn:aws:iam::1:role/r', profile: 'p'},
      noColor: true,
    })
  })

  it('leaves help, debug, json, unknown, repeated and missing flags to oclif', () => {
    for (const argv of [
      ['--cluster', 'c', '--help'],
      ['--cluster', 'c', '--debug'],
      ['--cluster', 'c', '--json'],
      ['--cluster', 'c', '--bogus'],
      ['--cluster', 'a', '--cluster', 'b'],
      ['--region', 'r'],
      ['--cluster'],
      ['--cluster', '--region', 'r'],
    ]) {
      expect(parseTokenArgs(argv), argv.join(' ')).toBeUndefined()
    }
  })
})

describe('roleSessionName', () => {
  it("names the user, within STS's alphabet and length", () => {
    expect(roleSessionName('jane.doe')).toBe('elife-k8s-jane.doe')
    expect(roleSessionName('DOMAIN\\jane doe')).toBe('elife-k8s-DOMAIN-jane-doe')
    expect(roleSessionName('x'.repeat(100))).toHaveLength(64)
  })
})
