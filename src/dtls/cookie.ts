/**
 * Stateless cookies for HelloVerifyRequest (RFC 6347 §4.2.1): an HMAC, under
 * a secret of this endpoint, over the ClientHello fields that the retried
 * ClientHello repeats. The server keeps no state until the client proves it
 * receives at its address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientHello } from './client-hello.js';

/** Cookie length: 32 bytes of HMAC-SHA256, within the 255 DTLS 1.2 allows. */
export const COOKIE_LENGTH = 32;

/** Makes and checks cookies under one secret. */
export class CookieJar {
  readonly #secret: Buffer;

  /** A jar with the given secret, or a fresh random one. */
  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  /** The cookie for this ClientHello (its own cookie field excluded). */
  cookieFor(hello: ClientHello): Buffer {
    const version = Buffer.from([hello.clientVersion >> 8, hello.clientVersion & 0xff]);
    return createHmac('sha256', this.#secret)
      .update(version)
      .update(hello.random)
      .update(Buffer.from([hello.sessionId.length]))
      .update(hello.sessionId)
      .update(hello.cipherSuitesRaw)
      .update(hello.compressionMethods)
      .update(hello.extensionsRaw)
      .digest();
  }

  /** True when the ClientHello carries the cookie this jar made for it. */
  verify(hello: ClientHello): boolean {
    if (hello.cookie.length !== COOKIE_LENGTH) return false;
    return timingSafeEqual(hello.cookie, this.cookieFor(hello));
  }
}
