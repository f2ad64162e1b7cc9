/**
 * Audio levels of the producers in a room, from the client-to-mixer audio
 * level header extension (RFC 6464 §3):
 *
 *     0                   1
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |  ID   | len=0 |V| level       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * V is the sender's voice activity flag; level is 0–127, minus the audio
 * level in dBov (0 loudest, 127 silence).
 *
 * The observer averages the levels each producer sent over an interval and,
 * at the end of it, reports the loudest producers above a threshold. The
 * caller feeds levels per packet and calls poll() from its timer; time is
 * passed in, so tests use a fake clock.
 */
import { ForwardingError } from './forwarding-errors.js';

/** Quietest level the extension can carry, in dBov. */
export const MIN_AUDIO_LEVEL_DBOV = -127;

/** The level in dBov (−127 to 0) carried by an RFC 6464 value, or NaN when the value is empty. */
export function audioLevelDbov(value: Uint8Array): number {
  return value.length < 1 ? Number.NaN : -(value[0] & 0x7f);
}

/** The V (voice activity) flag of an RFC 6464 value; false when the value is empty. */
export function audioLevelVoiceActivity(value: Uint8Array): boolean {
  return value.length >= 1 && (value[0] & 0x80) !== 0;
}

/** Options of an AudioLevelObserver. */
export interface AudioLevelObserverOptions {
  /** Averaging interval. Default 800 ms. */
  intervalMs?: number;
  /** Averages at or below this are ignored, in dBov. Default −50. */
  thresholdDbov?: number;
  /** Most producers reported per interval, loudest first. Default 1. */
  maxEntries?: number;
}

/** One producer's average level over an interval. */
export interface AudioLevelVolume {
  /** The producer. */
  producerId: string;
  /** Average level in dBov, −127 to 0. */
  volumeDbov: number;
}

interface Accumulator {
  sum: number;
  count: number;
}

/** Reports the loudest producers per interval. */
export class AudioLevelObserver {
  /** Averaging interval, milliseconds. */
  readonly intervalMs: number;
  /** Threshold in dBov. */
  readonly thresholdDbov: number;
  /** Most producers reported per interval. */
  readonly maxEntries: number;

  private readonly levels = new Map<string, Accumulator>();
  private intervalStart = Number.NaN;
  private silent = true;

  constructor(options: AudioLevelObserverOptions = {}) {
    this.intervalMs = options.intervalMs ?? 800;
    this.thresholdDbov = options.thresholdDbov ?? -50;
    this.maxEntries = options.maxEntries ?? 1;
    if (!(this.intervalMs > 0) || !(this.maxEntries >= 1) || !(this.thresholdDbov <= 0))
      throw new ForwardingError(
        'ERR_MEDIA_INVALID_ARGUMENT',
        'interval, threshold or entry count out of range',
      );
  }

  /** Adds one packet's level (dBov, clamped to −127…0) for a producer. */
  addLevel(producerId: string, levelDbov: number, nowMs: number): void {
    if (Number.isNaN(levelDbov)) return;
    if (Number.isNaN(this.intervalStart)) this.intervalStart = nowMs;
    let accumulator = this.levels.get(producerId);
    if (!accumulator) {
      accumulator = { sum: 0, count: 0 };
      this.levels.set(producerId, accumulator);
    }
    accumulator.sum += Math.max(MIN_AUDIO_LEVEL_DBOV, Math.min(0, levelDbov));
    accumulator.count++;
  }

  /** Forgets a producer (closed or paused). */
  removeProducer(producerId: string): void {
    this.levels.delete(producerId);
  }

  /**
   * At the end of an interval: the loudest producers above the threshold,
   * loudest first, or an empty array once when everybody fell silent.
   * Otherwise (interval still running, or silence continuing) undefined.
   */
  poll(nowMs: number): AudioLevelVolume[] | undefined {
    if (Number.isNaN(this.intervalStart)) this.intervalStart = nowMs;
    if (nowMs - this.intervalStart < this.intervalMs) return undefined;
    this.intervalStart = nowMs;
    const volumes: AudioLevelVolume[] = [];
    for (const [producerId, accumulator] of this.levels) {
      if (accumulator.count === 0) continue;
      const volumeDbov = accumulator.sum / accumulator.count;
      accumulator.sum = 0;
      accumulator.count = 0;
      if (volumeDbov > this.thresholdDbov) volumes.push({ producerId, volumeDbov });
    }
    if (volumes.length === 0) {
      if (this.silent) return undefined;
      this.silent = true;
      return volumes;
    }
    this.silent = false;
    volumes.sort((a, b) => b.volumeDbov - a.volumeDbov);
    if (volumes.length > this.maxEntries) volumes.length = this.maxEntries;
    return volumes;
  }
}
