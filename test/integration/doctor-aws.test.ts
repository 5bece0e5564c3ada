// `elife-k8s doctor`'s AWS side (the eks and eks-addons checks) against the real local cluster and
// moto playing EKS. moto 5.2 serves DescribeCluster but not DescribeClusterVersions, DescribeAddon
// or DescribeAddonVersions: test/setup/eks-moto-server.py answers those from a catalogue each test
// seeds (setCatalog), in EKS's JSON shapes, so the SDK, our client and the checks run unchanged.
// The local cluster runs what an EKS cluster runs in kube-system (scripts/cluster/fixtures):
// kube-proxy v1.34.1-eksbuild.2, coredns v1.12.3-eksbuild.1, aws-node v1.20.4-eksbuild.1.
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {noAwsCredentials} from '../helpers/aws.js'
import {type CheckJson} from '../helpers/doctor.js'
import {type AwsSandbox, awsSandbox, fakeSecretAccessKey, type Moto, startMoto} from '../setup/moto.js'
import {cli, kubeconfig} from './helm-support.js'

const clusterName = 'elife-doctor'
const day = 86_400_000
/** EKS dates are epoch seconds on the wire. */
const epoch = (ms: number) => Math.floor(ms / 1000)
const isoDay = (ms: number) => new Date(epoch(ms) * 1000).toISOString().slice(0, 10)

let moto: Moto
let sandbox: AwsSandbox
let dir: string

const addonVersions = (kubeProxy: string, coredns: string, cni: string) => [
  {
    addonName: 'kube-proxy',
    type: 'networking',
    addonVersions: [
      {addonVersion: 'v1.35.3-eksbuild.5', compatibilities: [{clusterVersion: '1.35', defaultVersion: false}]},
      {addonVersion: kubeProxy, compatibilities: [{clusterVersion: '1.35', defaultVersion: true}]},
      {addonVersion: 'v1.34.6-eksbuild.2', compatibilities: [{clusterVersion: '1.34', defaultVersion: true}]},
    ],
  },
  {
    addonName: 'coredns',
    type: 'networking',
    addonVersions: [
      {
        addonVersion: coredns,
        compatibilities: [
          {clusterVersion: '1.35', defaultVersion: true},
          {clusterVersion: '1.34', defaultVersion: true},
        ],
      },
    ],
  },
  {addonName: 'vpc-cni', type: 'networking', addonVersions: [{addonVersion: cni, compatibilities: [{clusterVersion: '1.35', defaultVersion: true}]}]},
]

async function doctor(args: string[], env: NodeJS.ProcessEnv): Promise<{exitCode: number; stdout: string; stderr: string; check: (id: string) => CheckJson}> {
  const result = await cli(['doctor', '--json', '--only', 'eks,eks-addons', ...args], env)
  expect(result.stderr, result.stderr).toBe('')
  expect(result.stdout).not.toContain(fakeSecretAccessKey)
  const json = JSON.parse(result.stdout) as {checks: CheckJson[]}
  return {...result, check: (id) => json.checks.find((c) => c.id === id)!}
}

/** The sandbox's AWS environment (moto's endpoint, fake keys) with the local cluster's kubeconfig. */
const awsEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({...sandbox.env, KUBECONFIG: kubeconfig, AWS_MAX_ATTEMPTS: '1', ...extra})

beforeAll(async () => {
  moto = await startMoto()
  await moto.createCluster(clusterName)
  sandbox = awsSandbox(moto)
  dir = mkdtempSync(path.join(tmpdir(), 'elife-k8s-doctor-aws-'))
})

afterAll(async () => {
  await moto?.stop()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

describe('doctor: the AWS side', () => {
  it('without an EKS cluster name, or without AWS credentials, both checks are skipped with why (exit 0)', async () => {
    // the local cluster's kubeconfig uses a client certificate: nothing names an EKS cluster
    let run = await doctor([], awsEnv())
    expect(run.exitCode).toBe(0)
    expect(run.check('eks')).toMatchObject({
      status: 'skipped',
      message: expect.stringContaining('no EKS cluster named'),
      fix: expect.stringContaining('--eks-cluster NAME'),
    })
    expect(run.check('eks-addons').status).toBe('skipped')
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv(noAwsCredentials))
    expect(run.exitCode).toBe(0)
    expect(run.check('eks')).toMatchObject({
      status: 'skipped',
      message: expect.stringContaining(`cannot describe EKS cluster "${clusterName}" in us-east-1 (from --eks-cluster): no AWS credentials found`),
    })
    expect(run.check('eks-addons')).toMatchObject({status: 'skipped', message: run.check('eks').message})
  })

  it("reports platform and Kubernetes version and standard support; kube-proxy behind EKS's default warns with kube-proxy fix", async () => {
    const standardEnd = Date.now() + 400 * day
    await moto.setCatalog({
      clusterVersions: [
        {
          clusterVersion: '1.35',
          versionStatus: 'STANDARD_SUPPORT',
          endOfStandardSupportDate: epoch(standardEnd),
          endOfExtendedSupportDate: epoch(standardEnd + 365 * day),
        },
      ],
      addonVersions: addonVersions('v1.35.3-eksbuild.2', 'v1.12.3-eksbuild.1', 'v1.20.4-eksbuild.1'),
    })
    const run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks')).toMatchObject({
      status: 'ok',
      message: `EKS cluster "${clusterName}" (us-east-1): Kubernetes 1.35, platform eks.4, ACTIVE; Kubernetes 1.35 is in standard support until ${isoDay(standardEnd)}`,
    })
    expect(run.check('eks-addons')).toEqual(
      expect.objectContaining({
        status: 'warn',
        message:
          "for Kubernetes 1.35: kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy) is behind EKS's default v1.35.3-eksbuild.2",
        fix: `elife-k8s kube-proxy fix --eks-cluster ${clusterName} --region us-east-1 --image v1.35.3-eksbuild.2`,
        objects: [
          "kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy) is behind EKS's default v1.35.3-eksbuild.2",
          'coredns v1.12.3-eksbuild.1 (self-managed, Deployment kube-system/coredns)',
          'vpc-cni v1.20.4-eksbuild.1 (self-managed, DaemonSet kube-system/aws-node)',
          // upgrade readiness for 1.36 (the next minor): this catalogue lists nothing for it
          'kube-proxy: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
          'coredns: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
          'vpc-cni: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
        ],
      }),
    )
    // warnings alone: exit 0; --strict: 6, the result still on stdout (checkFailed)
    expect(run.exitCode).toBe(0)
    const strict = await cli(['doctor', '--json', '--only', 'eks,eks-addons', '--strict', '--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(strict.exitCode).toBe(6)
    expect((JSON.parse(strict.stdout) as {checks: CheckJson[]}).checks.map((c) => c.status)).toEqual(['ok', 'warn'])
    // the text form: one line each, the fix under the warning
    const text = await cli(['doctor', '--only', 'eks,eks-addons', '--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(text.exitCode).toBe(0)
    expect(text.stdout).toContain(`fix: elife-k8s kube-proxy fix --eks-cluster ${clusterName} --region us-east-1 --image v1.35.3-eksbuild.2`)
  })

  it("all add-ons at EKS's default pass; a managed CoreDNS and a self-managed VPC CNI behind it warn with their own fixes", async () => {
    await moto.setCatalog({clusterVersions: [], addonVersions: addonVersions('v1.34.1-eksbuild.2', 'v1.12.3-eksbuild.1', 'v1.20.4-eksbuild.1')})
    let run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks-addons')).toMatchObject({
      status: 'ok',
      message:
        'for Kubernetes 1.35: kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy); coredns v1.12.3-eksbuild.1 (self-managed, Deployment kube-system/coredns); vpc-cni v1.20.4-eksbuild.1 (self-managed, DaemonSet kube-system/aws-node); ' +
        'upgrade to 1.36: kube-proxy, coredns, vpc-cni not compared (DescribeAddonVersions lists no version for it)',
    })
    // DescribeClusterVersions lists nothing for 1.35: said so, not guessed
    expect(run.check('eks')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining('DescribeClusterVersions does not list 1.35: its support status is unknown'),
    })

    await moto.setCatalog({
      addonVersions: addonVersions('v1.34.1-eksbuild.2', 'v1.12.4-eksbuild.3', 'v1.21.0-eksbuild.1'),
      addons: {[clusterName]: {coredns: {addonVersion: 'v1.12.1-eksbuild.2', status: 'ACTIVE'}}},
    })
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks-addons').status).toBe('warn')
    expect(run.check('eks-addons').objects).toEqual([
      'kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy)',
      "coredns v1.12.1-eksbuild.2 (managed) is behind EKS's default v1.12.4-eksbuild.3",
      "vpc-cni v1.20.4-eksbuild.1 (self-managed, DaemonSet kube-system/aws-node) is behind EKS's default v1.21.0-eksbuild.1",
      'kube-proxy: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
      'coredns: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
      'vpc-cni: DescribeAddonVersions lists no version for Kubernetes 1.36: not compared',
    ])
    expect(run.check('eks-addons').fix).toBe(
      `aws eks update-addon --cluster-name ${clusterName} --region us-east-1 --addon-name coredns --addon-version v1.12.4-eksbuild.3; ` +
        'kubectl -n kube-system set image daemonset/aws-node aws-vpc-cni-init=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init:v1.21.0-eksbuild.1 aws-node=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.21.0-eksbuild.1',
    )
  })

  it('upgrade readiness: an add-on at a version EKS lists for --kubernetes-version passes; one it does not list warns with the version to move to first and its fix', async () => {
    // The local cluster runs kube-proxy v1.34.1-eksbuild.2, coredns v1.12.3-eksbuild.1, aws-node v1.20.4-eksbuild.1 on 1.35.
    const catalogue = (kubeProxy136: string[]) => [
      {
        addonName: 'kube-proxy',
        type: 'networking',
        addonVersions: [
          {addonVersion: 'v1.36.1-eksbuild.1', compatibilities: [{clusterVersion: '1.36', defaultVersion: true}]},
          {
            addonVersion: 'v1.35.3-eksbuild.2',
            compatibilities: [
              {clusterVersion: '1.35', defaultVersion: false},
              ...(kubeProxy136.includes('v1.35.3-eksbuild.2') ? [{clusterVersion: '1.36', defaultVersion: false}] : []),
            ],
          },
          {
            addonVersion: 'v1.34.1-eksbuild.2',
            compatibilities: [
              {clusterVersion: '1.35', defaultVersion: true},
              ...(kubeProxy136.includes('v1.34.1-eksbuild.2') ? [{clusterVersion: '1.36', defaultVersion: false}] : []),
            ],
          },
        ],
      },
      {
        addonName: 'coredns',
        type: 'networking',
        addonVersions: [
          {
            addonVersion: 'v1.12.3-eksbuild.1',
            compatibilities: [
              {clusterVersion: '1.36', defaultVersion: true},
              {clusterVersion: '1.35', defaultVersion: true},
            ],
          },
        ],
      },
      {
        addonName: 'vpc-cni',
        type: 'networking',
        addonVersions: [
          {
            addonVersion: 'v1.21.0-eksbuild.1',
            compatibilities: [
              {clusterVersion: '1.36', defaultVersion: true},
              {clusterVersion: '1.35', defaultVersion: false},
            ],
          },
          {addonVersion: 'v1.20.4-eksbuild.1', compatibilities: [{clusterVersion: '1.35', defaultVersion: true}]},
        ],
      },
    ]
    // Every add-on at a version EKS lists for 1.36 (the next minor, the default target): ok.
    await moto.setCatalog({
      addonVersions: catalogue(['v1.34.1-eksbuild.2']).map((a) =>
        a.addonName === 'vpc-cni'
          ? {
              ...a,
              addonVersions: [
                {
                  addonVersion: 'v1.20.4-eksbuild.1',
                  compatibilities: [
                    {clusterVersion: '1.35', defaultVersion: true},
                    {clusterVersion: '1.36', defaultVersion: false},
                  ],
                },
              ],
            }
          : a,
      ),
    })
    let run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks-addons')).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/; upgrade to 1\.36: kube-proxy, coredns, vpc-cni at versions EKS lists for it$/),
    })
    expect(run.check('eks-addons').objects).toContain('kube-proxy v1.34.1-eksbuild.2 is among the versions EKS lists for Kubernetes 1.36')

    // kube-proxy and the VPC CNI at versions EKS does not list for 1.36: each warns with the version
    // listed for both 1.35 and 1.36 (1.36's default when it is one) and the command that moves it.
    await moto.setCatalog({addonVersions: catalogue(['v1.35.3-eksbuild.2'])})
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.exitCode).toBe(0)
    expect(run.check('eks-addons').status).toBe('warn')
    expect(run.check('eks-addons').objects).toEqual([
      'kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy)',
      'coredns v1.12.3-eksbuild.1 (self-managed, Deployment kube-system/coredns)',
      'vpc-cni v1.20.4-eksbuild.1 (self-managed, DaemonSet kube-system/aws-node)',
      'kube-proxy v1.34.1-eksbuild.2 is not among the versions EKS lists for Kubernetes 1.36: move to v1.35.3-eksbuild.2 first (listed for 1.35 and 1.36)',
      'coredns v1.12.3-eksbuild.1 is among the versions EKS lists for Kubernetes 1.36',
      'vpc-cni v1.20.4-eksbuild.1 is not among the versions EKS lists for Kubernetes 1.36: move to v1.21.0-eksbuild.1 first (listed for 1.35 and 1.36)',
    ])
    expect(run.check('eks-addons').message).toBe(
      'for Kubernetes 1.35: kube-proxy v1.34.1-eksbuild.2 is not among the versions EKS lists for Kubernetes 1.36: move to v1.35.3-eksbuild.2 first (listed for 1.35 and 1.36), ' +
        'vpc-cni v1.20.4-eksbuild.1 is not among the versions EKS lists for Kubernetes 1.36: move to v1.21.0-eksbuild.1 first (listed for 1.35 and 1.36)',
    )
    expect(run.check('eks-addons').fix).toBe(
      `elife-k8s kube-proxy fix --eks-cluster ${clusterName} --region us-east-1 --image v1.35.3-eksbuild.2; ` +
        'kubectl -n kube-system set image daemonset/aws-node aws-vpc-cni-init=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni-init:v1.21.0-eksbuild.1 aws-node=602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.21.0-eksbuild.1',
    )

    // No kube-proxy version listed for both 1.35 and 1.36: it moves right after the control plane, to 1.36's default.
    await moto.setCatalog({addonVersions: catalogue([])})
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1', '--kubernetes-version', '1.36'], awsEnv())
    expect(run.check('eks-addons').objects).toContain(
      'kube-proxy v1.34.1-eksbuild.2 is not among the versions EKS lists for Kubernetes 1.36, and none is listed for both 1.35 and 1.36: move to v1.36.1-eksbuild.1 right after the control plane',
    )
    expect(run.check('eks-addons').fix).toContain(
      `after the control plane is on 1.36: elife-k8s kube-proxy fix --eks-cluster ${clusterName} --region us-east-1 --image v1.36.1-eksbuild.1`,
    )

    // --kubernetes-version names the target: EKS lists nothing for 1.37 here, said so, not warned.
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1', '--kubernetes-version', '1.37'], awsEnv())
    expect(run.check('eks-addons')).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(/; upgrade to 1\.37: kube-proxy, coredns, vpc-cni not compared \(DescribeAddonVersions lists no version for it\)$/),
    })
  })

  it("warns when the cluster's minor is in extended support, or near the end of standard support, with the dates DescribeClusterVersions gives", async () => {
    const standardEnd = Date.now() - 30 * day
    const extendedEnd = Date.now() + 300 * day
    await moto.setCatalog({
      clusterVersions: [
        {clusterVersion: '1.35', versionStatus: 'EXTENDED_SUPPORT', endOfStandardSupportDate: epoch(standardEnd), endOfExtendedSupportDate: epoch(extendedEnd)},
      ],
      addonVersions: [],
    })
    let run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks')).toMatchObject({
      status: 'warn',
      message: `EKS cluster "${clusterName}" (us-east-1): Kubernetes 1.35, platform eks.4, ACTIVE; Kubernetes 1.35 is in extended support (billed extra) since ${isoDay(standardEnd)}, until ${isoDay(extendedEnd)}`,
      fix: `plan the upgrade: elife-k8s doctor --kubernetes-version 1.36, then aws eks update-cluster-version --name ${clusterName} --region us-east-1 --kubernetes-version 1.36`,
    })
    // no default listed for 1.35: said per add-on, no warning
    expect(run.check('eks-addons')).toMatchObject({
      status: 'ok',
      message: expect.stringContaining(
        'kube-proxy v1.34.1-eksbuild.2 (self-managed, DaemonSet kube-system/kube-proxy): DescribeAddonVersions lists no default for Kubernetes 1.35',
      ),
    })

    const soon = Date.now() + 20 * day
    await moto.setCatalog({clusterVersions: [{clusterVersion: '1.35', versionStatus: 'STANDARD_SUPPORT', endOfStandardSupportDate: epoch(soon)}]})
    run = await doctor(['--eks-cluster', clusterName, '--region', 'us-east-1'], awsEnv())
    expect(run.check('eks').status).toBe('warn')
    expect(run.check('eks').message).toMatch(
      new RegExp(
        `standard support for Kubernetes 1\\.35 ends ${isoDay(soon)} \\(in (19|20) days\\); then extended support or an automatic upgrade, as the cluster's upgradePolicy says$`,
      ),
    )
  })

  it('finds the cluster and region in the kubeconfig aws eks update-kubeconfig writes (exec get-token --cluster-name), and fails on a cluster EKS does not know', async () => {
    await moto.setCatalog({addonVersions: addonVersions('v1.34.1-eksbuild.2', 'v1.12.3-eksbuild.1', 'v1.20.4-eksbuild.1')})
    // The local API server takes the admin's client certificate; an exec plugin named `aws` hands
    // it out as an ExecCredential, with the arguments update-kubeconfig writes (which it ignores).
    const admin = parse(readFileSync(kubeconfig, 'utf8')) as {users: Array<{user: Record<string, string>}>; clusters: Array<{cluster: Record<string, string>}>}
    const pem = (key: string) => Buffer.from(admin.users[0].user[key], 'base64').toString('utf8')
    const credential = path.join(dir, 'credential.json')
    writeFileSync(
      credential,
      JSON.stringify({
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        kind: 'ExecCredential',
        status: {clientCertificateData: pem('client-certificate-data'), clientKeyData: pem('client-key-data')},
      }),
    )
    mkdirSync(path.join(dir, 'bin'), {recursive: true})
    const plugin = path.join(dir, 'bin', 'aws')
    writeFileSync(plugin, `#!/bin/sh\ncat '${credential}'\n`)
    chmodSync(plugin, 0o755)
    const execKubeconfig = (cluster: string) => {
      const file = path.join(dir, `kubeconfig-${cluster}`)
      writeFileSync(
        file,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{name: 'local', cluster: admin.clusters[0].cluster}],
          users: [
            {
              name: 'eks-user',
              user: {
                exec: {
                  apiVersion: 'client.authentication.k8s.io/v1beta1',
                  command: plugin,
                  args: ['--region', 'us-east-1', 'eks', 'get-token', '--cluster-name', cluster, '--output', 'json'],
                },
              },
            },
          ],
          contexts: [{name: 'eks', context: {cluster: 'local', user: 'eks-user'}}],
          'current-context': 'eks',
        }),
      )
      return file
    }
    // AWS_REGION elsewhere: the exec arguments' --region is the one used
    let run = await doctor([], awsEnv({KUBECONFIG: execKubeconfig(clusterName), AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1'}))
    expect(run.check('eks')).toMatchObject({
      status: 'ok',
      message: expect.stringMatching(new RegExp(`^EKS cluster "${clusterName}" \\(us-east-1\\): Kubernetes 1\\.35, platform eks\\.4, ACTIVE; `)),
    })
    expect(run.check('eks-addons').status).toBe('ok')
    run = await doctor([], awsEnv({KUBECONFIG: execKubeconfig('not-there')}))
    expect(run.exitCode).toBe(6)
    expect(run.check('eks')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('cannot describe EKS cluster "not-there" in us-east-1 (from the kubeconfig\'s exec credential plugin): '),
    })
  })
})
