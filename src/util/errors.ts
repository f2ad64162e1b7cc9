/** Stable codes for the ways the shared helpers in util/ refuse their input. */
export type UtilErrorCode =
  /** A value the DER encoder cannot represent (bad OID text, out-of-range length or time). */
  | 'ERR_DER_INVALID_VALUE'
  /** An option of the certificate generator is out of range or malformed. */
  | 'ERR_CERT_INVALID_OPTION';

/**
 * A helper refused its input. These are programmer or configuration errors
 * found before anything goes on the wire, so they are thrown, not returned.
 */
export class UtilError extends Error {
  /** Stable machine-readable code. */
  readonly code: UtilErrorCode;

  constructor(code: UtilErrorCode, message: string) {
    super(message);
    this.name = 'UtilError';
    this.code = code;
  }
}
