// The kubeconfig step of `elife-k8s bootstrap --cluster NAME` through the EKS library, with moto
// standing in for EKS (test/setup/moto.ts): it writes what `elife-k8s kubeconfig` writes for the
// same cluster and role, and a second run (and --dry-run) leaves the file alone.
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {awsSandbox, fakeSecretAccessKey, motoAccount, motoWithCluster} from '../setup/moto.js'
import {runCli} from '../helpers/cli.js'

const clusterName = `kubernetes-aws--flux-test-${Math.random().toString(36).slice(2, 6)}`
const roleArn = `arn:aws:iam::${motoAccount}:role/kubernetes-aws--flux-test--AmazonEKSUserRole`
const moto = motoWithCluster(clusterName)

describe('bootstrap kubeconfig step', () => {
  it('writes the entries `elife-k8s kubeconfig` writes; a second run and --dry-run change nothing', async () => {
    const sandbox = awsSandbox(moto.current)
    const ourFile = path.join(sandbox.home, 'bootstrap-config')
    const peerFile = path.join(sandbox.home, 'kubeconfig-config')
    const args = ['--cluster', clusterName, '--region', 'us-east-1', '--role-arn', roleArn]

    const dry = await runCli(['bootstrap', ...args, '--only', 'kubeconfig', '--dry-run', '--json'], {env: {...sandbox.env, KUBECONFIG: ourFile}})
    expect(dry.exitCode, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout).steps[0]).toMatchObject({id: 'kubeconfig', before: {state: 'todo'}})
    expect(() => statSync(ourFile)).toThrow()
    // The step is `elife-k8s kubeconfig`'s action: its plan lines are in bootstrap's plan.
    const human = await runCli(['bootstrap', ...args, '--only', 'kubeconfig', '--dry-run'], {env: {...sandbox.env, KUBECONFIG: ourFile}})
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stderr).toContain(`  - kubeconfig: add cluster "arn:aws:eks:us-east-1:${motoAccount}:cluster/${clusterName}" in ${ourFile}\n`)
    expect(human.stderr).toContain(
      `  - kubeconfig: make context "kubernetes-aws--flux-test--AmazonEKSUserRole@arn:aws:eks:us-east-1:${motoAccount}:cluster/${clusterName}" current\n`,
    )
    expect(() => statSync(ourFile)).toThrow()

    const run = await runCli(['bootstrap', ...args, '--only', 'kubeconfig', '--yes'], {env: {...sandbox.env, KUBECONFIG: ourFile}})
    expect(run.exitCode, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/\[1\/8\] kubeconfig: context ".*" is current in /)
    expect(run.stderr + run.stdout).not.toContain(fakeSecretAccessKey)
    const peer = await runCli(['kubeconfig', ...args], {env: {...sandbox.env, KUBECONFIG: peerFile}})
    expect(peer.exitCode, peer.stderr).toBe(0)
    expect(readFileSync(ourFile, 'utf8')).toBe(readFileSync(peerFile, 'utf8'))
    expect(statSync(ourFile).mode & 0o777).toBe(0o600)

    const before = readFileSync(ourFile, 'utf8')
    const mtime = statSync(ourFile).mtimeMs
    const again = await runCli(['bootstrap', ...args, '--only', 'kubeconfig', '--json'], {env: {...sandbox.env, KUBECONFIG: ourFile}})
    expect(again.exitCode, again.stderr).toBe(0)
    const json = JSON.parse(again.stdout)
    expect(json.changed).toEqual([])
    expect(json.steps[0].before.state).toBe('done')
    expect(readFileSync(ourFile, 'utf8')).toBe(before)
    expect(statSync(ourFile).mtimeMs).toBe(mtime)
  })

  it("an unknown cluster is one line with the EKS library's exit code, nothing written", async () => {
    const sandbox = awsSandbox(moto.current)
    const file = path.join(sandbox.home, 'config')
    const result = await runCli(['bootstrap', '--cluster', 'no-such-cluster', '--region', 'us-east-1', '--only', 'kubeconfig', '--yes'], {
      env: {...sandbox.env, KUBECONFIG: file},
    })
    expect(result.exitCode).toBe(3)
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toHaveLength(1)
    expect(result.stderr).toContain('no-such-cluster')
    expect(() => statSync(file)).toThrow()
  })
})
