import {chmodSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {userInfo} from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {describe, expect, it} from 'vitest'

import {decodeToken, encodeToken} from '../../src/lib/eks/token-format.js'
import {repoRoot, runCli, runTool} from '../helpers/cli.js'
import {type AwsSandbox, awsSandbox, fakeAccessKeyId, fakeSecretAccessKey, motoAccount, motoWithCluster} from '../setup/moto.js'

// `elife-k8s token` against moto's STS, compared with `aws eks get-token` (aws-cli 1.45) for the
// same cluster and credentials. The byte-for-byte comparison with a frozen clock is in
// test/unit/eks-token.test.ts; here both run for real and the tokens are decoded and used.
const clusterName = 'kubernetes-aws--flux-prod'
const userRole = `arn:aws:iam::${motoAccount}:role/kubernetes-aws--flux-prod--AmazonEKSUserRole`

interface ExecCredential {
  kind: string
  apiVersion: string
  spec: object
  status: {expirationTimestamp: string; token: string}
}

const moto = motoWithCluster(clusterName)

async function ourToken(sandbox: AwsSandbox, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ExecCredential> {
  const run = await runCli(['token', '--cluster', clusterName, ...args], {env: {...sandbox.env, ...env}})
  expect(run.exitCode, run.stderr).toBe(0)
  expectNoSecrets(run.stderr)
  return JSON.parse(run.stdout) as ExecCredential
}

async function awsToken(sandbox: AwsSandbox, args: string[] = []): Promise<ExecCredential> {
  const run = await runTool('aws', ['eks', 'get-token', '--cluster-name', clusterName, ...args], {env: sandbox.env})
  expect(run.exitCode, run.stderr).toBe(0)
  return JSON.parse(run.stdout) as ExecCredential
}

function expectNoSecrets(stderr: string): void {
  expect(stderr).not.toContain('k8s-aws-v1.')
  expect(stderr).not.toContain(fakeSecretAccessKey)
}

/** What STS (moto) says about whoever signed the token: the call EKS's authenticator makes. */
async function callerOf(token: string): Promise<string> {
  const response = await fetch(decodeToken(token), {headers: {'x-k8s-aws-id': clusterName}})
  const body = await response.text()
  expect(response.status, body).toBe(200)
  return /<Arn>([^<]+)<\/Arn>/.exec(body)?.[1] ?? body
}

function minutesAhead(timestamp: string): number {
  return (Date.parse(timestamp) - Date.now()) / 60_000
}

describe('elife-k8s token compared with aws eks get-token', () => {
  it('prints the same ExecCredential, around a token of the same structure', async () => {
    const sandbox = awsSandbox(moto.current)
    const ours = await ourToken(sandbox)
    const aws = await awsToken(sandbox)
    expect(Object.keys(ours)).toEqual(Object.keys(aws))
    expect(ours).toMatchObject({kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: {}})
    expect(ours.apiVersion).toBe(aws.apiVersion)
    for (const credential of [ours, aws]) {
      expect(credential.status.token).toMatch(/^k8s-aws-v1\.[\w-]+$/)
      expect(minutesAhead(credential.status.expirationTimestamp)).toBeGreaterThan(13)
      expect(minutesAhead(credential.status.expirationTimestamp)).toBeLessThanOrEqual(14)
    }
    const ourUrl = decodeToken(ours.status.token)
    const awsUrl = decodeToken(aws.status.token)
    expect(ourUrl.origin).toBe(moto.current.url)
    expect(ourUrl.origin + ourUrl.pathname).toBe(awsUrl.origin + awsUrl.pathname)
    expect([...ourUrl.searchParams.keys()]).toEqual([...awsUrl.searchParams.keys()])
    for (const name of ['Action', 'Version', 'X-Amz-Algorithm', 'X-Amz-Expires', 'X-Amz-SignedHeaders']) {
      expect(ourUrl.searchParams.get(name), name).toBe(awsUrl.searchParams.get(name))
    }
    expect(ourUrl.searchParams.get('Action')).toBe('GetCallerIdentity')
    expect(ourUrl.searchParams.get('X-Amz-Expires')).toBe('60')
    expect(ourUrl.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id')
    // Same key, same scope (date/region/sts/aws4_request).
    expect(ourUrl.searchParams.get('X-Amz-Credential')).toBe(awsUrl.searchParams.get('X-Amz-Credential'))
    expect(ourUrl.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^${fakeAccessKeyId}/\\d{8}/us-east-1/sts/aws4_request$`))
    expect(await callerOf(ours.status.token)).toBe(await callerOf(aws.status.token))
  })

  it("--role-arn assumes the role through STS first, and the token is that role's session", async () => {
    const sandbox = awsSandbox(moto.current)
    const ours = await ourToken(sandbox, ['--role-arn', userRole])
    const aws = await awsToken(sandbox, ['--role-arn', userRole])
    const ourUrl = decodeToken(ours.status.token)
    expect([...ourUrl.searchParams.keys()]).toEqual([...decodeToken(aws.status.token).searchParams.keys()])
    expect(ourUrl.searchParams.get('X-Amz-Credential')).toMatch(/^ASIA/)
    expect(ourUrl.searchParams.get('X-Amz-Security-Token')).toBeTruthy()
    expect(await callerOf(ours.status.token)).toBe(
      `arn:aws:sts::${motoAccount}:assumed-role/kubernetes-aws--flux-prod--AmazonEKSUserRole/elife-k8s-${userInfo().username}`,
    )
    expect(await callerOf(aws.status.token)).toBe(`arn:aws:sts::${motoAccount}:assumed-role/kubernetes-aws--flux-prod--AmazonEKSUserRole/EKSGetTokenAuth`)
  })

  it('answers in the apiVersion kubectl asks for', async () => {
    const sandbox = awsSandbox(moto.current)
    const v1 = await ourToken(sandbox, [], {
      KUBERNETES_EXEC_INFO: JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: {interactive: false}}),
    })
    expect(v1.apiVersion).toBe('client.authentication.k8s.io/v1')
    // The same cached token, in the other apiVersion, with --json too.
    const json = await ourToken(sandbox, ['--json'])
    expect(json.apiVersion).toBe('client.authentication.k8s.io/v1beta1')
    expect(json.status).toEqual(v1.status)
  })
})

describe('the token cache', () => {
  it('serves the same token again from a 0600 file, per cluster, role and profile', async () => {
    const sandbox = awsSandbox(moto.current)
    const first = await ourToken(sandbox)
    const cacheDir = path.join(sandbox.home, '.cache', 'elife-k8s', 'eks-tokens')
    const [file] = readdirSync(cacheDir)
    expect(statSync(path.join(cacheDir, file)).mode & 0o777).toBe(0o600)
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700)
    // A second later a fresh signature would differ (X-Amz-Date has seconds): the same token means the cache answered.
    await sleep(1100)
    expect((await ourToken(sandbox)).status).toEqual(first.status)
    const withRole = await ourToken(sandbox, ['--role-arn', userRole])
    expect(withRole.status.token).not.toBe(first.status.token)
    expect(readdirSync(cacheDir)).toHaveLength(2)
    await sleep(1100)
    expect((await ourToken(sandbox, ['--role-arn', userRole])).status).toEqual(withRole.status)
  })

  it('ignores and replaces a corrupt or foreign cache file, never trusting it', async () => {
    const sandbox = awsSandbox(moto.current)
    const first = await ourToken(sandbox)
    const cacheDir = path.join(sandbox.home, '.cache', 'elife-k8s', 'eks-tokens')
    const file = path.join(cacheDir, readdirSync(cacheDir)[0])

    writeFileSync(file, '{"version":1,"key":')
    await sleep(1100)
    const afterCorrupt = await ourToken(sandbox)
    expect(afterCorrupt.status.token).not.toBe(first.status.token)
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(afterCorrupt.status.token)

    // A planted token (right shape, but readable by others) is not served.
    const planted = JSON.parse(readFileSync(file, 'utf8'))
    writeFileSync(file, JSON.stringify({...planted, token: 'k8s-aws-v1.cGxhbnRlZA'}))
    chmodSync(file, 0o644)
    const afterForeign = await ourToken(sandbox)
    expect(afterForeign.status.token).not.toBe('k8s-aws-v1.cGxhbnRlZA')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(await callerOf(afterForeign.status.token)).toMatch(/^arn:aws:sts::/)
  })
})

describe('the token cache and the credential chain, hardened', () => {
  it('does not serve a cached token signed by a clock ahead of now', async () => {
    const sandbox = awsSandbox(moto.current)
    const first = await runCli(['token', '--cluster', clusterName], {env: sandbox.env})
    expect(first.exitCode, first.stderr).toBe(0)
    const cacheDir = path.join(sandbox.home, '.cache', 'elife-k8s', 'eks-tokens')
    const file = path.join(cacheDir, readdirSync(cacheDir)[0])
    const entry = JSON.parse(readFileSync(file, 'utf8'))
    // The same token, as a clock a day ahead would have signed it: dated tomorrow, "expiring" tomorrow.
    const url = decodeToken(entry.token)
    const tomorrow = new Date(Date.now() + 86_400_000)
    url.searchParams.set('X-Amz-Date', tomorrow.toISOString().replace(/[-:]|\.\d{3}/g, ''))
    const future = {...entry, token: encodeToken(url.toString()), expirationTimestamp: new Date(tomorrow.getTime() + 14 * 60_000).toISOString()}
    writeFileSync(file, JSON.stringify(future), {mode: 0o600})
    const again = await runCli(['token', '--cluster', clusterName], {env: sandbox.env})
    expect(again.exitCode, again.stderr).toBe(0)
    const served = JSON.parse(again.stdout)
    expect(served.status.token).not.toBe(future.token)
    const signedAt = decodeToken(served.status.token).searchParams.get('X-Amz-Date')!
    expect(signedAt < url.searchParams.get('X-Amz-Date')!).toBe(true)
    expect(Date.parse(served.status.expirationTimestamp)).toBeLessThan(Date.now() + 15 * 60_000)
    // And the cache holds the fresh one now.
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe(served.status.token)
  })

  it("with a profile and environment keys, signs with the profile and says nothing on kubectl's terminal", async () => {
    const sandbox = awsSandbox(moto.current, {AWS_PROFILE: 'elife'})
    const profileKey = 'AKIAPROFILEKEY000001'
    sandbox.writeAwsFiles(
      '[profile elife]\nregion = us-east-1\n',
      `[elife]\naws_access_key_id = ${profileKey}\naws_secret_access_key = ${fakeSecretAccessKey}\n`,
    )
    // Each run with an empty cache, so each signs: the fast path, then the full oclif command (--debug).
    for (const [index, args] of [
      ['token', '--cluster', clusterName],
      ['token', '--cluster', clusterName, '--profile', 'elife', '--debug'],
    ].entries()) {
      const run = await runCli(args, {env: {...sandbox.env, XDG_CACHE_HOME: path.join(sandbox.home, `cache-${index}`)}})
      expect(run.exitCode, run.stderr).toBe(0)
      expect(run.stderr).toBe('')
      const credential = decodeToken(JSON.parse(run.stdout).status.token).searchParams.get('X-Amz-Credential')
      expect(credential?.startsWith(`${profileKey}/`)).toBe(true)
      expect(credential?.startsWith(fakeAccessKeyId)).toBe(false)
    }
    const kubeconfig = await runCli(['kubeconfig', '--cluster', clusterName], {env: sandbox.env})
    expect(kubeconfig.exitCode, kubeconfig.stderr).toBe(0)
    expect(kubeconfig.stderr).not.toMatch(/credential sources|WARNING/i)
  })
})

// kubectl runs `token` before its requests, so bin/main.js answers it without oclif when its flags
// are plain (src/lib/eks/token-fast.ts, reading the flags the oclif command declares). Both ways
// must print the same bytes and exit alike; ELIFE_K8S_FAST_PATH=0 turns the fast path off. A probe
// (--require) records whether oclif was loaded, so each case also proves which path ran.
describe('token: the fast path prints what oclif prints', () => {
  const probe = path.join(repoRoot, 'test/fixtures/probes/oclif-loaded.cjs')
  let runs = 0

  async function run(sandbox: AwsSandbox, args: string[], env: NodeJS.ProcessEnv = {}) {
    const file = path.join(sandbox.home, `probe-${runs++}`)
    const result = await runCli(['token', ...args], {env: {...sandbox.env, NODE_OPTIONS: `--require=${probe}`, ELIFE_K8S_PROBE_FILE: file, ...env}})
    return {stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, oclif: readFileSync(file, 'utf8') === 'oclif'}
  }

  it('signing, then from the token cache: the same ExecCredential both ways', async () => {
    const sandbox = awsSandbox(moto.current)
    const args = ['--cluster', clusterName, '--region=us-east-1', '--role-arn', userRole]
    // Signed by the fast path (and cached), then served from the cache by oclif and the fast path.
    const signed = await run(sandbox, args)
    const oclif = await run(sandbox, args, {ELIFE_K8S_FAST_PATH: '0'})
    const cached = await run(sandbox, args)
    expect([signed.oclif, oclif.oclif, cached.oclif]).toEqual([false, true, false])
    expect(signed.exitCode, signed.stderr).toBe(0)
    for (const other of [oclif, cached]) expect([other.stdout, other.stderr, other.exitCode]).toEqual([signed.stdout, signed.stderr, signed.exitCode])
    expect((JSON.parse(signed.stdout) as ExecCredential).status.token).toMatch(/^k8s-aws-v1\./)
  })

  it('failures: the same line and exit code both ways', async () => {
    const noCredentials = awsSandbox(moto.current, {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined})
    const cases: Array<[AwsSandbox, string[]]> = [
      [noCredentials, ['--cluster', clusterName]],
      [awsSandbox(moto.current), ['--cluster', clusterName, '--profile', 'no-such-profile']],
    ]
    for (const [sandbox, args] of cases) {
      const fast = await run(sandbox, args)
      const oclif = await run(sandbox, args, {ELIFE_K8S_FAST_PATH: '0'})
      expect([fast.oclif, oclif.oclif], args.join(' ')).toEqual([false, true])
      expect(fast.exitCode, `${args.join(' ')}: ${fast.stderr}`).not.toBe(0)
      expect([fast.stdout, fast.stderr, fast.exitCode], args.join(' ')).toEqual([oclif.stdout, oclif.stderr, oclif.exitCode])
      expectNoSecrets(fast.stderr)
    }
  })
})
