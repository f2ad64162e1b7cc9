/**
 * ERROR-CODE (RFC 8489 §14.8).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Reserved, should be 0         |Class|     Number    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |      Reason Phrase (variable)                                ..
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { errorReasons } from './constants.js';

/** A decoded ERROR-CODE value. */
export interface ErrorCodeValue {
  /** 300-699. */
  code: number;
  reason: string;
}

/** Maximum reason phrase length in bytes (RFC 8489 §14.8: < 128 characters, ≤ 763 bytes). */
const MAX_REASON_BYTES = 763;
/** Maximum reason phrase length in characters that we send (RFC 8489 §14.8: fewer than 128). */
const MAX_REASON_CHARACTERS = 127;

/** Decodes an ERROR-CODE value; undefined when malformed. */
export function decodeErrorCode(value: Buffer): ErrorCodeValue | undefined {
  if (value.length < 4 || value.length > 4 + MAX_REASON_BYTES) return undefined;
  const errorClass = value[2] & 0x07;
  const number = value[3];
  if (errorClass < 3 || errorClass > 6 || number > 99) return undefined;
  return { code: errorClass * 100 + number, reason: value.toString('utf8', 4) };
}

/** Encodes an ERROR-CODE value, with the standard reason phrase when none is given. */
export function encodeErrorCode(code: number, reason?: string): Buffer {
  if (!Number.isInteger(code) || code < 300 || code > 699)
    throw new RangeError(`bad STUN error code ${code}`);
  let text = reason ?? errorReasons.get(code) ?? 'Error';
  // Cut whole code points, never bytes, so the phrase stays valid UTF-8 (at most 127 × 4 bytes).
  if (text.length > MAX_REASON_CHARACTERS) text = Array.from(text).slice(0, MAX_REASON_CHARACTERS).join('');
  const phrase = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + phrase.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  phrase.copy(out, 4);
  return out;
}
