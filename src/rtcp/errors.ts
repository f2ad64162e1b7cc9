/** Stable codes for every way an RTCP packet can be rejected by a decoder or refused by an encoder. */
export type RtcpErrorCode =
  | 'ERR_RTCP_TOO_SHORT'
  | 'ERR_RTCP_BAD_VERSION'
  | 'ERR_RTCP_BAD_LENGTH'
  | 'ERR_RTCP_BAD_PADDING'
  | 'ERR_RTCP_WRONG_TYPE'
  | 'ERR_RTCP_BAD_FORMAT'
  | 'ERR_RTCP_BUFFER_TOO_SMALL'
  | 'ERR_RTCP_INVALID_ARGUMENT';

/**
 * An RTCP failure with a stable code and the byte offset where it was found.
 * Decoders return these rather than throw; encoders throw them only on
 * programmer error (a value that cannot be encoded, a buffer too small).
 */
export class RtcpError extends Error {
  /** Stable machine-readable code. */
  readonly code: RtcpErrorCode;
  /** Offset within the packet (or compound packet) where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(code: RtcpErrorCode, message: string, offset?: number) {
    super(message);
    this.name = 'RtcpError';
    this.code = code;
    this.offset = offset;
  }
}

/** Result of a decoder: a value or a typed error, never an exception. */
export type RtcpResult<T> = { ok: true; value: T } | { ok: false; error: RtcpError };

/** Builds the failure branch of an RtcpResult. */
export function rtcpFail<T>(code: RtcpErrorCode, message: string, offset?: number): RtcpResult<T> {
  return { ok: false, error: new RtcpError(code, message, offset) };
}
