/**
 * Stable error codes for recording: the WebM/Matroska writer, its sinks and
 * the codec configuration builders. Depacketizers never throw on received
 * bytes (they drop and count); these errors are for programmer mistakes
 * (a track that was not declared, a write after close) and for I/O failures
 * of the sink (disk full, unwritable directory).
 */

/** Stable codes for every way recording can fail. */
export type RecordingErrorCode =
  /** A value that cannot be encoded or a track option out of range. */
  | 'ERR_RECORDING_INVALID_ARGUMENT'
  /** The writer was used after close() or after a write failed. */
  | 'ERR_RECORDING_INVALID_STATE'
  /** A codec the writer cannot store, or a stream it cannot describe. */
  | 'ERR_RECORDING_UNSUPPORTED'
  /** The sink refused bytes (disk full, permissions, closed file). */
  | 'ERR_RECORDING_WRITE_FAILED';

/** A recording failure with a stable code; `cause` carries the I/O error for ERR_RECORDING_WRITE_FAILED. */
export class RecordingError extends Error {
  /** Stable machine-readable code. */
  readonly code: RecordingErrorCode;

  constructor(code: RecordingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RecordingError';
    this.code = code;
  }
}
