import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {down, up} from '../../scripts/cluster/harness.mjs'
import {ExitCode} from '../../src/lib/errors.js'
import {runCli, runTool} from '../helpers/cli.js'
import {type EksWebhook, startEksWebhook} from '../setup/eks-webhook.js'
import {type AwsSandbox, awsSandbox, fakeSecretAccessKey, type Moto, motoAccount, startMoto} from '../setup/moto.js'

// End to end, as on EKS: a local kube-apiserver authenticates k8s-aws-v1. tokens through a
// TokenReview webhook that calls STS (moto) the way EKS's authenticator does; moto's EKS cluster
// is given that API server's endpoint and CA; `elife-k8s kubeconfig` writes the kubeconfig, and
// kubectl and `elife-k8s images` then get in through `elife-k8s token`.
const clusterName = 'kubernetes-aws--flux-prod'
const userRole = `arn:aws:iam::${motoAccount}:role/kubernetes-aws--flux-prod--AmazonEKSUserRole`

let moto: Moto
let webhook: EksWebhook
let stateDir: string
let kubectl: string
let sandbox: AwsSandbox

beforeAll(async () => {
  moto = await startMoto()
  webhook = await startEksWebhook({
    stsHost: new URL(moto.url).host,
    clusterId: clusterName,
    mappings: [{roleArn: userRole, username: 'eks-user:{{SessionName}}', groups: ['system:masters']}],
  })
  const work = mkdtempSync(path.join(tmpdir(), 'elife-k8s-eks-e2e-'))
  const webhookConfig = path.join(work, 'token-webhook.kubeconfig')
  writeFileSync(webhookConfig, webhook.configYaml())
  stateDir = path.join(work, '.cluster-eks')
  const cluster = await up({
    dir: stateDir,
    quiet: true,
    seed: false,
    extraApiServerArgs: [
      `--authentication-token-webhook-config-file=${webhookConfig}`,
      '--authentication-token-webhook-version=v1',
      '--authentication-token-webhook-cache-ttl=0s',
    ],
  })
  kubectl = path.join(cluster.binDir, 'kubectl')
  const admin = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {clusters: Array<{cluster: {'certificate-authority-data': string; server: string}}>}
  await moto.createCluster(clusterName)
  await moto.editCluster({name: clusterName, endpoint: cluster.server, certificateAuthorityData: admin.clusters[0].cluster['certificate-authority-data']})
  sandbox = awsSandbox(moto)
}, 900_000)

afterAll(async () => {
  if (stateDir) await down({dir: stateDir, quiet: true})
  await webhook?.stop()
  await moto?.stop()
})

describe('EKS access end to end through elife-k8s token', () => {
  it('a kubeconfig written by elife-k8s lets kubectl and elife-k8s images in as the mapped role', async () => {
    const written = await runCli(['kubeconfig', '--cluster', clusterName, '--role-arn', userRole], {env: sandbox.env})
    expect(written.exitCode, written.stderr).toBe(0)

    const whoami = await runTool(kubectl, ['auth', 'whoami', '-o', 'json'], {env: sandbox.env})
    expect(whoami.exitCode, whoami.stderr).toBe(0)
    const user = JSON.parse(whoami.stdout).status.userInfo
    expect(user.username).toMatch(/^eks-user:elife-k8s-/)
    expect(user.groups).toContain('system:masters')
    expect(user.extra.arn[0]).toMatch(new RegExp(`^arn:aws:sts::${motoAccount}:assumed-role/kubernetes-aws--flux-prod--AmazonEKSUserRole/elife-k8s-`))

    const namespaces = await runTool(kubectl, ['get', 'ns', '-o', 'name'], {env: sandbox.env})
    expect(namespaces.exitCode, namespaces.stderr).toBe(0)
    expect(namespaces.stdout).toContain('namespace/kube-system')
    expect(namespaces.stderr).not.toContain('k8s-aws-v1.')

    const images = await runCli(['images', '-A'], {env: sandbox.env})
    expect(images.exitCode, images.stderr).toBe(0)
    expect(images.stderr).toMatch(/distinct images? in \d+ containers? of \d+ pods? across \d+ namespaces? \(all namespaces\)/)
    for (const stream of [images.stderr, written.stderr, namespaces.stderr, whoami.stderr]) {
      expect(stream).not.toContain('k8s-aws-v1.')
      expect(stream).not.toContain(fakeSecretAccessKey)
    }
    expect(webhook.reviews.filter((r) => r.authenticated).length).toBeGreaterThan(0)
  })

  it('an identity the cluster does not map is refused, as EKS refuses it', async () => {
    const kubeconfig = path.join(sandbox.home, 'unmapped')
    const env = {...sandbox.env, KUBECONFIG: kubeconfig}
    expect((await runCli(['kubeconfig', '--cluster', clusterName], {env})).exitCode).toBe(0)
    const refused = await runTool(kubectl, ['get', 'ns'], {env})
    expect(refused.exitCode).not.toBe(0)
    expect(refused.stderr).toMatch(/Unauthorized|must be logged in/)
    const images = await runCli(['images', '-A'], {env})
    expect(images.exitCode).toBe(ExitCode.FORBIDDEN)
    expect(webhook.reviews.at(-1)).toMatchObject({authenticated: false, reason: 'identity not mapped'})
  })
})
