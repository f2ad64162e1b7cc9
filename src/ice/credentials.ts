/**
 * ICE credentials (RFC 8445 §5.3, RFC 8839 §5.4): the username fragment and
 * password each side announces in SDP. Checks carry USERNAME
 * "receiverUfrag:senderUfrag" and MESSAGE-INTEGRITY keyed with the
 * receiver's password (short-term credentials, RFC 8489 §9.1).
 */
import { randomBytes } from 'node:crypto';
import { IceError } from './errors.js';

/** One side's ICE parameters, as exchanged in SDP (a=ice-ufrag, a=ice-pwd, a=ice-lite). */
export interface IceParameters {
  usernameFragment: string;
  password: string;
  /** True when the side is an ICE-lite implementation (RFC 8445 §2.5). */
  iceLite?: boolean;
}

/** Length of the username fragments we generate (RFC 8839 §5.4 asks for at least 4 ice-chars). */
export const UFRAG_LENGTH = 16;
/** Length of the passwords we generate (RFC 8839 §5.4 asks for at least 22 ice-chars, 128 bits). */
export const PASSWORD_LENGTH = 32;

/** ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4): 64 symbols, 6 random bits each. */
const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ICE_CHAR_PATTERN = /^[A-Za-z0-9+/]+$/;

/** A random string of ice-chars from the system CSPRNG (each byte's low 6 bits: uniform, no bias). */
export function randomIceString(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ICE_CHARS[bytes[i] & 63];
  return out;
}

/** Fresh local parameters: a 16-character ufrag and a 32-character password. */
export function generateIceParameters(iceLite = true): IceParameters {
  return {
    usernameFragment: randomIceString(UFRAG_LENGTH),
    password: randomIceString(PASSWORD_LENGTH),
    iceLite,
  };
}

/** True when the text is 4–256 ice-chars, the ufrag grammar of RFC 8839 §5.4. */
export function isValidUsernameFragment(text: string): boolean {
  return text.length >= 4 && text.length <= 256 && ICE_CHAR_PATTERN.test(text);
}

/** True when the text is 22–256 ice-chars, the password grammar of RFC 8839 §5.4. */
export function isValidIcePassword(text: string): boolean {
  return text.length >= 22 && text.length <= 256 && ICE_CHAR_PATTERN.test(text);
}

/** Throws ERR_ICE_BAD_PARAMETERS unless both values follow RFC 8839 §5.4. */
export function assertValidParameters(
  parameters: Pick<IceParameters, 'usernameFragment' | 'password'>,
): void {
  if (!isValidUsernameFragment(parameters.usernameFragment)) {
    throw new IceError('ERR_ICE_BAD_PARAMETERS', 'a ufrag is 4 to 256 ice-chars (RFC 8839 §5.4)');
  }
  if (!isValidIcePassword(parameters.password)) {
    throw new IceError('ERR_ICE_BAD_PARAMETERS', 'an ICE password is 22 to 256 ice-chars (RFC 8839 §5.4)');
  }
}
