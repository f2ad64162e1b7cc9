/**
 * Session key derivation, RFC 3711 §4.3 with the AES-CM PRF (§4.3.3) and a
 * key derivation rate of 0, so r = 0 and the keys are derived once.
 *
 *   key_id = label || r          (r = 0: key_id is the label in the top byte of 56 bits)
 *   x      = key_id XOR master_salt
 *   k      = AES-CM(master_key, IV = x * 2^16), first n bits of the keystream
 *
 * RFC 7714 §11 uses the same PRF for the GCM profiles; their 96-bit master
 * salt sits in the leading bytes of the 112-bit x, the rest being zero.
 */
import { createCipheriv } from 'node:crypto';
import type { SrtpProfile } from './profile.js';

/** Key derivation labels, RFC 3711 §4.3.1 and §4.3.2. */
export const KdfLabel = Object.freeze({
  rtpEncryption: 0x00,
  rtpAuthentication: 0x01,
  rtpSalt: 0x02,
  rtcpEncryption: 0x03,
  rtcpAuthentication: 0x04,
  rtcpSalt: 0x05,
});

/** The session keys for one of SRTP or SRTCP. */
export interface SessionKeys {
  /** k_e: the session encryption key. */
  readonly cipherKey: Buffer;
  /** k_a: the session authentication key (empty for AEAD profiles). */
  readonly authKey: Buffer;
  /** k_s: the session salt. */
  readonly salt: Buffer;
}

/** The session keys of a cryptographic context: one set for SRTP, one for SRTCP. */
export interface DerivedKeys {
  /** Keys protecting RTP. */
  readonly rtp: SessionKeys;
  /** Keys protecting RTCP. */
  readonly rtcp: SessionKeys;
}

/**
 * One key of `length` bytes from the AES-CM PRF (RFC 3711 §4.3.1, §4.3.3).
 * `masterSalt` is at most 14 bytes; shorter salts are zero-padded on the right.
 */
export function deriveKey(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, Math.min(14, masterSalt.length));
  // label << 48 within the 112-bit x lands on byte 7 of the 14; r = 0 adds nothing.
  iv[7] ^= label;
  const cipher = createCipheriv(`aes-${masterKey.length * 8}-ctr`, masterKey, iv);
  return cipher.update(Buffer.alloc(length));
}

/** All six session keys for `profile` from the master key and salt (RFC 3711 §4.3). */
export function deriveSessionKeys(profile: SrtpProfile, masterKey: Buffer, masterSalt: Buffer): DerivedKeys {
  const derive = (label: number, length: number): Buffer =>
    length === 0 ? Buffer.alloc(0) : deriveKey(masterKey, masterSalt, label, length);
  return {
    rtp: {
      cipherKey: derive(KdfLabel.rtpEncryption, profile.keyLength),
      authKey: derive(KdfLabel.rtpAuthentication, profile.authKeyLength),
      salt: derive(KdfLabel.rtpSalt, profile.saltLength),
    },
    rtcp: {
      cipherKey: derive(KdfLabel.rtcpEncryption, profile.keyLength),
      authKey: derive(KdfLabel.rtcpAuthentication, profile.authKeyLength),
      salt: derive(KdfLabel.rtcpSalt, profile.saltLength),
    },
  };
}
