/** Stable codes for every way a STUN message can be rejected by the decoder or the checks around it. */
export type StunErrorCode =
  | 'ERR_STUN_TOO_SHORT'
  | 'ERR_STUN_NOT_STUN'
  | 'ERR_STUN_BAD_LENGTH'
  | 'ERR_STUN_BAD_COOKIE'
  | 'ERR_STUN_BAD_ATTRIBUTE'
  | 'ERR_STUN_ATTRIBUTE_AFTER_FINGERPRINT'
  | 'ERR_STUN_BAD_FINGERPRINT'
  | 'ERR_STUN_BAD_INTEGRITY'
  | 'ERR_STUN_TOO_MANY_ATTRIBUTES'
  | 'ERR_STUN_BUFFER_TOO_SMALL'
  | 'ERR_STUN_INVALID_ARGUMENT'
  | 'ERR_STUN_TIMEOUT'
  | 'ERR_STUN_TRANSACTION_CLOSED';

/**
 * A STUN failure with a stable code. Decoders return these rather than throw;
 * encoders throw them only on programmer error (a value that cannot be encoded).
 */
export class StunError extends Error {
  /** Stable machine-readable code. */
  readonly code: StunErrorCode;

  constructor(code: StunErrorCode, message: string) {
    super(message);
    this.name = 'StunError';
    this.code = code;
  }
}
