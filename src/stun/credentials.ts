/**
 * Credential mechanisms (RFC 8489 §9): the short-term key is the password;
 * the long-term key is a hash of username, realm and password; USERHASH
 * hides the username.
 */
import { createHash } from 'node:crypto';
import { PasswordAlgorithm } from './constants.js';

// RFC 3454 table B.1: code points mapped to nothing.
// biome-ignore lint/suspicious/noMisleadingCharacterClass: each code point is removed on its own, combining or not.
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g;
// RFC 3454 table C.1.2: non-ASCII spaces, mapped to U+0020.
const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g;

/**
 * Prepares a password or realm the way RFC 5769 §2.4 and SASLprep (RFC 4013)
 * do: drop characters mapped to nothing, map non-ASCII spaces to a space,
 * then NFKC. This equals RFC 8265 OpaqueString for every string that differs
 * between the two only in width and compatibility forms, which covers the
 * vectors and real-world passwords.
 */
export function saslPrep(text: string): string {
  return text.replace(MAPPED_TO_NOTHING, '').replace(NON_ASCII_SPACE, ' ').normalize('NFKC');
}

/** Short-term credential key (RFC 8489 §9.1.1): the prepared password. */
export function shortTermKey(password: string): Buffer {
  return Buffer.from(saslPrep(password), 'utf8');
}

/**
 * Long-term credential key (RFC 8489 §9.2.2):
 * H(username ":" realm ":" password) with H = MD5 or SHA-256.
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  algorithm: PasswordAlgorithm = PasswordAlgorithm.MD5,
): Buffer {
  const hash = algorithm === PasswordAlgorithm.SHA256 ? 'sha256' : 'md5';
  return createHash(hash)
    .update(`${username}:${saslPrep(realm)}:${saslPrep(password)}`, 'utf8')
    .digest();
}

/** USERHASH (RFC 8489 §14.4): SHA-256(OpaqueString(username) ":" OpaqueString(realm)). */
export function userHash(username: string, realm: string): Buffer {
  // Unlike the long-term key (whose username arrives prepared in USERNAME), §14.4 prepares both.
  return createHash('sha256')
    .update(`${saslPrep(username)}:${saslPrep(realm)}`, 'utf8')
    .digest();
}
