/**
 * Stable error codes for the SFU's forwarding building blocks (rewriting,
 * retransmission, statistics). The object model (Router, Producer, Consumer)
 * keeps its own codes; these cover only the pure packet helpers in this
 * folder.
 */

/** Stable codes for every way a forwarding helper can refuse its input. */
export type ForwardingErrorCode =
  | 'ERR_MEDIA_BUFFER_TOO_SMALL'
  | 'ERR_MEDIA_INVALID_ARGUMENT'
  | 'ERR_MEDIA_MALFORMED_PACKET'
  | 'ERR_MEDIA_RTX_TOO_SHORT';

/**
 * A forwarding failure with a stable code. Readers of received bytes return
 * it in a ForwardingResult; writers throw it only on programmer error (a
 * buffer too small, a value out of range).
 */
export class ForwardingError extends Error {
  /** Stable machine-readable code. */
  readonly code: ForwardingErrorCode;

  constructor(code: ForwardingErrorCode, message: string) {
    super(message);
    this.name = 'ForwardingError';
    this.code = code;
  }
}

/** Result of a reader: a value or a typed error, never an exception. */
export type ForwardingResult<T> = { ok: true; value: T } | { ok: false; error: ForwardingError };

/** Builds the failure branch of a ForwardingResult. */
export function forwardingFail<T>(code: ForwardingErrorCode, message: string): ForwardingResult<T> {
  return { ok: false, error: new ForwardingError(code, message) };
}
