/**
 * I-DATA chunk (RFC 8260 §2.1): DATA with a 32-bit message identifier and a
 * fragment sequence number, so that fragments of different messages on one
 * stream can be interleaved.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 64   |  Res  |I|U|B|E|       Length = Variable       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                              TSN                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        Stream Identifier      |           Reserved            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Message Identifier                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Payload Protocol Identifier / Fragment Sequence Number     |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   \                                                               \
 *   /                           User Data                           /
 *   \                                                               \
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The last word is the PPID when B is set (the first fragment's FSN is 0)
 * and the FSN otherwise.
 */
import {
  CHUNK_HEADER_SIZE,
  ChunkType,
  padded,
  type RawChunk,
  viewOf,
  writeChunkHeader,
} from './chunk-header.js';
import { dataFlagsFrom, dataFlagsOf } from './data.js';
import { SctpError, type SctpResult, sctpFail } from './errors.js';

/** Size of the I-DATA chunk header, chunk header included. */
export const I_DATA_HEADER_SIZE = 20;

/** A decoded I-DATA chunk. userData is a view valid as long as the packet buffer. */
export interface IDataChunk {
  kind: 'i-data';
  /** U bit. */
  unordered: boolean;
  /** B bit. */
  beginning: boolean;
  /** E bit. */
  ending: boolean;
  /** I bit. */
  immediate: boolean;
  /** Transmission sequence number. */
  tsn: number;
  /** Stream identifier. */
  streamId: number;
  /** Message identifier. */
  messageId: number;
  /** Payload protocol identifier, carried only on the first fragment (0 otherwise). */
  ppid: number;
  /** Fragment sequence number, carried only on later fragments (0 on the first). */
  fragmentSequenceNumber: number;
  /** User data, at least one byte. */
  userData: Uint8Array;
}

/** Decodes an I-DATA chunk. Never throws. */
export function decodeIData(raw: RawChunk): SctpResult<IDataChunk> {
  if (raw.type !== ChunkType.IData)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'i-data', `chunk type ${raw.type}`, 0);
  const bodySize = I_DATA_HEADER_SIZE - CHUNK_HEADER_SIZE;
  if (raw.value.length < bodySize)
    return sctpFail('ERR_SCTP_TOO_SHORT', 'i-data', `I-DATA value of ${raw.value.length} bytes`, 4);
  if (raw.value.length === bodySize)
    return sctpFail('ERR_SCTP_BAD_FORMAT', 'i-data', 'I-DATA chunk without user data', I_DATA_HEADER_SIZE);
  const view = viewOf(raw.value);
  const flags = dataFlagsOf(raw.flags);
  const last = view.getUint32(12);
  return {
    ok: true,
    value: {
      kind: 'i-data',
      ...flags,
      tsn: view.getUint32(0),
      streamId: view.getUint16(4),
      messageId: view.getUint32(8),
      ppid: flags.beginning ? last : 0,
      fragmentSequenceNumber: flags.beginning ? 0 : last,
      userData: raw.value.subarray(bodySize),
    },
  };
}

/** Encoded size of the chunk, padding included. */
export function iDataSize(chunk: IDataChunk): number {
  return padded(I_DATA_HEADER_SIZE + chunk.userData.length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeIDataTo(buf: Uint8Array, offset: number, chunk: IDataChunk): number {
  if (chunk.userData.length === 0)
    throw new SctpError('ERR_SCTP_INVALID_ARGUMENT', 'i-data', 'an I-DATA chunk needs user data');
  const view = writeChunkHeader(
    buf,
    offset,
    ChunkType.IData,
    dataFlagsFrom(chunk),
    I_DATA_HEADER_SIZE + chunk.userData.length,
    'i-data',
  );
  view.setUint32(offset + 4, chunk.tsn >>> 0);
  view.setUint16(offset + 8, chunk.streamId & 0xffff);
  view.setUint16(offset + 10, 0);
  view.setUint32(offset + 12, chunk.messageId >>> 0);
  view.setUint32(offset + 16, (chunk.beginning ? chunk.ppid : chunk.fragmentSequenceNumber) >>> 0);
  buf.set(chunk.userData, offset + I_DATA_HEADER_SIZE);
  return iDataSize(chunk);
}
