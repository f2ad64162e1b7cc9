/**
 * The errors the SDK throws from its public calls (or rejects their promises
 * with), each with a stable `code`, and the error the data-channel envelope
 * decoder returns (it never throws).
 * Failures that happen later, away from any call (a negotiation, a message
 * that could not be delivered), reach the room's `error` event instead.
 */

/** Stable codes of the errors thrown by `Room.sendData`. */
export type DataErrorCode =
  | 'ERR_DATA_TOO_LARGE'
  | 'ERR_DATA_QUEUE_FULL'
  | 'ERR_DATA_BINARY_UNSUPPORTED'
  | 'ERR_DATA_CHANNEL_UNAVAILABLE'
  | 'ERR_DATA_INVALID';

/** Which path a message was measured against. */
export type DataPathName = 'datachannel' | 'signaling';

/** The message is bigger than the path it would take allows. */
export class DataTooLargeError extends RangeError {
  /** Stable machine-readable code. */
  readonly code = 'ERR_DATA_TOO_LARGE' satisfies DataErrorCode;
  /** The encoded message's size, bytes. */
  readonly size: number;
  /** The largest message the path takes, bytes. */
  readonly maxMessageSize: number;
  /** The path measured: a data channel (a=max-message-size) or the signaling WebSocket (64 KiB frames). */
  readonly path: DataPathName;

  constructor(size: number, maxMessageSize: number, path: DataPathName) {
    super(
      path === 'datachannel'
        ? `the message is ${size} bytes, over the data channel's limit of ${maxMessageSize} bytes`
        : `the message is ${size} bytes, over the signaling connection's limit of ${maxMessageSize} bytes`,
    );
    this.name = 'DataTooLargeError';
    this.size = size;
    this.maxMessageSize = maxMessageSize;
    this.path = path;
  }
}

/** The reliable channel's send queue is full (the channel is not open yet, or is not draining). */
export class DataQueueFullError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'ERR_DATA_QUEUE_FULL' satisfies DataErrorCode;

  constructor(message: string) {
    super(message);
    this.name = 'DataQueueFullError';
  }
}

/** A binary payload where only JSON can go: p2p rooms send data through signaling, which is JSON. */
export class BinaryDataUnsupportedError extends TypeError {
  /** Stable machine-readable code. */
  readonly code = 'ERR_DATA_BINARY_UNSUPPORTED' satisfies DataErrorCode;

  constructor(message: string) {
    super(message);
    this.name = 'BinaryDataUnsupportedError';
  }
}

/** A binary payload in an sfu room whose data channel is gone (and signaling cannot carry bytes). */
export class DataChannelUnavailableError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'ERR_DATA_CHANNEL_UNAVAILABLE' satisfies DataErrorCode;

  constructor(message: string) {
    super(message);
    this.name = 'DataChannelUnavailableError';
  }
}

/** `sendData` options or payload that no server accepts (a topic too long, too many recipients, a function). */
export class InvalidDataError extends TypeError {
  /** Stable machine-readable code. */
  readonly code = 'ERR_DATA_INVALID' satisfies DataErrorCode;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidDataError';
  }
}

/** Stable codes of the errors a request to the server (`Room.startRecording`, `Room.stopRecording`) rejects with, besides ServerError. */
export type RequestErrorCode = 'ERR_REQUEST_TIMEOUT' | 'ERR_REQUEST_CANCELLED';

/**
 * The server refused a request: it answered with an `error` carrying the
 * request's `rid`. `code` is the server's (docs/protocol.md, "Errors and close
 * codes"), e.g. `recording_active` or `permission_denied`.
 */
export class ServerError extends Error {
  /** The server's error code; one of ServerErrorCode, or a newer server's. */
  readonly code: string;
  /** The type of the message refused, e.g. `recording_start`. */
  readonly request: string;

  constructor(code: string, message: string, request: string) {
    super(message);
    this.name = 'ServerError';
    this.code = code;
    this.request = request;
  }
}

/**
 * No answer came in time. The server may still carry the request out: its
 * outcome then arrives as an event (e.g. `recording`).
 */
export class RequestTimeoutError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'ERR_REQUEST_TIMEOUT' satisfies RequestErrorCode;
  /** The type of the message unanswered, e.g. `recording_start`. */
  readonly request: string;
  /** How long the SDK waited, ms. */
  readonly timeoutMs: number;

  constructor(request: string, timeoutMs: number) {
    super(`the server did not answer ${request} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
    this.request = request;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The request cannot be answered any more: the room is over (left, removed,
 * connection lost for good), or the session was lost and the client joined
 * afresh before the answer came.
 */
export class RequestCancelledError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'ERR_REQUEST_CANCELLED' satisfies RequestErrorCode;
  /** The type of the message unanswered, e.g. `recording_start`. */
  readonly request: string;

  constructor(request: string, why: string) {
    super(`${request} was not answered: ${why}`);
    this.name = 'RequestCancelledError';
    this.request = request;
  }
}

/** Stable codes for every way an envelope received on a data channel can be refused. */
export type EnvelopeErrorCode =
  | 'ERR_ENVELOPE_UNSUPPORTED_TYPE'
  | 'ERR_ENVELOPE_TRUNCATED'
  | 'ERR_ENVELOPE_BAD_UTF8'
  | 'ERR_ENVELOPE_BAD_JSON'
  | 'ERR_ENVELOPE_NOT_OBJECT'
  | 'ERR_ENVELOPE_NO_PAYLOAD'
  | 'ERR_ENVELOPE_BAD_FROM'
  | 'ERR_ENVELOPE_BAD_TOPIC';

/** Why an envelope was refused. Returned by the decoders, never thrown. */
export class EnvelopeError extends Error {
  /** Stable machine-readable code. */
  readonly code: EnvelopeErrorCode;

  constructor(code: EnvelopeErrorCode, message: string) {
    super(message);
    this.name = 'EnvelopeError';
    this.code = code;
  }
}
