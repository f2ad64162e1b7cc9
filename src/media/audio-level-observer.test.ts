/** AudioLevelObserver and the RFC 6464 value helpers, with a fake clock. */
import { describe, expect, it } from 'vitest';
import { AudioLevelObserver, audioLevelDbov, audioLevelVoiceActivity } from './audio-level-observer.js';
import { ForwardingError } from './forwarding-errors.js';

/** Feeds a level every 20 ms (one Opus packet) from `from` to `to`. */
function speak(observer: AudioLevelObserver, id: string, dbov: number, from: number, to: number) {
  for (let t = from; t < to; t += 20) observer.addLevel(id, dbov, t);
}

describe('RFC 6464 values', () => {
  it('reads the level and the V flag', () => {
    expect(audioLevelDbov(Uint8Array.of(0x90))).toBe(-16);
    expect(audioLevelVoiceActivity(Uint8Array.of(0x90))).toBe(true);
    expect(audioLevelDbov(Uint8Array.of(0x7f))).toBe(-127);
    expect(audioLevelVoiceActivity(Uint8Array.of(0x7f))).toBe(false);
    expect(audioLevelDbov(new Uint8Array(0))).toBeNaN();
    expect(audioLevelVoiceActivity(new Uint8Array(0))).toBe(false);
  });
});

describe('AudioLevelObserver', () => {
  it('reports the loudest producers above the threshold per interval', () => {
    const observer = new AudioLevelObserver({ maxEntries: 2 });
    speak(observer, 'alice', -20, 0, 800);
    speak(observer, 'bob', -30, 0, 800);
    speak(observer, 'carol', -10, 0, 800);
    speak(observer, 'dave', -60, 0, 800);
    expect(observer.poll(799)).toBeUndefined();
    expect(observer.poll(800)).toEqual([
      { producerId: 'carol', volumeDbov: -10 },
      { producerId: 'alice', volumeDbov: -20 },
    ]);
  });

  it('averages within the interval and starts fresh after it', () => {
    const observer = new AudioLevelObserver();
    observer.addLevel('a', -10, 0);
    observer.addLevel('a', -30, 10);
    observer.addLevel('a', 5, 20); // clamped to 0
    expect(observer.poll(800)).toEqual([{ producerId: 'a', volumeDbov: -40 / 3 }]);
    observer.addLevel('a', -45, 900);
    expect(observer.poll(1600)).toEqual([{ producerId: 'a', volumeDbov: -45 }]);
  });

  it('reports silence once, then nothing until someone speaks', () => {
    const observer = new AudioLevelObserver();
    expect(observer.poll(0)).toBeUndefined();
    speak(observer, 'a', -127, 0, 800);
    expect(observer.poll(800)).toBeUndefined(); // silent from the start: nothing to announce
    speak(observer, 'a', -20, 800, 1600);
    expect(observer.poll(1600)).toHaveLength(1);
    speak(observer, 'a', -70, 1600, 2400);
    expect(observer.poll(2400)).toEqual([]);
    expect(observer.poll(3200)).toBeUndefined();
  });

  it('forgets removed producers and ignores NaN', () => {
    const observer = new AudioLevelObserver();
    observer.addLevel('a', -10, 0);
    observer.addLevel('b', Number.NaN, 0);
    observer.removeProducer('a');
    expect(observer.poll(800)).toBeUndefined();
  });

  it('rejects bad options', () => {
    expect(() => new AudioLevelObserver({ intervalMs: 0 })).toThrow(ForwardingError);
    expect(() => new AudioLevelObserver({ thresholdDbov: 3 })).toThrow(ForwardingError);
  });
});
