/**
 * Bundling of outbound chunks into SCTP packets (RFC 9260 §6.10): chunks
 * keep their order and each packet takes as many as fit maxPacketSize.
 */
import type { SctpChunk } from './chunk.js';
import { padded } from './chunk-header.js';
import { DATA_HEADER_SIZE } from './data.js';
import { COMMON_HEADER_SIZE, sctpPacketSize } from './packet.js';

/**
 * Splits chunks, in order, into packets of at most maxPacketSize bytes. A
 * chunk larger than a packet still gets a packet of its own.
 */
export function bundleChunks(chunks: readonly SctpChunk[], maxPacketSize: number): SctpChunk[][] {
  const budget = maxPacketSize - COMMON_HEADER_SIZE;
  const packets: SctpChunk[][] = [];
  let packet: SctpChunk[] = [];
  let used = 0;
  for (const chunk of chunks) {
    const size = chunkSizeOf(chunk);
    if (used + size > budget && packet.length > 0) {
      packets.push(packet);
      packet = [];
      used = 0;
    }
    packet.push(chunk);
    used += size;
  }
  if (packet.length > 0) packets.push(packet);
  return packets;
}

/** Encoded size of a chunk, padding included. */
function chunkSizeOf(chunk: SctpChunk): number {
  return chunk.kind === 'data'
    ? padded(DATA_HEADER_SIZE + chunk.userData.length)
    : sctpPacketSize([chunk]) - COMMON_HEADER_SIZE;
}
