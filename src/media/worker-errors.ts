/**
 * Stable error codes of the media worker API. The engine answers a refused
 * command with one of these; the calling side rejects the command's promise
 * with a MediaWorkerError carrying the same code.
 */

/** Stable codes for every way a media worker command can fail. */
export type MediaErrorCode =
  /** No router, transport, producer or consumer has the id (or it closed). */
  | 'ERR_MEDIA_NOT_FOUND'
  /** A parameter is missing, of the wrong type or out of range. */
  | 'ERR_MEDIA_INVALID_ARGUMENT'
  /** The command does not fit the object's state (connect twice). */
  | 'ERR_MEDIA_INVALID_STATE'
  /** The request is well formed but cannot be served (no codec in common with the router). */
  | 'ERR_MEDIA_UNSUPPORTED'
  /** A recording file could not be created or written (disk full, unwritable directory). */
  | 'ERR_MEDIA_WRITE_FAILED'
  /** The method names no command. */
  | 'ERR_MEDIA_UNKNOWN_METHOD'
  /** A socket could not be bound at start. */
  | 'ERR_MEDIA_LISTEN_FAILED'
  /** The worker was closed: the command was not run, or not answered. */
  | 'ERR_MEDIA_WORKER_CLOSED'
  /** The worker's thread ended without being closed: the command was not answered. */
  | 'ERR_MEDIA_WORKER_DIED'
  /** An unexpected failure inside the worker (a bug if ever seen). */
  | 'ERR_MEDIA_INTERNAL';

/** A media worker command failed; `code` says how. */
export class MediaWorkerError extends Error {
  /** Stable machine-readable code. */
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaWorkerError';
    this.code = code;
  }
}
