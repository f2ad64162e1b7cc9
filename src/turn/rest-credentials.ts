/**
 * TURN REST API credentials ("A REST API For Access To TURN Services",
 * draft-uberti-behave-turn-rest), as coturn's `use-auth-secret` reads them:
 * the username is "EXPIRY:USER" (EXPIRY in Unix seconds, USER optional), the
 * password is base64(HMAC-SHA1(secret, username)). Any party knowing the
 * shared secret (the signaling server) can mint them; the TURN server keeps
 * no per-user state.
 */
import { createHmac } from 'node:crypto';

/** Separator between the expiry and the user, as coturn's default `rest-api-separator`. */
export const REST_SEPARATOR = ':';

/** A username/password pair for the TURN REST scheme. */
export interface RestCredential {
  username: string;
  password: string;
  /** Expiry in Unix seconds. */
  expiresAt: number;
}

/** The password for a REST username under one secret. */
export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username).digest('base64');
}

/** Mints a credential valid for `ttlSeconds` from `nowMs`. */
export function createRestCredential(
  secret: string,
  user: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): RestCredential {
  // Whole seconds: a fractional TTL would give "1700000000.5:user", which no server parses.
  const expiresAt = Math.floor(nowMs / 1000 + ttlSeconds);
  const username = user ? `${expiresAt}${REST_SEPARATOR}${user}` : String(expiresAt);
  return { username, password: restPassword(secret, username), expiresAt };
}

/** Parses a REST username into expiry and user; undefined when it is not of that form. */
export function parseRestUsername(username: string): { expiresAt: number; user: string } | undefined {
  const separator = username.indexOf(REST_SEPARATOR);
  const expiryText = separator === -1 ? username : username.slice(0, separator);
  if (!/^\d{1,12}$/.test(expiryText)) return undefined;
  return { expiresAt: Number(expiryText), user: separator === -1 ? '' : username.slice(separator + 1) };
}
