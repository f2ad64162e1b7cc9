/**
 * Every chunk this layer knows as one tagged union, with a dispatching
 * decoder and encoder. Chunks of other types decode to `unknown` and keep
 * their raw bytes so the association can act on their type's upper two bits
 * (RFC 9260 §3.2).
 */
import { type AbortChunk, abortSize, decodeAbort, encodeAbortTo } from './abort.js';
import { CHUNK_HEADER_SIZE, ChunkType, padded, type RawChunk, writeChunkHeader } from './chunk-header.js';
import { type CookieEchoChunk, cookieEchoSize, decodeCookieEcho, encodeCookieEchoTo } from './cookie-echo.js';
import { type DataChunk, dataSize, decodeData, encodeDataTo } from './data.js';
import type { SctpResult } from './errors.js';
import { decodeFlagChunk, encodeFlagChunkTo, type FlagChunk, flagChunkSize } from './flag-chunk.js';
import { decodeForwardTsn, encodeForwardTsnTo, type ForwardTsnChunk, forwardTsnSize } from './forward-tsn.js';
import { decodeHeartbeat, encodeHeartbeatTo, type HeartbeatChunk, heartbeatSize } from './heartbeat.js';
import { decodeIData, encodeIDataTo, type IDataChunk, iDataSize } from './i-data.js';
import {
  decodeIForwardTsn,
  encodeIForwardTsnTo,
  type IForwardTsnChunk,
  iForwardTsnSize,
} from './i-forward-tsn.js';
import { decodeInit, encodeInitTo, type InitChunk, initSize } from './init.js';
import { decodeReConfig, encodeReConfigTo, type ReConfigChunk, reConfigSize } from './re-config.js';
import { decodeSack, encodeSackTo, type SackChunk, sackSize } from './sack.js';
import { decodeShutdown, encodeShutdownTo, type ShutdownChunk, shutdownSize } from './shutdown.js';

/** A chunk of a type this layer does not interpret; value is a view. */
export interface UnknownChunk {
  kind: 'unknown';
  /** Chunk type. */
  type: number;
  /** Chunk flags. */
  flags: number;
  /** Chunk value without header or padding. */
  value: Uint8Array;
}

/** Any chunk. */
export type SctpChunk =
  | DataChunk
  | IDataChunk
  | InitChunk
  | SackChunk
  | HeartbeatChunk
  | AbortChunk
  | ShutdownChunk
  | FlagChunk
  | CookieEchoChunk
  | ForwardTsnChunk
  | IForwardTsnChunk
  | ReConfigChunk
  | UnknownChunk;

/** Decodes a raw chunk by its type. Never throws. */
export function decodeChunk(raw: RawChunk): SctpResult<SctpChunk> {
  switch (raw.type) {
    case ChunkType.Data:
      return decodeData(raw);
    case ChunkType.IData:
      return decodeIData(raw);
    case ChunkType.Init:
    case ChunkType.InitAck:
      return decodeInit(raw);
    case ChunkType.Sack:
      return decodeSack(raw);
    case ChunkType.Heartbeat:
    case ChunkType.HeartbeatAck:
      return decodeHeartbeat(raw);
    case ChunkType.Abort:
    case ChunkType.Error:
      return decodeAbort(raw);
    case ChunkType.Shutdown:
      return decodeShutdown(raw);
    case ChunkType.ShutdownAck:
    case ChunkType.CookieAck:
    case ChunkType.ShutdownComplete:
      return decodeFlagChunk(raw);
    case ChunkType.CookieEcho:
      return decodeCookieEcho(raw);
    case ChunkType.ForwardTsn:
      return decodeForwardTsn(raw);
    case ChunkType.IForwardTsn:
      return decodeIForwardTsn(raw);
    case ChunkType.ReConfig:
      return decodeReConfig(raw);
    default:
      return { ok: true, value: { kind: 'unknown', type: raw.type, flags: raw.flags, value: raw.value } };
  }
}

/** Encoded size of any chunk, padding included. */
export function chunkSize(chunk: SctpChunk): number {
  switch (chunk.kind) {
    case 'data':
      return dataSize(chunk);
    case 'i-data':
      return iDataSize(chunk);
    case 'init':
    case 'init-ack':
      return initSize(chunk);
    case 'sack':
      return sackSize(chunk);
    case 'heartbeat':
    case 'heartbeat-ack':
      return heartbeatSize(chunk);
    case 'abort':
    case 'error':
      return abortSize(chunk);
    case 'shutdown':
      return shutdownSize(chunk);
    case 'shutdown-ack':
    case 'cookie-ack':
    case 'shutdown-complete':
      return flagChunkSize(chunk);
    case 'cookie-echo':
      return cookieEchoSize(chunk);
    case 'forward-tsn':
      return forwardTsnSize(chunk);
    case 'i-forward-tsn':
      return iForwardTsnSize(chunk);
    case 're-config':
      return reConfigSize(chunk);
    case 'unknown':
      return padded(CHUNK_HEADER_SIZE + chunk.value.length);
  }
}

/** Writes any chunk at offset and returns the bytes written, padding included; throws SctpError when it cannot. */
export function encodeChunkTo(buf: Uint8Array, offset: number, chunk: SctpChunk): number {
  switch (chunk.kind) {
    case 'data':
      return encodeDataTo(buf, offset, chunk);
    case 'i-data':
      return encodeIDataTo(buf, offset, chunk);
    case 'init':
    case 'init-ack':
      return encodeInitTo(buf, offset, chunk);
    case 'sack':
      return encodeSackTo(buf, offset, chunk);
    case 'heartbeat':
    case 'heartbeat-ack':
      return encodeHeartbeatTo(buf, offset, chunk);
    case 'abort':
    case 'error':
      return encodeAbortTo(buf, offset, chunk);
    case 'shutdown':
      return encodeShutdownTo(buf, offset, chunk);
    case 'shutdown-ack':
    case 'cookie-ack':
    case 'shutdown-complete':
      return encodeFlagChunkTo(buf, offset, chunk);
    case 'cookie-echo':
      return encodeCookieEchoTo(buf, offset, chunk);
    case 'forward-tsn':
      return encodeForwardTsnTo(buf, offset, chunk);
    case 'i-forward-tsn':
      return encodeIForwardTsnTo(buf, offset, chunk);
    case 're-config':
      return encodeReConfigTo(buf, offset, chunk);
    case 'unknown':
      writeChunkHeader(buf, offset, chunk.type, chunk.flags, CHUNK_HEADER_SIZE + chunk.value.length, 'chunk');
      buf.set(chunk.value, offset + CHUNK_HEADER_SIZE);
      return padded(CHUNK_HEADER_SIZE + chunk.value.length);
  }
}
