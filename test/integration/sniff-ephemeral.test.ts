import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {V1Pod} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {childEnv, repoRoot, runCli, runTool} from '../helpers/cli.js'
import {clusterClients, kubeconfig, kubectlBin as kubectl, randomSuffix} from '../helpers/cluster.js'
import {readPcap} from '../helpers/pcap.js'

// sniff's default mode end to end, the CLI in its own process against the local cluster, with
// nothing stood in for by the test itself. What is real: the API server (it stores the ephemeral
// container, runs admission, relays the attach), kwok's Stage `pod-ephemeral-container-running`
// (it reports the container running, as a kubelet does), the attach stream API server -> "kubelet"
// (served by scripts/cluster/kubelet-front with the kubelet's own streaming server code), the
// container's process (the command sniff stored in the pod's spec: sh, sniff's script, and this
// machine's real tcpdump, as a local process), and the packets: TCP connections this test makes
// on loopback, captured live by that tcpdump. What is not: there are no containers, so tcpdump
// captures in this machine's network namespace, not a pod's (the filter keeps to this test's
// port); it needs tcpdump and the right to capture (root or CAP_NET_RAW; .ci/run installs it).
const {core} = clusterClients()
const namespace = `sniff-eph-${randomSuffix(5)}`
const work = mkdtempSync(path.join(tmpdir(), 'sniff-ephemeral-'))

/** A TCP echo server on loopback, and a client that keeps making short connections to it. */
let server: net.Server
let port = 0
let traffic: NodeJS.Timeout | undefined

function startTraffic(): void {
  traffic = setInterval(() => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end('ping\n'))
    socket.on('error', () => {})
    socket.resume()
  }, 100)
}

async function pod(name: string): Promise<V1Pod> {
  return core.readNamespacedPod({name, namespace})
}

/** The TCP ports of each record of a Linux SLL2 (link type 276) pcap holding IPv4 packets. */
function tcpPorts(file: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let offset = 24
  while (offset + 16 <= file.length) {
    const length = file.readUInt32LE(offset + 8)
    const packet = file.subarray(offset + 16, offset + 16 + length)
    const ip = packet.subarray(20) // the SLL2 header is 20 bytes
    const ihl = (ip[0] & 0x0f) * 4
    out.push(ip[9] === 6 ? [ip.readUInt16BE(ihl), ip.readUInt16BE(ihl + 2)] : [-1, -1])
    offset += 16 + length
  }
  return out
}

function sniffArgs(extra: string[]): string[] {
  return ['sniff', '--kubeconfig', kubeconfig, 'web', '-n', namespace, '-f', `tcp port ${port}`, '--yes', ...extra]
}

beforeAll(async () => {
  server = net.createServer((socket) => socket.pipe(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as net.AddressInfo).port
  startTraffic()
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'create', 'namespace', namespace])
  await core.createNamespacedPod({namespace, body: {metadata: {name: 'web'}, spec: {containers: [{name: 'web', image: 'registry.example/web:1'}]}}})
  while ((await pod('web')).status?.phase !== 'Running') await new Promise((r) => setTimeout(r, 200))
  expect(statSync(path.join(repoRoot, 'dist', 'commands', 'sniff.js')).isFile()).toBe(true)
})

afterAll(async () => {
  clearInterval(traffic)
  server?.close()
  await runTool(kubectl, ['--kubeconfig', kubeconfig, 'delete', 'namespace', namespace, '--wait=false'])
  rmSync(work, {recursive: true, force: true})
})

describe('sniff (default mode: ephemeral debug container) end to end on the local cluster', () => {
  it('--count: the debug container runs, real tcpdump captures exactly that many packets of the live traffic into a valid pcap, and stops', async () => {
    const output = path.join(work, 'count.pcap')
    const result = await runCli(sniffArgs(['--count', '6', '-o', output, '--json']))
    expect(result.exitCode, result.stderr).toBe(0)
    const json = JSON.parse(result.stdout)
    expect(json).toMatchObject({
      mode: 'ephemeral',
      container: 'web',
      packets: 6,
      helper: {kind: 'ephemeral-container', name: 'elife-k8s-sniff-1', state: 'stopped (exit code 0)', earlier: []},
    })
    expect(['count', 'remote-ended']).toContain(json.stoppedBy)
    const file = readFileSync(output)
    expect(readPcap(file)).toMatchObject({linkType: 276, records: 6, trailing: 0})
    expect(json.bytes).toBe(file.length)
    // Every packet is one of this test's connections (independent reader: tshark).
    for (const [src, dst] of tcpPorts(file)) expect([src, dst]).toContain(port)
    const tshark = await runTool('tshark', ['-r', output, '-Y', `tcp.port == ${port}`, '-T', 'fields', '-e', 'frame.number'])
    expect(tshark.stdout.trim().split('\n')).toHaveLength(6)
    // The container the API server stored is the one that ran, and the kubelet side reports it ended.
    const after = await pod('web')
    expect(after.spec?.ephemeralContainers?.map((c) => c.name)).toEqual(['elife-k8s-sniff-1'])
    expect(after.spec?.ephemeralContainers?.[0]).toMatchObject({targetContainerName: 'web', stdin: true, stdinOnce: true})
    expect(after.status?.ephemeralContainerStatuses?.[0].state?.terminated?.exitCode).toBe(0)
  })

  it('--duration: stops on time into a valid pcap of whole packets; the next try is elife-k8s-sniff-2 and names the earlier one', async () => {
    const output = path.join(work, 'duration.pcap')
    const result = await runCli(sniffArgs(['--duration', '2s', '-o', output]))
    expect(result.exitCode, result.stderr).toBe(0)
    expect(result.stderr).toContain('pod "web" already has 1 debug container from earlier sniffs: elife-k8s-sniff-1 (exited 0)')
    expect(result.stderr).toContain(
      'an ephemeral container cannot be removed from a pod once added (a Kubernetes limit): "elife-k8s-sniff-2" will stay in the pod\'s spec, stopped, until the pod is replaced',
    )
    const file = readFileSync(output)
    const layout = readPcap(file)
    expect(layout).toMatchObject({linkType: 276, trailing: 0})
    expect(layout.records).toBeGreaterThan(0)
    for (const [src, dst] of tcpPorts(file)) expect([src, dst]).toContain(port)
    // stdout carries no data here (the pcap went to -o); what was captured and what is left are on stderr
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`${layout.records} packets`)
    expect(result.stderr).toMatch(
      /debug container "elife-k8s-sniff-2" of pod "web" in sniff-eph-\w+: stopped \(exit code 0\); it cannot be removed from the pod \(a Kubernetes limit on ephemeral containers\).*; earlier sniffs left: elife-k8s-sniff-1 \(exited 0\)/,
    )
    // Closing stdin stopped the remote tcpdump: the container's process exited.
    const after = await pod('web')
    const status = after.status?.ephemeralContainerStatuses?.find((s) => s.name === 'elife-k8s-sniff-2')
    expect(status?.state?.terminated?.exitCode).toBe(0)
  })

  it("SIGINT: stops cleanly, the pcap holds whole packets only, and the debug container's tcpdump stops", async () => {
    const output = path.join(work, 'sigint.pcap')
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run.js'), ...sniffArgs(['-o', output])], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
    // Interrupt once packets are flowing into the file.
    while (!existsSync(output) || readPcap(readFileSync(output)).records < 3) await new Promise((r) => setTimeout(r, 100))
    child.kill('SIGINT')
    expect(await exit, stderr).toBe(0)
    const file = readFileSync(output)
    const layout = readPcap(file)
    expect(layout).toMatchObject({linkType: 276, trailing: 0})
    expect(layout.records).toBeGreaterThanOrEqual(3)
    expect(stdout).toBe('')
    expect(stderr).toContain(`${layout.records} packets`)
    expect(stderr).toContain('already has 2 debug containers from earlier sniffs: elife-k8s-sniff-1 (exited 0), elife-k8s-sniff-2 (exited 0)')
    const after = await pod('web')
    expect(after.spec?.ephemeralContainers?.map((c) => c.name).sort()).toEqual(['elife-k8s-sniff-1', 'elife-k8s-sniff-2', 'elife-k8s-sniff-3'])
    expect(after.status?.ephemeralContainerStatuses?.find((s) => s.name === 'elife-k8s-sniff-3')?.state?.terminated?.exitCode).toBe(0)
  })
})
