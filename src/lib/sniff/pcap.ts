/**
 * Frames a tcpdump `-w -` byte stream into whole pcap records, so whatever we write (file, pipe,
 * wireshark) is always a valid pcap prefix: the 24-byte global header first, then only complete
 * records. A capture cut off anywhere (Ctrl-C, a dropped connection, a killed tcpdump) therefore
 * leaves a file every pcap reader opens, never one with a torn last packet.
 */

/** Classic pcap magic numbers (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-01.html). */
const MAGIC_MICROS = 0xa1b2c3d4
const MAGIC_NANOS = 0xa1b23c4d
export const GLOBAL_HEADER_LENGTH = 24
export const RECORD_HEADER_LENGTH = 16
/** No link type carries more than this in one record; a larger length means the stream is not pcap. */
const MAX_RECORD_LENGTH = 256 * 1024 * 4

export interface PcapGlobalHeader {
  littleEndian: boolean
  nanoseconds: boolean
  versionMajor: number
  versionMinor: number
  snapLength: number
  linkType: number
}

export class PcapStreamError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PcapStreamError'
  }
}

/** Reads the global header, or throws PcapStreamError when the bytes are not pcap. */
export function parseGlobalHeader(bytes: Buffer): PcapGlobalHeader {
  if (bytes.length < GLOBAL_HEADER_LENGTH) throw new PcapStreamError(`a pcap header is ${GLOBAL_HEADER_LENGTH} bytes, got ${bytes.length}`)
  const le = bytes.readUInt32LE(0)
  const be = bytes.readUInt32BE(0)
  let littleEndian: boolean
  let nanoseconds: boolean
  if (le === MAGIC_MICROS || le === MAGIC_NANOS) {
    littleEndian = true
    nanoseconds = le === MAGIC_NANOS
  } else if (be === MAGIC_MICROS || be === MAGIC_NANOS) {
    littleEndian = false
    nanoseconds = be === MAGIC_NANOS
  } else {
    // 0x0a0d0d0a is pcapng's section header: tcpdump never writes it with -w, but a custom --image might.
    const what = be === 0x0a0d0d0a ? 'pcapng, which is not supported' : `not pcap (starts with ${JSON.stringify(bytes.subarray(0, 16).toString('latin1'))})`
    throw new PcapStreamError(`the capture stream is ${what}`)
  }
  const u16 = (offset: number) => (littleEndian ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset))
  const u32 = (offset: number) => (littleEndian ? bytes.readUInt32LE(offset) : bytes.readUInt32BE(offset))
  return {littleEndian, nanoseconds, versionMajor: u16(4), versionMinor: u16(6), snapLength: u32(16), linkType: u32(20)}
}

export interface FramedChunk {
  /** Bytes safe to write: the global header and/or whole records. Empty when nothing completed. */
  bytes: Buffer
  /** Whole records contained in `bytes`. */
  records: number
}

/**
 * Incremental framer. `push()` takes whatever arrived on the wire and returns the part that is
 * complete; `pending` is what is held back (at most one partial record).
 */
export class PcapFramer {
  private buffered: Buffer = Buffer.alloc(0)
  private header?: PcapGlobalHeader
  /** Records emitted so far. */
  records = 0
  /** Bytes emitted so far (header included). */
  bytes = 0

  get globalHeader(): PcapGlobalHeader | undefined {
    return this.header
  }

  /** Bytes received but not emitted because the record they belong to is not complete yet. */
  get pending(): number {
    return this.buffered.length
  }

  /**
   * @param maxRecords stop after this many records (`--count`); anything after them is dropped.
   */
  push(chunk: Buffer, maxRecords = Number.POSITIVE_INFINITY): FramedChunk {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    let offset = 0
    let records = 0
    if (!this.header) {
      if (this.buffered.length < GLOBAL_HEADER_LENGTH) return {bytes: Buffer.alloc(0), records: 0}
      this.header = parseGlobalHeader(this.buffered)
      offset = GLOBAL_HEADER_LENGTH
    }
    const {littleEndian} = this.header
    while (this.records + records < maxRecords && this.buffered.length - offset >= RECORD_HEADER_LENGTH) {
      const included = littleEndian ? this.buffered.readUInt32LE(offset + 8) : this.buffered.readUInt32BE(offset + 8)
      if (included > MAX_RECORD_LENGTH) {
        throw new PcapStreamError(`record ${this.records + records + 1} claims ${included} bytes; the stream is corrupt`)
      }
      const end = offset + RECORD_HEADER_LENGTH + included
      if (end > this.buffered.length) break
      offset = end
      records++
    }
    const bytes = this.buffered.subarray(0, offset)
    // Copy the remainder so the emitted slice does not pin a growing buffer.
    this.buffered = this.records + records >= maxRecords ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(offset))
    this.records += records
    this.bytes += bytes.length
    return {bytes, records}
  }
}
