/**
 * DATA chunk (RFC 9260 §3.3.1), with the I bit of RFC 7053.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 0    |  Res  |I|U|B|E|           Length              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                              TSN                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Stream Identifier S      |   Stream Sequence Number n    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Payload Protocol Identifier                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                 User Data (seq n of Stream S)                 /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * U marks an unordered message, B and E its first and last fragment, I asks
 * the receiver to acknowledge at once. A DATA chunk carries at least one byte.
 */
import { CHUNK_HEADER_SIZE, ChunkType, padded, type RawChunk, writeChunkHeader } from './chunk-header.js';
import { SctpError, type SctpResult, sctpFail } from './errors.js';

/** Size of the DATA chunk header, chunk header included. */
export const DATA_HEADER_SIZE = 16;

/** Flag bits of DATA and I-DATA chunks. */
export const DataFlags = { End: 1, Beginning: 2, Unordered: 4, Immediate: 8 } as const;

/** A decoded DATA chunk. userData is a view valid as long as the packet buffer. */
export interface DataChunk {
  kind: 'data';
  /** U bit. */
  unordered: boolean;
  /** B bit: the first fragment of a message. */
  beginning: boolean;
  /** E bit: the last fragment of a message. */
  ending: boolean;
  /** I bit (RFC 7053): acknowledge immediately. */
  immediate: boolean;
  /** Transmission sequence number. */
  tsn: number;
  /** Stream identifier. */
  streamId: number;
  /** Stream sequence number (meaningless for unordered messages). */
  streamSequenceNumber: number;
  /** Payload protocol identifier. */
  ppid: number;
  /** User data, at least one byte. */
  userData: Uint8Array;
}

/** Reads the four flag bits shared by DATA and I-DATA. */
export function dataFlagsOf(
  flags: number,
): Pick<DataChunk, 'unordered' | 'beginning' | 'ending' | 'immediate'> {
  return {
    unordered: (flags & DataFlags.Unordered) !== 0,
    beginning: (flags & DataFlags.Beginning) !== 0,
    ending: (flags & DataFlags.End) !== 0,
    immediate: (flags & DataFlags.Immediate) !== 0,
  };
}

/** Packs the four flag bits shared by DATA and I-DATA. */
export function dataFlagsFrom(
  chunk: Pick<DataChunk, 'unordered' | 'beginning' | 'ending' | 'immediate'>,
): number {
  return (
    (chunk.unordered ? DataFlags.Unordered : 0) |
    (chunk.beginning ? DataFlags.Beginning : 0) |
    (chunk.ending ? DataFlags.End : 0) |
    (chunk.immediate ? DataFlags.Immediate : 0)
  );
}

/** Decodes a DATA chunk. Never throws. */
export function decodeData(raw: RawChunk): SctpResult<DataChunk> {
  if (raw.type !== ChunkType.Data)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'data', `chunk type ${raw.type}`, 0);
  const bodySize = DATA_HEADER_SIZE - CHUNK_HEADER_SIZE;
  if (raw.value.length < bodySize)
    return sctpFail(
      'ERR_SCTP_TOO_SHORT',
      'data',
      `DATA value of ${raw.value.length} bytes`,
      CHUNK_HEADER_SIZE,
    );
  // §3.3.1: a DATA chunk without user data is a protocol violation.
  if (raw.value.length === bodySize)
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'data', 'DATA chunk without user data', DATA_HEADER_SIZE);
  // Every DATA chunk received comes through here: plain byte reads, no DataView, no spread.
  const value = raw.value;
  const flags = raw.flags;
  return {
    ok: true,
    value: {
      kind: 'data',
      unordered: (flags & DataFlags.Unordered) !== 0,
      beginning: (flags & DataFlags.Beginning) !== 0,
      ending: (flags & DataFlags.End) !== 0,
      immediate: (flags & DataFlags.Immediate) !== 0,
      tsn: ((value[0] << 24) | (value[1] << 16) | (value[2] << 8) | value[3]) >>> 0,
      streamId: (value[4] << 8) | value[5],
      streamSequenceNumber: (value[6] << 8) | value[7],
      ppid: ((value[8] << 24) | (value[9] << 16) | (value[10] << 8) | value[11]) >>> 0,
      userData: value.subarray(bodySize),
    },
  };
}

/** Encoded size of the chunk, padding included. */
export function dataSize(chunk: DataChunk): number {
  return padded(DATA_HEADER_SIZE + chunk.userData.length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeDataTo(buf: Uint8Array, offset: number, chunk: DataChunk): number {
  if (chunk.userData.length === 0)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'data', 'a DATA chunk needs user data');
  const view = writeChunkHeader(
    buf,
    offset,
    ChunkType.Data,
    dataFlagsFrom(chunk),
    DATA_HEADER_SIZE + chunk.userData.length,
    'data',
  );
  view.setUint32(offset + 4, chunk.tsn >>> 0);
  view.setUint16(offset + 8, chunk.streamId & 0xffff);
  view.setUint16(offset + 10, chunk.streamSequenceNumber & 0xffff);
  view.setUint32(offset + 12, chunk.ppid >>> 0);
  buf.set(chunk.userData, offset + DATA_HEADER_SIZE);
  return dataSize(chunk);
}
