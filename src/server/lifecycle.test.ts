import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exitOnSignals } from './lifecycle.js';

function harness(close: () => Promise<void>) {
  const signals = new EventEmitter();
  const exits: number[] = [];
  const messages: string[] = [];
  const record = (_object: object, message?: string) => void messages.push(message ?? '');
  const log = { debug: record, info: record, warn: record, error: record };
  const dispose = exitOnSignals({ close, log, signals, exit: (code) => void exits.push(code) });
  return { signals, exits, messages, dispose };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('exitOnSignals', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('closes on %s, then exits 0', async (signal) => {
    let closed = 0;
    const { signals, exits, messages } = harness(async () => {
      closed++;
    });
    signals.emit(signal, signal);
    await tick();
    expect(closed).toBe(1);
    expect(exits).toEqual([0]);
    expect(messages).toEqual(['shutting down', 'stopped']);
  });

  it('exits at once on a second signal while closing', async () => {
    const { signals, exits, messages } = harness(() => new Promise<void>(() => {}));
    signals.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    expect(messages).toEqual(['shutting down', 'second signal, exiting without waiting for close']);
  });

  it('closes only once', async () => {
    let closed = 0;
    let finish: () => void = () => {};
    const { signals } = harness(() => {
      closed++;
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    signals.emit('SIGTERM', 'SIGTERM');
    signals.emit('SIGTERM', 'SIGTERM');
    finish();
    await tick();
    expect(closed).toBe(1);
  });

  it('exits 1 when close fails', async () => {
    const { signals, exits, messages } = harness(() => Promise.reject(new Error('stuck')));
    signals.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(exits).toEqual([1]);
    expect(messages).toEqual(['shutting down', 'error while shutting down']);
  });

  it('removes its handlers when disposed', () => {
    const { signals, dispose } = harness(async () => {});
    expect(signals.listenerCount('SIGINT')).toBe(1);
    expect(signals.listenerCount('SIGTERM')).toBe(1);
    dispose();
    expect(signals.listenerCount('SIGINT')).toBe(0);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });
});
