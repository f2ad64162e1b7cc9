/**
 * A minimal DER encoder (ITU-T X.690 §8 and §10–11) for the handful of ASN.1
 * types an X.509 certificate needs. Each function returns one complete TLV;
 * constructed values take their already-encoded children. Certificates are
 * built once at start, so this builds small buffers and concatenates them
 * instead of following the caller-owned-buffer style of the packet codecs.
 * Only single-byte tags (numbers below 31) are supported: X.509 needs no more.
 */
import { UtilError } from './errors.js';

/** Universal tag bytes (X.680 §8.6) as they appear on the wire, constructed bit included where DER requires it. */
export const DerTag = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  utcTime: 0x17,
  generalizedTime: 0x18,
} as const;

function invalid(message: string): UtilError {
  return new UtilError('ERR_DER_INVALID_VALUE', message);
}

/**
 * Encodes a definite length (X.690 §8.1.3): one byte below 128, otherwise
 * 0x80 | n followed by the n big-endian length bytes, with no leading zero
 * byte since DER demands the shortest form (§10.1).
 */
export function derLength(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw invalid(`bad DER length ${length}`);
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Encodes one TLV with a single-byte tag. */
export function derTlv(tag: number, contents: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw invalid(`tag ${tag} needs the multi-byte form, which this encoder does not write`);
  }
  return Buffer.concat([Buffer.from([tag]), derLength(contents.length), contents]);
}

/** SEQUENCE of already-encoded elements, in the order given. */
export function derSequence(...elements: Uint8Array[]): Buffer {
  return derTlv(DerTag.sequence, Buffer.concat(elements));
}

/** SET OF already-encoded elements, sorted by their encodings as DER requires (X.690 §11.6). */
export function derSetOf(...elements: Uint8Array[]): Buffer {
  const sorted = [...elements].sort((a, b) => Buffer.compare(a, b));
  return derTlv(DerTag.set, Buffer.concat(sorted));
}

/**
 * A non-negative INTEGER from a safe integer or from big-endian magnitude
 * bytes. DER wants the fewest octets (§8.3.2): redundant leading zeros are
 * dropped, and one zero is prepended when the top bit is set, which would
 * otherwise make the two's-complement value negative.
 */
export function derInteger(value: number | Uint8Array): Buffer {
  let magnitude: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw invalid(`INTEGER ${value} is not a non-negative safe integer`);
    const bytes: number[] = [];
    for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
    magnitude = Uint8Array.from(bytes);
  } else {
    let start = 0;
    while (start < value.length && value[start] === 0) start++;
    magnitude = value.subarray(start);
  }
  if (magnitude.length === 0) return derTlv(DerTag.integer, Buffer.from([0]));
  if (magnitude[0] & 0x80) return derTlv(DerTag.integer, Buffer.concat([Buffer.from([0]), magnitude]));
  return derTlv(DerTag.integer, magnitude);
}

/** BOOLEAN; DER encodes TRUE as 0xff (§11.1). */
export function derBoolean(value: boolean): Buffer {
  return derTlv(DerTag.boolean, Buffer.from([value ? 0xff : 0x00]));
}

/** NULL. */
export function derNull(): Buffer {
  return Buffer.from([DerTag.null, 0x00]);
}

/**
 * OBJECT IDENTIFIER from dotted text (X.690 §8.19): the first two arcs share
 * one subidentifier (40 × first + second), each subidentifier is base 128,
 * most significant group first, with the high bit set on all but the last.
 */
export function derObjectIdentifier(dotted: string): Buffer {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw invalid(`bad OBJECT IDENTIFIER "${dotted}"`);
  const arcs = dotted.split('.').map(Number);
  if (!arcs.every(Number.isSafeInteger)) throw invalid(`OBJECT IDENTIFIER arc too large in "${dotted}"`);
  const [first, second] = arcs;
  // Arcs under 0 and 1 are limited to 0..39 so the combined first subidentifier stays unambiguous.
  if (first > 2 || (first < 2 && second > 39))
    throw invalid(`bad first arcs in OBJECT IDENTIFIER "${dotted}"`);
  const subidentifiers = [first * 40 + second, ...arcs.slice(2)];
  if (!Number.isSafeInteger(subidentifiers[0]))
    throw invalid(`OBJECT IDENTIFIER arc too large in "${dotted}"`);
  const out: number[] = [];
  for (const subidentifier of subidentifiers) {
    const groups = [subidentifier % 128];
    for (let rest = Math.floor(subidentifier / 128); rest > 0; rest = Math.floor(rest / 128)) {
      groups.unshift(0x80 | (rest % 128));
    }
    out.push(...groups);
  }
  return derTlv(DerTag.objectIdentifier, Buffer.from(out));
}

/** BIT STRING whose content is whole bytes (keys, signatures), with the given count of unused trailing bits. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (
    !Number.isInteger(unusedBits) ||
    unusedBits < 0 ||
    unusedBits > 7 ||
    (bytes.length === 0 && unusedBits)
  ) {
    throw invalid(`bad unused-bit count ${unusedBits}`);
  }
  return derTlv(DerTag.bitString, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

/**
 * BIT STRING for a NamedBitList (keyUsage): bit 0 is the most significant bit
 * of the first byte. DER drops trailing zero bits (X.690 §11.2.2), so the
 * string ends at the highest bit set and the unused-bit count says where.
 */
export function derNamedBits(bits: readonly number[]): Buffer {
  if (!bits.every((bit) => Number.isInteger(bit) && bit >= 0 && bit < 256)) {
    throw invalid(`bad named bit in [${bits.join(', ')}]`);
  }
  if (bits.length === 0) return derBitString(Buffer.alloc(0));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return derBitString(bytes, 7 - (highest & 7));
}

/** OCTET STRING. */
export function derOctetString(bytes: Uint8Array): Buffer {
  return derTlv(DerTag.octetString, bytes);
}

/** UTF8String. */
export function derUtf8String(text: string): Buffer {
  return derTlv(DerTag.utf8String, Buffer.from(text, 'utf8'));
}

function twoDigits(value: number): string {
  return value.toString().padStart(2, '0');
}

/** The "MMDDHHMMSSZ" tail shared by both time types, always in UTC. */
function timeTail(date: Date): string {
  return (
    twoDigits(date.getUTCMonth() + 1) +
    twoDigits(date.getUTCDate()) +
    twoDigits(date.getUTCHours()) +
    twoDigits(date.getUTCMinutes()) +
    twoDigits(date.getUTCSeconds()) +
    'Z'
  );
}

/**
 * UTCTime "YYMMDDHHMMSSZ" (X.690 §11.8). Only 1950–2049 is representable
 * under the RFC 5280 §4.1.2.5.1 reading of the two-digit year. Milliseconds
 * are dropped: DER times carry whole seconds.
 */
export function derUtcTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 1950 || year > 2049)
    throw invalid(`UTCTime cannot hold ${date.toString()}`);
  return derTlv(DerTag.utcTime, Buffer.from(twoDigits(year % 100) + timeTail(date), 'latin1'));
}

/**
 * GeneralizedTime "YYYYMMDDHHMMSSZ" (X.690 §11.7), without fractional
 * seconds as RFC 5280 §4.1.2.5.2 requires; milliseconds are dropped.
 */
export function derGeneralizedTime(date: Date): Buffer {
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw invalid(`GeneralizedTime cannot hold ${date.toString()}`);
  }
  return derTlv(
    DerTag.generalizedTime,
    Buffer.from(year.toString().padStart(4, '0') + timeTail(date), 'latin1'),
  );
}

/** Context-specific constructed tag [n] EXPLICIT around one encoded value. */
export function derExplicit(tagNumber: number, inner: Uint8Array): Buffer {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30)
    throw invalid(`bad tag number ${tagNumber}`);
  return derTlv(0xa0 | tagNumber, inner);
}

/** Context-specific primitive tag [n] IMPLICIT: the contents of a primitive value under a new tag. */
export function derImplicit(tagNumber: number, contents: Uint8Array): Buffer {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30)
    throw invalid(`bad tag number ${tagNumber}`);
  return derTlv(0x80 | tagNumber, contents);
}
