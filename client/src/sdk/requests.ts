/**
 * Requests to the server that a promise answers: each message goes with a
 * `rid`, and the server's reply carrying that `rid` (or an `error` with it)
 * settles the promise. A request unanswered after a while rejects with
 * RequestTimeoutError; those that can no longer be answered (the room is over,
 * the session was lost) are cancelled.
 */
import { RequestCancelledError, RequestTimeoutError, ServerError } from './errors.js';

/** How long a request waits for its answer by default, ms. */
export const REQUEST_TIMEOUT_MS = 15_000;

interface Pending<T> {
  /** The type of the message sent, for error messages. */
  request: string;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The requests in flight of one kind, by `rid`. */
export class PendingRequests<T> {
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly pending = new Map<string, Pending<T>>();
  private counter = 0;

  /** `prefix` starts every rid (`recording-1`, `recording-2`…), keeping them apart from other requests'. */
  constructor(prefix: string, timeoutMs = REQUEST_TIMEOUT_MS) {
    this.prefix = prefix;
    this.timeoutMs = timeoutMs;
  }

  /** Requests in flight. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Starts a request: `send` gets the new rid and sends the message, returning
   * false when it could not (the connection is closed), which rejects at once.
   */
  start(request: string, send: (rid: string) => boolean): Promise<T> {
    this.counter += 1;
    const rid = `${this.prefix}-${this.counter}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(rid)) reject(new RequestTimeoutError(request, this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(rid, { request, resolve, reject, timer });
      if (!send(rid)) this.cancel(rid, 'the room is over');
    });
  }

  /** True when `rid` names a request of this table still in flight. */
  has(rid: string | undefined): rid is string {
    return rid !== undefined && this.pending.has(rid);
  }

  /** The answer to `rid` came; false when no such request is in flight. */
  resolve(rid: string | undefined, value: T): boolean {
    const pending = this.take(rid);
    pending?.resolve(value);
    return pending !== undefined;
  }

  /** The server answered `rid` with an `error`; false when no such request is in flight. */
  fail(rid: string | undefined, error: { code: string; message: string }): boolean {
    const pending = this.take(rid);
    pending?.reject(new ServerError(error.code, error.message, pending.request));
    return pending !== undefined;
  }

  /** Rejects every request in flight with RequestCancelledError. */
  cancelAll(why: string): void {
    for (const rid of [...this.pending.keys()]) this.cancel(rid, why);
  }

  private cancel(rid: string, why: string): void {
    const pending = this.take(rid);
    pending?.reject(new RequestCancelledError(pending.request, why));
  }

  private take(rid: string | undefined): Pending<T> | undefined {
    if (rid === undefined) return undefined;
    const pending = this.pending.get(rid);
    if (!pending) return undefined;
    this.pending.delete(rid);
    clearTimeout(pending.timer);
    return pending;
  }
}
