/**
 * Dominant speaker detection with hysteresis. Levels (dBov, from the RFC 6464
 * extension, see audio-level-observer.ts) are averaged per producer over a
 * short interval; the loudest producer above the threshold becomes a
 * candidate, and replaces the current speaker only after being the loudest
 * for `dominanceMs` without interruption. Silence never removes the current
 * speaker: a pause between sentences must not make the layout jump, so the
 * speaker stays until someone else dominates or the producer is removed.
 * With no current speaker, the first one heard takes the role at once.
 *
 * Time is passed in; the caller calls poll() from its timer.
 */
import { ForwardingError } from './forwarding-errors.js';

/** Options of an ActiveSpeakerDetector. */
export interface ActiveSpeakerDetectorOptions {
  /** Averaging interval. Default 300 ms. */
  intervalMs?: number;
  /** How long a candidate must stay the loudest to replace the speaker. Default 1000 ms. */
  dominanceMs?: number;
  /** Averages at or below this count as silence, in dBov. Default −50. */
  thresholdDbov?: number;
}

interface Accumulator {
  sum: number;
  count: number;
}

/** Picks the dominant speaker among audio producers. */
export class ActiveSpeakerDetector {
  /** The current dominant speaker, or undefined before anyone spoke. */
  dominantSpeaker: string | undefined;
  /** Averaging interval, milliseconds. */
  readonly intervalMs: number;
  /** Dominance needed to take over, milliseconds. */
  readonly dominanceMs: number;
  /** Silence threshold, dBov. */
  readonly thresholdDbov: number;

  private readonly levels = new Map<string, Accumulator>();
  private intervalStart = Number.NaN;
  private candidate: string | undefined;
  private candidateSince = 0;

  constructor(options: ActiveSpeakerDetectorOptions = {}) {
    this.intervalMs = options.intervalMs ?? 300;
    this.dominanceMs = options.dominanceMs ?? 1000;
    this.thresholdDbov = options.thresholdDbov ?? -50;
    if (!(this.intervalMs > 0) || !(this.dominanceMs >= 0) || !(this.thresholdDbov <= 0))
      throw new ForwardingError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'interval, dominance or threshold out of range',
      );
  }

  /** Adds one packet's level (dBov) for a producer. */
  addLevel(producerId: string, levelDbov: number, nowMs: number): void {
    if (Number.isNaN(levelDbov)) return;
    if (Number.isNaN(this.intervalStart)) this.intervalStart = nowMs;
    let accumulator = this.levels.get(producerId);
    if (!accumulator) {
      accumulator = { sum: 0, count: 0 };
      this.levels.set(producerId, accumulator);
    }
    accumulator.sum += Math.max(-127, Math.min(0, levelDbov));
    accumulator.count++;
  }

  /** Forgets a producer; returns true when it was the dominant speaker (now none). */
  removeProducer(producerId: string): boolean {
    this.levels.delete(producerId);
    if (this.candidate === producerId) this.candidate = undefined;
    if (this.dominantSpeaker !== producerId) return false;
    this.dominantSpeaker = undefined;
    return true;
  }

  /** Ends the interval when due; returns true when dominantSpeaker changed. */
  poll(nowMs: number): boolean {
    if (Number.isNaN(this.intervalStart)) this.intervalStart = nowMs;
    if (nowMs - this.intervalStart < this.intervalMs) return false;
    const intervalStart = this.intervalStart;
    this.intervalStart = nowMs;
    let loudest: string | undefined;
    let loudestLevel = this.thresholdDbov;
    for (const [producerId, accumulator] of this.levels) {
      if (accumulator.count === 0) continue;
      const level = accumulator.sum / accumulator.count;
      accumulator.sum = 0;
      accumulator.count = 0;
      if (level > loudestLevel) {
        loudestLevel = level;
        loudest = producerId;
      }
    }
    if (loudest === undefined || loudest === this.dominantSpeaker) {
      this.candidate = undefined;
      return false;
    }
    if (this.dominantSpeaker === undefined) {
      this.dominantSpeaker = loudest;
      this.candidate = undefined;
      return true;
    }
    if (this.candidate !== loudest) {
      this.candidate = loudest;
      this.candidateSince = intervalStart;
    }
    if (nowMs - this.candidateSince < this.dominanceMs) return false;
    this.dominantSpeaker = loudest;
    this.candidate = undefined;
    return true;
  }
}
