/**
 * Errors of the RTP-parameters model and the subscribe offer/answer: every
 * parser code of SdpErrorCode (a subscribe answer is parsed first) plus the
 * ways an answer or a producer can fail to fit what we offered or route.
 * SdpError's code union stays closed to the parser and answerer; these
 * modules need a few more codes, so they carry their own error class.
 */
import type { SdpError, SdpErrorCode } from './errors.js';

/** Stable codes for what the subscribe offer/answer and the RTP-parameters mapping refuse. */
export type SdpNegotiationErrorCode =
  | SdpErrorCode
  /** A producer codec (or every producer codec) has no match in the router's codec list. */
  | 'ERR_SDP_UNSUPPORTED_CODEC'
  /** A mid that the description or the subscribe state does not hold. */
  | 'ERR_SDP_UNKNOWN_MID'
  /** The answer does not line up with our offer: section count, order, mid, kind, direction, formats. */
  | 'ERR_SDP_ANSWER_MISMATCH'
  /** An answer arrived with no offer outstanding. */
  | 'ERR_SDP_NO_PENDING_OFFER'
  /** A later answer flips the DTLS role of the association already negotiated (RFC 8842 §5.5). */
  | 'ERR_SDP_DTLS_ROLE_CHANGED';

/** A negotiation failure with a stable code and, when it concerns one media section, its mid. */
export class SdpNegotiationError extends Error {
  /** Stable machine-readable code. */
  readonly code: SdpNegotiationErrorCode;
  /** The media section concerned, when there is one. */
  readonly mid: string | undefined;
  /** 1-based line of the parsed answer, when the parser refused it. */
  readonly line: number | undefined;

  constructor(code: SdpNegotiationErrorCode, message: string, options: { mid?: string; line?: number } = {}) {
    super(options.mid === undefined ? message : `mid ${options.mid}: ${message}`);
    this.name = 'SdpNegotiationError';
    this.code = code;
    this.mid = options.mid;
    this.line = options.line;
  }

  /** The same failure as a parser SdpError, keeping its code and line. */
  static fromSdpError(error: SdpError): SdpNegotiationError {
    // The parser's message already names the line.
    return new SdpNegotiationError(
      error.code,
      error.message,
      error.line === undefined ? {} : { line: error.line },
    );
  }
}

/** A value or a typed negotiation error, never an exception. */
export type SdpNegotiationResult<T> = { ok: true; value: T } | { ok: false; error: SdpNegotiationError };

/** Builds the failure branch of an SdpNegotiationResult. */
export function negotiationFail<T>(
  code: SdpNegotiationErrorCode,
  message: string,
  mid?: string,
): SdpNegotiationResult<T> {
  return { ok: false, error: new SdpNegotiationError(code, message, mid === undefined ? {} : { mid }) };
}
