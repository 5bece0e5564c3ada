import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {oneErrorLine} from '../helpers/assert.js'
import {runCli, runTool} from '../helpers/cli.js'
import {type AwsSandbox, awsSandbox, fakeSecretAccessKey, type Moto, motoAccount, startMoto} from '../setup/moto.js'

// Bad input, each produced for real (moto refusing, a file that is not YAML, a read-only path...),
// each answered with one line, its documented exit code, and the kubeconfig left byte-identical.
const clusterName = 'kubernetes-aws--flux-prod'
const userRole = `arn:aws:iam::${motoAccount}:role/kubernetes-aws--flux-prod--AmazonEKSUserRole`
const seed = `# my kubeconfig
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://127.0.0.1:6443"}
contexts: []
users: []
current-context: ""
`

let moto: Moto
/** A second moto that checks keys and IAM policies (moto's /moto-api/reset-auth). */
let strictMoto: Moto
let limitedUserKeys: {AccessKeyId: string; SecretAccessKey: string}

beforeAll(async () => {
  ;[moto, strictMoto] = await Promise.all([startMoto(), startMoto()])
  await moto.createCluster(clusterName)
  await moto.createCluster('being-created')
  await moto.editCluster({name: 'being-created', status: 'CREATING'})
  await moto.createCluster('being-deleted')
  await moto.editCluster({name: 'being-deleted', status: 'DELETING'})

  // An IAM user who may describe clusters but not assume any role; then moto starts enforcing.
  await strictMoto.createCluster(clusterName)
  const iam = (args: string[]) => runTool('aws', ['iam', ...args, '--endpoint-url', strictMoto.url, '--output', 'json'], {env: awsSandbox(strictMoto).env})
  expect((await iam(['create-user', '--user-name', 'reader'])).exitCode).toBe(0)
  limitedUserKeys = JSON.parse((await iam(['create-access-key', '--user-name', 'reader'])).stdout).AccessKey
  const policy = JSON.stringify({Version: '2012-10-17', Statement: [{Effect: 'Allow', Action: ['eks:DescribeCluster'], Resource: '*'}]})
  expect((await iam(['put-user-policy', '--user-name', 'reader', '--policy-name', 'eks-read', '--policy-document', policy])).exitCode).toBe(0)
  await strictMoto.enforceAuth(0)
})

afterAll(async () => {
  await Promise.all([moto?.stop(), strictMoto?.stop()])
})

/** A sandbox whose kubeconfig already holds `seed`. */
function seeded(target: Moto = moto, overrides: NodeJS.ProcessEnv = {}): AwsSandbox {
  const sandbox = awsSandbox(target, overrides)
  mkdirSync(path.dirname(sandbox.kubeconfig), {recursive: true})
  writeFileSync(sandbox.kubeconfig, seed, {mode: 0o600})
  return sandbox
}

/** Runs the command and checks: the exit code, exactly one `error:` line, no secrets, the kubeconfig untouched. */
async function expectRefusal(sandbox: AwsSandbox, args: string[], exitCode: number, line: RegExp): Promise<string> {
  const before = existsSync(sandbox.kubeconfig) ? readFileSync(sandbox.kubeconfig) : undefined
  const dirBefore = readdirSync(path.dirname(sandbox.kubeconfig)).sort()
  const run = await runCli(args, {env: sandbox.env})
  const errorLine = oneErrorLine(run.stderr)
  expect(errorLine).toMatch(line)
  expect(run.exitCode, run.stderr).toBe(exitCode)
  expect(run.stdout).toBe('')
  expect(run.stderr).not.toContain('k8s-aws-v1.')
  expect(run.stderr).not.toContain(fakeSecretAccessKey)
  if (limitedUserKeys) expect(run.stderr).not.toContain(limitedUserKeys.SecretAccessKey)
  if (before) expect(readFileSync(sandbox.kubeconfig).equals(before)).toBe(true)
  else expect(existsSync(sandbox.kubeconfig)).toBe(false)
  expect(readdirSync(path.dirname(sandbox.kubeconfig)).sort()).toEqual(dirBefore)
  return errorLine
}

const kubeconfigCmd = (...extra: string[]) => ['kubeconfig', '--cluster', clusterName, ...extra]
const tokenCmd = (...extra: string[]) => ['token', '--cluster', clusterName, ...extra]

describe('bad input: one clear line, the documented exit code, nothing written', () => {
  it('an unknown cluster', async () => {
    await expectRefusal(
      seeded(),
      ['kubeconfig', '--cluster', 'no-such-cluster'],
      ExitCode.NOT_FOUND,
      /cannot describe EKS cluster "no-such-cluster" in us-east-1: No cluster found for name: no-such-cluster; check the name and --region/,
    )
  })

  it('a cluster that is not ACTIVE', async () => {
    await expectRefusal(
      seeded(),
      ['kubeconfig', '--cluster', 'being-created'],
      ExitCode.CONFLICT,
      /EKS cluster "being-created" in us-east-1 is CREATING, not ACTIVE; wait until it is ACTIVE/,
    )
    await expectRefusal(seeded(), ['kubeconfig', '--cluster', 'being-deleted'], ExitCode.CONFLICT, /is DELETING, not ACTIVE/)
  })

  it('no credentials at all', async () => {
    const sandbox = seeded(moto, {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined})
    await expectRefusal(
      sandbox,
      kubeconfigCmd(),
      ExitCode.FORBIDDEN,
      /cannot describe EKS cluster "kubernetes-aws--flux-prod" in us-east-1: no AWS credentials found; set AWS_ACCESS_KEY_ID/,
    )
    await expectRefusal(sandbox, tokenCmd(), ExitCode.FORBIDDEN, /cannot get a token for EKS cluster "kubernetes-aws--flux-prod": no AWS credentials found/)
    // The same through the full oclif command (--debug skips the fast path): same line, same code.
    const viaOclif = await runCli([...tokenCmd(), '--debug'], {env: sandbox.env})
    expect(viaOclif.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(viaOclif.stderr.split('\n')[0]).toMatch(/^error: cannot get a token for EKS cluster "kubernetes-aws--flux-prod": no AWS credentials found/)
    expect(viaOclif.stderr).not.toContain(fakeSecretAccessKey)
  })

  it('a profile that does not exist', async () => {
    const sandbox = seeded(moto, {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined})
    await expectRefusal(sandbox, kubeconfigCmd('--profile', 'nope'), ExitCode.FORBIDDEN, /no AWS credentials found \(profile "nope"\)/)
  })

  it('invalid credentials', async () => {
    const sandbox = seeded(strictMoto)
    // moto answers EKS (a JSON API) with an XML InvalidClientTokenId, which the SDK cannot read (real
    // EKS sends UnrecognizedClientException as JSON); STS's answer below is read properly.
    await expectRefusal(
      sandbox,
      kubeconfigCmd(),
      ExitCode.FORBIDDEN,
      /cannot describe EKS cluster "kubernetes-aws--flux-prod" in us-east-1: (AWS rejected the credentials \(UnrecognizedClientException|AWS refused the request \(HTTP 403)/,
    )
    await expectRefusal(
      sandbox,
      tokenCmd('--role-arn', userRole),
      ExitCode.FORBIDDEN,
      /cannot assume role .* AWS rejected the credentials \(InvalidClientTokenId/,
    )
  })

  it('expired credentials', async () => {
    // Credentials that carry their own expiry (AWS_CREDENTIAL_EXPIRATION, as `aws configure
    // export-credentials` or aws-vault set it) are refused before they sign anything.
    const sandbox = seeded(moto, {AWS_SESSION_TOKEN: 'expired-session-token', AWS_CREDENTIAL_EXPIRATION: '2020-01-01T00:00:00Z'})
    await expectRefusal(
      sandbox,
      kubeconfigCmd(),
      ExitCode.FORBIDDEN,
      /cannot describe EKS cluster "kubernetes-aws--flux-prod" in us-east-1: the AWS credentials have expired \(at 2020-01-01T00:00:00.000Z\); refresh them/,
    )
    await expectRefusal(
      sandbox,
      tokenCmd(),
      ExitCode.FORBIDDEN,
      /cannot get a token for EKS cluster "kubernetes-aws--flux-prod": the AWS credentials have expired \(at 2020-01-01T00:00:00.000Z\)/,
    )
    await expectRefusal(sandbox, tokenCmd('--role-arn', userRole), ExitCode.FORBIDDEN, /cannot assume role .*: the AWS credentials have expired/)
  })

  it('a malformed role ARN, before any AWS call', async () => {
    const sandbox = seeded()
    await expectRefusal(
      sandbox,
      kubeconfigCmd('--role-arn', 'kubernetes-aws--flux-prod--AmazonEKSUserRole'),
      ExitCode.USAGE,
      /--role-arn "kubernetes-aws--flux-prod--AmazonEKSUserRole" is not an IAM role ARN; expected arn:aws:iam::/,
    )
    await expectRefusal(sandbox, tokenCmd('--role-arn', 'arn:aws:iam::123:role/x'), ExitCode.USAGE, /is not an IAM role ARN/)
  })

  it('a role that cannot be assumed', async () => {
    const sandbox = seeded(strictMoto, {AWS_ACCESS_KEY_ID: limitedUserKeys.AccessKeyId, AWS_SECRET_ACCESS_KEY: limitedUserKeys.SecretAccessKey})
    await expectRefusal(
      sandbox,
      tokenCmd('--role-arn', userRole),
      ExitCode.FORBIDDEN,
      new RegExp(
        `cannot assume role ${userRole} for EKS cluster "${clusterName}": access denied \\(User: arn:aws:iam::${motoAccount}:user/reader is not authorized to perform: sts:AssumeRole`,
      ),
    )
    // The same user may describe the cluster: kubeconfig itself works (aws-cli too does not assume the role to write the entry).
    const ok = await runCli(kubeconfigCmd('--role-arn', userRole), {env: sandbox.env})
    expect(ok.exitCode, ok.stderr).toBe(0)
  })

  it('no region', async () => {
    const sandbox = seeded(moto, {AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined})
    await expectRefusal(
      sandbox,
      kubeconfigCmd(),
      ExitCode.USAGE,
      /no AWS region for EKS cluster "kubernetes-aws--flux-prod"; pass --region, set AWS_REGION, or set region in the AWS profile/,
    )
    await expectRefusal(sandbox, tokenCmd(), ExitCode.USAGE, /no AWS region for EKS cluster "kubernetes-aws--flux-prod"; pass --region/)
  })

  it('an unreachable endpoint', async () => {
    const sandbox = seeded(moto, {AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1'})
    await expectRefusal(sandbox, kubeconfigCmd(), ExitCode.UNREACHABLE, /the AWS endpoint could not be reached \(ECONNREFUSED\)/)
  })

  it('a kubeconfig that is not valid YAML, or not a kubeconfig', async () => {
    for (const text of ['apiVersion: v1\nclusters: [\n  - name: half\n', 'clusters: {name: not-a-list}\n']) {
      const sandbox = seeded()
      writeFileSync(sandbox.kubeconfig, text)
      await expectRefusal(
        sandbox,
        kubeconfigCmd(),
        ExitCode.USAGE,
        /kubeconfig .*\/\.kube\/config cannot be parsed \(.*\); nothing was written; fix or move the file away/,
      )
      await expectRefusal(sandbox, kubeconfigCmd('--dry-run'), ExitCode.USAGE, /cannot be parsed/)
    }
  })

  it('a read-only kubeconfig file', async () => {
    const sandbox = seeded()
    chmodSync(sandbox.kubeconfig, 0o444)
    await expectRefusal(
      sandbox,
      kubeconfigCmd(),
      ExitCode.USAGE,
      /kubeconfig .*\/\.kube\/config is read-only \(mode 0444\); nothing was written; make it writable/,
    )
  })

  it('a kubeconfig in a directory that cannot be written', async () => {
    const sandbox = seeded()
    const dir = path.dirname(sandbox.kubeconfig)
    writeFileSync(sandbox.kubeconfig, '')
    execFileSync('rm', [sandbox.kubeconfig])
    // Root ignores mode bits; an immutable directory stops even root (and chmod is enough for anyone else).
    const asRoot = process.getuid?.() === 0
    if (asRoot) execFileSync('chattr', ['+i', dir])
    else chmodSync(dir, 0o555)
    try {
      await expectRefusal(
        sandbox,
        kubeconfigCmd(),
        ExitCode.USAGE,
        /kubeconfig .*\/\.kube\/config cannot be written \((EPERM|EACCES) in .*\/\.kube\); nothing was written/,
      )
    } finally {
      if (asRoot) execFileSync('chattr', ['-i', dir])
      else chmodSync(dir, 0o755)
    }
  })
})
