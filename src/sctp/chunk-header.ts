/**
 * The header every chunk starts with (RFC 9260 §3.2).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Chunk Type  | Chunk  Flags  |        Chunk Length           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                          Chunk Value                          /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Chunk Length counts the header and the value but not the padding that
 * brings every chunk to a multiple of 4 bytes.
 */
import { checkRoom, SctpError, type SctpErrorSite, type SctpResult, sctpFail } from './errors.js';

/** Size of the chunk header. */
export const CHUNK_HEADER_SIZE = 4;

/** Chunk types used by WebRTC (RFC 9260 §3.2, RFC 3758 §3.2, RFC 6525 §3.1, RFC 8260 §2.1, §2.3.1). */
export const ChunkType = {
  Data: 0,
  Init: 1,
  InitAck: 2,
  Sack: 3,
  Heartbeat: 4,
  HeartbeatAck: 5,
  Abort: 6,
  Shutdown: 7,
  ShutdownAck: 8,
  Error: 9,
  CookieEcho: 10,
  CookieAck: 11,
  ShutdownComplete: 14,
  IData: 64,
  ReConfig: 130,
  ForwardTsn: 192,
  IForwardTsn: 194,
} as const;

/** A chunk as found in a packet: its type, flags and value, undecoded. */
export interface RawChunk {
  /** Chunk type. */
  type: number;
  /** Chunk flags. */
  flags: number;
  /** The chunk value without header or padding (a view into the packet). */
  value: Uint8Array;
}

/** What to do with a chunk of an unknown type, from its upper two bits (RFC 9260 §3.2). */
export interface UnknownChunkAction {
  /** Stop processing the rest of the packet. */
  stop: boolean;
  /** Report the chunk in an ERROR with an Unrecognized Chunk Type cause. */
  report: boolean;
}

/** The action the upper two bits of an unknown chunk type ask for (RFC 9260 §3.2). */
export function unknownChunkAction(type: number): UnknownChunkAction {
  const bits = (type >>> 6) & 3;
  return { stop: (bits & 2) === 0, report: (bits & 1) === 1 };
}

/** Rounds a length up to the next multiple of 4. */
export function padded(length: number): number {
  return (length + 3) & ~3;
}

/** A DataView over a whole Uint8Array. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Decodes the chunk at offset: its header and a view of its value. The last
 * chunk of a packet may omit its padding. Returns the chunk and the offset of
 * the next one. Never throws.
 */
export function decodeRawChunk(
  buf: Uint8Array,
  offset: number,
): SctpResult<{ chunk: RawChunk; next: number }> {
  if (offset + CHUNK_HEADER_SIZE > buf.length)
    return sctpFail('ERR_SCTP_TOO_SHORT', 'chunk', 'truncated chunk header', offset);
  const length = (buf[offset + 2] << 8) | buf[offset + 3];
  if (length < CHUNK_HEADER_SIZE)
    return sctpFail('ERR_SCTP_BAD_LENGTH', 'chunk', `chunk length ${length} is below 4`, offset + 2);
  if (offset + length > buf.length)
    return sctpFail('ERR_SCTP_BAD_LENGTH', 'chunk', `a ${length}-byte chunk overruns the packet`, offset + 2);
  const chunk: RawChunk = {
    type: buf[offset],
    flags: buf[offset + 1],
    value: buf.subarray(offset + CHUNK_HEADER_SIZE, offset + length),
  };
  return { ok: true, value: { chunk, next: Math.min(offset + padded(length), buf.length) } };
}

/**
 * Checks room for a chunk of the given unpadded length at offset, writes its
 * header and zeroes its padding. Returns a DataView over the whole buffer.
 * Throws SctpError when the chunk does not fit or is too long.
 */
export function writeChunkHeader(
  buf: Uint8Array,
  offset: number,
  type: number,
  flags: number,
  length: number,
  site: SctpErrorSite,
): DataView {
  if (length > 0xffff || length < CHUNK_HEADER_SIZE)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', site, `chunk length ${length} cannot be encoded`);
  checkRoom(buf, offset, padded(length), site);
  const view = viewOf(buf);
  buf[offset] = type;
  buf[offset + 1] = flags;
  view.setUint16(offset + 2, length);
  buf.fill(0, offset + length, offset + padded(length));
  return view;
}
