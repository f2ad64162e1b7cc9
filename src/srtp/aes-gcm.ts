/**
 * The AEAD_AES_128_GCM transform of RFC 7714: one AES-GCM operation both
 * encrypts and authenticates, with a 16-byte tag (§5.2.2, §14.2). Node's API
 * needs a new cipher object per packet because the IV changes.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import type { SessionKeys } from './key-derivation.js';

/** AES-GCM tag length used by the SRTP_AEAD_AES_128_GCM profile. */
export const GCM_TAG_LENGTH = 16;

/** Key, salt and a scratch IV prepared once per session direction. */
export class AesGcmContext {
  /** A KeyObject: node:crypto skips re-importing raw key bytes per packet (a few % faster). */
  readonly #cipherKey: KeyObject;
  readonly #salt: Buffer;
  readonly #cipherName: 'aes-128-gcm' | 'aes-256-gcm';
  readonly #iv = Buffer.alloc(12);

  constructor(keys: SessionKeys) {
    this.#cipherKey = createSecretKey(keys.cipherKey);
    this.#salt = keys.salt;
    this.#cipherName = keys.cipherKey.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
  }

  /**
   * SRTP IV, RFC 7714 §8.1: (00 00 || SSRC || ROC || SEQ) XOR salt.
   */
  rtpIv(ssrc: number, roc: number, sequence: number): Buffer {
    const iv = this.#iv;
    iv.writeUInt16BE(0, 0);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt32BE(roc >>> 0, 6);
    iv.writeUInt16BE(sequence, 10);
    for (let i = 0; i < 12; i++) iv[i] ^= this.#salt[i];
    return iv;
  }

  /**
   * SRTCP IV, RFC 7714 §9.1: (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.
   */
  rtcpIv(ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    iv.writeUInt16BE(0, 0);
    iv.writeUInt32BE(ssrc >>> 0, 2);
    iv.writeUInt16BE(0, 6);
    iv.writeUInt32BE(index & 0x7fffffff, 8);
    for (let i = 0; i < 12; i++) iv[i] ^= this.#salt[i];
    return iv;
  }

  /**
   * Encrypts `plaintext` into `output` at `outputOffset` and writes the tag
   * right after it; `aad` is authenticated but not encrypted.
   */
  seal(iv: Buffer, aad: Uint8Array, plaintext: Uint8Array, output: Buffer, outputOffset: number): void {
    const cipher = createCipheriv(this.#cipherName, this.#cipherKey, iv, { authTagLength: GCM_TAG_LENGTH });
    cipher.setAAD(aad);
    let written = 0;
    if (plaintext.length > 0) written = cipher.update(plaintext).copy(output, outputOffset);
    cipher.final();
    cipher.getAuthTag().copy(output, outputOffset + written);
  }

  /**
   * Decrypts `ciphertext` into `output` at `outputOffset` after checking
   * `tag` over `aad` and the ciphertext; false, with `output` untouched,
   * when authentication fails.
   */
  open(
    iv: Buffer,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
    output: Buffer,
    outputOffset: number,
  ): boolean {
    const decipher = createDecipheriv(this.#cipherName, this.#cipherKey, iv, {
      authTagLength: GCM_TAG_LENGTH,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const plaintext = ciphertext.length > 0 ? decipher.update(ciphertext) : undefined;
    try {
      decipher.final();
    } catch {
      return false;
    }
    // Copied only once authentic, so a forged packet never reaches the caller's buffer.
    plaintext?.copy(output, outputOffset);
    return true;
  }
}
