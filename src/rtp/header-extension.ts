/**
 * RTP header extension elements (RFC 8285 §4).
 *
 * The RFC 3550 §5.3.1 extension block is a 16-bit profile, a 16-bit length in
 * 32-bit words, then the data. RFC 8285 defines two layouts of that data.
 *
 * One-byte form (§4.2), profile 0xBEDE:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       0xBE    |    0xDE       |           length=3            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  ID   | L=0   |     data      |  ID   |  L=1  |   data...
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * L is the data length minus one; ID 0 is a padding byte and ID 15 stops
 * parsing.
 *
 * Two-byte form (§4.3), profile 0x100 in the top 12 bits, 4 application bits:
 *
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       0x10    |    0x0|appbits|           length=3            |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |      ID       |     L=0       |     ID        |     L=1       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * L is the data length itself; a zero byte where an ID is expected is padding.
 */
import { RtpError, type RtpResult, rtpFail } from './errors.js';

/** Profile value of the one-byte header form (RFC 8285 §4.2). */
export const ONE_BYTE_PROFILE = 0xbede;
/** Profile value of the two-byte header form with zero application bits (RFC 8285 §4.3). */
export const TWO_BYTE_PROFILE = 0x1000;
/** Largest ID the one-byte form can carry (15 is reserved to stop parsing). */
export const MAX_ONE_BYTE_ID = 14;
/** Largest element length the one-byte form can carry. */
export const MAX_ONE_BYTE_LENGTH = 16;

/** One extension element; value is a view into the received packet. */
export interface RtpExtensionElement {
  /** Local identifier negotiated with a=extmap (1–14 one-byte, 1–255 two-byte). */
  id: number;
  /** Element data. */
  value: Uint8Array;
}

/** True for a one-byte profile. */
export function isOneByteProfile(profile: number): boolean {
  return profile === ONE_BYTE_PROFILE;
}

/** True for a two-byte profile (0x100 followed by any 4 application bits). */
export function isTwoByteProfile(profile: number): boolean {
  return profile >>> 4 === TWO_BYTE_PROFILE >>> 4;
}

/**
 * Parses the extension data of an RFC 8285 profile into elements (views into
 * data). `baseOffset` is where data starts in the packet, for error reports.
 * Never throws.
 */
export function decodeExtensionElements(
  profile: number,
  data: Uint8Array,
  baseOffset = 0,
): RtpResult<RtpExtensionElement[]> {
  const elements: RtpExtensionElement[] = [];
  const oneByte = isOneByteProfile(profile);
  if (!oneByte && !isTwoByteProfile(profile)) return { ok: true, value: elements };
  let offset = 0;
  while (offset < data.length) {
    const first = data[offset];
    if (first === 0) {
      offset += 1;
      continue;
    }
    let id: number;
    let length: number;
    let start: number;
    if (oneByte) {
      id = first >>> 4;
      if (id === 15) break;
      length = (first & 0x0f) + 1;
      start = offset + 1;
    } else {
      if (offset + 2 > data.length)
        return rtpFail('ERR_RTP_BAD_EXTENSION', 'truncated two-byte element header', baseOffset + offset);
      id = first;
      length = data[offset + 1];
      start = offset + 2;
    }
    if (start + length > data.length) {
      return rtpFail(
        'ERR_RTP_BAD_EXTENSION',
        `extension element ${id} overruns the block`,
        baseOffset + offset,
      );
    }
    elements.push({ id, value: data.subarray(start, start + length) });
    offset = start + length;
  }
  return { ok: true, value: elements };
}

/** True when every element fits the one-byte form. */
export function fitsOneByte(elements: readonly RtpExtensionElement[]): boolean {
  return elements.every(
    (e) =>
      e.id >= 1 && e.id <= MAX_ONE_BYTE_ID && e.value.length >= 1 && e.value.length <= MAX_ONE_BYTE_LENGTH,
  );
}

/** Size of the element data (without the 4-byte block header), padded to 32 bits. */
export function extensionElementsSize(profile: number, elements: readonly RtpExtensionElement[]): number {
  const perElement = isOneByteProfile(profile) ? 1 : 2;
  let size = 0;
  for (const element of elements) size += perElement + element.value.length;
  return (size + 3) & ~3;
}

/**
 * Writes the elements in the profile's layout at offset, zero-padded to 32
 * bits, and returns the bytes written. Throws RtpError on an element the
 * layout cannot carry.
 */
export function encodeExtensionElementsTo(
  buf: Uint8Array,
  offset: number,
  profile: number,
  elements: readonly RtpExtensionElement[],
): number {
  const oneByte = isOneByteProfile(profile);
  if (!oneByte && !isTwoByteProfile(profile))
    throw new RtpError('ERR_RTP_INVALID_ARGUMENT', `profile 0x${profile.toString(16)} is not RFC 8285`);
  const size = extensionElementsSize(profile, elements);
  if (offset + size > buf.length) throw new RtpError('ERR_RTP_BUFFER_TOO_SMALL', 'no room for extensions');
  let at = offset;
  for (const { id, value } of elements) {
    if (oneByte) {
      if (id < 1 || id > MAX_ONE_BYTE_ID || value.length < 1 || value.length > MAX_ONE_BYTE_LENGTH)
        throw new RtpError('ERR_RTP_INVALID_ARGUMENT', `element ${id} does not fit the one-byte form`);
      buf[at++] = (id << 4) | (value.length - 1);
    } else {
      if (id < 1 || id > 255 || value.length > 255)
        throw new RtpError('ERR_RTP_INVALID_ARGUMENT', `element ${id} does not fit the two-byte form`);
      buf[at++] = id;
      buf[at++] = value.length;
    }
    buf.set(value, at);
    at += value.length;
  }
  buf.fill(0, at, offset + size);
  return size;
}
