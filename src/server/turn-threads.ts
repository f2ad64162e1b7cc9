/**
 * The TURN server on several threads. Each worker thread runs a whole
 * TurnServer; their UDP listeners share the listening ports through
 * SO_REUSEPORT, so the kernel spreads clients over the threads and keeps each
 * client's datagrams (its 5-tuple, hence its allocation) on one of them.
 *
 * What the threads must agree on goes through this, the main thread:
 * - the nonce key, handed to every thread at start;
 * - allocation quotas, counted here (an Allocate asks before binding ports);
 * - RESERVATION-TOKENs, whose first byte names the thread holding the port:
 *   a thread that receives one it did not issue asks that thread to free the
 *   port, then binds it;
 * - stats, summed here when metrics are scraped; drain and TLS reloads,
 *   sent to every thread.
 *
 * TCP and TLS listeners run on thread 0 only, so that an RFC 6062
 * ConnectionBind, which arrives on a new connection, finds the allocation it
 * belongs to. Bandwidth caps apply per thread: the server-wide capacity is
 * divided evenly, and a user's cap holds on each thread it has allocations on.
 *
 * SO_REUSEPORT for UDP arrived in Node 22.12 and 23.1; on older Node the
 * server runs on one thread (`reusePortSupported`).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TlsCredentials, TurnServerOptions } from '../turn/options.js';
import { LocalQuota } from '../turn/quota.js';
import {
  type BoundListenAddress,
  createTlsContext,
  type TurnGauges,
  type TurnServer,
} from '../turn/server.js';
import { TurnStats } from '../turn/stats.js';
import type { Log } from '../util/log.js';
import type { LogLevel } from './config.js';

/** True when this Node binds UDP sockets with SO_REUSEPORT (22.12+ in the 22 line, 23.1+) on Linux. */
export function reusePortSupported(version = process.versions.node, platform = process.platform): boolean {
  if (platform !== 'linux') return false;
  const [major, minor] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Threads to run for a `turn.threads` setting: 0 means one per core where SO_REUSEPORT works. */
export function resolveThreadCount(setting: number, supported = reusePortSupported()): number {
  if (!supported) return 1;
  return setting === 0 ? Math.max(1, availableParallelism()) : setting;
}

/** What a TurnServer (one thread) or TurnThreads (several) offers the service layer. */
export interface TurnBackend {
  readonly addresses: BoundListenAddress[];
  readonly tlsAddresses: BoundListenAddress[];
  readonly isDraining: boolean;
  drain(): void;
  setTlsCredentials(credentials: TlsCredentials): void;
  snapshot(): Promise<{ stats: TurnStats; gauges: TurnGauges }>;
  close(): Promise<void>;
}

/** The options a worker thread receives: plain data (no functions, no log). */
export type ThreadServerOptions = Omit<
  TurnServerOptions,
  'log' | 'now' | 'quota' | 'claimReservation' | 'nonceKey'
> & { nonceKey: Uint8Array; threadIndex: number };

/** workerData of a TURN thread. */
export interface TurnThreadData {
  options: ThreadServerOptions;
  logLevel: LogLevel;
}

/** Messages from the main thread to a worker. */
export type ToThread =
  | { type: 'drain' }
  | { type: 'go' }
  | { type: 'tls'; credentials: TlsCredentials }
  | { type: 'snapshot'; id: number }
  | { type: 'release-reservation'; id: number; token: Uint8Array }
  | { type: 'quota'; id: number; refusal: 'user' | 'total' | undefined }
  | { type: 'reservation'; id: number; released: { family: 4 | 6; host: string; port: number } | undefined }
  | { type: 'close' };

/** Messages from a worker to the main thread. */
export type FromThread =
  | {
      type: 'started';
      addresses: BoundListenAddress[];
      tlsAddresses: BoundListenAddress[];
    }
  | { type: 'failed'; message: string; code: string | undefined }
  | { type: 'snapshot'; id: number; stats: TurnStats; gauges: TurnGauges }
  | { type: 'acquire'; id: number; quotaKey: string }
  | { type: 'release'; quotaKey: string }
  | { type: 'claim'; id: number; token: Uint8Array }
  | { type: 'released'; id: number; released: { family: 4 | 6; host: string; port: number } | undefined }
  | { type: 'closed' };

/** One worker thread and its pending requests. */
class Thread {
  readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, (message: FromThread) => void>();

  constructor(worker: Worker) {
    this.worker = worker;
  }

  /** Sends a request and resolves with the worker's reply of the same id. */
  ask<T extends FromThread>(build: (id: number) => ToThread): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (message) => resolve(message as T));
      this.worker.postMessage(build(id));
    });
  }

  /** Settles the request a reply answers; false when it answers none. */
  settle(message: FromThread & { id: number }): boolean {
    const resolve = this.waiting.get(message.id);
    if (!resolve) return false;
    this.waiting.delete(message.id);
    resolve(message);
    return true;
  }
}

/** Splits [min, max] into `count` contiguous slices of at least two ports. */
export function splitPortRange(min: number, max: number, count: number): { min: number; max: number }[] {
  const span = max - min + 1;
  const slices: { min: number; max: number }[] = [];
  for (let index = 0; index < count; index++) {
    slices.push({
      min: min + Math.floor((index * span) / count),
      max: min + Math.floor(((index + 1) * span) / count) - 1,
    });
  }
  return slices;
}

/** The TURN server spread over worker threads. */
export class TurnThreads implements TurnBackend {
  private readonly threads: Thread[] = [];
  private readonly quota: LocalQuota;
  private readonly log: Log;
  private draining = false;
  private closing: Promise<void> | undefined;
  addresses: BoundListenAddress[] = [];
  tlsAddresses: BoundListenAddress[] = [];

  private constructor(options: TurnServerOptions, log: Log) {
    this.quota = new LocalQuota(options.userQuota ?? 0, options.totalQuota ?? 0);
    this.log = log;
  }

  /**
   * Starts `count` threads: thread 0 binds first (choosing ports where 0 was
   * asked for), the others join its UDP ports. Rejects, with every thread
   * stopped, when one cannot start.
   */
  static async start(
    options: TurnServerOptions,
    count: number,
    log: Log,
    logLevel: LogLevel,
  ): Promise<TurnThreads> {
    const minPort = options.minPort ?? 49152;
    const maxPort = options.maxPort ?? 65535;
    // Every thread needs at least an even and an odd port (EVEN-PORT with a reservation).
    const usable = Math.max(1, Math.min(count, Math.floor((maxPort - minPort + 1) / 2)));
    if (usable < count) log.warn({ threads: count, usable }, 'relay port range too small for every thread');
    return TurnThreads.spawnAll(options, usable, minPort, maxPort, log, logLevel);
  }

  private static async spawnAll(
    options: TurnServerOptions,
    count: number,
    minPort: number,
    maxPort: number,
    log: Log,
    logLevel: LogLevel,
  ): Promise<TurnThreads> {
    const threads = new TurnThreads(options, log);
    const slices = splitPortRange(minPort, maxPort, count);
    const nonceKey = randomBytes(32);
    const { log: _log, now: _now, quota: _quota, claimReservation: _claim, ...plain } = options;
    const base = {
      ...plain,
      nonceKey,
      reusePort: true,
      startPaused: true,
      totalBandwidth: Math.floor((options.totalBandwidth ?? 0) / count),
    };
    try {
      const primary = await threads.spawn(
        { ...base, threadIndex: 0, minPort: slices[0].min, maxPort: slices[0].max },
        logLevel,
      );
      threads.addresses = primary.addresses;
      threads.tlsAddresses = primary.tlsAddresses;
      // The others join thread 0's UDP ports, without TCP or TLS listeners.
      const listen = primary.addresses.map(({ host, port }) => ({ host, port }));
      for (let index = 1; index < count; index++) {
        await threads.spawn(
          {
            ...base,
            listen,
            tcp: false,
            tlsListen: [],
            tls: undefined,
            threadIndex: index,
            minPort: slices[index].min,
            maxPort: slices[index].max,
          },
          logLevel,
        );
      }
    } catch (error) {
      await threads.close();
      throw error;
    }
    // Every socket has joined the port's group: the kernel's choice of thread per client is final.
    for (const thread of threads.threads) thread.worker.postMessage({ type: 'go' } satisfies ToThread);
    log.info({ threads: count }, 'TURN runs on several threads (SO_REUSEPORT)');
    return threads;
  }

  private spawn(
    options: ThreadServerOptions,
    logLevel: LogLevel,
  ): Promise<Extract<FromThread, { type: 'started' }>> {
    const data: TurnThreadData = { options, logLevel };
    const worker = new Worker(new URL('./turn-thread-worker.js', import.meta.url), { workerData: data });
    const thread = new Thread(worker);
    this.threads.push(thread);
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromThread) => {
        switch (message.type) {
          case 'started':
            resolve(message);
            return;
          case 'failed':
            reject(Object.assign(new Error(message.message), { code: message.code }));
            return;
          default:
            this.onThreadMessage(thread, message);
        }
      });
      worker.on('error', (error) => {
        this.log.error({ err: error, thread: options.threadIndex }, 'TURN thread failed');
        reject(error);
      });
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) {
          this.log.error({ thread: options.threadIndex, code }, 'TURN thread exited');
        }
      });
    });
  }

  private onThreadMessage(thread: Thread, message: FromThread): void {
    switch (message.type) {
      case 'acquire':
        thread.worker.postMessage({
          type: 'quota',
          id: message.id,
          refusal: this.quota.acquire(message.quotaKey),
        } satisfies ToThread);
        return;
      case 'release':
        this.quota.release(message.quotaKey);
        return;
      case 'claim': {
        const owner = this.threads[message.token[0]];
        const reply = (released: Extract<ToThread, { type: 'reservation' }>['released']) =>
          thread.worker.postMessage({ type: 'reservation', id: message.id, released } satisfies ToThread);
        if (!owner || owner === thread) {
          reply(undefined);
          return;
        }
        void owner
          .ask<Extract<FromThread, { type: 'released' }>>((id) => ({
            type: 'release-reservation',
            id,
            token: message.token,
          }))
          .then((answer) => reply(answer.released));
        return;
      }
      case 'snapshot':
      case 'released':
        thread.settle(message);
        return;
      case 'closed':
        return;
    }
  }

  get isDraining(): boolean {
    return this.draining;
  }

  drain(): void {
    this.draining = true;
    for (const thread of this.threads) thread.worker.postMessage({ type: 'drain' } satisfies ToThread);
  }

  /** Checks the credentials load (throws like TurnServer), then sends them to thread 0, which holds TLS. */
  setTlsCredentials(credentials: TlsCredentials): void {
    createTlsContext(credentials);
    this.threads[0]?.worker.postMessage({ type: 'tls', credentials } satisfies ToThread);
  }

  /** Stats and gauges summed over the threads. */
  async snapshot(): Promise<{ stats: TurnStats; gauges: TurnGauges }> {
    const parts = await Promise.all(
      this.threads.map((thread) =>
        thread.ask<Extract<FromThread, { type: 'snapshot' }>>((id) => ({ type: 'snapshot', id })),
      ),
    );
    const stats = new TurnStats();
    const gauges: TurnGauges = {
      allocations: 0,
      permissions: 0,
      channels: 0,
      streamConnections: 0,
      peerConnections: 0,
    };
    for (const part of parts) {
      for (const key of Object.keys(stats) as (keyof TurnStats)[]) stats[key] += part.stats[key];
      for (const key of Object.keys(gauges) as (keyof TurnGauges)[]) gauges[key] += part.gauges[key];
    }
    return { stats, gauges };
  }

  /** Closes every thread's server, then the threads. Idempotent. */
  close(): Promise<void> {
    this.closing ??= Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void thread.worker.terminate(), 5000);
            thread.worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            thread.worker.postMessage({ type: 'close' } satisfies ToThread);
          }),
      ),
    ).then(() => {});
    return this.closing;
  }
}

/** Satisfied by TurnServer too: the single-thread backend. */
export type { TurnServer };
