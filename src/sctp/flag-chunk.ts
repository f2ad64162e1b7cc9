/**
 * The chunks that are only a header: SHUTDOWN ACK (RFC 9260 §3.3.9), COOKIE
 * ACK (§3.3.12) and SHUTDOWN COMPLETE (§3.3.13, whose T bit says the tag is
 * reflected).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Type = 8|11|14|  Reserved   |T|          Length = 4           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A value is ignored rather than refused: these chunks carry nothing, and a
 * peer that pads them does no harm.
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** A decoded SHUTDOWN ACK, COOKIE ACK or SHUTDOWN COMPLETE. */
export interface FlagChunk {
  kind: 'shutdown-ack' | 'cookie-ack' | 'shutdown-complete';
  /** T bit (SHUTDOWN COMPLETE only). */
  reflectedTag: boolean;
}

const KIND_BY_TYPE: Record<number, FlagChunk['kind'] | undefined> = {
  [ChunkType.ShutdownAck]: 'shutdown-ack',
  [ChunkType.CookieAck]: 'cookie-ack',
  [ChunkType.ShutdownComplete]: 'shutdown-complete',
};

const TYPE_BY_KIND = {
  'shutdown-ack': ChunkType.ShutdownAck,
  'cookie-ack': ChunkType.CookieAck,
  'shutdown-complete': ChunkType.ShutdownComplete,
} as const;

/** Decodes a SHUTDOWN ACK, COOKIE ACK or SHUTDOWN COMPLETE. Never throws. */
export function decodeFlagChunk(raw: RawChunk): SctpResult<FlagChunk> {
  const kind = KIND_BY_TYPE[raw.type];
  if (!kind) return sctpFail('ERR_SCTP_WRONG_TYPE', 'chunk', `chunk type ${raw.type}`, 0);
  return {
    ok: true,
    value: { kind, reflectedTag: kind === 'shutdown-complete' && (raw.flags & 1) !== 0 },
  };
}

/** Encoded size of the chunk. */
export function flagChunkSize(_chunk: FlagChunk): number {
  return CHUNK_HEADER_SIZE;
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeFlagChunkTo(buf: Uint8Array, offset: number, chunk: FlagChunk): number {
  const flags = chunk.kind === 'shutdown-complete' && chunk.reflectedTag ? 1 : 0;
  writeChunkHeader(buf, offset, TYPE_BY_KIND[chunk.kind], flags, CHUNK_HEADER_SIZE, 'chunk');
  return CHUNK_HEADER_SIZE;
}
