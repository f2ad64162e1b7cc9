/**
 * Messages between `bench/signaling.ts` and its load processes
 * (`bench/signaling-load-worker.ts`), over the IPC channel of the child.
 *
 * A load process lives for one measurement: `setup` (sign the tokens) →
 * `ready` → `join` (connect and join at the given rate) → `joined` → `run`
 * (warm-up, then the measured message window) → `result` → it drops its
 * connections and exits.
 */
import type { FailureReport } from './load-process.js';
import type { SparseBuckets } from './rtt-histogram.js';

/** The two servers compared: our signaling server, and a bare `ws` echo server. */
export type ServerKind = 'ours' | 'echo';

/** Topic of every bench `data` message. */
export const BENCH_TOPIC = 'bench';

/** Prepares `clients` clients, global indices `firstIndex`…, in rooms of `roomSize`. */
export interface SetupCommand {
  type: 'setup';
  kind: ServerKind;
  /** ws://127.0.0.1:PORT/rtc */
  url: string;
  /** Global index of this process's first client; rooms never span two processes. */
  firstIndex: number;
  clients: number;
  roomSize: number;
  /** Names the rooms of this run: `${roomPrefix}-${room number}`. */
  roomPrefix: string;
  /** The key that signs access tokens (the server's development key). */
  apiKey: { key: string; secret: string };
  /** This process's share of the join rate, clients per second. */
  joinRatePerSecond: number;
  /** Clients connecting or waiting for `joined` at once, at most. */
  maxPendingJoins: number;
  /** A client without `joined` after this long is counted as failed, ms. */
  joinTimeoutMs: number;
  /** Messages each client puts in flight when the message phase starts. */
  window: number;
  /** Messages per second each client sends at most (the server allows 50 on average). */
  maxSendRatePerClient: number;
  /** Length of each sent frame, bytes (padded to it). */
  frameBytes: number;
  /** Local addresses to spread client sockets over (127.0.0.x); empty lets the kernel choose. */
  localAddresses: string[];
}

/** Connects and joins every client at the set rate. */
export interface JoinCommand {
  type: 'join';
}

/** Starts the message phase: `warmupMs` unmeasured, then `durationMs` measured. */
export interface RunCommand {
  type: 'run';
  warmupMs: number;
  durationMs: number;
}

/** What the parent sends. */
export type ParentMessage = SetupCommand | JoinCommand | RunCommand;

/** The tokens are signed. */
export interface ReadyReport {
  type: 'ready';
  setupMs: number;
}

/** Every client joined, failed, or ran out of time. */
export interface JoinedReport {
  type: 'joined';
  /** Clients that received `joined` (for the echo: their join frame back). */
  joined: number;
  /** Failures by reason: an HTTP status, an error code, a close code, `timeout`. */
  failures: Record<string, number>;
  /** From the first connect to the last `joined`, ms. */
  durationMs: number;
  /** TCP connect + WebSocket upgrade, ms. */
  connect: SparseBuckets;
  /** `join` sent → `joined` received, ms. */
  join: SparseBuckets;
  /** Connect started → `joined` received: what a participant waits in all, ms. */
  total: SparseBuckets;
  cpuUserMicros: number;
  cpuSystemMicros: number;
}

/** Figures of the measured message window. */
export interface ResultReport {
  type: 'result';
  /** `data` frames received by this process's clients in the window. */
  delivered: number;
  /** `data` frames sent in the window. */
  sent: number;
  /** Sends held back by the per-client rate cap in the window. */
  paced: number;
  /** Clients still open at the end of the window. */
  open: number;
  /** Joined clients that never learned the id of the next one in their room, so sent nothing. */
  withoutPeer: number;
  /** Connections the server closed or that failed, by close code, since the joins began. */
  closes: Record<string, number>;
  /** `error` messages received, by code, since the joins began. */
  errors: Record<string, number>;
  /** Length of the measured window, ms (from this process's clock). */
  measuredMs: number;
  /** CPU this process used in the window, µs. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** Send → delivery time of each message (one hop through the server), ms. */
  hop: SparseBuckets;
}

/** What a load process sends. */
export type WorkerMessage = ReadyReport | JoinedReport | ResultReport | FailureReport;
