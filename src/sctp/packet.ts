/**
 * An SCTP packet: the common header (RFC 9260 §3.1) followed by chunks.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Source Port Number        |     Destination Port Number   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Verification Tag                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           Checksum                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                  Chunk #1 ... Chunk #n                        /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The checksum is CRC32c over the whole packet with the checksum field set to
 * zero (§6.8). It is stored in the byte order the reflected CRC produces,
 * least significant byte first, as every deployed implementation does.
 */
import { chunkSize, encodeChunkTo, type SctpChunk } from './chunk.js';
import { decodeRawChunk, type RawChunk, viewOf } from './chunk-header.js';
import { CRC32C_INITIAL, crc32c, crc32cFinal, crc32cUpdate } from './crc32c.js';
import { checkRoom, type SctpResult, sctpFail } from './errors.js';

/** Size of the common header. */
export const COMMON_HEADER_SIZE = 12;

/** The common header of a packet. */
export interface SctpCommonHeader {
  /** Sender's port. */
  sourcePort: number;
  /** Receiver's port. */
  destinationPort: number;
  /** Verification tag (§8.5). */
  verificationTag: number;
}

/** A decoded packet: its header and its chunks, raw, as views valid as long as buf. */
export interface SctpPacket extends SctpCommonHeader {
  /** Chunks in order; their values are views into the packet. */
  chunks: RawChunk[];
}

const ZERO_CHECKSUM = new Uint8Array(4);

/** CRC32c of a packet with its checksum field taken as zero (§6.8), without copying it. */
export function sctpChecksum(buf: Uint8Array): number {
  let register = crc32cUpdate(CRC32C_INITIAL, buf, 0, 8);
  register = crc32cUpdate(register, ZERO_CHECKSUM);
  return crc32cFinal(crc32cUpdate(register, buf, COMMON_HEADER_SIZE, buf.length));
}

/**
 * Decodes a packet: checks the header, the checksum (unless told not to) and
 * that the chunks tile the rest. Never throws.
 */
export function decodeSctpPacket(buf: Uint8Array, verifyChecksum = true): SctpResult<SctpPacket> {
  if (buf.length < COMMON_HEADER_SIZE)
    return sctpFail('ERR_SCTP_TOO_SHORT', 'packet', `packet of ${buf.length} bytes`, 0);
  const view = viewOf(buf);
  if (verifyChecksum) {
    const stored = view.getUint32(8, true);
    if (stored !== sctpChecksum(buf))
      return sctpFail('ERR_SCTP_BAD_CHECKSUM', 'packet', 'CRC32c mismatch', 8);
  }
  const chunks: RawChunk[] = [];
  let at = COMMON_HEADER_SIZE;
  while (at < buf.length) {
    const decoded = decodeRawChunk(buf, at);
    if (!decoded.ok) return decoded;
    chunks.push(decoded.value.chunk);
    at = decoded.value.next;
  }
  return {
    ok: true,
    value: {
      sourcePort: view.getUint16(0),
      destinationPort: view.getUint16(2),
      verificationTag: view.getUint32(4),
      chunks,
    },
  };
}

/** Encoded size of a packet holding the chunks. */
export function sctpPacketSize(chunks: readonly SctpChunk[]): number {
  let size = COMMON_HEADER_SIZE;
  for (const chunk of chunks) size += chunkSize(chunk);
  return size;
}

/**
 * Writes a packet at offset, checksum included, and returns its size; throws
 * SctpError when it does not fit.
 */
export function encodeSctpPacketTo(
  buf: Uint8Array,
  offset: number,
  header: SctpCommonHeader,
  chunks: readonly SctpChunk[],
): number {
  const size = sctpPacketSize(chunks);
  checkRoom(buf, offset, size, 'packet');
  const view = viewOf(buf);
  view.setUint16(offset, header.sourcePort & 0xffff);
  view.setUint16(offset + 2, header.destinationPort & 0xffff);
  view.setUint32(offset + 4, header.verificationTag >>> 0);
  view.setUint32(offset + 8, 0);
  let at = offset + COMMON_HEADER_SIZE;
  for (const chunk of chunks) at += encodeChunkTo(buf, at, chunk);
  const packet = buf.subarray(offset, offset + size);
  view.setUint32(offset + 8, crc32c(packet), true);
  return size;
}
