import {describe, expect, it} from 'vitest'

import {PcapFramer, PcapStreamError} from '../../src/lib/sniff/pcap.js'
import {pcapFixture, readPcap} from '../helpers/pcap.js'

const fixture = pcapFixture

describe('PcapFramer', () => {
  const {ends} = readPcap(fixture)

  it('passes a whole capture through unchanged, whatever the chunking', () => {
    expect(ends).toHaveLength(11)
    for (const size of [1, 7, 16, 24, 100, 4096, fixture.length]) {
      const framer = new PcapFramer()
      const out: Buffer[] = []
      for (let i = 0; i < fixture.length; i += size) out.push(framer.push(fixture.subarray(i, i + size)).bytes)
      expect(Buffer.concat(out).equals(fixture), `chunk size ${size}`).toBe(true)
      expect(framer.records).toBe(11)
      expect(framer.pending).toBe(0)
    }
  })

  it('never emits part of a record: a stream cut anywhere yields the header and the whole records before the cut', () => {
    for (const cut of [0, 10, 24, 30, ends[0] - 1, ends[0], ends[4] + 5, fixture.length - 1]) {
      const framer = new PcapFramer()
      const emitted = framer.push(fixture.subarray(0, cut)).bytes
      const whole = cut < 24 ? 0 : Math.max(24, ...ends.filter((end) => end <= cut))
      expect(emitted.length, `cut at ${cut}`).toBe(whole)
      expect(framer.pending).toBe(cut - whole)
    }
  })

  it('stops at --count and drops what follows', () => {
    const framer = new PcapFramer()
    const first = framer.push(fixture.subarray(0, 3000), 3)
    const rest = framer.push(fixture.subarray(3000), 3)
    expect(Buffer.concat([first.bytes, rest.bytes]).equals(fixture.subarray(0, ends[2]))).toBe(true)
    expect(framer.records).toBe(3)
  })

  it('reads the header fields tcpdump wrote', () => {
    const framer = new PcapFramer()
    framer.push(fixture.subarray(0, 24))
    expect(framer.globalHeader).toEqual({littleEndian: true, nanoseconds: false, versionMajor: 2, versionMinor: 4, snapLength: 262144, linkType: 276})
  })

  it('rejects a stream that is not pcap, naming what it got', () => {
    const framer = new PcapFramer()
    expect(() => framer.push(Buffer.from("tcpdump: any: You don't have permission to capture\n"))).toThrow(PcapStreamError)
    expect(() => new PcapFramer().push(Buffer.from("tcpdump: any: You don't have permission to capture\n"))).toThrow(/not pcap \(starts with "tcpdump: any: Yo/)
  })

  it('rejects a record length no link type has', () => {
    const corrupt = Buffer.from(fixture.subarray(0, ends[0]))
    corrupt.writeUInt32LE(0x7fffffff, 24 + 8)
    expect(() => new PcapFramer().push(corrupt)).toThrow(/claims 2147483647 bytes/)
  })

  it('reads big-endian and nanosecond pcaps too', () => {
    const header = Buffer.alloc(24)
    header.writeUInt32BE(0xa1b23c4d, 0)
    header.writeUInt16BE(2, 4)
    header.writeUInt16BE(4, 6)
    header.writeUInt32BE(65535, 16)
    header.writeUInt32BE(1, 20)
    const record = Buffer.alloc(16 + 3)
    record.writeUInt32BE(3, 8)
    record.writeUInt32BE(3, 12)
    const framer = new PcapFramer()
    expect(framer.push(Buffer.concat([header, record])).records).toBe(1)
    expect(framer.globalHeader).toMatchObject({littleEndian: false, nanoseconds: true, linkType: 1})
  })
})

describe('readExitStatus', () => {
  it('reads the kubelet\'s NonZeroExitCode status and the "exit status N" of simpler kubelets', async () => {
    const {readExitStatus} = await import('../../src/lib/sniff/channel.js')
    expect(readExitStatus({status: 'Success'})).toEqual({exitCode: 0})
    expect(readExitStatus({status: 'Failure', reason: 'NonZeroExitCode', details: {causes: [{reason: 'ExitCode', message: '127'}]}})).toEqual({exitCode: 127})
    expect(
      readExitStatus({status: 'Failure', message: 'Internal error occurred: error executing command in container: cmd wait: sh -c ...: exit status 3'}),
    ).toEqual({exitCode: 3})
    expect(readExitStatus({status: 'Failure', message: 'exec: "tar": executable file not found in $PATH'})).toEqual({
      failure: 'exec: "tar": executable file not found in $PATH',
    })
  })
})
