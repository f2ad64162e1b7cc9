/** Stable codes for TURN failures raised to callers (client side, configuration, misuse). */
export type TurnErrorCode =
  | 'ERR_TURN_ERROR_RESPONSE'
  | 'ERR_TURN_BAD_RESPONSE'
  | 'ERR_TURN_NO_ALLOCATION'
  | 'ERR_TURN_CLOSED'
  | 'ERR_TURN_INVALID_OPTION'
  | 'ERR_TURN_NO_RELAY_PORT';

/** A TURN failure with a stable code; for error responses, the STUN status and reason. */
export class TurnError extends Error {
  /** Stable machine-readable code. */
  readonly code: TurnErrorCode;
  /** STUN error code of an error response (e.g. 401, 437); 0 otherwise. */
  readonly status: number;

  constructor(code: TurnErrorCode, message: string, status = 0) {
    super(message);
    this.name = 'TurnError';
    this.code = code;
    this.status = status;
  }
}
