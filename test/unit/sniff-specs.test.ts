import {execFileSync, spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {
  COPY_SCRIPT,
  earlierSniffContainers,
  EPHEMERAL_SCRIPT,
  ephemeralContainerSpec,
  helperPodName,
  nextEphemeralName,
  privilegedPodSpec,
  tcpdumpArgs,
  UPLOAD_SCRIPT,
} from '../../src/lib/sniff/specs.js'

const work = mkdtempSync(join(tmpdir(), 'sniff-specs-'))
afterAll(() => rmSync(work, {recursive: true, force: true}))

describe('specs', () => {
  it('tcpdump writes live pcap to stdout, with the filter as one argument', () => {
    expect(tcpdumpArgs({interface: 'any', filter: 'tcp port 80', count: 10})).toEqual(['-U', '-n', '-w', '-', '-i', 'any', '-c', '10', 'tcp port 80'])
  })

  it('the debug container targets the chosen container and runs tcpdump as root with NET_RAW/NET_ADMIN', () => {
    const spec = ephemeralContainerSpec({name: 'sniff-x', image: 'img', targetContainer: 'journal', interface: 'any', filter: 'port 53'})
    expect(spec).toMatchObject({targetContainerName: 'journal', image: 'img', stdin: true, stdinOnce: true, tty: false})
    expect(spec.command).toEqual(['sh', '-c', EPHEMERAL_SCRIPT, 'sniff', '-U', '-n', '-w', '-', '-i', 'any', 'port 53'])
    expect(spec.securityContext?.capabilities?.add).toEqual(['NET_ADMIN', 'NET_RAW'])
  })

  it('the helper pod is pinned to the node, privileged, host PID and network, and bounded in time', () => {
    const pod = privilegedPodSpec({name: 'h', namespace: 'prod', nodeName: 'ip-10-0-1-23', image: 'img', targetPod: 'journal-0', lifetimeSeconds: 700})
    expect(pod.spec).toMatchObject({nodeName: 'ip-10-0-1-23', hostPID: true, hostNetwork: true, restartPolicy: 'Never', activeDeadlineSeconds: 700})
    expect(pod.spec?.containers[0].securityContext?.privileged).toBe(true)
  })

  it('debug containers are numbered per pod: elife-k8s-sniff-N, one more than the highest earlier N', () => {
    expect(nextEphemeralName([])).toBe('elife-k8s-sniff-1')
    expect(nextEphemeralName(['debugger-x7k2p'])).toBe('elife-k8s-sniff-1')
    expect(nextEphemeralName(['elife-k8s-sniff-1', 'debugger', 'elife-k8s-sniff-3'])).toBe('elife-k8s-sniff-4')
    expect(nextEphemeralName(['elife-k8s-sniff-x', 'elife-k8s-sniff-'])).toBe('elife-k8s-sniff-1')
  })

  it("earlier sniff containers are ours and older sniffs' sniff-xxxxx, not other debug containers", () => {
    expect(earlierSniffContainers(['debugger-x7k2p', 'sniff-bcdfg', 'elife-k8s-sniff-2', 'elife-k8s-sniff-x', 'sniff-toolong'])).toEqual([
      'sniff-bcdfg',
      'elife-k8s-sniff-2',
    ])
    // oldest first, whatever order the pod's spec lists them in
    expect(earlierSniffContainers(['elife-k8s-sniff-10', 'elife-k8s-sniff-2', 'sniff-bcdfg', 'elife-k8s-sniff-1'])).toEqual([
      'sniff-bcdfg',
      'elife-k8s-sniff-1',
      'elife-k8s-sniff-2',
      'elife-k8s-sniff-10',
    ])
  })

  it('helper pod names fit in 63 characters', () => {
    const name = helperPodName('a'.repeat(80), 'bcdfg')
    expect(name.length).toBeLessThanOrEqual(63)
    expect(name).toMatch(/^sniff-a+-bcdfg$/)
  })

  it("the upload copy takes exactly the binary's bytes, without waiting for stdin to close, and makes it executable", async () => {
    const content = Buffer.from('#!/bin/sh\necho static tcpdump\n'.repeat(40))
    const target = join(work, 'sniff-tcpdump-abcde')
    const child = spawn('sh', ['-c', COPY_SCRIPT, 'sniff-copy', String(content.length), target], {stdio: ['pipe', 'inherit', 'inherit']})
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve))
    child.stdin.write(content)
    // stdin stays open, as it does through a kubelet that never propagates the close.
    expect(await exit).toBe(0)
    child.stdin.destroy()
    expect(readFileSync(target).equals(content)).toBe(true)
    expect(execFileSync(target).toString()).toContain('static tcpdump')
  })
})

/**
 * The scripts sniff runs remotely, run here by a real sh with a fake tcpdump on PATH that writes a
 * marker, records its pid and runs until signalled: checks the start gate and the stop on stdin EOF.
 */
describe('remote scripts (real sh)', () => {
  const bin = join(work, 'bin')
  execFileSync('mkdir', ['-p', bin])
  const fake = join(bin, 'tcpdump')
  writeFileSync(
    fake,
    `#!/bin/sh\necho $$ > "${work}/tcpdump.pid"\necho "args: $*" >&2\ntrap 'echo stopped >&2; exit 0' TERM\nprintf PCAP\nwhile :; do sleep 1; done\n`,
  )
  chmodSync(fake, 0o755)

  function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
    const child = spawn('sh', ['-c', script, 'sniff', ...args], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    const output = () => ({stdout, stderr})
    const waitFor = async (predicate: () => boolean) => {
      while (!predicate()) await new Promise((r) => setTimeout(r, 20))
    }
    return {child, exit, output, waitFor}
  }

  it('ephemeral: tcpdump starts only after the start line, and stops when stdin closes', async () => {
    rmSync(join(work, 'tcpdump.pid'), {force: true})
    const {child, exit, output, waitFor} = run(EPHEMERAL_SCRIPT, ['-U', '-w', '-', 'tcp port 80'], {PATH: `${bin}:/usr/bin:/bin`})
    child.stdin.write('start\n')
    await waitFor(() => output().stdout.includes('PCAP'))
    expect(output().stderr).toContain('args: -U -w - tcp port 80')
    const pid = Number(readFileSync(join(work, 'tcpdump.pid'), 'utf8'))
    child.stdin.end()
    expect(await exit).toBe(0)
    expect(output().stderr).toContain('stopped')
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it('ephemeral: stdin closing before the start line exits without running tcpdump', async () => {
    rmSync(join(work, 'tcpdump.pid'), {force: true})
    const {child, exit} = run(EPHEMERAL_SCRIPT, [], {PATH: `${bin}:/usr/bin:/bin`})
    child.stdin.end()
    expect(await exit).toBe(0)
    expect(existsSync(join(work, 'tcpdump.pid'))).toBe(false)
  })

  it("ephemeral: no tcpdump in the image is exit code 127 with the runtime's wording", async () => {
    // An image without tcpdump, whether or not this machine has one: a PATH of sh's helpers only.
    const bin = join(work, 'no-tcpdump-bin')
    mkdirSync(bin, {recursive: true})
    for (const tool of ['sh', 'sleep', 'cat']) {
      const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((f) => existsSync(f))!
      if (!existsSync(join(bin, tool))) symlinkSync(found, join(bin, tool))
    }
    const {child, exit, output} = run(EPHEMERAL_SCRIPT, [], {PATH: bin})
    child.stdin.write('start\n')
    expect(await exit).toBe(127)
    expect(output().stderr).toContain('tcpdump: executable file not found in $PATH')
  })

  it('upload: runs the uploaded binary by path and stops it when stdin closes', async () => {
    rmSync(join(work, 'tcpdump.pid'), {force: true})
    const {child, exit, output, waitFor} = run(UPLOAD_SCRIPT, [fake, '-i', 'any'], {PATH: '/usr/bin:/bin'})
    await waitFor(() => output().stdout.includes('PCAP'))
    child.stdin.end()
    expect(await exit).toBe(0)
    expect(output().stderr).toContain('stopped')
  })
})
