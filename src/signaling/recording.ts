/**
 * What the signaling server needs from the recording service to let
 * participants with the `record` grant start and stop a room's recording,
 * and to tell everyone in the room that it is being recorded. The
 * composition root (src/server) wires the service in; signaling imports
 * nothing of it.
 */

/** A room's recording as participants see it (the `recording` message). */
export interface RecordingState {
  /** The recording's id, as the admin API knows it. */
  id: string;
  /** True while it records; the message that ends it says false. */
  active: boolean;
  /** When it started, ms since the epoch. */
  startedAt: number;
  /** The participant who started it, or null when the admin API did. */
  startedBy: string | null;
}

/** Protocol error codes a recording request can end with. */
export type RecordingControlErrorCode =
  | 'recording_active'
  | 'recording_inactive'
  | 'recording_failed'
  | 'wrong_mode';

/** A refused or failed recording request, with the protocol error code to answer with. */
export class RecordingControlError extends Error {
  readonly code: RecordingControlErrorCode;

  constructor(code: RecordingControlErrorCode, message: string) {
    super(message);
    this.name = 'RecordingControlError';
    this.code = code;
  }
}

/** Starting and stopping recordings from signaling. */
export interface RecordingControl {
  /** The room's active recording, or null. */
  state(room: string): RecordingState | null;
  /**
   * Starts recording the room. The service tells every member but `startedBy`
   * with a `recording` message; the caller answers the requester. Rejects
   * with RecordingControlError.
   */
  start(room: string, options: { startedBy: string; audioOnly?: boolean }): Promise<RecordingState>;
  /** Stops the room's recording, telling every member but `stoppedBy`. Rejects with RecordingControlError. */
  stop(room: string, options: { stoppedBy: string }): Promise<RecordingState>;
}
