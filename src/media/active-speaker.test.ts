/** ActiveSpeakerDetector hysteresis, with a fake clock. */
import { describe, expect, it } from 'vitest';
import { ActiveSpeakerDetector } from './active-speaker.js';
import { ForwardingError } from './forwarding-errors.js';

/** Runs the clock from `from` to `to` in 20 ms packets, polling every tick; returns the change times. */
function run(
  detector: ActiveSpeakerDetector,
  levels: Record<string, number>,
  from: number,
  to: number,
): number[] {
  const changes: number[] = [];
  for (let t = from; t < to; t += 20) {
    for (const [id, dbov] of Object.entries(levels)) detector.addLevel(id, dbov, t);
    if (detector.poll(t + 20)) changes.push(t + 20);
  }
  return changes;
}

describe('ActiveSpeakerDetector', () => {
  it('takes the first speaker at once', () => {
    const detector = new ActiveSpeakerDetector();
    expect(run(detector, { alice: -20 }, 0, 300)).toEqual([300]);
    expect(detector.dominantSpeaker).toBe('alice');
  });

  it('ignores sounds below the threshold', () => {
    const detector = new ActiveSpeakerDetector();
    expect(run(detector, { alice: -60 }, 0, 2000)).toEqual([]);
    expect(detector.dominantSpeaker).toBeUndefined();
  });

  it('needs about a second of dominance to switch', () => {
    const detector = new ActiveSpeakerDetector();
    run(detector, { alice: -20 }, 0, 300);
    // Bob is louder from t=300: the switch comes at the first tick ≥ 1 s later.
    const changes = run(detector, { alice: -30, bob: -10 }, 300, 3000);
    expect(changes).toEqual([1500]);
    expect(detector.dominantSpeaker).toBe('bob');
  });

  it('does not switch on a short interjection', () => {
    const detector = new ActiveSpeakerDetector();
    run(detector, { alice: -20 }, 0, 300);
    expect(run(detector, { alice: -30, bob: -10 }, 300, 900)).toEqual([]);
    expect(run(detector, { alice: -20, bob: -60 }, 900, 1500)).toEqual([]);
    // Bob again: the dominance clock restarted.
    expect(run(detector, { alice: -30, bob: -10 }, 1500, 2400)).toEqual([]);
    expect(detector.dominantSpeaker).toBe('alice');
  });

  it('keeps the speaker through silence', () => {
    const detector = new ActiveSpeakerDetector();
    run(detector, { alice: -20 }, 0, 300);
    expect(run(detector, { alice: -127, bob: -90 }, 300, 10_000)).toEqual([]);
    expect(detector.dominantSpeaker).toBe('alice');
  });

  it('clears the speaker when its producer is removed', () => {
    const detector = new ActiveSpeakerDetector();
    run(detector, { alice: -20 }, 0, 300);
    expect(detector.removeProducer('bob')).toBe(false);
    expect(detector.removeProducer('alice')).toBe(true);
    expect(detector.dominantSpeaker).toBeUndefined();
    expect(run(detector, { bob: -40 }, 300, 600)).toEqual([600]);
  });

  it('rejects bad options', () => {
    expect(() => new ActiveSpeakerDetector({ intervalMs: 0 })).toThrow(ForwardingError);
  });
});
