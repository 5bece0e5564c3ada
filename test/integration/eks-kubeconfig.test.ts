import {readFileSync, statSync, writeFileSync, existsSync, mkdirSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {repoRoot, runCli, runTool} from '../helpers/cli.js'
import {type Kubeconfig, readKubeconfig} from '../helpers/kubeconfig.js'
import {type AwsSandbox, awsSandbox, fakeSecretAccessKey, motoAccount, motoWithCluster} from '../setup/moto.js'

// `elife-k8s kubeconfig` against moto's EKS, compared entry by entry with what
// `aws eks update-kubeconfig` (aws-cli 1.45) writes for the same cluster.
const clusterName = 'kubernetes-aws--flux-prod'
const clusterArn = `arn:aws:eks:us-east-1:${motoAccount}:cluster/${clusterName}`
const userRole = `arn:aws:iam::${motoAccount}:role/kubernetes-aws--flux-prod--AmazonEKSUserRole`
const adminRole = `arn:aws:iam::${motoAccount}:role/Admin`
const ourBin = path.join(repoRoot, 'bin', 'run.js')

const moto = motoWithCluster(clusterName)

/** Runs aws-cli and elife-k8s with the same arguments, each writing its own file in the same sandbox. */
async function bothWrite(sandbox: AwsSandbox, awsArgs: string[], ourArgs: string[], seed?: string) {
  const awsFile = path.join(sandbox.home, 'aws-config')
  const ourFile = path.join(sandbox.home, 'our-config')
  if (seed !== undefined) {
    writeFileSync(awsFile, seed)
    writeFileSync(ourFile, seed)
  }
  const aws = await runTool('aws', ['eks', 'update-kubeconfig', '--name', clusterName, ...awsArgs], {env: {...sandbox.env, KUBECONFIG: awsFile}})
  expect(aws.exitCode, aws.stderr).toBe(0)
  const ours = await runCli(['kubeconfig', '--cluster', clusterName, ...ourArgs], {env: {...sandbox.env, KUBECONFIG: ourFile}})
  expect(ours.exitCode, ours.stderr).toBe(0)
  expect(ours.stderr).not.toContain(fakeSecretAccessKey)
  return {
    aws: readKubeconfig(awsFile),
    ours: readKubeconfig(ourFile),
    ourText: readFileSync(ourFile, 'utf8'),
    ourFile,
    awsText: readFileSync(awsFile, 'utf8'),
    run: ours,
  }
}

describe('elife-k8s kubeconfig compared with aws eks update-kubeconfig', () => {
  it('with --authenticator aws-cli writes the very file aws-cli writes', async () => {
    const sandbox = awsSandbox(moto.current)
    const {aws, ours, ourText, awsText, ourFile} = await bothWrite(sandbox, [], ['--authenticator', 'aws-cli'])
    expect(ours).toEqual(aws)
    expect(ourText).toBe(awsText)
    expect(statSync(ourFile).mode & 0o777).toBe(0o600)
  })

  it('by default writes the same cluster and context, and a user that runs elife-k8s token', async () => {
    const sandbox = awsSandbox(moto.current)
    const {aws, ours, run, ourFile} = await bothWrite(sandbox, [], [])
    expect(ours.clusters).toEqual(aws.clusters)
    expect(ours.contexts).toEqual(aws.contexts)
    expect(ours['current-context']).toBe(aws['current-context'])
    expect(ours.users.map((u) => u.name)).toEqual(aws.users.map((u) => u.name))
    expect(ours.users[0].user.exec).toEqual({
      apiVersion: aws.users[0].user.exec?.apiVersion,
      args: ['token', '--cluster', clusterName, '--region', 'us-east-1'],
      // Not on PATH in the sandbox: the absolute path of this checkout's bin, so kubectl runs this copy.
      command: ourBin,
    })
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `✔ context "${clusterArn}" is now current in ${ourFile} (user ${clusterArn}, exec elife-k8s token; cluster added, user added, context added)`,
    )
  })

  it('carries --role-arn, a profile as AWS_PROFILE, and the aliases as aws-cli does', async () => {
    const sandbox = awsSandbox(moto.current, {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: 'elife'})
    sandbox.writeAwsFiles(
      '[profile elife]\nregion = us-east-1\n',
      `[elife]\naws_access_key_id = AKIAPROFILEKEY000001\naws_secret_access_key = ${fakeSecretAccessKey}\n`,
    )
    const args = ['--alias', 'prod', '--user-alias', 'prod-user']
    const {aws, ours} = await bothWrite(sandbox, ['--role-arn', userRole, ...args], ['--role-arn', userRole, ...args, '--authenticator', 'aws-cli'])
    expect(ours).toEqual(aws)
    expect(ours.users[0].user.exec?.env).toEqual([{name: 'AWS_PROFILE', value: 'elife'}])
    expect(ours.users[0].user.exec?.args).toContain(userRole)
  })

  it("names a role's user and context <role>@<cluster ARN>, so a second role no longer replaces the first", async () => {
    const sandbox = awsSandbox(moto.current)
    const awsFile = path.join(sandbox.home, 'aws-config')
    const ourFile = path.join(sandbox.home, 'our-config')
    for (const role of [userRole, adminRole]) {
      expect(
        (await runTool('aws', ['eks', 'update-kubeconfig', '--name', clusterName, '--role-arn', role], {env: {...sandbox.env, KUBECONFIG: awsFile}})).exitCode,
      ).toBe(0)
      expect((await runCli(['kubeconfig', '--cluster', clusterName, '--role-arn', role], {env: {...sandbox.env, KUBECONFIG: ourFile}})).exitCode).toBe(0)
    }
    const aws = readKubeconfig(awsFile)
    const ours = readKubeconfig(ourFile)
    // aws-cli: one user, now signing as the second role only.
    expect(aws.users.map((u) => u.name)).toEqual([clusterArn])
    expect(aws.users[0].user.exec?.args.at(-1)).toBe(adminRole)
    // elife-k8s: one user and context per role, the last one current; the cluster entry is shared.
    expect(ours.users.map((u) => u.name)).toEqual([`kubernetes-aws--flux-prod--AmazonEKSUserRole@${clusterArn}`, `Admin@${clusterArn}`])
    expect(ours.contexts.map((c) => c.context.user)).toEqual(ours.users.map((u) => u.name))
    expect(ours.users.map((u) => u.user.exec?.args.at(-1))).toEqual([userRole, adminRole])
    expect(ours['current-context']).toBe(`Admin@${clusterArn}`)
    expect(ours.clusters).toEqual(aws.clusters)
  })

  it('merges into an existing file like aws-cli, but keeps its comments and formatting', async () => {
    const sandbox = awsSandbox(moto.current)
    const seed = `# shared team kubeconfig
apiVersion: v1
clusters:
- cluster:
    server: https://127.0.0.1:6443   # local
  name: local
contexts:
- context:
    cluster: local
    user: local-admin
    namespace: adm
  name: local
current-context: local
kind: Config
preferences: {}
users:
- name: local-admin
  user:
    token: not-a-real-token
`
    const {aws, ours, ourText, awsText} = await bothWrite(sandbox, [], ['--authenticator', 'aws-cli'], seed)
    expect(ours).toEqual(aws)
    // Byte for byte up to our first entry, except that the yaml library puts one space before an
    // inline comment; aws-cli (PyYAML) drops comments altogether.
    const oneSpace = (text: string) => text.replace(/ +#/g, ' #')
    expect(oneSpace(ourText).startsWith(oneSpace(seed.slice(0, seed.indexOf('contexts:'))))).toBe(true)
    expect(ourText).toContain('# shared team kubeconfig')
    expect(ourText).toContain('# local')
    expect(awsText).not.toContain('# local')
  })

  it('writes into the KUBECONFIG file that already has the cluster, as aws-cli does', async () => {
    const sandbox = awsSandbox(moto.current)
    const first = path.join(sandbox.home, 'first')
    const second = path.join(sandbox.home, 'second')
    writeFileSync(first, 'apiVersion: v1\nkind: Config\nclusters: []\n')
    expect((await runCli(['kubeconfig', '--cluster', clusterName], {env: {...sandbox.env, KUBECONFIG: second}})).exitCode).toBe(0)
    const before = readFileSync(first, 'utf8')
    const again = await runCli(['kubeconfig', '--cluster', clusterName, '--json'], {env: {...sandbox.env, KUBECONFIG: [first, second].join(path.delimiter)}})
    expect(again.exitCode, again.stderr).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({file: second, changes: {cluster: 'unchanged', user: 'unchanged', context: 'unchanged'}})
    expect(readFileSync(first, 'utf8')).toBe(before)
  })

  it('--dry-run prints the entries and changes nothing; --json returns the result', async () => {
    const sandbox = awsSandbox(moto.current)
    const dry = await runCli(['kubeconfig', '--cluster', clusterName, '--dry-run'], {env: sandbox.env})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(existsSync(sandbox.kubeconfig)).toBe(false)
    const printed = parse(dry.stdout) as Kubeconfig
    expect(printed.clusters[0].name).toBe(clusterArn)
    expect(printed.users[0].user.exec?.args).toEqual(['token', '--cluster', clusterName, '--region', 'us-east-1'])
    expect(printed['current-context']).toBe(clusterArn)
    // The plan is on stderr (the entries are the data, on stdout).
    expect(dry.stderr).toMatch(
      /^plan \(dry run\):\n {2}- add cluster "[^"]+" in .*\.kube\/config\n {2}- add user .*\n {2}- add context .*\n {2}- make context "[^"]+" current\ndry run: nothing was changed$/m,
    )

    mkdirSync(path.dirname(sandbox.kubeconfig), {recursive: true})
    writeFileSync(sandbox.kubeconfig, 'apiVersion: v1\nkind: Config\n')
    const json = await runCli(['kubeconfig', '--cluster', clusterName, '--dry-run', '--json'], {env: sandbox.env})
    expect(json.exitCode, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({
      file: sandbox.kubeconfig,
      dryRun: true,
      cluster: {name: clusterName, arn: clusterArn, region: 'us-east-1', status: 'ACTIVE'},
      context: clusterArn,
      user: clusterArn,
      authenticator: 'elife-k8s',
      exec: [ourBin, 'token', '--cluster', clusterName, '--region', 'us-east-1'],
    })
    expect(readFileSync(sandbox.kubeconfig, 'utf8')).toBe('apiVersion: v1\nkind: Config\n')
  })
})
