/** Stable codes for every way a session description can be refused by the parser, the writer or the answerer. */
export type SdpErrorCode =
  /** The text is longer than SDP_MAX_TEXT_BYTES. */
  | 'ERR_SDP_TOO_LARGE'
  /** One line is longer than SDP_MAX_LINE_BYTES. */
  | 'ERR_SDP_LINE_TOO_LONG'
  /** More than SDP_MAX_MEDIA_SECTIONS m= lines. */
  | 'ERR_SDP_TOO_MANY_MEDIA'
  /** A line that is not `<letter>=<value>`. */
  | 'ERR_SDP_BAD_LINE'
  /** A type letter RFC 8866 §5 does not define, or one where it may not appear. */
  | 'ERR_SDP_UNEXPECTED_LINE'
  /** A required line (v=, o=, s=, t=) is absent. */
  | 'ERR_SDP_MISSING_LINE'
  /** A line that may appear once appears again. */
  | 'ERR_SDP_DUPLICATE_LINE'
  /** v= other than 0. */
  | 'ERR_SDP_BAD_VERSION'
  /** o= without its six fields. */
  | 'ERR_SDP_BAD_ORIGIN'
  /** t= or r= malformed. */
  | 'ERR_SDP_BAD_TIMING'
  /** c= malformed. */
  | 'ERR_SDP_BAD_CONNECTION'
  /** b= malformed. */
  | 'ERR_SDP_BAD_BANDWIDTH'
  /** m= malformed. */
  | 'ERR_SDP_BAD_MEDIA'
  /** A known attribute whose value does not follow its grammar. */
  | 'ERR_SDP_BAD_ATTRIBUTE'
  /** A known attribute that may appear once per level (or once per payload type) appears again. */
  | 'ERR_SDP_DUPLICATE_ATTRIBUTE'
  /** The offer has no ice-ufrag/ice-pwd for the transport. */
  | 'ERR_SDP_MISSING_ICE_PARAMETERS'
  /** The offer has no DTLS fingerprint for the transport. */
  | 'ERR_SDP_MISSING_FINGERPRINT'
  /** The offer's a=setup leaves no role compatible with ours. */
  | 'ERR_SDP_INCOMPATIBLE_SETUP'
  /** Both ends are ICE-lite, so neither would run connectivity checks. */
  | 'ERR_SDP_BOTH_ICE_LITE'
  /** A value given by the program cannot be written (line break, bad token, out of range). */
  | 'ERR_SDP_INVALID_ARGUMENT';

/**
 * An SDP failure with a stable code and the 1-based line where it was found.
 * The parser and the answerer return these rather than throw; the writer
 * throws them only on programmer error (a value that would break the line
 * structure).
 */
export class SdpError extends Error {
  /** Stable machine-readable code. */
  readonly code: SdpErrorCode;
  /** 1-based line number in the parsed text, when the error comes from the parser. */
  readonly line: number | undefined;

  constructor(code: SdpErrorCode, message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'SdpError';
    this.code = code;
    this.line = line;
  }
}

/** Result of the parser or the answerer: a value or a typed error, never an exception. */
export type SdpResult<T> = { ok: true; value: T } | { ok: false; error: SdpError };

/** Builds the failure branch of an SdpResult. */
export function sdpFail<T>(code: SdpErrorCode, message: string, line?: number): SdpResult<T> {
  return { ok: false, error: new SdpError(code, message, line) };
}
