/**
 * COOKIE ECHO chunk (RFC 9260 §3.3.11): the State Cookie from the INIT ACK,
 * returned unchanged.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 10   |Chunk  Flags   |            Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                            Cookie                             /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, padded, type RawChunk, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** A decoded COOKIE ECHO; cookie is a view valid as long as the packet buffer. */
export interface CookieEchoChunk {
  kind: 'cookie-echo';
  /** The State Cookie. */
  cookie: Uint8Array;
}

/** Decodes a COOKIE ECHO. Never throws. */
export function decodeCookieEcho(raw: RawChunk): SctpResult<CookieEchoChunk> {
  if (raw.type !== ChunkType.CookieEcho)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'cookie-echo', `chunk type ${raw.type}`, 0);
  return { ok: true, value: { kind: 'cookie-echo', cookie: raw.value } };
}

/** Encoded size of the chunk, padding included. */
export function cookieEchoSize(chunk: CookieEchoChunk): number {
  return padded(CHUNK_HEADER_SIZE + chunk.cookie.length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeCookieEchoTo(buf: Uint8Array, offset: number, chunk: CookieEchoChunk): number {
  writeChunkHeader(
    buf,
    offset,
    ChunkType.CookieEcho,
    0,
    CHUNK_HEADER_SIZE + chunk.cookie.length,
    'cookie-echo',
  );
  buf.set(chunk.cookie, offset + CHUNK_HEADER_SIZE);
  return cookieEchoSize(chunk);
}
