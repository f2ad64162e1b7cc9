/**
 * The SRTP protection profiles supported, with their key, salt and tag sizes
 * (RFC 5764 §4.1.2 for SRTP_AES128_CM_HMAC_SHA1_80, RFC 7714 §14.2 for
 * SRTP_AEAD_AES_128_GCM).
 */

/** Names of the supported protection profiles, as DTLS-SRTP spells them. */
export type SrtpProfileName = 'SRTP_AES128_CM_HMAC_SHA1_80' | 'SRTP_AEAD_AES_128_GCM';

/** Sizes that one protection profile fixes. */
export interface SrtpProfile {
  /** The profile's DTLS-SRTP name. */
  readonly name: SrtpProfileName;
  /** True for AEAD (GCM) profiles, false for AES-CM + HMAC-SHA1. */
  readonly aead: boolean;
  /** Master and session cipher key length in bytes. */
  readonly keyLength: number;
  /** Master and session salt length in bytes. */
  readonly saltLength: number;
  /** Session authentication key length in bytes (0 for AEAD). */
  readonly authKeyLength: number;
  /** Authentication tag appended to SRTP packets, in bytes. */
  readonly rtpTagLength: number;
  /** Authentication tag appended to SRTCP packets, in bytes. */
  readonly rtcpTagLength: number;
}

/** SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode, 80-bit HMAC-SHA1 tag (RFC 3711 §5). */
export const AES128_CM_HMAC_SHA1_80: SrtpProfile = Object.freeze({
  name: 'SRTP_AES128_CM_HMAC_SHA1_80',
  aead: false,
  keyLength: 16,
  saltLength: 14,
  authKeyLength: 20,
  rtpTagLength: 10,
  rtcpTagLength: 10,
});

/** SRTP_AEAD_AES_128_GCM: AES-128-GCM with a 16-byte tag and a 12-byte salt (RFC 7714 §14.2). */
export const AEAD_AES_128_GCM: SrtpProfile = Object.freeze({
  name: 'SRTP_AEAD_AES_128_GCM',
  aead: true,
  keyLength: 16,
  saltLength: 12,
  authKeyLength: 0,
  rtpTagLength: 16,
  rtcpTagLength: 16,
});

/** The profile with that DTLS-SRTP name, or undefined when it is not supported. */
export function srtpProfileByName(name: string): SrtpProfile | undefined {
  if (name === AES128_CM_HMAC_SHA1_80.name) return AES128_CM_HMAC_SHA1_80;
  if (name === AEAD_AES_128_GCM.name) return AEAD_AES_128_GCM;
  return undefined;
}
