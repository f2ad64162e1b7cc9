/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5, HMAC-SHA1, 20 bytes) and
 * MESSAGE-INTEGRITY-SHA256 (§14.6, HMAC-SHA256, 16 to 32 bytes in steps of 4).
 *
 * The HMAC covers the message up to the attribute, with the header length
 * set as if the message ended right after this attribute. Attributes after it
 * (another integrity, FINGERPRINT) are excluded.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEADER_SIZE } from './constants.js';

/** HMAC algorithm per integrity attribute. */
export type IntegrityAlgorithm = 'sha1' | 'sha256';

/** Size of the HMAC value each attribute carries when we write it. */
export const INTEGRITY_SIZE: Readonly<Record<IntegrityAlgorithm, number>> = { sha1: 20, sha256: 32 };

/**
 * Computes the HMAC over message bytes [0, attributeOffset), with the header
 * length patched to end after an attribute of `valueLength` bytes at that offset.
 */
export function computeIntegrity(
  algorithm: IntegrityAlgorithm,
  key: Buffer,
  message: Buffer,
  attributeOffset: number,
  valueLength: number,
): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt16BE(message.readUInt16BE(0), 0);
  header.writeUInt16BE(attributeOffset + 4 + valueLength - HEADER_SIZE, 2);
  return createHmac(algorithm, key).update(header).update(message.subarray(4, attributeOffset)).digest();
}

/** Checks a received HMAC value (possibly truncated, for SHA-256) in constant time. */
export function verifyIntegrity(
  algorithm: IntegrityAlgorithm,
  key: Buffer,
  message: Buffer,
  attributeOffset: number,
  value: Buffer,
): boolean {
  if (algorithm === 'sha1' && value.length !== 20) return false;
  if (algorithm === 'sha256' && (value.length < 16 || value.length > 32 || value.length % 4 !== 0))
    return false;
  const expected = computeIntegrity(algorithm, key, message, attributeOffset, value.length);
  return timingSafeEqual(expected.subarray(0, value.length), value);
}
