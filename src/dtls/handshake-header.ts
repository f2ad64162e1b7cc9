/**
 * Handshake message header (RFC 6347 §4.2.2).
 *
 *   struct {
 *     HandshakeType msg_type;      // 1 byte
 *     uint24 length;               // of the whole message body
 *     uint16 message_seq;
 *     uint24 fragment_offset;
 *     uint24 fragment_length;
 *     opaque fragment[fragment_length];
 *   } Handshake;
 *
 * A handshake record may hold several fragments back to back.
 */
import { type DtlsResult, decodeFailure, ok } from './errors.js';

/** Size of the handshake header. */
export const HANDSHAKE_HEADER_SIZE = 12;

/** One handshake fragment; `fragment` is a view into the record plaintext. */
export interface HandshakeFragment {
  messageType: number;
  /** Length of the whole message body. */
  length: number;
  messageSeq: number;
  fragmentOffset: number;
  fragment: Buffer;
}

/** Decodes the fragment at `offset`; returns it and the offset past it. Never throws. */
export function decodeHandshakeFragment(
  buf: Buffer,
  offset = 0,
): DtlsResult<{ fragment: HandshakeFragment; next: number }> {
  if (buf.length - offset < HANDSHAKE_HEADER_SIZE) {
    return decodeFailure('handshake-header', 'shorter than a handshake header');
  }
  const messageType = buf[offset];
  const length = buf.readUIntBE(offset + 1, 3);
  const messageSeq = buf.readUInt16BE(offset + 4);
  const fragmentOffset = buf.readUIntBE(offset + 6, 3);
  const fragmentLength = buf.readUIntBE(offset + 9, 3);
  if (fragmentOffset + fragmentLength > length) {
    return decodeFailure('handshake-header', 'fragment runs past the message length');
  }
  const start = offset + HANDSHAKE_HEADER_SIZE;
  if (start + fragmentLength > buf.length) {
    return decodeFailure('handshake-header', 'fragment runs past the record');
  }
  return ok({
    fragment: {
      messageType,
      length,
      messageSeq,
      fragmentOffset,
      fragment: buf.subarray(start, start + fragmentLength),
    },
    next: start + fragmentLength,
  });
}

/** Decodes all fragments of a handshake record's plaintext; fails on the first malformed one. */
export function decodeHandshakeFragments(buf: Buffer): DtlsResult<HandshakeFragment[]> {
  const fragments: HandshakeFragment[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const result = decodeHandshakeFragment(buf, offset);
    if (!result.ok) return result;
    fragments.push(result.value.fragment);
    offset = result.value.next;
  }
  return ok(fragments);
}

/** Writes a handshake header at `offset`; returns the offset past it. */
export function encodeHandshakeHeaderTo(
  buf: Buffer,
  offset: number,
  messageType: number,
  length: number,
  messageSeq: number,
  fragmentOffset: number,
  fragmentLength: number,
): number {
  buf[offset] = messageType;
  buf.writeUIntBE(length, offset + 1, 3);
  buf.writeUInt16BE(messageSeq, offset + 4);
  buf.writeUIntBE(fragmentOffset, offset + 6, 3);
  buf.writeUIntBE(fragmentLength, offset + 9, 3);
  return offset + HANDSHAKE_HEADER_SIZE;
}

/** Encodes one fragment (or, with the defaults, the whole message as one fragment). */
export function encodeHandshakeFragment(
  messageType: number,
  messageSeq: number,
  body: Buffer,
  fragmentOffset = 0,
  fragmentLength = body.length - fragmentOffset,
): Buffer {
  const out = Buffer.allocUnsafe(HANDSHAKE_HEADER_SIZE + fragmentLength);
  const at = encodeHandshakeHeaderTo(
    out,
    0,
    messageType,
    body.length,
    messageSeq,
    fragmentOffset,
    fragmentLength,
  );
  body.copy(out, at, fragmentOffset, fragmentOffset + fragmentLength);
  return out;
}
