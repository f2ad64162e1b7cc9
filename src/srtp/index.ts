/** SRTP and SRTCP (RFC 3711, RFC 7714): session key derivation and per-direction protection. */

export { SrtpError, type SrtpErrorCode, type SrtpErrorSite } from './errors.js';
export {
  type DerivedKeys,
  deriveKey,
  deriveSessionKeys,
  KdfLabel,
  type SessionKeys,
} from './key-derivation.js';
export {
  AEAD_AES_128_GCM,
  AES128_CM_HMAC_SHA1_80,
  type SrtpProfile,
  type SrtpProfileName,
  srtpProfileByName,
} from './profile.js';
export { ReplayWindow } from './replay-window.js';
export { RolloverCounter } from './rollover.js';
export {
  DEFAULT_REPLAY_WINDOW_SIZE,
  type SrtpMasterKeyOptions,
  SrtpSession,
  type SrtpSessionKeyOptions,
  type SrtpSessionOptions,
} from './session.js';
