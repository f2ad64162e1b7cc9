/** Stable codes for every way an RTP packet can be rejected by the decoder or refused by the encoder. */
export type RtpErrorCode =
  | 'ERR_RTP_TOO_SHORT'
  | 'ERR_RTP_BAD_VERSION'
  | 'ERR_RTP_BAD_PADDING'
  | 'ERR_RTP_BAD_EXTENSION'
  | 'ERR_RTP_BUFFER_TOO_SMALL'
  | 'ERR_RTP_INVALID_ARGUMENT';

/**
 * An RTP failure with a stable code and the byte offset where it was found.
 * Decoders return these rather than throw; encoders throw them only on
 * programmer error (a value that cannot be encoded, a buffer too small).
 */
export class RtpError extends Error {
  /** Stable machine-readable code. */
  readonly code: RtpErrorCode;
  /** Offset within the packet where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(code: RtpErrorCode, message: string, offset?: number) {
    super(message);
    this.name = 'RtpError';
    this.code = code;
    this.offset = offset;
  }
}

/** Result of a decoder: a value or a typed error, never an exception. */
export type RtpResult<T> = { ok: true; value: T } | { ok: false; error: RtpError };

/** Builds the failure branch of an RtpResult. */
export function rtpFail<T>(code: RtpErrorCode, message: string, offset?: number): RtpResult<T> {
  return { ok: false, error: new RtpError(code, message, offset) };
}
