/**
 * The handshake transcript that Finished, CertificateVerify and the extended
 * master secret hash. In DTLS each message enters it with its 12-byte header
 * as if it had been sent unfragmented (RFC 6347 §4.2.6); the first ClientHello
 * and the HelloVerifyRequest stay out of it.
 */
import { encodeHandshakeFragment } from './handshake-header.js';

/** Handshake messages in the order they were sent or processed. */
export class Transcript {
  #messages: Buffer[] = [];

  /** Appends a message. */
  add(messageType: number, messageSeq: number, body: Buffer): void {
    this.#messages.push(encodeHandshakeFragment(messageType, messageSeq, body));
  }

  /** Forgets everything (after a HelloVerifyRequest). */
  reset(): void {
    this.#messages = [];
  }

  /** Every message so far, concatenated. */
  bytes(): Buffer {
    return Buffer.concat(this.#messages);
  }
}
