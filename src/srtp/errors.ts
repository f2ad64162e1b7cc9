/** Stable codes for every way SRTP or SRTCP protection can refuse a packet. */
export type SrtpErrorCode =
  | 'ERR_SRTP_TOO_SHORT'
  | 'ERR_SRTP_BAD_HEADER'
  | 'ERR_SRTP_AUTH_FAILED'
  | 'ERR_SRTP_REPLAYED'
  | 'ERR_SRTP_INDEX_EXHAUSTED'
  | 'ERR_SRTP_BUFFER_TOO_SMALL'
  | 'ERR_SRTP_INVALID_ARGUMENT';

/** Where a failure happened: the direction and kind of packet being processed. */
export type SrtpErrorSite = 'protectRtp' | 'unprotectRtp' | 'protectRtcp' | 'unprotectRtcp' | 'session';

/**
 * An SRTP failure with a stable code. Packet functions return these rather
 * than throw; the session constructor throws one only on programmer error
 * (a key or salt of the wrong length).
 */
export class SrtpError extends Error {
  /** Stable machine-readable code. */
  readonly code: SrtpErrorCode;
  /** The operation that failed. */
  readonly site: SrtpErrorSite;

  constructor(code: SrtpErrorCode, site: SrtpErrorSite, message: string) {
    super(message);
    this.name = 'SrtpError';
    this.code = code;
    this.site = site;
  }
}
