/**
 * AEAD record protection (RFC 5246 §6.2.3.3 with the DTLS sequence number of
 * RFC 6347 §4.1.2.1; nonces per RFC 5288 §3 and RFC 7905 §2).
 *
 *   additional_data = seq_num (epoch 2 + sequence 6) + type + version + length (plaintext)
 *   AES-GCM:  nonce = salt(4) + explicit(8);  fragment = explicit(8) + ciphertext + tag(16)
 *   ChaCha20: nonce = iv(12) XOR (0^4 + seq_num(8));  fragment = ciphertext + tag(16)
 *
 * The explicit nonce is the 8-byte epoch+sequence, unique per key as RFC 5288 §3 asks.
 * Key objects are made once per direction; each record then costs one cipher object
 * (node:crypto cannot give an AEAD context a new nonce). Nonce and additional data are
 * built in scratch buffers of the direction's own: both are consumed before the call returns.
 */
import {
  type CipherGCMTypes,
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
} from 'node:crypto';
import type { CipherSuite } from './cipher-suite.js';
import { encodeRecordHeaderTo, RECORD_HEADER_SIZE } from './record.js';

/** AEAD tag length for every suite here. */
export const AEAD_TAG_LENGTH = 16;

/** One direction's keys, ready for records. */
export class RecordCipher {
  readonly #suite: CipherSuite;
  readonly #key: KeyObject;
  readonly #iv: Buffer;
  /**
   * ChaCha20-Poly1305 takes the same calls as GCM (setAAD, setAuthTag,
   * getAuthTag); typing it as a GCM name picks that overload.
   */
  readonly #algorithm: CipherGCMTypes;
  readonly #nonceScratch = Buffer.alloc(12);
  readonly #aadScratch = Buffer.alloc(13);

  /** Keys one direction with `key` and the implicit IV `fixedIv` from the key block. */
  constructor(suite: CipherSuite, key: Buffer, fixedIv: Buffer) {
    this.#suite = suite;
    this.#key = createSecretKey(Buffer.from(key));
    this.#iv = Buffer.from(fixedIv);
    this.#algorithm = suite.aead as CipherGCMTypes;
  }

  /** Bytes a protected fragment adds to the plaintext. */
  get overhead(): number {
    return this.#suite.explicitNonceLength + AEAD_TAG_LENGTH;
  }

  /** The record's nonce, in the scratch buffer (valid until the next call). */
  #nonce(epoch: number, sequenceNumber: number, explicit?: Buffer): Buffer {
    const nonce = this.#nonceScratch;
    if (this.#suite.explicitNonceLength > 0) {
      this.#iv.copy(nonce, 0, 0, 4);
      if (explicit) explicit.copy(nonce, 4, 0, 8);
      else {
        nonce.writeUInt16BE(epoch, 4);
        nonce.writeUIntBE(sequenceNumber, 6, 6);
      }
      return nonce;
    }
    nonce.fill(0, 0, 4);
    nonce.writeUInt16BE(epoch, 4);
    nonce.writeUIntBE(sequenceNumber, 6, 6);
    for (let i = 0; i < 12; i++) nonce[i] ^= this.#iv[i];
    return nonce;
  }

  /** Protects a plaintext fragment; returns the record fragment. */
  encrypt(
    contentType: number,
    version: number,
    epoch: number,
    sequenceNumber: number,
    plaintext: Buffer,
  ): Buffer {
    const out = Buffer.allocUnsafe(this.overhead + plaintext.length);
    this.#sealTo(out, 0, contentType, version, epoch, sequenceNumber, plaintext);
    return out;
  }

  /**
   * A whole protected record, header and fragment, in one buffer: what
   * encodeRecord(…, encrypt(…)) gives, without the buffer and copy between them.
   */
  sealRecord(
    contentType: number,
    version: number,
    epoch: number,
    sequenceNumber: number,
    plaintext: Buffer,
  ): Buffer {
    const length = this.overhead + plaintext.length;
    const out = Buffer.allocUnsafe(RECORD_HEADER_SIZE + length);
    encodeRecordHeaderTo(out, 0, contentType, version, epoch, sequenceNumber, length);
    this.#sealTo(out, RECORD_HEADER_SIZE, contentType, version, epoch, sequenceNumber, plaintext);
    return out;
  }

  /** Writes the protected fragment (explicit nonce, ciphertext, tag) at out[offset]. */
  #sealTo(
    out: Buffer,
    offset: number,
    contentType: number,
    version: number,
    epoch: number,
    sequenceNumber: number,
    plaintext: Buffer,
  ): void {
    const nonce = this.#nonce(epoch, sequenceNumber);
    const cipher = createCipheriv(this.#algorithm, this.#key, nonce, { authTagLength: AEAD_TAG_LENGTH });
    cipher.setAAD(
      additionalDataTo(this.#aadScratch, contentType, version, epoch, sequenceNumber, plaintext.length),
      { plaintextLength: plaintext.length },
    );
    const explicit = this.#suite.explicitNonceLength;
    if (explicit > 0) nonce.copy(out, offset, 4, 12);
    let at = offset + explicit;
    at += cipher.update(plaintext).copy(out, at);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
  }

  /** Opens a record fragment; undefined when it is too short or does not authenticate. */
  decrypt(
    contentType: number,
    version: number,
    epoch: number,
    sequenceNumber: number,
    fragment: Buffer,
  ): Buffer | undefined {
    const explicit = this.#suite.explicitNonceLength;
    const plaintextLength = fragment.length - explicit - AEAD_TAG_LENGTH;
    if (plaintextLength < 0) return undefined;
    const nonce = this.#nonce(
      epoch,
      sequenceNumber,
      explicit > 0 ? fragment.subarray(0, explicit) : undefined,
    );
    try {
      const decipher = createDecipheriv(this.#algorithm, this.#key, nonce, {
        authTagLength: AEAD_TAG_LENGTH,
      });
      decipher.setAuthTag(fragment.subarray(fragment.length - AEAD_TAG_LENGTH));
      decipher.setAAD(
        additionalDataTo(this.#aadScratch, contentType, version, epoch, sequenceNumber, plaintextLength),
        { plaintextLength },
      );
      const body = decipher.update(fragment.subarray(explicit, explicit + plaintextLength));
      const final = decipher.final();
      return final.length === 0 ? body : Buffer.concat([body, final]);
    } catch {
      return undefined;
    }
  }
}

/** The 13-byte additional data of RFC 5246 §6.2.3.3 with the DTLS epoch and sequence number, into aad. */
function additionalDataTo(
  aad: Buffer,
  contentType: number,
  version: number,
  epoch: number,
  sequenceNumber: number,
  length: number,
): Buffer {
  aad.writeUInt16BE(epoch, 0);
  aad.writeUIntBE(sequenceNumber, 2, 6);
  aad[8] = contentType;
  aad.writeUInt16BE(version, 9);
  aad.writeUInt16BE(length, 11);
  return aad;
}

/** Both directions' keys from a key block (RFC 5246 §6.3; AEAD suites have no MAC keys). */
export interface RecordKeys {
  clientWrite: RecordCipher;
  serverWrite: RecordCipher;
}

/** Bytes of key block a suite needs. */
export function keyBlockLength(suite: CipherSuite): number {
  return 2 * (suite.keyLength + suite.fixedIvLength);
}

/** Splits a key block into client and server write ciphers. */
export function recordKeysFromKeyBlock(suite: CipherSuite, block: Buffer): RecordKeys {
  const k = suite.keyLength;
  const iv = suite.fixedIvLength;
  return {
    clientWrite: new RecordCipher(suite, block.subarray(0, k), block.subarray(2 * k, 2 * k + iv)),
    serverWrite: new RecordCipher(
      suite,
      block.subarray(k, 2 * k),
      block.subarray(2 * k + iv, 2 * k + 2 * iv),
    ),
  };
}
