/**
 * FINGERPRINT (RFC 8489 §14.7): CRC-32 (ISO 3309, as in zlib) of the message
 * up to the attribute, with the header length already covering it, XORed
 * with 0x5354554e. Always the last attribute.
 */
import * as zlib from 'node:zlib';
import { HEADER_SIZE } from './constants.js';

/** The constant the CRC is XORed with ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e;

const table = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

/** Table-driven CRC-32 with zlib.crc32's contract; used when zlib lacks it, exported for tests. */
export function crc32Fallback(data: Uint8Array, initial: number): number {
  let crc = ~initial;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** zlib.crc32 exists from Node 20.15 / 22.2; older runtimes use the table. */
const crc32: (data: Uint8Array, initial: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (zlib as unknown as { crc32: (d: Uint8Array, v: number) => number }).crc32
    : crc32Fallback;

/**
 * Computes the fingerprint of message bytes [0, attributeOffset) as if the
 * header length were `lengthField` (the length including the FINGERPRINT
 * attribute itself).
 */
export function computeFingerprint(message: Buffer, attributeOffset: number): number {
  const lengthField = attributeOffset + 8 - HEADER_SIZE;
  const header = Buffer.allocUnsafe(4);
  header.writeUInt16BE(message.readUInt16BE(0), 0);
  header.writeUInt16BE(lengthField, 2);
  let crc = crc32(header, 0);
  crc = crc32(message.subarray(4, attributeOffset), crc);
  return (crc ^ FINGERPRINT_XOR) >>> 0;
}
