/**
 * The AES-CM + HMAC-SHA1 transforms of RFC 3711: AES in counter mode
 * (§4.1.1) for confidentiality, HMAC-SHA1 truncated to 80 bits (§4.2.1) for
 * authentication. Each function writes into an output buffer the caller
 * allocated; Node's cipher API hands back fresh buffers, so one copy per
 * packet into that output is the floor here.
 */
import { createCipheriv, createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { SessionKeys } from './key-derivation.js';

/** HMAC-SHA1-80 tag length (RFC 3711 §5.2). */
export const HMAC_SHA1_80_TAG_LENGTH = 10;

/** Cipher, HMAC key and a scratch IV prepared once per session direction. */
export class AesCmContext {
  /** A KeyObject: node:crypto skips re-importing raw key bytes per packet (a few % faster). */
  readonly #cipherKey: KeyObject;
  readonly #authKey: Buffer;
  readonly #salt: Buffer;
  readonly #cipherName: string;
  readonly #iv = Buffer.alloc(16);
  readonly #rocBytes = Buffer.alloc(4);

  constructor(keys: SessionKeys) {
    this.#cipherKey = createSecretKey(keys.cipherKey);
    this.#authKey = keys.authKey;
    this.#salt = keys.salt;
    this.#cipherName = `aes-${keys.cipherKey.length * 8}-ctr`;
  }

  /**
   * IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), RFC 3711 §4.1.1, with
   * i the 48-bit SRTP index (ROC || SEQ) or the 31-bit SRTCP index.
   */
  #setIv(ssrc: number, indexHigh: number, indexLow16: number): Buffer {
    const iv = this.#iv;
    this.#salt.copy(iv, 0, 0, 14);
    iv[14] = 0;
    iv[15] = 0;
    iv[4] ^= ssrc >>> 24;
    iv[5] ^= (ssrc >>> 16) & 0xff;
    iv[6] ^= (ssrc >>> 8) & 0xff;
    iv[7] ^= ssrc & 0xff;
    iv[8] ^= indexHigh >>> 24;
    iv[9] ^= (indexHigh >>> 16) & 0xff;
    iv[10] ^= (indexHigh >>> 8) & 0xff;
    iv[11] ^= indexHigh & 0xff;
    iv[12] ^= indexLow16 >>> 8;
    iv[13] ^= indexLow16 & 0xff;
    return iv;
  }

  /**
   * XORs the keystream for (ssrc, index) over `input` into `output` at
   * `outputOffset`. The SRTP index is `roc` * 2^16 + `sequence`; for SRTCP
   * pass the index's top 15 bits as `roc` and its low 16 as `sequence`.
   */
  crypt(
    input: Uint8Array,
    output: Buffer,
    outputOffset: number,
    ssrc: number,
    roc: number,
    sequence: number,
  ): void {
    if (input.length === 0) return;
    const cipher = createCipheriv(this.#cipherName, this.#cipherKey, this.#setIv(ssrc, roc, sequence));
    const crypted = cipher.update(input);
    crypted.copy(output, outputOffset);
  }

  /**
   * The full HMAC-SHA1 of `authenticated` followed by `roc` when it is given
   * (SRTP appends the ROC, RFC 3711 §4.2; SRTCP does not).
   */
  mac(authenticated: Uint8Array, roc: number | undefined): Buffer {
    const hmac = createHmac('sha1', this.#authKey);
    hmac.update(authenticated);
    if (roc !== undefined) {
      this.#rocBytes.writeUInt32BE(roc >>> 0, 0);
      hmac.update(this.#rocBytes);
    }
    return hmac.digest();
  }

  /** True when the first `tag.length` bytes of `mac` equal `tag`, in constant time. */
  static tagMatches(mac: Buffer, tag: Uint8Array): boolean {
    return timingSafeEqual(mac.subarray(0, tag.length), tag);
  }
}
