import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Watch, type V1Pod} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ExitCode} from '../../src/lib/errors.js'
import {repoRoot, runCli, runTool, spawnCli} from '../helpers/cli.js'
import {clusterClients, kubeconfig, kubectlBin as kubectl, randomSuffix, viewerKubeconfig} from '../helpers/cluster.js'
import {pcapFixture, pcapFixturePath, readPcap} from '../helpers/pcap.js'
import {waitFor} from '../helpers/wait.js'

// The built CLI in its own process against the real local cluster. kwok plays the kubelets: its
// exec runs the command on this machine, so upload mode really copies the (fake) tcpdump through
// the API server and kwok's streaming server and runs it. kwok v0.7.0 never closes a process's
// stdin (pkg/utils/exec: io.Copy into StdinPipe without Close), so here the remote stop relies on
// sniff hanging up; tests kill what kwok leaves running (the real-sh stop logic is covered in
// test/unit/sniff-specs.test.ts and test/integration/sniff-stream.test.ts).
const fixturePath = pcapFixturePath
const fixture = pcapFixture
const fixtureEnds = readPcap(fixture).ends

const {kc, core} = clusterClients()
const suffix = randomSuffix(5)
const namespace = `sniff-${suffix}`
const restricted = `sniff-restricted-${suffix}`
const work = mkdtempSync(path.join(tmpdir(), 'sniff-cluster-'))
const uploadDir = path.join(work, 'container-tmp')

async function waitRunning(ns: string, name: string): Promise<V1Pod> {
  return waitFor(`pod ${name} in ${ns} Running`, async () => {
    const pod = await core.readNamespacedPod({name, namespace: ns})
    return pod.status?.phase === 'Running' && pod
  })
}

const sniffCli = (args: string[], kubeconfigPath = kubeconfig) => runCli(['sniff', '--kubeconfig', kubeconfigPath, ...args])
/** sniff's arguments for pod web in --mode upload with this fake tcpdump, then `rest`. */
const uploadArgs = (binary: string, ...rest: string[]) => [
  'web',
  '-n',
  namespace,
  '--mode',
  'upload',
  '--tcpdump-binary',
  binary,
  '--upload-dir',
  uploadDir,
  ...rest,
]

function fakeTcpdump(name: string, bytes: Buffer, keepRunning: boolean): string {
  writeFileSync(path.join(work, `${name}.pcap`), bytes)
  const script = path.join(work, name)
  writeFileSync(script, `#!/bin/sh\necho $$ > "${work}/${name}.pid"\ncat "${work}/${name}.pcap"\n${keepRunning ? 'while :; do sleep 1; done\n' : ''}`)
  chmodSync(script, 0o755)
  return script
}

function killLeftover(name: string): void {
  const pidFile = path.join(work, `${name}.pid`)
  if (!existsSync(pidFile)) return
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')))
  } catch {
    // already gone
  }
}

beforeAll(async () => {
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', namespace])
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', restricted])
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'label', 'namespace', restricted, 'pod-security.kubernetes.io/enforce=restricted'])
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'create', 'deployment', 'reviewer', '-n', namespace, '--image=registry.example/reviewer:1'])
  await core.createNamespacedPod({namespace, body: {metadata: {name: 'web'}, spec: {containers: [{name: 'web', image: 'registry.example/web:1'}]}}})
  // Nothing can schedule it: no node has this label, so it stays Pending.
  await core.createNamespacedPod({
    namespace,
    body: {metadata: {name: 'pending'}, spec: {nodeSelector: {'elife-k8s.test/none': 'x'}, containers: [{name: 'web', image: 'registry.example/web:1'}]}},
  })
  // A pod the restricted PodSecurity level admits; sniff's debug container (root, NET_RAW) is not.
  await core.createNamespacedPod({
    namespace: restricted,
    body: {
      metadata: {name: 'api'},
      spec: {
        securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: 'RuntimeDefault'}},
        containers: [{name: 'api', image: 'registry.example/api:1', securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}}}],
      },
    },
  })
  await waitRunning(namespace, 'web')
  await waitRunning(restricted, 'api')
  mkdirSync(uploadDir, {recursive: true})
  expect(statSync(path.join(repoRoot, 'dist', 'commands', 'sniff.js')).isFile()).toBe(true)
})

afterAll(async () => {
  for (const name of ['full', 'cut']) killLeftover(name)
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', namespace, restricted, '--wait=false'])
  rmSync(work, {recursive: true, force: true})
})

describe('sniff errors, each one line with its exit code (real API server)', () => {
  it('pod not found: exit 3', async () => {
    const result = await sniffCli(['nope', '-n', namespace, '-o', path.join(work, 'x.pcap'), '--yes'])
    expect(result.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(result.stderr.trim()).toBe(`error: pod "nope" not found in namespace ${namespace}; list the pods with \`kubectl get pods -n ${namespace}\``)
  })

  it('container not found: exit 3, listing the containers', async () => {
    const result = await sniffCli(['web', '-n', namespace, '-c', 'nginx', '-o', path.join(work, 'x.pcap'), '--yes'])
    expect(result.exitCode).toBe(ExitCode.NOT_FOUND)
    expect(result.stderr.trim()).toBe(`error: container "nginx" not found in pod "web" in ${namespace}; its containers are: web`)
  })

  it('pod not running: exit 7', async () => {
    const result = await sniffCli(['pending', '-n', namespace, '-o', path.join(work, 'x.pcap'), '--yes'])
    expect(result.exitCode).toBe(ExitCode.CONFLICT)
    expect(result.stderr).toMatch(/^error: pod "pending" in sniff-\w+ is not running: its phase is Pending \(not scheduled on a node yet\); /)
  })

  it('PodSecurity "restricted" refuses the debug container: exit 4, also under --dry-run, and nothing is added', async () => {
    for (const extra of [['--dry-run'], ['--yes', '-o', path.join(work, 'x.pcap')]]) {
      const result = await sniffCli(['api', '-n', restricted, ...extra])
      expect(result.exitCode, result.stderr).toBe(ExitCode.FORBIDDEN)
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(
        new RegExp(
          `^error: PodSecurity in namespace ${restricted} does not allow sniff's debug container in pod "api": .*violates PodSecurity "restricted:latest".*; tcpdump needs root`,
        ),
      )
    }
    const pod = await core.readNamespacedPod({name: 'api', namespace: restricted})
    expect(pod.spec?.ephemeralContainers ?? []).toHaveLength(0)
    expect(existsSync(path.join(work, 'x.pcap'))).toBe(false)
  })

  it('RBAC without pods/ephemeralcontainers: exit 4 (the viewer user on a stg pod)', async () => {
    const pods = await core.listNamespacedPod({namespace: 'stg'})
    const running = pods.items.find((p) => p.status?.phase === 'Running')!
    const result = await sniffCli([running.metadata!.name!, '-n', 'stg', '--dry-run'], viewerKubeconfig)
    expect(result.exitCode, result.stderr).toBe(ExitCode.FORBIDDEN)
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: not allowed to add an ephemeral container to pod ".+" in stg: .*cannot patch resource "pods\/ephemeralcontainers".*; this needs the `patch` verb/,
    )
  })

  // Refusals that can be known before the prompt come before it (and before the "no terminal"
  // refusal): a run that would fail after confirmation must not ask first.
  it('no -o and neither wireshark nor tshark on PATH: refused in the plan (exit 2), not after confirmation', async () => {
    const emptyPath = mkdtempSync(path.join(tmpdir(), 'sniff-no-viewer-'))
    const result = await runCli(['sniff', '--kubeconfig', kubeconfig, 'web', '-n', namespace], {env: {PATH: emptyPath, DISPLAY: ''}})
    expect(result.exitCode, result.stderr).toBe(ExitCode.USAGE)
    expect(result.stderr.trim().split('\n')).toEqual([
      'error: no -o given and neither wireshark nor tshark is installed; write to a file with -o capture.pcap, or to stdout with -o -',
    ])
    expect((await core.readNamespacedPod({name: 'web', namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
  })

  it('-o - with stdout a terminal: refused in the plan (exit 2), not after confirmation', async () => {
    // stdout is a pseudo-terminal (script), stdin is not: the old order asked for confirmation first and refused that (exit 8).
    const command = [process.execPath, path.join(repoRoot, 'bin/run.js'), 'sniff', '--kubeconfig', kubeconfig, 'web', '-n', namespace, '-o', '-']
      .map((a) => `'${a}'`)
      .join(' ')
    const result = await runTool('script', ['-qec', `${command} < /dev/null`, '/dev/null'])
    expect(result.exitCode, result.stdout).toBe(ExitCode.USAGE)
    expect(result.stdout).toContain('error: refusing to write a binary pcap to a terminal (-o -)')
    expect(result.stdout).not.toContain('not confirmed')
    expect((await core.readNamespacedPod({name: 'web', namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
  })

  it('no terminal to confirm on and no --yes: aborted (exit 8), nothing added', async () => {
    const result = await sniffCli(['web', '-n', namespace, '-o', path.join(work, 'x.pcap')])
    expect(result.exitCode).toBe(ExitCode.ABORTED)
    expect((await core.readNamespacedPod({name: 'web', namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
  })
})

describe('sniff --dry-run: the API server accepts the debug container, nothing changes', () => {
  it("picks the Deployment's container and reports what it would run", async () => {
    const pods = await core.listNamespacedPod({namespace, labelSelector: 'app=reviewer'})
    const pod = pods.items[0]
    await waitRunning(namespace, pod.metadata!.name!)
    const result = await sniffCli([pod.metadata!.name!, '-n', namespace, '--dry-run', '-f', 'port 53', '--json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({
      dryRun: true,
      container: 'reviewer',
      mode: 'ephemeral',
      helper: {kind: 'ephemeral-container', state: 'would be added (the API server accepted it in a dry run)'},
    })
    expect(json.command.slice(-7)).toEqual(['-U', '-n', '-w', '-', '-i', 'any', 'port 53'])
    expect((await core.readNamespacedPod({name: pod.metadata!.name!, namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
    // Without --json: the plan (what would be added, what cannot be undone) and what it would run, all on stderr.
    const plain = await sniffCli([pod.metadata!.name!, '-n', namespace, '--dry-run', '-f', 'port 53'])
    expect(plain.exitCode, plain.stderr).toBe(0)
    expect(plain.stdout).toBe('')
    expect(plain.stderr).toContain(
      `plan (dry run):\n  - add debug container "elife-k8s-sniff-1" (image docker.io/nicolaka/netshoot:v0.13, tcpdump as root with NET_RAW/NET_ADMIN) to pod "${pod.metadata!.name!}" in ${namespace}, targeting container "reviewer"\n`,
    )
    expect(plain.stderr).toContain('dry run: nothing was changed')
    expect(plain.stderr.trimEnd().split('\n').at(-1)).toMatch(/^it would run: sh -c /)
    expect((await core.readNamespacedPod({name: pod.metadata!.name!, namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
  })

  it('without --yes and with no terminal to ask on: refused (exit 8) after the plan, nothing added', async () => {
    const pods = await core.listNamespacedPod({namespace, labelSelector: 'app=reviewer'})
    const pod = pods.items[0]
    const result = await sniffCli([pod.metadata!.name!, '-n', namespace, '-o', path.join(work, 'unconfirmed.pcap')])
    expect(result.exitCode, result.stderr).toBe(ExitCode.ABORTED)
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^error: not confirmed: add debug container "elife-k8s-sniff-1" .*; rerun with --yes/)
    expect((await core.readNamespacedPod({name: pod.metadata!.name!, namespace})).spec?.ephemeralContainers ?? []).toHaveLength(0)
    expect(existsSync(path.join(work, 'unconfirmed.pcap'))).toBe(false)
  })
})

describe("sniff --mode upload through kwok's exec (real API server and streaming path)", () => {
  it('copies the binary, streams its pcap byte for byte, and removes it', async () => {
    const binary = fakeTcpdump('full', fixture, false)
    const output = path.join(work, 'upload.pcap')
    const result = await sniffCli(uploadArgs(binary, '-o', output, '--yes', '--json'))
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({packets: 11, bytes: fixture.length, stoppedBy: 'remote-ended', helper: {kind: 'uploaded-binary', state: 'removed'}})
    expect(readFileSync(output).equals(fixture)).toBe(true)
    expect(readPcap(readFileSync(output))).toMatchObject({linkType: 276, records: 11, trailing: 0})
    expect(readdirSync(uploadDir)).toEqual([])
    expect(statSync(output).mode & 0o777).toBe(0o600)
  })

  it('-o - streams the pcap to stdout byte for byte, with progress on stderr only', async () => {
    const binary = fakeTcpdump('stdout', fixture, false)
    const child = spawnCli(['sniff', '--kubeconfig', kubeconfig, ...uploadArgs(binary, '-o', '-', '--yes')])
    const chunks: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => chunks.push(d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(exit, stderr).toBe(0)
    expect(Buffer.concat(chunks).equals(fixture)).toBe(true)
    expect(readdirSync(uploadDir)).toEqual([])
  })

  it('with no -o, streams into the real tshark, which prints the same packets it reads from the pcap file', async () => {
    // tshark (Debian's package, installed by .ci/run) is the viewer when there is no display.
    const binary = fakeTcpdump('viewer', fixture, false)
    const env = {DISPLAY: '', WAYLAND_DISPLAY: ''}
    const result = await runCli(['sniff', '--kubeconfig', kubeconfig, ...uploadArgs(binary, '--yes')], {env})
    expect(result.exitCode, result.stderr).toBe(0)
    const fromFile = await runTool('tshark', ['-r', fixturePath])
    const summaries = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^\d+\s+\d+\.\d{6}\s/.test(l))
    expect(summaries(fromFile.stdout)).toHaveLength(11)
    expect(summaries(result.stdout)).toEqual(summaries(fromFile.stdout))
    expect(readdirSync(uploadDir)).toEqual([])
  })

  it('Ctrl-C mid-packet: exit 0, the file is the header and the whole packets, the binary removed', async () => {
    const binary = fakeTcpdump('cut', fixture.subarray(0, fixtureEnds[6] + 30), true)
    const output = path.join(work, 'ctrl-c-capture.pcap')
    const child = spawnCli(['sniff', '--kubeconfig', kubeconfig, ...uploadArgs(binary, '-o', output, '--yes')])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
    while (!existsSync(output) || statSync(output).size < fixtureEnds[6]) await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGINT')
    expect(await exit).toBe(0)
    expect(readFileSync(output).equals(fixture.subarray(0, fixtureEnds[6]))).toBe(true)
    expect(stdout).toBe('')
    expect(stderr).toContain('7 packets')
    expect(readdirSync(uploadDir)).toEqual([])
    killLeftover('cut')
  })
})

describe('sniff --mode privileged (real API server, kwok node)', () => {
  it("creates the helper pod on the target's node, privileged with host PID/network, and deletes it afterwards", async () => {
    const target = await core.readNamespacedPod({name: 'web', namespace})
    const seen: V1Pod[] = []
    const watch = await new Watch(kc).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {labelSelector: 'app.kubernetes.io/name=elife-k8s-sniff'},
      (type, pod: V1Pod) => {
        if (type === 'ADDED') seen.push(pod)
      },
      () => {},
    )
    const result = await sniffCli(['web', '-n', namespace, '--mode', 'privileged', '-o', path.join(work, 'priv.pcap'), '--yes'])
    watch.abort()
    // kwok's exec runs the helper's script on this machine, where no process has the fake
    // container ID: the script's own error comes back, one line, and the pod is still deleted.
    expect(result.exitCode, result.stderr).toBe(ExitCode.TOOL_FAILED)
    expect(result.stderr).toMatch(
      /error: tcpdump in helper pod "sniff-web-\w+" in sniff-\w+ on node ip-10-0-\d-\d+\.us-east-1\.compute\.internal exited with code 3: sniff: no process of container \w+ found on this node/,
    )
    expect(seen).toHaveLength(1)
    const helper = seen[0]
    expect(helper.spec).toMatchObject({nodeName: target.spec!.nodeName, hostPID: true, hostNetwork: true, restartPolicy: 'Never'})
    expect(helper.spec?.containers[0].securityContext?.privileged).toBe(true)
    for (;;) {
      const left = await core.listNamespacedPod({namespace, labelSelector: 'app.kubernetes.io/name=elife-k8s-sniff'})
      if (left.items.length === 0) break
      expect(left.items[0].metadata?.deletionTimestamp).toBeTruthy()
      await new Promise((r) => setTimeout(r, 200))
    }
  })
})
