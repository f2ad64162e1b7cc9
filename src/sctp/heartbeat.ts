/**
 * HEARTBEAT (RFC 9260 §3.3.5) and HEARTBEAT ACK (§3.3.6) chunks, which share
 * a layout: one Heartbeat Info parameter (type 1) whose value is opaque to
 * the receiver and echoed back unchanged.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 4|5  | Chunk  Flags  |      Heartbeat Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Heartbeat Info Type = 1    |      HB Info Length           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                  Sender-Specific Heartbeat Info               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';
import { PARAMETER_HEADER_SIZE, parameterSize, writeParameterHeader } from './parameter.js';

/** Parameter type of Heartbeat Info. */
export const HEARTBEAT_INFO_TYPE = 1;

/** A decoded HEARTBEAT or HEARTBEAT ACK. info is a view valid as long as the packet buffer. */
export interface HeartbeatChunk {
  kind: 'heartbeat' | 'heartbeat-ack';
  /** Sender-specific heartbeat info. */
  info: Uint8Array;
}

/** Decodes a HEARTBEAT or HEARTBEAT ACK. Never throws. */
export function decodeHeartbeat(raw: RawChunk): SctpResult<HeartbeatChunk> {
  if (raw.type !== ChunkType.Heartbeat && raw.type !== ChunkType.HeartbeatAck)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'heartbeat', `chunk type ${raw.type}`, 0);
  const value = raw.value;
  if (value.length < PARAMETER_HEADER_SIZE)
    return sctpFail('ERR_SCTP_TOO_SHORT', 'heartbeat', 'missing Heartbeat Info', CHUNK_HEADER_SIZE);
  const type = (value[0] << 8) | value[1];
  const length = (value[2] << 8) | value[3];
  if (type !== HEARTBEAT_INFO_TYPE)
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'heartbeat', `parameter ${type} is not Heartbeat Info`, 4);
  if (length < PARAMETER_HEADER_SIZE || length > value.length)
    return sctpFail('ERR_SCTP_BAD_LENGTH', 'heartbeat', `Heartbeat Info length ${length}`, 6);
  return {
    ok: true,
    value: {
      kind: raw.type === ChunkType.Heartbeat ? 'heartbeat' : 'heartbeat-ack',
      info: value.subarray(PARAMETER_HEADER_SIZE, length),
    },
  };
}

/** Encoded size of the chunk, padding included. */
export function heartbeatSize(chunk: HeartbeatChunk): number {
  return CHUNK_HEADER_SIZE + parameterSize(chunk.info.length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeHeartbeatTo(buf: Uint8Array, offset: number, chunk: HeartbeatChunk): number {
  const type = chunk.kind === 'heartbeat' ? ChunkType.Heartbeat : ChunkType.HeartbeatAck;
  const length = CHUNK_HEADER_SIZE + PARAMETER_HEADER_SIZE + chunk.info.length;
  writeChunkHeader(buf, offset, type, 0, length, 'heartbeat');
  writeParameterHeader(buf, offset + CHUNK_HEADER_SIZE, HEARTBEAT_INFO_TYPE, chunk.info.length, 'heartbeat');
  buf.set(chunk.info, offset + CHUNK_HEADER_SIZE + PARAMETER_HEADER_SIZE);
  return heartbeatSize(chunk);
}
