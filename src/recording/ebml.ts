/**
 * EBML, the binary markup under Matroska and WebM (RFC 8794).
 *
 * Variable-size integers (§4): the count of leading zero bits of the first
 * byte, plus one, is the length; the marker bit that follows them is not part
 * of the value.
 *
 *     1xxx xxxx                                   1 byte,  7 value bits
 *     01xx xxxx  xxxx xxxx                        2 bytes, 14 value bits
 *     001x xxxx  xxxx xxxx  xxxx xxxx             3 bytes, 21 value bits
 *     ...
 *     0000 0001  xxxx xxxx  (6 more bytes)        8 bytes, 56 value bits
 *
 * An element (§5–§6) is an Element ID (a variable-size integer kept with its
 * marker bits, 1 to 4 bytes here, as EBMLMaxIDLength = 4), an Element Data
 * Size (a variable-size integer) and the data:
 *
 *     +------------+----------------+---------------------+
 *     | Element ID | Data Size VINT | Data (Size bytes)   |
 *     +------------+----------------+---------------------+
 *
 * A Data Size with every value bit set means "unknown size" (§6.2): a
 * master element that extends until an element that cannot be its child, as
 * a live WebM Segment does. A value with every bit set is therefore not a
 * valid known size, which is why vintSize() moves to the next length for it.
 *
 * Unsigned integers (§7.2) are big-endian in 0–8 bytes, floats (§7.3) are
 * IEEE 754 binary32 or binary64, strings (§7.4/§7.5) are ASCII or UTF-8.
 *
 * Writers here return fresh buffers for the small, rarely built elements
 * (headers, track entries, cues) and write into the caller's buffer
 * (`…To(buf, offset)`) for the per-frame path. Decoders return undefined on
 * truncated or invalid input and never throw.
 */
import { RecordingError } from './errors.js';

/** Data Size value reported by the decoder for "unknown size" (§6.2). */
export const EBML_UNKNOWN_SIZE = -1;
/** The 8-byte unknown-size Data Size, 0x01FFFFFFFFFFFFFF. */
export const EBML_UNKNOWN_SIZE_BYTES: Uint8Array = Uint8Array.of(
  0x01,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
  0xff,
);

/** A decoded variable-size integer. */
export interface EbmlVint {
  /** The value, or EBML_UNKNOWN_SIZE when every value bit is set. */
  value: number;
  /** Bytes it took, 1–8. */
  length: number;
}

/** A decoded element header. */
export interface EbmlElementHeader {
  /** Element ID with its marker bits, as written in the Matroska tables (0x1A45DFA3). */
  id: number;
  /** Data Size, or EBML_UNKNOWN_SIZE. */
  size: number;
  /** Bytes of the ID plus the Data Size. */
  headerLength: number;
}

function invalid(message: string): RecordingError {
  return new RecordingError('ERR_RECORDING_INVALID_ARGUMENT', message);
}

/**
 * Bytes needed to write `value` as a known Data Size (§6.1): the shortest
 * length whose value bits are not all ones for it.
 */
export function vintSize(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${value} is not an EBML size`);
  let length = 1;
  // 2^(7n) - 1 is the unknown-size marker of length n, so it needs n + 1 bytes.
  while (length < 8 && value >= 2 ** (7 * length) - 1) length++;
  return length;
}

/** Writes `value` as a variable-size integer of `length` bytes (default: the shortest); returns the offset after it. */
export function encodeVintTo(
  buf: Uint8Array,
  offset: number,
  value: number,
  length = vintSize(value),
): number {
  if (length < 1 || length > 8) throw invalid(`VINT length ${length} is not 1–8`);
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (7 * length) - 1)
    throw invalid(`${value} does not fit a ${length}-byte VINT`);
  let rest = value;
  for (let i = length - 1; i > 0; i--) {
    buf[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  buf[offset] = rest | (0x80 >>> (length - 1));
  return offset + length;
}

/** Reads a variable-size integer at `offset`, or undefined when truncated or longer than 8 bytes. */
export function decodeVint(buf: Uint8Array, offset: number): EbmlVint | undefined {
  if (offset < 0 || offset >= buf.length) return undefined;
  const first = buf[offset];
  if (first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (offset + length > buf.length) return undefined;
  let value = first & (0xff >>> length);
  let allOnes = value === 0xff >>> length;
  for (let i = 1; i < length; i++) {
    const byte = buf[offset + i];
    value = value * 256 + byte;
    if (byte !== 0xff) allOnes = false;
  }
  return { value: allOnes ? EBML_UNKNOWN_SIZE : value, length };
}

/** Bytes of an Element ID written with its marker bits: 1 to 4. */
export function ebmlIdSize(id: number): number {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) throw invalid(`${id} is not an EBML ID`);
  if (id <= 0xff) return 1;
  if (id <= 0xffff) return 2;
  if (id <= 0xffffff) return 3;
  return 4;
}

/** Writes an Element ID; returns the offset after it. */
export function encodeEbmlIdTo(buf: Uint8Array, offset: number, id: number): number {
  const length = ebmlIdSize(id);
  for (let i = length - 1; i >= 0; i--) buf[offset + length - 1 - i] = (id >>> (8 * i)) & 0xff;
  return offset + length;
}

/** Reads an element header at `offset`, or undefined when truncated or the ID is longer than 4 bytes. */
export function decodeEbmlElementHeader(buf: Uint8Array, offset: number): EbmlElementHeader | undefined {
  if (offset < 0 || offset >= buf.length) return undefined;
  const first = buf[offset];
  if (first < 0x10) return undefined;
  const idLength = Math.clz32(first) - 23;
  if (offset + idLength > buf.length) return undefined;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + buf[offset + i];
  const size = decodeVint(buf, offset + idLength);
  if (size === undefined) return undefined;
  return { id, size: size.value, headerLength: idLength + size.length };
}

/** Bytes of an element header with a known Data Size. */
export function ebmlElementHeaderSize(id: number, size: number): number {
  return ebmlIdSize(id) + vintSize(size);
}

/** Writes an element header; `sizeLength` forces a longer Data Size (for fields patched later). Returns the offset after it. */
export function encodeEbmlElementHeaderTo(
  buf: Uint8Array,
  offset: number,
  id: number,
  size: number,
  sizeLength = vintSize(size),
): number {
  return encodeVintTo(buf, encodeEbmlIdTo(buf, offset, id), size, sizeLength);
}

/** An element header whose Data Size is unknown (8 bytes, all value bits set). */
export function ebmlUnknownSizeHeader(id: number): Uint8Array {
  const out = new Uint8Array(ebmlIdSize(id) + 8);
  out.set(EBML_UNKNOWN_SIZE_BYTES, encodeEbmlIdTo(out, 0, id));
  return out;
}

/** Bytes of an unsigned integer's data: the shortest big-endian form, at least one byte. */
export function uintSize(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${value} is not an unsigned integer`);
  let length = 1;
  while (length < 8 && value >= 2 ** (8 * length)) length++;
  return length;
}

/** Writes `value` big-endian in `length` bytes; returns the offset after it. */
export function encodeUintTo(
  buf: Uint8Array,
  offset: number,
  value: number,
  length = uintSize(value),
): number {
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    buf[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return offset + length;
}

/** Reads a big-endian unsigned integer of `length` bytes (exact up to 2^53). */
export function decodeUint(buf: Uint8Array, offset: number, length: number): number {
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + buf[offset + i];
  return value;
}

/** An element holding `data` as is. */
export function ebmlBinary(id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(ebmlElementHeaderSize(id, data.length) + data.length);
  out.set(data, encodeEbmlElementHeaderTo(out, 0, id, data.length));
  return out;
}

/** An unsigned integer element (§7.2), in the shortest form or in `length` bytes (for values patched later). */
export function ebmlUint(id: number, value: number, length = uintSize(value)): Uint8Array {
  if (length < uintSize(value) || length > 8) throw invalid(`${value} does not fit ${length} bytes`);
  const out = new Uint8Array(ebmlElementHeaderSize(id, length) + length);
  encodeUintTo(out, encodeEbmlElementHeaderTo(out, 0, id, length), value, length);
  return out;
}

/** A float element (§7.3), always binary64. */
export function ebmlFloat(id: number, value: number): Uint8Array {
  const out = new Uint8Array(ebmlElementHeaderSize(id, 8) + 8);
  const at = encodeEbmlElementHeaderTo(out, 0, id, 8);
  new DataView(out.buffer, out.byteOffset + at, 8).setFloat64(0, value);
  return out;
}

/** A String (§7.4, ASCII) or UTF-8 (§7.5) element. */
export function ebmlString(id: number, value: string): Uint8Array {
  return ebmlBinary(id, new TextEncoder().encode(value));
}

/** A master element (§7.7) with a known size holding `children` in order. */
export function ebmlMaster(id: number, children: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const child of children) size += child.length;
  const out = new Uint8Array(ebmlElementHeaderSize(id, size) + size);
  let at = encodeEbmlElementHeaderTo(out, 0, id, size);
  for (const child of children) {
    out.set(child, at);
    at += child.length;
  }
  return out;
}

/** EBML Void (ID 0xEC, §11.3.2): filler that readers skip, taking exactly `totalSize` bytes (at least 2). */
export function ebmlVoid(totalSize: number): Uint8Array {
  if (!Number.isSafeInteger(totalSize) || totalSize < 2)
    throw invalid(`a Void takes at least 2 bytes, not ${totalSize}`);
  const out = new Uint8Array(totalSize);
  out[0] = 0xec;
  // One Data Size byte fits payloads up to 126 bytes; beyond that use eight so that every total works.
  const sizeLength = totalSize - 2 <= 126 ? 1 : 8;
  encodeVintTo(out, 1, totalSize - 1 - sizeLength, sizeLength);
  return out;
}
