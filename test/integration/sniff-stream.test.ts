import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {PatchStrategy, setHeaderOptions, type V1ContainerState, type V1Pod} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {CliError, ExitCode} from '../../src/lib/errors.js'
import {runAction} from '../../src/lib/cli/action.js'
import {CommandIO} from '../../src/lib/cli/io.js'
import {sniffAction, type SniffInput} from '../../src/lib/sniff/action.js'
import type {SniffDeps, SniffResult} from '../../src/lib/sniff/sniff.js'
import {EPHEMERAL_SCRIPT} from '../../src/lib/sniff/specs.js'
import {runTool} from '../helpers/cli.js'
import {clusterClients, kubeconfig, kubectlBin as kubectl, randomSuffix} from '../helpers/cluster.js'
import {pcapFixture, readPcap} from '../helpers/pcap.js'
import {waitFor} from '../helpers/wait.js'
import {type ExecServer, runLocally, startExecServer, type StreamRequest} from '../setup/exec-server.js'

// Ephemeral mode end to end. The pod, the ephemeral container sniff adds and every status read go
// to the real API server of the local cluster. Two things no component here can do are stood in
// for, and only those: (1) a kubelet starting the ephemeral container and reporting its state
// (the test writes ephemeralContainerStatuses through the pods/status subresource, as the kubelet
// does), and (2) the container runtime behind `attach` (kwok's attach replays a canned text log
// and drops stdin). For (2) test/setup/exec-server.ts speaks the Kubernetes attach WebSocket
// protocol (v5/v4.channel.k8s.io, channel-prefixed frames, status on channel 3) and runs, as a
// local process, the very command the API server stored for the ephemeral container, with a fake
// `tcpdump` on PATH that writes the fixture pcap.
const fixture = pcapFixture
const fixtureEnds = readPcap(fixture).ends

const {core} = clusterClients()
const suffix = randomSuffix(5)
const namespace = `sniff-stream-${suffix}`
const work = mkdtempSync(path.join(tmpdir(), 'sniff-stream-'))
const bin = path.join(work, 'bin')
let server: ExecServer

/** Fake tcpdumps: `full` writes the fixture and keeps running like tcpdump until SIGTERM; `cut` writes 5 records and half of the 6th. */
function writeFakeTcpdump(kind: 'full' | 'cut'): void {
  const bytes = kind === 'full' ? fixture : fixture.subarray(0, fixtureEnds[4] + 20)
  writeFileSync(path.join(work, `${kind}.pcap`), bytes)
  mkdirSync(path.join(bin, kind), {recursive: true})
  const script = path.join(bin, kind, 'tcpdump')
  writeFileSync(
    script,
    `#!/bin/sh\necho $$ > "${work}/${kind}.pid"\necho "tcpdump args: $*" >&2\ntrap 'exit 0' TERM\ncat "${work}/${kind}.pcap"\nwhile :; do sleep 1; done\n`,
  )
  chmodSync(script, 0o755)
}

async function createPod(name: string, containers: string[], labels: Record<string, string>): Promise<V1Pod> {
  // This test plays the kubelet for ephemeral containers itself (kubeletReports): kwok's Stage that
  // reports them running leaves these pods alone (sniff-ephemeral.test.ts runs it for real). A long
  // delay annotation was not enough: under load the Stage still reported a pull-failure case running.
  const annotations = {'elife-k8s.test/ephemeral-kubelet': 'test'}
  await core.createNamespacedPod({
    namespace,
    body: {metadata: {name, labels, annotations}, spec: {containers: containers.map((c) => ({name: c, image: `registry.example/${c}:1`}))}},
  })
  return waitFor(`pod ${name} Running`, async () => {
    const pod = await core.readNamespacedPod({name, namespace})
    return pod.status?.phase === 'Running' && pod
  })
}

async function setEphemeralState(pod: string, container: string, image: string, state: V1ContainerState): Promise<void> {
  await core.patchNamespacedPodStatus(
    {name: pod, namespace, body: {status: {ephemeralContainerStatuses: [{name: container, image, imageID: '', ready: false, restartCount: 0, state}]}}},
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )
}

/** Plays the kubelet for one pod: waits for sniff's ephemeral container, then reports `state` for it. */
async function kubeletReports(pod: string, state: V1ContainerState): Promise<V1Pod> {
  for (;;) {
    const current = await core.readNamespacedPod({name: pod, namespace})
    const added = current.spec?.ephemeralContainers?.[0]
    if (added) {
      await setEphemeralState(pod, added.name, added.image ?? '', state)
      return current
    }
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The container runtime behind attach: runs the stored command of the ephemeral container with `pathDir` first on PATH. */
function runStoredCommand(pathDir: string, systemPath = true) {
  return async (request: StreamRequest) => {
    const pod = await core.readNamespacedPod({name: request.pod, namespace: request.namespace})
    const container = pod.spec?.ephemeralContainers?.find((c) => c.name === request.container)
    if (!container?.command) return {failure: `container ${request.container} not found`}
    const outcome = await runLocally(request, container.command, {PATH: systemPath ? `${pathDir}:/usr/bin:/bin` : pathDir})
    if ('exitCode' in outcome)
      await setEphemeralState(request.pod, container.name, container.image ?? '', {
        terminated: {exitCode: outcome.exitCode, reason: outcome.exitCode ? 'Error' : 'Completed'},
      })
    return outcome
  }
}

let handler: (request: StreamRequest) => Promise<{exitCode: number} | {failure: string}> = async () => ({failure: 'no handler'})

function options(pod: string, output: string, extra: Partial<SniffInput> = {}): SniffInput {
  return {
    namespace,
    pod,
    mode: 'ephemeral',
    image: 'docker.io/nicolaka/netshoot:v0.13',
    capture: {interface: 'any'},
    uploadDir: '/tmp',
    startTimeoutMs: 60_000,
    output,
    ...extra,
  }
}

/**
 * The sniff action as the command runs it (plan with a server-side dry run, then execute, --yes),
 * with attach going to the exec-protocol test server and the step lines silent.
 */
function sniff(input: SniffInput, extra: Partial<SniffDeps> = {}): Promise<SniffResult> {
  const quiet = () => {}
  const io = new CommandIO({kubeconfig}, true)
  const action = sniffAction({
    streamKc: server.kubeConfig(),
    steps: {action: quiet, success: quiet, waiting: quiet, warning: quiet, progress: quiet, done: quiet},
    pollIntervalMs: 200,
    stopGraceMs: 10_000,
    ...extra,
  })
  return runAction({io}, action, input, {dryRun: false, yes: true})
}

beforeAll(async () => {
  await core.createNamespace({body: {metadata: {name: namespace}}})
  writeFakeTcpdump('full')
  writeFakeTcpdump('cut')
  // An image without tcpdump, whether or not this machine has one: sh and its helpers only.
  mkdirSync(path.join(bin, 'none'), {recursive: true})
  for (const tool of ['sh', 'sleep', 'cat']) {
    symlinkSync(
      ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => existsSync(f))!,
      path.join(bin, 'none', tool),
    )
  }
  server = await startExecServer((request) => handler(request))
})

afterAll(async () => {
  await server?.close()
  await core.deleteNamespace({name: namespace}).catch(() => {})
  rmSync(work, {recursive: true, force: true})
})

describe('sniff --mode ephemeral (real API server; attach through the exec-protocol test server)', () => {
  it('adds a debug container the API server accepts, targeting the app container, and streams the pcap byte for byte', async () => {
    const pod = await createPod('journal-a', ['istio-proxy', 'journal'], {app: 'journal'})
    handler = runStoredCommand(path.join(bin, 'full'))
    const output = path.join(work, 'full-capture.pcap')
    const [result, seen] = await Promise.all([
      sniff(options(pod.metadata!.name!, output, {capture: {interface: 'any', filter: 'tcp port 80', count: 11}})),
      kubeletReports('journal-a', {running: {startedAt: new Date()}}),
    ])

    // What the API server stored, read back with kubectl.
    const stored = JSON.parse(
      (await runTool(kubectl, ['--kubeconfig', kubeconfig, '-n', namespace, 'get', 'pod', 'journal-a', '-o', 'jsonpath={.spec.ephemeralContainers}'])).stdout,
    )
    expect(stored).toHaveLength(1)
    expect(stored[0]).toMatchObject({
      name: result.helper.name,
      targetContainerName: 'journal',
      image: 'docker.io/nicolaka/netshoot:v0.13',
      command: ['sh', '-c', EPHEMERAL_SCRIPT, 'sniff', '-U', '-n', '-w', '-', '-i', 'any', '-c', '11', 'tcp port 80'],
      stdin: true,
      stdinOnce: true,
      securityContext: {capabilities: {add: ['NET_ADMIN', 'NET_RAW']}, runAsUser: 0},
    })
    expect(seen.spec?.ephemeralContainers?.[0].name).toBe(result.helper.name)
    expect(result).toMatchObject({container: 'journal', containerReason: 'matches the app label', packets: 11, bytes: fixture.length, stoppedBy: 'count'})

    const written = readFileSync(output)
    expect(written.equals(fixture)).toBe(true)
    expect(readPcap(written)).toMatchObject({linkType: 276, records: 11, trailing: 0})

    // The attach sent the start line, then closed stdin; the script stopped the fake tcpdump.
    const attach = server.requests.at(-1)!
    expect(attach).toMatchObject({kind: 'attach', pod: 'journal-a', container: result.helper.name, protocol: 'v5.channel.k8s.io', stdinBytes: 'start\n'.length})
    const pid = Number(readFileSync(path.join(work, 'full.pid'), 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow()
    expect(result.helper.state).toBe('stopped (exit code 0)')
  })

  it('interrupted mid-packet, the file holds the header and the whole packets so far, and tcpdump is stopped', async () => {
    await createPod('journal-b', ['journal'], {app: 'journal'})
    handler = runStoredCommand(path.join(bin, 'cut'))
    const output = path.join(work, 'cut-capture.pcap')
    const interrupt = new AbortController()
    const [result] = await Promise.all([
      sniff(options('journal-b', output), {signal: interrupt.signal, onProgress: ({packets}) => packets === 5 && interrupt.abort()}),
      kubeletReports('journal-b', {running: {startedAt: new Date()}}),
    ])
    expect(result).toMatchObject({packets: 5, stoppedBy: 'interrupted'})
    const written = readFileSync(output)
    expect(written.equals(fixture.subarray(0, fixtureEnds[4]))).toBe(true)
    expect(readPcap(written)).toMatchObject({records: 5, trailing: 0})
    const pid = Number(readFileSync(path.join(work, 'cut.pid'), 'utf8'))
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it('tcpdump missing in the image: one line, exit code 9, no file', async () => {
    await createPod('journal-c', ['journal'], {app: 'journal'})
    handler = runStoredCommand(path.join(bin, 'none'), false)
    const output = path.join(work, 'none.pcap')
    const [outcome] = await Promise.all([
      sniff(options('journal-c', output)).catch((error: unknown) => error),
      kubeletReports('journal-c', {running: {startedAt: new Date()}}),
    ])
    expect(outcome).toBeInstanceOf(CliError)
    expect((outcome as CliError).exitCode).toBe(ExitCode.TOOL_FAILED)
    expect((outcome as CliError).line).toMatch(
      /^tcpdump is missing in debug container "elife-k8s-sniff-1" of pod "journal-c" in sniff-stream-\w+: sniff: tcpdump: executable file not found in \$PATH; use an --image that has sh and tcpdump/,
    )
    expect(() => readFileSync(output)).toThrow(/ENOENT/)
  })

  it('image cannot be pulled (ErrImagePull reported in the pod status): one line naming the image, exit code 9', async () => {
    await createPod('journal-d', ['journal'], {app: 'journal'})
    const [outcome] = await Promise.all([
      sniff(options('journal-d', path.join(work, 'pull.pcap'), {image: 'registry.example/no-such/tcpdump:0'})).catch((error: unknown) => error),
      kubeletReports('journal-d', {
        waiting: {reason: 'ErrImagePull', message: 'failed to pull and unpack image "registry.example/no-such/tcpdump:0": not found'},
      }),
    ])
    expect((outcome as CliError).exitCode).toBe(ExitCode.TOOL_FAILED)
    expect((outcome as CliError).line).toBe(
      `image registry.example/no-such/tcpdump:0 cannot be pulled for debug container "${(await core.readNamespacedPod({name: 'journal-d', namespace})).spec!.ephemeralContainers![0].name}" in ${namespace}: ErrImagePull: failed to pull and unpack image "registry.example/no-such/tcpdump:0": not found; check the image name and that the node can reach its registry, or pass another --image`,
    )
  })
})
