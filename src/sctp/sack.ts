/**
 * SACK chunk (RFC 9260 §3.3.4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   Type = 3    |Chunk  Flags   |      Chunk Length             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      Cumulative TSN Ack                       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Advertised Receiver Window Credit (a_rwnd)           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | Number of Gap Ack Blocks = N  |  Number of Duplicate TSNs = M |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |    Gap Ack Block #1 Start     |     Gap Ack Block #1 End      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                                                               /
 *   \                              ...                              \
 *   /                                                               /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Duplicate TSN 1                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   /                              ...                              /
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Gap ack block starts and ends are offsets from the cumulative TSN ack:
 * the block acknowledges TSNs cumulative + start through cumulative + end.
 */
import { CHUNK_HEADER_SIZE, ChunkType, type RawChunk, viewOf, writeChunkHeader } from './chunk-header.js';
import { type SctpResult, sctpFail } from './errors.js';

/** Size of the fixed part of a SACK, chunk header included. */
export const SACK_HEADER_SIZE = 16;

/** One gap ack block, as offsets from the cumulative TSN ack. */
export interface GapAckBlock {
  /** First offset received. */
  start: number;
  /** Last offset received. */
  end: number;
}

/** A decoded SACK. */
export interface SackChunk {
  kind: 'sack';
  /** Highest TSN received with every earlier one. */
  cumulativeTsnAck: number;
  /** Receive window left. */
  advertisedReceiverWindowCredit: number;
  /** Blocks received above the cumulative ack. */
  gapAckBlocks: GapAckBlock[];
  /** TSNs received more than once since the last SACK. */
  duplicateTsns: number[];
}

/** Decodes a SACK. Never throws. */
export function decodeSack(raw: RawChunk): SctpResult<SackChunk> {
  if (raw.type !== ChunkType.Sack)
    return sctpFail('ERR_SCTP_WRONG_TYPE', 'sack', `chunk type ${raw.type}`, 0);
  const fixed = SACK_HEADER_SIZE - CHUNK_HEADER_SIZE;
  if (raw.value.length < fixed)
    return sctpFail(
      'ERR_SCTP_TOO_SHORT',
      'sack',
      `SACK value of ${raw.value.length} bytes`,
      CHUNK_HEADER_SIZE,
    );
  const view = viewOf(raw.value);
  const blockCount = view.getUint16(8);
  const duplicateCount = view.getUint16(10);
  if (raw.value.length !== fixed + 4 * (blockCount + duplicateCount))
    return sctpFail(
      'ERR_SCTP_BAD_LENGTH',
      'sack',
      `${blockCount} blocks and ${duplicateCount} duplicates do not fill ${raw.value.length} bytes`,
      CHUNK_HEADER_SIZE + 8,
    );
  const gapAckBlocks: GapAckBlock[] = [];
  let at = fixed;
  for (let i = 0; i < blockCount; i++, at += 4)
    gapAckBlocks.push({ start: view.getUint16(at), end: view.getUint16(at + 2) });
  const duplicateTsns: number[] = [];
  for (let i = 0; i < duplicateCount; i++, at += 4) duplicateTsns.push(view.getUint32(at));
  return {
    ok: true,
    value: {
      kind: 'sack',
      cumulativeTsnAck: view.getUint32(0),
      advertisedReceiverWindowCredit: view.getUint32(4),
      gapAckBlocks,
      duplicateTsns,
    },
  };
}

/** Encoded size of the chunk. */
export function sackSize(chunk: SackChunk): number {
  return SACK_HEADER_SIZE + 4 * (chunk.gapAckBlocks.length + chunk.duplicateTsns.length);
}

/** Writes the chunk at offset and returns the bytes written; throws SctpError when it cannot. */
export function encodeSackTo(buf: Uint8Array, offset: number, chunk: SackChunk): number {
  const size = sackSize(chunk);
  const view = writeChunkHeader(buf, offset, ChunkType.Sack, 0, size, 'sack');
  view.setUint32(offset + 4, chunk.cumulativeTsnAck >>> 0);
  view.setUint32(offset + 8, chunk.advertisedReceiverWindowCredit >>> 0);
  view.setUint16(offset + 12, chunk.gapAckBlocks.length);
  view.setUint16(offset + 14, chunk.duplicateTsns.length);
  let at = offset + SACK_HEADER_SIZE;
  for (const block of chunk.gapAckBlocks) {
    view.setUint16(at, block.start & 0xffff);
    view.setUint16(at + 2, block.end & 0xffff);
    at += 4;
  }
  for (const tsn of chunk.duplicateTsns) {
    view.setUint32(at, tsn >>> 0);
    at += 4;
  }
  return size;
}
