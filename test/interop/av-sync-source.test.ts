/**
 * The audio/video sync source (wrtc-av-sync-source.cjs) through libwebrtc
 * and back: two @roamhq/wrtc RTCPeerConnections in this process, connected
 * over host candidates, one sending the source's tracks (in one stream),
 * the other watching what it decodes with the nonstandard RTCVideoSink and
 * RTCAudioSink. Bright frames and tone bursts must both arrive once a
 * second, and close together: the receiver synchronises the playout of
 * tracks of one stream.
 *
 * A @roamhq/wrtc that does not load skips loudly, and fails under CI=true.
 */
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import { AV_SYNC_DEFAULTS, type AvSyncSource, createAvSyncSource, type WrtcTrack } from './av-sync-source.js';

const require = createRequire(import.meta.url);

/** The W3C and nonstandard parts of @roamhq/wrtc the test uses. */
interface PeerConnection {
  connectionState: string;
  onicecandidate: ((event: { candidate: unknown }) => void) | null;
  ontrack: ((event: { track: WrtcTrack; streams: { id: string }[] }) => void) | null;
  addTrack(track: WrtcTrack, stream: unknown): unknown;
  addIceCandidate(candidate: unknown): Promise<void>;
  createOffer(): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(description: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(description: { type: string; sdp: string }): Promise<void>;
  close(): void;
}
interface Sink {
  stop(): void;
}
interface Wrtc {
  RTCPeerConnection: new (configuration: { iceServers: unknown[] }) => PeerConnection;
  nonstandard: {
    RTCVideoSink: new (
      track: WrtcTrack,
    ) => Sink & {
      onframe: ((event: { frame: { width: number; height: number; data: Uint8Array } }) => void) | null;
    };
    RTCAudioSink: new (
      track: WrtcTrack,
    ) => Sink & { ondata: ((data: { samples: Int16Array }) => void) | null };
  };
}

const wrtcCheck = npmPackageAvailable('@roamhq/wrtc');
/** How long the receiver watches once both tracks decode. */
const WATCH_MS = 5000;

/** Upward crossings of `threshold` in a sequence of (time, level), as times. */
function onsets(samples: readonly { atMs: number; level: number }[], threshold: number): number[] {
  const found: number[] = [];
  for (let i = 1; i < samples.length; i++)
    if (samples[i].level >= threshold && samples[i - 1].level < threshold) found.push(samples[i].atMs);
  return found;
}

function intervals(times: readonly number[]): number[] {
  return times.slice(1).map((time, i) => time - times[i]);
}

describeWithNpmPackage('the audio/video sync source through libwebrtc', wrtcCheck, () => {
  it('delivers a flash and a tone burst once a second, together', async () => {
    const wrtc = require('@roamhq/wrtc') as Wrtc;
    const sender = new wrtc.RTCPeerConnection({ iceServers: [] });
    const receiver = new wrtc.RTCPeerConnection({ iceServers: [] });
    const sinks: Sink[] = [];
    let source: AvSyncSource | undefined;
    try {
      source = createAvSyncSource({ wrtc });
      sender.addTrack(source.videoTrack, source.stream);
      sender.addTrack(source.audioTrack, source.stream);

      const lumas: { atMs: number; level: number }[] = [];
      const levels: { atMs: number; level: number }[] = [];
      const sizes = new Set<string>();
      const streamIds = new Set<string>();
      receiver.ontrack = ({ track, streams }) => {
        for (const stream of streams) streamIds.add(stream.id);
        if (track.kind === 'video') {
          const sink = new wrtc.nonstandard.RTCVideoSink(track);
          sinks.push(sink);
          sink.onframe = ({ frame }) => {
            sizes.add(`${frame.width}x${frame.height}`);
            const size = frame.width * frame.height;
            let sum = 0;
            let count = 0;
            for (let i = 0; i < size; i += 7) {
              sum += frame.data[i];
              count++;
            }
            lumas.push({ atMs: performance.now(), level: sum / count });
          };
        } else {
          const sink = new wrtc.nonstandard.RTCAudioSink(track);
          sinks.push(sink);
          sink.ondata = ({ samples }) => {
            let sum = 0;
            for (const sample of samples) sum += sample * sample;
            levels.push({ atMs: performance.now(), level: Math.sqrt(sum / Math.max(1, samples.length)) });
          };
        }
      };
      sender.onicecandidate = ({ candidate }) => {
        if (candidate) void receiver.addIceCandidate(candidate).catch(() => {});
      };
      receiver.onicecandidate = ({ candidate }) => {
        if (candidate) void sender.addIceCandidate(candidate).catch(() => {});
      };
      const offer = await sender.createOffer();
      await sender.setLocalDescription(offer);
      await receiver.setRemoteDescription(offer);
      const answer = await receiver.createAnswer();
      await receiver.setLocalDescription(answer);
      await sender.setRemoteDescription(answer);

      // Watch WATCH_MS from the first decoded frame and audio.
      const deadline = performance.now() + 15_000;
      while (lumas.length === 0 || levels.length === 0) {
        if (performance.now() > deadline)
          throw new Error(
            `nothing decoded in 15 s (sender ${sender.connectionState}, receiver ${receiver.connectionState}, ` +
              `${lumas.length} frames, ${levels.length} audio chunks)`,
          );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, WATCH_MS));

      const flashes = onsets(lumas, (AV_SYNC_DEFAULTS.dark + AV_SYNC_DEFAULTS.bright) / 2);
      // The tone's RMS is about 8500, the noise's under 20.
      const beeps = onsets(levels, 2000);
      const offsets = flashes.flatMap((flash) => {
        const nearest = beeps.reduce<number | undefined>(
          (best, beep) =>
            best === undefined || Math.abs(beep - flash) < Math.abs(best) ? beep - flash : best,
          undefined,
        );
        return nearest === undefined ? [] : [Math.round(nearest)];
      });
      const summary = {
        sent: source.stats,
        decoded: { frames: lumas.length, audioChunks: levels.length, sizes: [...sizes] },
        flashIntervalsMs: intervals(flashes).map(Math.round),
        beepIntervalsMs: intervals(beeps).map(Math.round),
        arrivalOffsetsMs: offsets,
      };
      console.info(`A/V sync source through libwebrtc: ${JSON.stringify(summary)}`);

      expect(streamIds.size, 'both tracks arrive in one stream').toBe(1);
      expect(flashes.length, JSON.stringify(summary)).toBeGreaterThanOrEqual(3);
      expect(beeps.length, JSON.stringify(summary)).toBeGreaterThanOrEqual(3);
      // Once a second each (a decoder or playout hiccup may shift one by a frame or two).
      for (const interval of [...summary.flashIntervalsMs, ...summary.beepIntervalsMs])
        expect(Math.abs(interval - AV_SYNC_DEFAULTS.periodMs), JSON.stringify(summary)).toBeLessThanOrEqual(
          150,
        );
      // Each flash comes with its beep (a flash and the neighbouring beeps are a second apart).
      expect(offsets.length).toBe(flashes.length);
      for (const offset of offsets)
        expect(Math.abs(offset), JSON.stringify(summary)).toBeLessThanOrEqual(200);
    } finally {
      for (const sink of sinks) sink.stop();
      source?.stop();
      sender.close();
      receiver.close();
    }
  }, 40_000);
});
