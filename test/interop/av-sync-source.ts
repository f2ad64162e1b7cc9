/**
 * Typed access, in-process, to the libwebrtc audio/video sync source of
 * wrtc-av-sync-source.cjs (which the peers/*.cjs child processes require
 * directly): a video track that flashes and an audio track that beeps at
 * the same capture instants, once a period.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A libwebrtc MediaStreamTrack, as far as the tests use it (@roamhq/wrtc ships DOM-based types). */
export interface WrtcTrack {
  readonly id: string;
  readonly kind: string;
  enabled: boolean;
  stop(): void;
}

/** A libwebrtc MediaStream. */
export interface WrtcStream {
  readonly id: string;
  getTracks(): WrtcTrack[];
}

/** Options of createAvSyncSource (defaults in parentheses). */
export interface AvSyncSourceOptions {
  /** The loaded @roamhq/wrtc module (required by the source when absent). */
  wrtc?: unknown;
  /** Picture size (320 × 240). */
  width?: number;
  height?: number;
  /** Frame rate (30). */
  fps?: number;
  /** Audio sample rate (48 000). */
  sampleRate?: number;
  /** One flash and one beep every periodMs (1000); a whole number of 10 ms chunks and of frames. */
  periodMs?: number;
  /** Media time of the first flash and beep (0). */
  phaseMs?: number;
  /** Bright frames per flash (3). */
  flashFrames?: number;
  /** Length of a tone burst (100 ms). */
  beepMs?: number;
  /** Tone frequency (1000 Hz). */
  toneHz?: number;
  /** Peak of the tone, 16-bit (12 000). */
  toneAmplitude?: number;
  /** Peak of the noise between bursts, 16-bit (16; 0 for silence). */
  noiseAmplitude?: number;
  /** Y of dark (16) and bright (235) frames. */
  dark?: number;
  bright?: number;
}

/** Counters of what the source has sent so far. */
export interface AvSyncSourceStats {
  videoFrames: number;
  audioChunks: number;
  /** Flashes started (first bright frames sent). */
  flashes: number;
  /** Tone bursts started. */
  beeps: number;
  /** Frames not sent because the timer was late. */
  skippedFrames: number;
  /** Times the content jumped ahead to the clock after a long stall. */
  jumps: number;
}

/** A running source. */
export interface AvSyncSource {
  videoTrack: WrtcTrack;
  audioTrack: WrtcTrack;
  /** Both tracks in one stream: add them with it so that the receiver synchronises their playout. */
  stream: WrtcStream;
  /** Date.now() at media time 0: flash and beep k start at epochMs + phaseMs + k × periodMs. */
  epochMs: number;
  periodMs: number;
  phaseMs: number;
  /** Live counters. */
  stats: AvSyncSourceStats;
  /** Stops the clock and ends both tracks. Idempotent. */
  stop(): void;
}

/** Default values of the options. */
export const AV_SYNC_DEFAULTS: Required<Omit<AvSyncSourceOptions, 'wrtc'>> = (
  require('./wrtc-av-sync-source.cjs') as { AV_SYNC_DEFAULTS: Required<Omit<AvSyncSourceOptions, 'wrtc'>> }
).AV_SYNC_DEFAULTS;

/** Starts a source (loads @roamhq/wrtc unless given; throws when it cannot be loaded). */
export function createAvSyncSource(options: AvSyncSourceOptions = {}): AvSyncSource {
  const module = require('./wrtc-av-sync-source.cjs') as {
    createAvSyncSource(options: AvSyncSourceOptions): AvSyncSource;
  };
  return module.createAvSyncSource(options);
}
