/** Stable codes for every way the SCTP layer can refuse a packet, a chunk or a call. */
export type SctpErrorCode =
  | 'ERR_SCTP_TOO_SHORT'
  | 'ERR_SCTP_BAD_CHECKSUM'
  | 'ERR_SCTP_BAD_LENGTH'
  | 'ERR_SCTP_BAD_FORMAT'
  | 'ERR_SCTP_WRONG_TYPE'
  | 'ERR_SCTP_BUFFER_TOO_SMALL'
  | 'ERR_SCTP_INVALID_ARGUMENT'
  | 'ERR_SCTP_INVALID_STATE'
  | 'ERR_SCTP_MESSAGE_TOO_LARGE'
  | 'ERR_SCTP_ABORTED'
  | 'ERR_SCTP_PROTOCOL_VIOLATION'
  | 'ERR_SCTP_TIMEOUT';

/** Where a failure happened: the wire structure or the operation being processed. */
export type SctpErrorSite =
  | 'packet'
  | 'chunk'
  | 'parameter'
  | 'data'
  | 'i-data'
  | 'init'
  | 'sack'
  | 'heartbeat'
  | 'abort'
  | 'error'
  | 'shutdown'
  | 'cookie-echo'
  | 'forward-tsn'
  | 're-config'
  | 'dcep'
  | 'association';

/**
 * An SCTP failure with a stable code and where it was found. Decoders return
 * these rather than throw; encoders and the association's public methods
 * throw them only on misuse (a value that cannot be encoded, a buffer too
 * small, a call in the wrong state).
 */
export class SctpError extends Error {
  /** Stable machine-readable code. */
  readonly code: SctpErrorCode;
  /** The structure or operation that failed. */
  readonly site: SctpErrorSite;
  /** Byte offset within the structure where the problem was found, when known. */
  readonly offset: number | undefined;

  constructor(code: SctpErrorCode, site: SctpErrorSite, message: string, offset?: number) {
    super(message);
    this.name = 'SctpError';
    this.code = code;
    this.site = site;
    this.offset = offset;
  }
}

/** Result of a decoder: a value or a typed error, never an exception. */
export type SctpResult<T> = { ok: true; value: T } | { ok: false; error: SctpError };

/** Builds the failure branch of an SctpResult. */
export function sctpFail<T>(
  code: SctpErrorCode,
  site: SctpErrorSite,
  message: string,
  offset?: number,
): SctpResult<T> {
  return { ok: false, error: new SctpError(code, site, message, offset) };
}

/** Throws ERR_SCTP_BUFFER_TOO_SMALL unless size bytes fit in buf at offset. */
export function checkRoom(buf: Uint8Array, offset: number, size: number, site: SctpErrorSite): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length)
    throw new SctpError('ERR_SCTP_BUFFER_TOO_SMALL', site, `${size} bytes do not fit at ${offset}`);
}
