/**
 * The control channel between the SFU benchmarks (bench/sfu.ts,
 * bench/recording.ts) and our server process (bench/sfu-server.ts): one
 * JSON object per line, commands on the server's stdin, replies on its
 * stdout, matched by `id`.
 */

/** Commands to the server. */
import type { RecorderStats } from '../src/media/recorder.js';
export type ServerCommand =
  /** Answer a publisher's offer: a transport and one producer per track (one call per publisher). */
  | { id: number; op: 'publish'; sdp: string }
  /** A subscriber: a transport, a consumer of every producer, and the server's offer. */
  | { id: number; op: 'subscribe' }
  /** The subscriber's answer to that offer; connects its transport. */
  | { id: number; op: 'answer'; subscriber: string; sdp: string }
  /** Closes a subscriber's transport (and its consumers). */
  | { id: number; op: 'unsubscribe'; subscriber: string }
  /** Starts one recorder per publisher (its audio and video) into `directory`, an absolute path. */
  | { id: number; op: 'record.start'; directory: string }
  /** Stops every recorder and finishes its file; the reply holds their summaries. */
  | { id: number; op: 'record.stop' }
  /** Counters and CPU time. */
  | { id: number; op: 'stats' };

/** Counters the server reports. */
export interface ServerStats {
  /** RTP packets sent to subscribers (consumers' packetsSent, closed ones included). */
  packetsForwarded: number;
  /** CPU time of the process so far, µs (process.cpuUsage, user + system, all threads). */
  cpuMicros: number;
  subscribers: number;
  /** Subscriber transports whose SRTP keys are in place. */
  connectedSubscribers: number;
  /** Packets the publishers' transports dropped or could not decrypt. */
  publisherErrors: number;
  /** Recorders running (not yet stopped). */
  recorders: number;
  /** Of those, the ones writing their file (past the start: sender reports and a key frame). */
  recordersWriting: number;
}

/** What one recorder left when it stopped: its counters, and how it ended. */
export interface RecordingSummary extends RecorderStats {
  path: string;
  /** waiting, recording, failed or closed (a clean stop ends closed). */
  state: string;
  /** Why it failed, when it did. */
  error?: string;
  bytes: number;
  durationMs: number;
  finalized: boolean;
}

/** Replies from the server. */
export type ServerReply =
  | {
      id: number;
      ok: true;
      sdp?: string;
      subscriber?: string;
      stats?: ServerStats;
      recorders?: number;
      recordings?: RecordingSummary[];
    }
  | { id: number; ok: false; error: string };
