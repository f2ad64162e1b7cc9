/**
 * FORWARD TSN chunk (RFC 3758 §3.2): moves the receiver's cumulative TSN past
 * abandoned messages and tells it, per ordered stream, the last skipped SSN.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 192  |  Flags = 0x00 |        Length = Variable      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      New Cumulative TSN                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Stream-1              |       Stream Sequence-1       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               /
 *   /                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Stream-N              |       Stream Sequence-N       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** A stream and the last SSN skipped on it. */
export interface ForwardTsnStream {
  /** Stream identifier. */
  streamId: number;
  /** Largest stream sequence number skipped. */
  streamSequenceNumber: number;
}

/** A decoded FORWARD TSN. */
export interface ForwardTsnChunk {
  kind: 'forward-tsn';
  /** The receiver treats every TSN up to this one as received. */
  newCumulativeTsn: number;
  /** Ordered streams with skipped messages. */
  streams: ForwardTsnStream[];
}

/** Decodes a FORWARD TSN. Never throws. */
export function decodeForwardTsn(raw: RawChunk): SctpResult<ForwardTsnChunk> {
  if (raw.type !== ChunkType.ForwardTsn)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'forward-tsn', `chunk type ${raw.type}`, 0);
  if (raw.value.length < 4 || raw.value.length % 4 !== 0)
    return sctpFail(
      'ERR_SCTP_BAD_LENGTH',
      'forward-tsn',
      `FORWARD TSN value of ${raw.value.length} bytes`,
      2,
    );
  const view = viewOf(raw.value);
  const streams: ForwardTsnStream[] = [];
  for (let at = 4; at < raw.value.length; at += 4)
    streams.push({ streamId: view.getUint16(at), streamSequenceNumber: view.getUint16(at + 2) });
  return { ok: true, value: { kind: 'forward-tsn', newCumulativeTsn: view.getUint32(0), streams } };
}

/** Encoded size of the chunk. */
export function forwardTsnSize(chunk: ForwardTsnChunk): number {
  return CHUNK_HEADER_SIZE + 4 + 4 * chunk.streams.length;
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeForwardTsnTo(buf: Uint8Array, offset: number, chunk: ForwardTsnChunk): number {
  const size = forwardTsnSize(chunk);
  const view = writeChunkHeader(buf, offset, ChunkType.ForwardTsn, 0, size, 'forward-tsn');
  view.setUint32(offset + 4, chunk.newCumulativeTsn >>> 0);
  let at = offset + 8;
  for (const stream of chunk.streams) {
    view.setUint16(at, stream.streamId & 0xffff);
    view.setUint16(at + 2, stream.streamSequenceNumber & 0xffff);
    at += 4;
  }
  return size;
}
