import { afterEach, describe, expect, it, vi } from 'vitest';
import { MessageClass, Method } from './constants.js';
import { StunError } from './errors.js';
import { decodeMessage, type StunMessage, StunMessageBuilder } from './message.js';
import { type Timers, TransactionManager } from './transaction.js';

/** A deterministic clock: callbacks run in time order when the test advances it. */
class FakeTimers implements Timers {
  now = 0;
  private nextId = 1;
  private readonly queue = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.queue.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }

  get pending(): number {
    return this.queue.size;
  }

  advanceTo(time: number): void {
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.queue)
        if (entry[1].at <= time && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.queue.delete(next[0]);
      this.now = next[1].at;
      next[1].callback();
    }
    this.now = time;
  }
}

function request(): { bytes: Buffer; id: Buffer; message: StunMessage } {
  const builder = StunMessageBuilder.create(Method.Binding, MessageClass.Request);
  const bytes = Buffer.from(builder.build());
  const decoded = decodeMessage(bytes);
  if (!decoded.ok) throw decoded.error;
  return { bytes, id: builder.transactionId, message: decoded.message };
}

function responseTo(
  message: StunMessage,
  messageClass: MessageClass = MessageClass.SuccessResponse,
): StunMessage {
  const decoded = decodeMessage(Buffer.from(StunMessageBuilder.response(message, messageClass).build()));
  if (!decoded.ok) throw decoded.error;
  return decoded.message;
}

/** Records when each send happened, on the fake clock. */
function setup(options: ConstructorParameters<typeof TransactionManager>[1] = {}) {
  const timers = new FakeTimers();
  const sends: { at: number; bytes: Buffer }[] = [];
  const manager = new TransactionManager((bytes) => sends.push({ at: timers.now, bytes }), {
    timers,
    ...options,
  });
  return { timers, sends, manager };
}

/** Tracks how a promise settled without awaiting it, so the fake clock stays in control. */
function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => {
      state.value = value;
      state.settled = true;
    },
    (error) => {
      state.error = error;
      state.settled = true;
    },
  );
  return state;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TransactionManager over UDP (RFC 8489 §6.2.1)', () => {
  it('retransmits at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and times out at 39500 ms', async () => {
    const { timers, sends, manager } = setup();
    const { bytes, id } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(39_499);
    await flush();
    expect(sends.map((s) => s.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(sends.every((s) => s.bytes === bytes)).toBe(true);
    expect(outcome.settled).toBe(false);
    expect(manager.size).toBe(1);
    timers.advanceTo(39_500);
    await flush();
    expect(outcome.error).toBeInstanceOf(StunError);
    expect(outcome.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
    expect(manager.size).toBe(0);
    expect(timers.pending).toBe(0);
    timers.advanceTo(100_000);
    expect(sends).toHaveLength(7);
  });

  it('follows the configured RTO, Rc and Rm', async () => {
    const { timers, sends, manager } = setup({ rtoMs: 100, maxRequests: 3, lastWaitFactor: 4 });
    const { bytes, id } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(699);
    await flush();
    expect(sends.map((s) => s.at)).toEqual([0, 100, 300]);
    expect(outcome.settled).toBe(false);
    timers.advanceTo(700);
    await flush();
    expect(outcome.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
  });

  it('settles with the response and stops retransmitting', async () => {
    const { timers, sends, manager } = setup();
    const { bytes, id, message } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(1000);
    const response = responseTo(message);
    expect(manager.handleResponse(response)).toBe(true);
    await flush();
    expect(outcome.value).toBe(response);
    expect(manager.size).toBe(0);
    expect(timers.pending).toBe(0);
    timers.advanceTo(60_000);
    expect(sends.map((s) => s.at)).toEqual([0, 500]);
    // A late duplicate of the response matches nothing any more.
    expect(manager.handleResponse(response)).toBe(false);
  });

  it('settles with an error response too', async () => {
    const { manager } = setup();
    const { bytes, id, message } = request();
    const promise = manager.request(bytes, id);
    const response = responseTo(message, MessageClass.ErrorResponse);
    expect(manager.handleResponse(response)).toBe(true);
    await expect(promise).resolves.toBe(response);
  });

  it('returns false for a response that matches no transaction', async () => {
    const { manager } = setup();
    const first = request();
    const outcome = track(manager.request(first.bytes, first.id));
    expect(manager.handleResponse(responseTo(request().message))).toBe(false);
    await flush();
    expect(outcome.settled).toBe(false);
    expect(manager.size).toBe(1);
  });

  it('keeps transactions apart', async () => {
    const { timers, manager } = setup();
    const a = request();
    const b = request();
    const outcomeA = track(manager.request(a.bytes, a.id));
    const outcomeB = track(manager.request(b.bytes, b.id));
    expect(manager.size).toBe(2);
    const responseB = responseTo(b.message);
    manager.handleResponse(responseB);
    timers.advanceTo(39_500);
    await flush();
    expect(outcomeB.value).toBe(responseB);
    expect(outcomeA.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
  });

  it('rejects a duplicate transaction id while the first is pending, and allows it afterwards', async () => {
    const { sends, manager } = setup();
    const { bytes, id, message } = request();
    const first = track(manager.request(bytes, id));
    await expect(manager.request(bytes, Buffer.from(id))).rejects.toMatchObject({
      code: 'ERR_STUN_INVALID_ARGUMENT',
    });
    expect(sends).toHaveLength(1);
    expect(manager.size).toBe(1);
    manager.handleResponse(responseTo(message));
    await flush();
    expect(first.settled).toBe(true);
    const second = track(manager.request(bytes, id));
    expect(manager.size).toBe(1);
    expect(second.settled).toBe(false);
  });

  it('rejects with the send error and keeps nothing', async () => {
    const timers = new FakeTimers();
    const failure = new Error('EHOSTUNREACH');
    const manager = new TransactionManager(
      () => {
        throw failure;
      },
      { timers },
    );
    const { bytes, id } = request();
    await expect(manager.request(bytes, id)).rejects.toBe(failure);
    expect(manager.size).toBe(0);
    expect(timers.pending).toBe(0);
  });

  it('rejects when a retransmission fails to send', async () => {
    const timers = new FakeTimers();
    let calls = 0;
    const manager = new TransactionManager(
      () => {
        if (++calls === 3) throw new Error('socket closed');
      },
      { timers },
    );
    const { bytes, id } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(60_000);
    await flush();
    expect(calls).toBe(3);
    expect(outcome.error).toMatchObject({ message: 'socket closed' });
    expect(manager.size).toBe(0);
  });

  it('arms no timer when the response arrives during send', async () => {
    const timers = new FakeTimers();
    const sends: number[] = [];
    const { bytes, id, message } = request();
    const response = responseTo(message);
    const manager: TransactionManager = new TransactionManager(
      () => {
        sends.push(timers.now);
        manager.handleResponse(response);
      },
      { timers },
    );
    await expect(manager.request(bytes, id)).resolves.toBe(response);
    expect(timers.pending).toBe(0);
    timers.advanceTo(60_000);
    expect(sends).toEqual([0]);
    expect(manager.size).toBe(0);
  });

  it('does not let a stale timer end a newer transaction that reuses the id', async () => {
    const timers = new FakeTimers();
    const { bytes, id, message } = request();
    let reuse = true;
    let sends = 0;
    const manager: TransactionManager = new TransactionManager(
      () => {
        sends++;
        if (!reuse) return;
        reuse = false;
        // The first transaction is answered during its own send; the id is then reused at once.
        manager.handleResponse(responseTo(message));
      },
      { timers },
    );
    await manager.request(bytes, id);
    const second = track(manager.request(bytes, id));
    timers.advanceTo(39_499);
    await flush();
    expect(second.settled).toBe(false);
    expect(manager.size).toBe(1);
    // One send for the answered request, seven for the second: nothing retransmits the first.
    expect(sends).toBe(8);
    timers.advanceTo(39_500);
    await flush();
    expect(second.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
  });
});

describe('TransactionManager over TCP/TLS (RFC 8489 §6.2.2)', () => {
  it('sends once and times out after Ti = 39.5 s', async () => {
    const { timers, sends, manager } = setup({ reliable: true });
    const { bytes, id } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(39_499);
    await flush();
    expect(sends.map((s) => s.at)).toEqual([0]);
    expect(outcome.settled).toBe(false);
    timers.advanceTo(39_500);
    await flush();
    expect(outcome.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
    expect(sends).toHaveLength(1);
  });

  it('uses the configured Ti', async () => {
    const { timers, manager } = setup({ reliable: true, reliableTimeoutMs: 5000 });
    const { bytes, id } = request();
    const outcome = track(manager.request(bytes, id));
    timers.advanceTo(4999);
    await flush();
    expect(outcome.settled).toBe(false);
    timers.advanceTo(5000);
    await flush();
    expect(outcome.error).toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
  });
});

describe('close()', () => {
  it('rejects pending transactions, stops their timers and refuses new ones', async () => {
    const { timers, sends, manager } = setup();
    const a = request();
    const b = request();
    const outcomeA = track(manager.request(a.bytes, a.id));
    const outcomeB = track(manager.request(b.bytes, b.id));
    manager.close();
    await flush();
    expect(outcomeA.error).toMatchObject({ code: 'ERR_STUN_TRANSACTION_CLOSED' });
    expect(outcomeB.error).toMatchObject({ code: 'ERR_STUN_TRANSACTION_CLOSED' });
    expect(manager.size).toBe(0);
    expect(timers.pending).toBe(0);
    timers.advanceTo(60_000);
    expect(sends).toHaveLength(2);
    const c = request();
    await expect(manager.request(c.bytes, c.id)).rejects.toMatchObject({
      code: 'ERR_STUN_TRANSACTION_CLOSED',
    });
    expect(sends).toHaveLength(2);
    expect(manager.handleResponse(responseTo(a.message))).toBe(false);
    // Idempotent.
    expect(() => manager.close()).not.toThrow();
  });
});

describe('with the real timer functions', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses setTimeout by default', async () => {
    vi.useFakeTimers();
    const sends: number[] = [];
    const startedAt = Date.now();
    const manager = new TransactionManager(() => sends.push(Date.now() - startedAt));
    const { bytes, id } = request();
    const promise = manager.request(bytes, id);
    const rejection = expect(promise).rejects.toMatchObject({ code: 'ERR_STUN_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(39_499);
    expect(sends).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(manager.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await rejection;
    expect(vi.getTimerCount()).toBe(0);
  });
});
