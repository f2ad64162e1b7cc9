/**
 * Messages between `bench/turn.ts` and its load processes
 * (`bench/turn-load-worker.ts`), over the IPC channel of `child_process.fork`.
 *
 * A load process lives for one measurement: `setup` (allocations and
 * channels) → `ready` → `run` (warm-up, then the measured window) →
 * `result` → it closes its sockets and exits.
 */
import type { SparseBuckets } from './rtt-histogram.js';

/** Size of the bench header at the start of the ChannelData application data. */
export const PROBE_HEADER_SIZE = 16;

/**
 * Layout of the application data of every probe datagram, after the 4-byte
 * ChannelData header:
 *
 *   offset 0  u16  window slot
 *   offset 2  u16  zero
 *   offset 4  u32  sequence number of the slot
 *   offset 8  f64  send time, `performance.now()` of the sending process (ms)
 *   offset 16 ...  filler up to the payload size
 */
export const ProbeOffset = { slot: 0, sequence: 4, sentAt: 8 } as const;

/** Creates the allocations and channels of `pairs` client pairs. */
export interface SetupCommand {
  type: 'setup';
  server: { host: string; port: number };
  username: string;
  password: string;
  pairs: number;
  /** Datagrams in flight per pair. */
  window: number;
  /** ChannelData application-data bytes per datagram (≥ PROBE_HEADER_SIZE). */
  payloadSize: number;
  /** A datagram not back after this long is counted lost and replaced, ms. */
  lossTimeoutMs: number;
}

/** Starts the load: `warmupMs` unmeasured, then `durationMs` measured. */
export interface RunCommand {
  type: 'run';
  warmupMs: number;
  durationMs: number;
}

/** What the parent sends. */
export type ParentMessage = SetupCommand | RunCommand;

/** Every pair is allocated and bound. */
export interface ReadyReport {
  type: 'ready';
  setupMs: number;
}

/** Figures of the measured window. */
export interface ResultReport {
  type: 'result';
  /** Probe datagrams the server delivered to this process's clients (both directions). */
  delivered: number;
  /** Round trips completed (each is two delivered datagrams). */
  roundTrips: number;
  /** Datagrams given up after the loss timeout. */
  lost: number;
  /** Datagrams that came back after being given up, or did not match their slot. */
  late: number;
  /** Socket errors seen (sends refused, etc.). */
  socketErrors: number;
  /** Length of the measured window, ms (from this process's clock). */
  measuredMs: number;
  /** CPU this process used in the window, µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Round-trip times of the window. */
  rtt: SparseBuckets;
}

/** Setup or the run failed. */
export interface FailureReport {
  type: 'error';
  message: string;
}

/** What a load process sends. */
export type WorkerMessage = ReadyReport | ResultReport | FailureReport;
