/**
 * I-FORWARD-TSN chunk (RFC 8260 §2.3.1): the FORWARD TSN of an association
 * that uses I-DATA. It moves the receiver's cumulative TSN past abandoned
 * messages and names, per stream and per kind (ordered or unordered), the
 * last message identifier skipped.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 194  | Flags = 0x00  |      Length = Variable        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       New Cumulative TSN                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |       Stream Identifier       |          Reserved           |U|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Message Identifier                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                    (more stream entries)                      /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** Size of one stream entry. */
const ENTRY_SIZE = 8;

/** A stream, the kind of its skipped messages and the last message identifier skipped. */
export interface IForwardTsnStream {
  /** Stream identifier. */
  streamId: number;
  /** The entry is about unordered messages (U bit). */
  unordered: boolean;
  /** Largest message identifier skipped. */
  messageId: number;
}

/** A decoded I-FORWARD-TSN. */
export interface IForwardTsnChunk {
  kind: 'i-forward-tsn';
  /** The receiver treats every TSN up to this one as received. */
  newCumulativeTsn: number;
  /** Streams with skipped messages. */
  streams: IForwardTsnStream[];
}

/** Decodes an I-FORWARD-TSN. Never throws. */
export function decodeIForwardTsn(raw: RawChunk): SctpResult<IForwardTsnChunk> {
  if (raw.type !== ChunkType.IForwardTsn)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'forward-tsn', `chunk type ${raw.type}`, 0);
  if (raw.value.length < 4 || (raw.value.length - 4) % ENTRY_SIZE !== 0)
    return sctpFail(
      'ERR_SCTP_BAD_LENGTH',
      'forward-tsn',
      `I-FORWARD-TSN value of ${raw.value.length} bytes`,
      2,
    );
  const view = viewOf(raw.value);
  const streams: IForwardTsnStream[] = [];
  for (let at = 4; at < raw.value.length; at += ENTRY_SIZE)
    streams.push({
      streamId: view.getUint16(at),
      unordered: (view.getUint16(at + 2) & 1) !== 0,
      messageId: view.getUint32(at + 4),
    });
  return { ok: true, value: { kind: 'i-forward-tsn', newCumulativeTsn: view.getUint32(0), streams } };
}

/** Encoded size of the chunk. */
export function iForwardTsnSize(chunk: IForwardTsnChunk): number {
  return CHUNK_HEADER_SIZE + 4 + ENTRY_SIZE * chunk.streams.length;
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeIForwardTsnTo(buf: Uint8Array, offset: number, chunk: IForwardTsnChunk): number {
  const size = iForwardTsnSize(chunk);
  const view = writeChunkHeader(buf, offset, ChunkType.IForwardTsn, 0, size, 'forward-tsn');
  view.setUint32(offset + 4, chunk.newCumulativeTsn >>> 0);
  let at = offset + 8;
  for (const stream of chunk.streams) {
    view.setUint16(at, stream.streamId & 0xffff);
    view.setUint16(at + 2, stream.unordered ? 1 : 0);
    view.setUint32(at + 4, stream.messageId >>> 0);
    at += ENTRY_SIZE;
  }
  return size;
}
