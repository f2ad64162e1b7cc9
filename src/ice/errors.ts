/** Stable codes for the ways the ICE layer refuses input or use. */
export type IceErrorCode =
  /** An option of a mux or an agent is out of range or malformed. */
  | 'ERR_ICE_INVALID_OPTION'
  /** A socket could not be bound (address in use, not available …). */
  | 'ERR_ICE_LISTEN_FAILED'
  /** A username fragment is already registered on a mux by another agent. */
  | 'ERR_ICE_UFRAG_IN_USE'
  /** Remote ICE parameters that RFC 8839 §5.4 does not allow. */
  | 'ERR_ICE_BAD_PARAMETERS'
  /** An a=candidate value that does not parse (RFC 8839 §5.1). */
  | 'ERR_ICE_BAD_CANDIDATE'
  /** The agent or mux is closed. */
  | 'ERR_ICE_CLOSED';

/**
 * An ICE failure with a stable code. Parsers return these in a result; the
 * agent and muxes throw them only on misuse (bad options, use after close).
 */
export class IceError extends Error {
  /** Stable machine-readable code. */
  readonly code: IceErrorCode;

  constructor(code: IceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IceError';
    this.code = code;
  }
}
