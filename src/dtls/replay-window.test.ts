import { describe, expect, it } from 'vitest';
import { DTLS_REPLAY_WINDOW_SIZE, DtlsReplayWindow } from './replay-window.js';

function receive(window: DtlsReplayWindow, seq: number): boolean {
  if (!window.check(seq)) return false;
  window.accept(seq);
  return true;
}

describe('DTLS replay window (RFC 6347 §4.1.2.6)', () => {
  it('accepts new numbers and refuses repeats', () => {
    const window = new DtlsReplayWindow();
    expect(receive(window, 0)).toBe(true);
    expect(receive(window, 0)).toBe(false);
    expect(receive(window, 5)).toBe(true);
    expect(receive(window, 3)).toBe(true);
    expect(receive(window, 3)).toBe(false);
    expect(receive(window, 5)).toBe(false);
    expect(window.highest).toBe(5);
  });

  it('accepts late records within 64 and refuses older ones', () => {
    const window = new DtlsReplayWindow();
    receive(window, 100);
    expect(window.check(100 - DTLS_REPLAY_WINDOW_SIZE + 1)).toBe(true);
    expect(window.check(100 - DTLS_REPLAY_WINDOW_SIZE)).toBe(false);
    // Late ones across both halves of the bitmap.
    for (const seq of [99, 70, 68, 37, 40]) expect(receive(window, seq)).toBe(true);
    for (const seq of [99, 70, 68, 37, 40]) expect(receive(window, seq)).toBe(false);
  });

  it('slides by any amount, keeping what is still inside', () => {
    const window = new DtlsReplayWindow();
    for (let seq = 0; seq < 64; seq++) receive(window, seq);
    receive(window, 80);
    expect(window.check(63)).toBe(false);
    expect(window.check(17)).toBe(false); // 80 - 17 = 63: inside the window and already seen
    expect(window.check(16)).toBe(false); // too old
    expect(window.check(64)).toBe(true);
    receive(window, 1000);
    expect(window.check(999)).toBe(true);
    expect(window.check(80)).toBe(false);
  });

  it('is exact at 48 bits', () => {
    const window = new DtlsReplayWindow();
    const top = 2 ** 48 - 1;
    expect(receive(window, top - 1)).toBe(true);
    expect(receive(window, top)).toBe(true);
    expect(receive(window, top - 1)).toBe(false);
  });

  it('matches a set-based model on random input', () => {
    const window = new DtlsReplayWindow();
    const seen = new Set<number>();
    let highest = -1;
    let state = 12345;
    for (let i = 0; i < 5000; i++) {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      const seq = Math.max(0, highest + ((state % 100) - 70));
      const expected = !seen.has(seq) && (seq > highest || highest - seq < DTLS_REPLAY_WINDOW_SIZE);
      expect(receive(window, seq)).toBe(expected);
      if (expected) {
        seen.add(seq);
        highest = Math.max(highest, seq);
      }
    }
  });
});
