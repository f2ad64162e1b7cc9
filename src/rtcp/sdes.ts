/**
 * Source description, SDES (RFC 3550 §6.5).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|    SC   |  PT=SDES=202  |             length            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |                          SSRC/CSRC_1                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           SDES items                          |
 *   |                              ...                              |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *
 * Each item is a type octet, a length octet and that many octets of text
 * (§6.5.1: CNAME is type 1). A chunk's item list ends with a null octet
 * (type 0) and zero padding up to the next 32-bit boundary.
 *
 * Item values are views into the received packet.
 */
import { RtcpError, type RtcpResult, rtcpFail } from './errors.js';
import { decodeRtcpBody, RTCP_HEADER_SIZE, RtcpPacketType, writeRtcpHeader } from './header.js';

/** SDES item types (RFC 3550 §6.5, RFC 7022 keeps CNAME). */
export const SdesItemType = {
  End: 0,
  Cname: 1,
  Name: 2,
  Email: 3,
  Phone: 4,
  Location: 5,
  Tool: 6,
  Note: 7,
  Private: 8,
} as const;

/** One SDES item. */
export interface SdesItem {
  /** Item type, 1–255. */
  type: number;
  /** Item text as bytes (view), at most 255. */
  value: Uint8Array;
}

/** The items describing one source. */
export interface SdesChunk {
  /** SSRC or CSRC described. */
  source: number;
  /** Items in wire order. */
  items: SdesItem[];
}

/** A source description packet. */
export interface SourceDescription {
  /** Up to 31 chunks. */
  chunks: SdesChunk[];
}

/** The CNAME of a chunk as text, or undefined when the chunk has none. */
export function sdesCname(chunk: SdesChunk): string | undefined {
  const item = chunk.items.find((candidate) => candidate.type === SdesItemType.Cname);
  return (
    item && Buffer.from(item.value.buffer, item.value.byteOffset, item.value.byteLength).toString('utf8')
  );
}

/** Decodes one SDES packet. Never throws. */
export function decodeSourceDescription(buf: Uint8Array): RtcpResult<SourceDescription> {
  const decoded = decodeRtcpBody(buf, RtcpPacketType.SourceDescription);
  if (!decoded.ok) return decoded;
  const { count, body, view } = decoded.value;
  const chunks: SdesChunk[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > body.length)
      return rtcpFail('ERR_RTCP_TOO_SHORT', `chunk ${i} overruns the SDES`, RTCP_HEADER_SIZE + offset);
    const source = view.getUint32(offset);
    offset += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (offset >= body.length)
        return rtcpFail('ERR_RTCP_BAD_FORMAT', `chunk ${i} has no end item`, RTCP_HEADER_SIZE + offset);
      const type = body[offset];
      if (type === SdesItemType.End) {
        // The null octet plus padding to the next word boundary (§6.5).
        offset = (offset + 4) & ~3;
        break;
      }
      if (offset + 2 > body.length)
        return rtcpFail('ERR_RTCP_TOO_SHORT', 'truncated SDES item', RTCP_HEADER_SIZE + offset);
      const length = body[offset + 1];
      if (offset + 2 + length > body.length)
        return rtcpFail(
          'ERR_RTCP_TOO_SHORT',
          `SDES item ${type} overruns the packet`,
          RTCP_HEADER_SIZE + offset,
        );
      items.push({ type, value: body.subarray(offset + 2, offset + 2 + length) });
      offset += 2 + length;
    }
    if (offset > body.length)
      return rtcpFail(
        'ERR_RTCP_TOO_SHORT',
        `chunk ${i} padding overruns the packet`,
        RTCP_HEADER_SIZE + offset,
      );
    chunks.push({ source, items });
  }
  return { ok: true, value: { chunks } };
}

function chunkSize(chunk: SdesChunk): number {
  let size = 4;
  for (const item of chunk.items) size += 2 + item.value.length;
  // At least one null octet, then up to the word boundary.
  return (size + 4) & ~3;
}

/** Size of the encoded SDES packet. */
export function sourceDescriptionSize(description: SourceDescription): number {
  let size = RTCP_HEADER_SIZE;
  for (const chunk of description.chunks) size += chunkSize(chunk);
  return size;
}

/** Writes the SDES packet at offset and returns the bytes written; throws RtcpError when it cannot. */
export function encodeSourceDescriptionTo(
  buf: Uint8Array,
  offset: number,
  description: SourceDescription,
): number {
  const { chunks } = description;
  if (chunks.length > 31) throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', 'more than 31 SDES chunks');
  for (const chunk of chunks)
    for (const item of chunk.items)
      if (item.type < 1 || item.type > 255 || item.value.length > 255)
        throw new RtcpError('ERR_RTCP_INVALID_ARGUMENT', `SDES item ${item.type} cannot be encoded`);
  const size = sourceDescriptionSize(description);
  const view = writeRtcpHeader(buf, offset, chunks.length, RtcpPacketType.SourceDescription, size);
  let at = offset + RTCP_HEADER_SIZE;
  for (const chunk of chunks) {
    const end = at + chunkSize(chunk);
    view.setUint32(at, chunk.source >>> 0);
    at += 4;
    for (const item of chunk.items) {
      buf[at] = item.type;
      buf[at + 1] = item.value.length;
      buf.set(item.value, at + 2);
      at += 2 + item.value.length;
    }
    buf.fill(0, at, end);
    at = end;
  }
  return size;
}
