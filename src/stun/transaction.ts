/**
 * Client transactions (RFC 8489 §6.2). Over UDP a request is retransmitted
 * after RTO, 2·RTO, 4·RTO … until Rc requests have been sent, then the client
 * waits Rm·RTO for the last one (RTO = 500 ms, Rc = 7, Rm = 16: 39.5 s). Over
 * TCP or TLS nothing is retransmitted and the transaction times out after
 * Ti = 39.5 s.
 */
import { StunError } from './errors.js';
import type { StunMessage } from './message.js';

/** Timer functions, injectable so that tests can drive a fake clock. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Retransmission settings; defaults are the RFC's. */
export interface TransactionOptions {
  /** Initial retransmission timeout (RTO), ms. Default 500. */
  rtoMs?: number;
  /** Total requests sent over an unreliable transport (Rc). Default 7. */
  maxRequests?: number;
  /** Multiple of RTO waited after the last request (Rm). Default 16. */
  lastWaitFactor?: number;
  /** True over TCP/TLS: no retransmissions, one timeout of `reliableTimeoutMs`. */
  reliable?: boolean;
  /** Ti for reliable transports, ms. Default 39,500. */
  reliableTimeoutMs?: number;
  timers?: Timers;
}

interface Pending {
  message: Buffer;
  resolve: (response: StunMessage) => void;
  reject: (error: Error) => void;
  timer: unknown;
  sent: number;
  rtoMs: number;
}

/**
 * Tracks outstanding requests by transaction id, retransmits them and settles
 * each with its response (success or error class alike) or a timeout.
 */
export class TransactionManager {
  private readonly pending = new Map<string, Pending>();
  private readonly send: (message: Buffer) => void;
  private readonly rtoMs: number;
  private readonly maxRequests: number;
  private readonly lastWaitFactor: number;
  private readonly reliable: boolean;
  private readonly reliableTimeoutMs: number;
  private readonly timers: Timers;
  private closed = false;

  constructor(send: (message: Buffer) => void, options: TransactionOptions = {}) {
    this.send = send;
    this.rtoMs = options.rtoMs ?? 500;
    this.maxRequests = options.maxRequests ?? 7;
    this.lastWaitFactor = options.lastWaitFactor ?? 16;
    this.reliable = options.reliable ?? false;
    this.reliableTimeoutMs = options.reliableTimeoutMs ?? 39_500;
    this.timers = options.timers ?? realTimers;
  }

  /** Number of transactions in flight. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with its response. The message is kept
   * (not copied) until the transaction ends: the caller must not reuse it.
   */
  request(message: Buffer, transactionId: Buffer): Promise<StunMessage> {
    if (this.closed)
      return Promise.reject(new StunError('ERR_STUN_TRANSACTION_CLOSED', 'transactions are closed'));
    const key = transactionId.toString('hex');
    if (this.pending.has(key)) {
      return Promise.reject(new StunError('ERR_STUN_INVALID_ARGUMENT', 'duplicate transaction id'));
    }
    return new Promise<StunMessage>((resolve, reject) => {
      const entry: Pending = { message, resolve, reject, timer: undefined, sent: 0, rtoMs: this.rtoMs };
      this.pending.set(key, entry);
      this.transmit(key, entry);
    });
  }

  private transmit(key: string, entry: Pending): void {
    entry.sent++;
    try {
      this.send(entry.message);
    } catch (error) {
      this.settle(key, entry);
      entry.reject(error as Error);
      return;
    }
    // send() may have delivered the response (or closed us) synchronously: then arm no timer.
    if (this.pending.get(key) !== entry) return;
    if (this.reliable) {
      entry.timer = this.timers.setTimeout(() => this.expire(key, entry), this.reliableTimeoutMs);
    } else if (entry.sent < this.maxRequests) {
      entry.timer = this.timers.setTimeout(() => {
        entry.rtoMs *= 2;
        this.transmit(key, entry);
      }, entry.rtoMs);
    } else {
      entry.timer = this.timers.setTimeout(() => this.expire(key, entry), this.rtoMs * this.lastWaitFactor);
    }
  }

  private expire(key: string, entry: Pending): void {
    this.settle(key, entry);
    entry.reject(new StunError('ERR_STUN_TIMEOUT', `no response after ${entry.sent} request(s)`));
  }

  private settle(key: string, entry: Pending): void {
    this.timers.clearTimeout(entry.timer);
    // The key may by now belong to a newer transaction that reused the id.
    if (this.pending.get(key) === entry) this.pending.delete(key);
  }

  /** Delivers a response; returns false when it matches no transaction. */
  handleResponse(response: StunMessage): boolean {
    const key = response.transactionId.toString('hex');
    const entry = this.pending.get(key);
    if (!entry) return false;
    this.settle(key, entry);
    entry.resolve(response);
    return true;
  }

  /** Rejects every pending transaction and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const [key, entry] of this.pending) {
      this.settle(key, entry);
      entry.reject(new StunError('ERR_STUN_TRANSACTION_CLOSED', 'transactions closed'));
    }
  }
}
