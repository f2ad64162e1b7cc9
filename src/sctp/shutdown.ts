/**
 * SHUTDOWN chunk (RFC 9260 §3.3.8).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 7    | Chunk  Flags  |          Length = 8           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Cumulative TSN Ack                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** Size of a SHUTDOWN chunk. */
export const SHUTDOWN_SIZE = 8;

/** A decoded SHUTDOWN. */
export interface ShutdownChunk {
  kind: 'shutdown';
  /** The sender's cumulative TSN ack, as in a SACK. */
  cumulativeTsnAck: number;
}

/** Decodes a SHUTDOWN. Never throws. */
export function decodeShutdown(raw: RawChunk): SctpResult<ShutdownChunk> {
  if (raw.type !== ChunkType.Shutdown)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'shutdown', `chunk type ${raw.type}`, 0);
  if (raw.value.length !== SHUTDOWN_SIZE - CHUNK_HEADER_SIZE)
    return sctpFail('ERR_SCTP_BAD_LENGTH', 'shutdown', `SHUTDOWN value of ${raw.value.length} bytes`, 2);
  return { ok: true, value: { kind: 'shutdown', cumulativeTsnAck: viewOf(raw.value).getUint32(0) } };
}

/** Encoded size of the chunk. */
export function shutdownSize(_chunk: ShutdownChunk): number {
  return SHUTDOWN_SIZE;
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeShutdownTo(buf: Uint8Array, offset: number, chunk: ShutdownChunk): number {
  const view = writeChunkHeader(buf, offset, ChunkType.Shutdown, 0, SHUTDOWN_SIZE, 'shutdown');
  view.setUint32(offset + 4, chunk.cumulativeTsnAck >>> 0);
  return SHUTDOWN_SIZE;
}
