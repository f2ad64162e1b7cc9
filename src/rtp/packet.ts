/**
 * RTP packets (RFC 3550 §5.1, header extensions §5.3.1 and RFC 8285).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |            contributing source (CSRC) identifiers             |
 *   |                             ....                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      defined by profile       |           length              |  (if X)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        header extension                       |
 *   |                             ....                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                      payload  ...  | padding | padding count  |  (padding if P)
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A decoded packet holds views into the received datagram (payload, extension
 * data and element values): they stay valid as long as the caller does not
 * reuse that buffer. Copy what is kept, e.g. in a retransmission cache.
 */
import { RtpError, type RtpResult, rtpFail } from './errors.js';
import {
  decodeExtensionElements,
  encodeExtensionElementsTo,
  extensionElementsSize,
  fitsOneByte,
  isOneByteProfile,
  isTwoByteProfile,
  ONE_BYTE_PROFILE,
  type RtpExtensionElement,
  TWO_BYTE_PROFILE,
} from './header-extension.js';

/** The only RTP version (RFC 3550 §5.1). */
export const RTP_VERSION = 2;
/** Fixed header size, before CSRCs. */
export const RTP_HEADER_SIZE = 12;
/** Most CSRCs the 4-bit CC field can count. */
export const MAX_CSRCS = 15;

/** The header extension block (RFC 3550 §5.3.1). */
export interface RtpHeaderExtension {
  /** The 16-bit "defined by profile" field: 0xBEDE, 0x1000–0x100F, or anything else. */
  profile: number;
  /**
   * Parsed elements for RFC 8285 profiles; empty for other profiles. The
   * encoder writes these for RFC 8285 profiles.
   */
  elements: RtpExtensionElement[];
  /** The raw extension data (view); the encoder writes it only for profiles that are not RFC 8285. */
  data: Uint8Array;
}

/** An RTP packet: decoded (with views into the datagram) or to be encoded. */
export interface RtpPacket {
  /** Always 2 for a decoded packet. */
  version: number;
  /** Marker bit, meaning defined by the payload format (end of frame for video). */
  marker: boolean;
  /** 7-bit payload type. */
  payloadType: number;
  /** 16-bit sequence number. */
  sequenceNumber: number;
  /** 32-bit media timestamp. */
  timestamp: number;
  /** 32-bit synchronization source. */
  ssrc: number;
  /** Contributing sources, at most 15. */
  csrcs: number[];
  /** The header extension, when the X bit is set. */
  extension: RtpHeaderExtension | undefined;
  /** The payload (view), without padding. */
  payload: Uint8Array;
  /** Number of padding bytes including the count byte; 0 when the P bit is clear. */
  paddingLength: number;
}

/**
 * Decodes one RTP packet. The buffer must hold exactly the packet (a datagram,
 * or an SRTP packet already decrypted and stripped of its tag). Never throws.
 */
export function decodeRtpPacket(buf: Uint8Array): RtpResult<RtpPacket> {
  if (buf.length < RTP_HEADER_SIZE)
    return rtpFail('ERR_RTP_TOO_SHORT', `${buf.length} bytes is shorter than the fixed header`, 0);
  const first = buf[0];
  const version = first >>> 6;
  if (version !== RTP_VERSION) return rtpFail('ERR_RTP_BAD_VERSION', `version ${version} is not 2`, 0);
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = RTP_HEADER_SIZE;
  if (offset + 4 * csrcCount > buf.length)
    return rtpFail('ERR_RTP_TOO_SHORT', `${csrcCount} CSRCs overrun the packet`, offset);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, offset += 4) csrcs.push(view.getUint32(offset));
  let extension: RtpHeaderExtension | undefined;
  if (hasExtension) {
    if (offset + 4 > buf.length)
      return rtpFail('ERR_RTP_TOO_SHORT', 'truncated header extension header', offset);
    const profile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    const dataStart = offset + 4;
    const dataEnd = dataStart + 4 * words;
    if (dataEnd > buf.length)
      return rtpFail('ERR_RTP_BAD_EXTENSION', `extension of ${words} words overruns the packet`, offset);
    const data = buf.subarray(dataStart, dataEnd);
    const elements = decodeExtensionElements(profile, data, dataStart);
    if (!elements.ok) return elements;
    extension = { profile, elements: elements.value, data };
    offset = dataEnd;
  }
  let paddingLength = 0;
  if (hasPadding) {
    // §5.1: the last octet counts the padding, itself included, so it cannot be 0.
    paddingLength = buf.length > offset ? buf[buf.length - 1] : 0;
    if (paddingLength === 0 || offset + paddingLength > buf.length)
      return rtpFail('ERR_RTP_BAD_PADDING', `padding count ${paddingLength} is invalid`, buf.length - 1);
  }
  return {
    ok: true,
    value: {
      version,
      marker: (buf[1] & 0x80) !== 0,
      payloadType: buf[1] & 0x7f,
      sequenceNumber: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      csrcs,
      extension,
      payload: buf.subarray(offset, buf.length - paddingLength),
      paddingLength,
    },
  };
}

/** Size of the header only (fixed part, CSRCs and extension block). */
export function rtpHeaderSize(packet: RtpPacket): number {
  let size = RTP_HEADER_SIZE + 4 * packet.csrcs.length;
  const extension = packet.extension;
  if (extension) size += 4 + extensionDataSize(extension);
  return size;
}

function isRfc8285(profile: number): boolean {
  return isOneByteProfile(profile) || isTwoByteProfile(profile);
}

function extensionDataSize(extension: RtpHeaderExtension): number {
  return isRfc8285(extension.profile)
    ? extensionElementsSize(extension.profile, extension.elements)
    : (extension.data.length + 3) & ~3;
}

/** Size of the encoded packet. */
export function rtpPacketSize(packet: RtpPacket): number {
  return rtpHeaderSize(packet) + packet.payload.length + packet.paddingLength;
}

/**
 * Writes the packet at offset and returns the bytes written. Throws RtpError
 * when a field cannot be encoded or the buffer is too small.
 */
export function encodeRtpPacketTo(buf: Uint8Array, offset: number, packet: RtpPacket): number {
  const { csrcs, extension, payload, paddingLength } = packet;
  if (csrcs.length > MAX_CSRCS) throw new RtpError('ERR_RTP_INVALID_ARGUMENT', 'more than 15 CSRCs');
  if (!Number.isInteger(paddingLength) || paddingLength < 0 || paddingLength > 255)
    throw new RtpError('ERR_RTP_INVALID_ARGUMENT', `padding length ${paddingLength} is not 0–255`);
  const size = rtpPacketSize(packet);
  if (offset < 0 || offset + size > buf.length)
    throw new RtpError('ERR_RTP_BUFFER_TOO_SMALL', `${size} bytes do not fit at ${offset}`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[offset] = (RTP_VERSION << 6) | (paddingLength > 0 ? 0x20 : 0) | (extension ? 0x10 : 0) | csrcs.length;
  buf[offset + 1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  view.setUint16(offset + 2, packet.sequenceNumber & 0xffff);
  view.setUint32(offset + 4, packet.timestamp >>> 0);
  view.setUint32(offset + 8, packet.ssrc >>> 0);
  let at = offset + RTP_HEADER_SIZE;
  for (const csrc of csrcs) {
    view.setUint32(at, csrc >>> 0);
    at += 4;
  }
  if (extension) {
    const dataSize = extensionDataSize(extension);
    if (dataSize / 4 > 0xffff) throw new RtpError('ERR_RTP_INVALID_ARGUMENT', 'header extension too long');
    view.setUint16(at, extension.profile & 0xffff);
    view.setUint16(at + 2, dataSize / 4);
    at += 4;
    if (isRfc8285(extension.profile)) {
      at += encodeExtensionElementsTo(buf, at, extension.profile, extension.elements);
    } else {
      buf.set(extension.data, at);
      buf.fill(0, at + extension.data.length, at + dataSize);
      at += dataSize;
    }
  }
  buf.set(payload, at);
  at += payload.length;
  if (paddingLength > 0) {
    buf.fill(0, at, at + paddingLength - 1);
    at += paddingLength;
    buf[at - 1] = paddingLength;
  }
  return at - offset;
}

/** Encodes the packet into a new buffer. */
export function encodeRtpPacket(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(rtpPacketSize(packet));
  encodeRtpPacketTo(out, 0, packet);
  return out;
}

/** The value of the first RFC 8285 element with the id (a view), or undefined. */
export function getRtpExtension(packet: RtpPacket, id: number): Uint8Array | undefined {
  const extension = packet.extension;
  if (!extension) return undefined;
  for (const element of extension.elements) if (element.id === id) return element.value;
  return undefined;
}

/**
 * Sets (replaces or adds) an RFC 8285 element. Creates a one-byte block when
 * the packet has none, and switches to the two-byte form when an element no
 * longer fits the one-byte form (RFC 8285 §4.1.2 allows either per packet).
 * Throws RtpError when the packet carries a non-RFC 8285 extension or the id
 * or value cannot be encoded.
 */
export function setRtpExtension(packet: RtpPacket, id: number, value: Uint8Array): void {
  if (!Number.isInteger(id) || id < 1 || id > 255 || value.length > 255)
    throw new RtpError(
      'ERR_RTP_INVALID_ARGUMENT',
      `extension ${id} of ${value.length} bytes is not encodable`,
    );
  if (!packet.extension)
    packet.extension = { profile: ONE_BYTE_PROFILE, elements: [], data: new Uint8Array(0) };
  const extension = packet.extension;
  if (!isRfc8285(extension.profile))
    throw new RtpError('ERR_RTP_INVALID_ARGUMENT', 'the packet carries a non-RFC 8285 extension');
  const index = extension.elements.findIndex((element) => element.id === id);
  if (index >= 0) extension.elements[index] = { id, value };
  else extension.elements.push({ id, value });
  if (isOneByteProfile(extension.profile) && !fitsOneByte(extension.elements))
    extension.profile = TWO_BYTE_PROFILE;
}

/** Removes every RFC 8285 element with the id; returns true when one was removed. */
export function removeRtpExtension(packet: RtpPacket, id: number): boolean {
  const extension = packet.extension;
  if (!extension) return false;
  const before = extension.elements.length;
  extension.elements = extension.elements.filter((element) => element.id !== id);
  return extension.elements.length !== before;
}
