import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window.js';

describe('ReplayWindow', () => {
  it('accepts new indices and rejects repeats', () => {
    const window = new ReplayWindow(64);
    expect(window.check(5)).toBe(true);
    window.accept(5);
    expect(window.check(5)).toBe(false);
    expect(window.check(4)).toBe(true);
    expect(window.check(6)).toBe(true);
  });

  it('accepts late packets inside the window once, and rejects those behind it', () => {
    const window = new ReplayWindow(64);
    window.accept(100);
    expect(window.check(37)).toBe(true);
    expect(window.check(36)).toBe(false);
    window.accept(37);
    expect(window.check(37)).toBe(false);
  });

  it('forgets old bits when it slides, so reused ring slots start clear', () => {
    const window = new ReplayWindow(64);
    window.accept(1);
    window.accept(64); // slot of 0, clears nothing it should keep
    expect(window.check(1)).toBe(false);
    window.accept(65); // index 1 falls out of the window; slot 1 now belongs to 65
    expect(window.check(1)).toBe(false);
    expect(window.check(2)).toBe(true);
    window.accept(1000);
    expect(window.check(999)).toBe(true);
    expect(window.check(1000 - 64)).toBe(false);
  });

  it('rejects negative indices and refuses bad sizes', () => {
    expect(new ReplayWindow(128).check(-1)).toBe(false);
    expect(() => new ReplayWindow(32)).toThrow(RangeError);
    expect(() => new ReplayWindow(100)).toThrow(RangeError);
  });
});
