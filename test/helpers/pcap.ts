import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** The captured HTTP exchange the sniff tests stream: 11 packets, link type 276 (Linux SLL2). */
export const pcapFixturePath = fileURLToPath(new URL('../fixtures/pcap/http.pcap', import.meta.url))
export const pcapFixture = readFileSync(pcapFixturePath)

export interface PcapLayout {
  /** The link type in the global header; undefined when the magic is not a little-endian pcap's. */
  linkType?: number
  /** Where each whole record ends (byte offsets). */
  ends: number[]
  records: number
  /** Bytes after the last whole record (a record cut short). */
  trailing: number
}

/**
 * An independent pcap reader for the tests (not sniff's framer): checks the global header's magic
 * and walks the record headers to whole-record boundaries.
 */
export function readPcap(file: Buffer): PcapLayout {
  const ends: number[] = []
  let offset = 24
  while (offset + 16 <= file.length) {
    const end = offset + 16 + file.readUInt32LE(offset + 8)
    if (end > file.length) break
    ends.push(end)
    offset = end
  }
  const linkType = file.length >= 24 && file.readUInt32LE(0) === 0xa1b2c3d4 ? file.readUInt32LE(20) : undefined
  return {linkType, ends, records: ends.length, trailing: file.length - offset}
}
