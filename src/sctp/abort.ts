/**
 * ABORT (RFC 9260 §3.3.7) and ERROR (§3.3.10) chunks: a list of error causes,
 * with the T bit on ABORT when the verification tag is the peer's own
 * (reflected) tag.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 6|9  |  Reserved   |T|            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                   zero or more Error Causes                   /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, writeChunkHeader } from './chunk-header.js';
import {
  decodeErrorCauses,
  type ErrorCause,
  encodeErrorCausesTo,
  errorCausesSize,
  errorCausesTailPadding,
} from './error-cause.js';
import { type SctpResult, sctpFail } from './errors.js';

/** A decoded ABORT or ERROR. */
export interface AbortChunk {
  kind: 'abort' | 'error';
  /** T bit (ABORT only): the packet carries the receiver's tag reflected. */
  reflectedTag: boolean;
  /** Error causes. */
  causes: ErrorCause[];
}

/** Decodes an ABORT or ERROR. Never throws. */
export function decodeAbort(raw: RawChunk): SctpResult<AbortChunk> {
  if (raw.type !== ChunkType.Abort && raw.type !== ChunkType.Error)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'abort', `chunk type ${raw.type}`, 0);
  const site = raw.type === ChunkType.Abort ? 'abort' : 'error';
  const causes = decodeErrorCauses(raw.value, site);
  if (!causes.ok) return causes;
  return {
    ok: true,
    value: {
      kind: site,
      reflectedTag: raw.type === ChunkType.Abort && (raw.flags & 1) !== 0,
      causes: causes.value,
    },
  };
}

/** Encoded size of the chunk, padding included. */
export function abortSize(chunk: AbortChunk): number {
  return CHUNK_HEADER_SIZE + errorCausesSize(chunk.causes);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeAbortTo(buf: Uint8Array, offset: number, chunk: AbortChunk): number {
  const size = abortSize(chunk);
  const isAbort = chunk.kind === 'abort';
  const flags = isAbort && chunk.reflectedTag ? 1 : 0;
  const length = size - errorCausesTailPadding(chunk.causes);
  writeChunkHeader(buf, offset, isAbort ? ChunkType.Abort : ChunkType.Error, flags, length, chunk.kind);
  encodeErrorCausesTo(buf, offset + CHUNK_HEADER_SIZE, chunk.causes, chunk.kind);
  return size;
}
