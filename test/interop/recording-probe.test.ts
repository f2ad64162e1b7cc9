/**
 * The recording probe (recording-probe.ts) against reference files that
 * FFmpeg makes from lavfi sources: WebM, VP8 320×240 at 30 fps + Opus mono
 * 48 kHz, 6 s, where the picture is white for 3 frames every second (from
 * 0.5 s) and a 1 kHz tone sounds for 100 ms every second from 0.5 s + D:
 *
 *   ffmpeg -f lavfi -i nullsrc=s=320x240:r=30:d=6,format=yuv420p,geq=lum='…N…'
 *          -f lavfi -i aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t-0.5-D,1),0.1)…'
 *          -c:v libvpx … -c:a libopus ref.webm
 *
 * measureAvSync must find D (0, +120 ms, −80 ms) within ±25 ms, also in a
 * file whose streams start late (video at 0.3 s, audio at 0.84 s, kept with
 * -copyts) where ignoring the start times would be off by hundreds of ms.
 * FFmpeg's own WebM muxing puts Opus 7 ms early (it shifts the video by the
 * codec delay, the audio not), so the files carry D − 7 ms.
 *
 * decodeErrors is empty for a good file and not for one cut in the middle
 * of a cluster or with garbage written over a cluster.
 *
 * Missing ffmpeg/ffprobe or encoders skip loudly, and fail under CI=true.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWebm } from '../../src/recording/webm-reader.js';
import { requireTools, toolAvailable } from '../helpers/tools.js';
import { encoderCheck, ffmpeg } from './recording-harness.js';
import { decodeErrors, measureAvSync, probeRecording } from './recording-probe.js';

const tools = toolAvailable(['ffmpeg', 'ffprobe'], 'ffmpeg');
const vp8 = encoderCheck(tools, 'video', ['libvpx']);
const opus = encoderCheck(tools, 'audio', ['libopus']);
const STEP_TIMEOUT_MS = 60_000;
const SECONDS = 6;
/** What FFmpeg's WebM muxing does to the sync of its own Opus (see above). */
const MUX_SHIFT_MS = -7;
const TOLERANCE_MS = 25;

const workDir = mkdtempSync(join(tmpdir(), 'switchboard-probe-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Makes a reference file; `audioShiftMs` delays the beeps, the trims start a stream later (timestamps kept). */
async function makeReference(
  name: string,
  options: { audioShiftMs: number; videoStartS?: number; audioStartS?: number },
): Promise<string> {
  const path = join(workDir, name);
  const shift = (0.5 + options.audioShiftMs / 1000).toFixed(3);
  // Frames 15, 16, 17 of every 30 are white; the dark ones carry a moving bar.
  let video = `nullsrc=s=320x240:r=30:d=${SECONDS},format=yuv420p,geq=lum='if(lt(mod(N-15\\,30)\\,3)\\,235\\,16+24*lt(mod(X+4*N\\,64)\\,8))':cb=128:cr=128`;
  let audio = `aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t-${shift}\\,1)\\,0.1)*gte(t\\,${shift})':s=48000:d=${SECONDS}`;
  if (options.videoStartS) video += `,trim=start=${options.videoStartS}`;
  if (options.audioStartS) audio += `,atrim=start=${options.audioStartS}`;
  const late = options.videoStartS || options.audioStartS ? ['-copyts', '-fps_mode', 'passthrough'] : [];
  await ffmpeg(
    [
      ['-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', audio, ...late],
      ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '500k', '-g', '30'],
      ['-c:a', 'libopus', '-b:a', '64k', '-y', path],
    ].flat(),
  );
  return path;
}

describe('recording probe', () => {
  requireTools(tools);
  requireTools(vp8);
  requireTools(opus);

  describe.skipIf(!tools.present || !vp8.present || !opus.present)('on FFmpeg reference files', () => {
    let synced: string;

    beforeAll(async () => {
      synced = await makeReference('synced.webm', { audioShiftMs: 0 });
    }, STEP_TIMEOUT_MS);

    it('reports codecs, size, channels, duration and the first and last decoded frames', async () => {
      const probe = await probeRecording(synced);
      expect(probe.formatName).toContain('webm');
      expect(probe.duration).toBeCloseTo(SECONDS, 1);
      const video = probe.streams.find((stream) => stream.type === 'video');
      const audio = probe.streams.find((stream) => stream.type === 'audio');
      expect(video).toMatchObject({ codec: 'vp8', width: 320, height: 240, frames: SECONDS * 30 });
      expect(audio).toMatchObject({ codec: 'opus', channels: 1, sampleRate: 48_000 });
      expect(audio!.frames).toBeGreaterThanOrEqual(SECONDS * 50);
      for (const stream of [video!, audio!]) {
        expect(Math.abs(stream.firstFrameTime!)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(stream.lastFrameEnd! - SECONDS)).toBeLessThanOrEqual(0.05);
      }
      // The Opus codec delay puts the audio stream's start before 0.
      expect(audio!.startTime).toBeLessThan(0);
    });

    for (const audioShiftMs of [0, 120, -80]) {
      it(
        `recovers an audio offset of ${audioShiftMs} ms`,
        async () => {
          const path =
            audioShiftMs === 0 ? synced : await makeReference(`shift${audioShiftMs}.webm`, { audioShiftMs });
          const sync = await measureAvSync(path);
          console.info(`A/V offset ${audioShiftMs} ms → ${JSON.stringify(sync.offsetsMs)}`);
          expect(sync.flashesMs).toHaveLength(SECONDS);
          expect(sync.pairs).toBeGreaterThanOrEqual(4);
          expect(Math.abs(sync.medianOffsetMs - audioShiftMs - MUX_SHIFT_MS)).toBeLessThanOrEqual(3);
          expect(Math.abs(sync.medianOffsetMs - audioShiftMs)).toBeLessThanOrEqual(TOLERANCE_MS);
          for (const offset of sync.offsetsMs)
            expect(Math.abs(offset - audioShiftMs)).toBeLessThanOrEqual(TOLERANCE_MS);
        },
        STEP_TIMEOUT_MS,
      );
    }

    it(
      'keeps the streams start times: video from 0.3 s, audio from 0.84 s',
      async () => {
        const path = await makeReference('late.webm', {
          audioShiftMs: 120,
          videoStartS: 0.3,
          audioStartS: 0.85,
        });
        const probe = await probeRecording(path);
        const video = probe.streams.find((stream) => stream.type === 'video')!;
        const audio = probe.streams.find((stream) => stream.type === 'audio')!;
        expect(video.startTime).toBeCloseTo(0.3, 2);
        expect(audio.startTime).toBeGreaterThan(0.8);
        expect(video.firstFrameTime).toBeCloseTo(0.3, 2);

        const sync = await measureAvSync(path);
        console.info(`A/V offset 120 ms, late starts → ${JSON.stringify(sync.offsetsMs)}`);
        // The flash at 0.5 s has no beep (the audio starts after it): five pairs.
        expect(Math.abs(sync.flashesMs[0] - 500)).toBeLessThanOrEqual(10);
        expect(Math.abs(sync.beepsMs[0] - 1620)).toBeLessThanOrEqual(10);
        expect(sync.pairs).toBe(SECONDS - 1);
        expect(Math.abs(sync.medianOffsetMs - 120)).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(sync.maxAbsOffsetMs).toBeLessThanOrEqual(120 + TOLERANCE_MS);
      },
      STEP_TIMEOUT_MS,
    );

    it('finds no pairs in a file without flashes or beeps', async () => {
      const path = join(workDir, 'plain.webm');
      await ffmpeg(
        [
          ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=2'],
          ['-f', 'lavfi', '-i', 'anoisesrc=a=0.001:d=2:r=48000'],
          ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus', '-y', path],
        ].flat(),
      );
      const sync = await measureAvSync(path);
      expect(sync.beepsMs).toEqual([]);
      expect(sync.pairs).toBe(0);
      expect(sync.medianOffsetMs).toBeNaN();
    });

    it('decodes a good file without error, and reports a cut or overwritten cluster', async () => {
      expect(await decodeErrors(synced)).toBe('');

      const bytes = new Uint8Array(readFileSync(synced));
      const clusters = readWebm(bytes).clusters;
      expect(clusters.length).toBeGreaterThanOrEqual(3);
      const cluster = clusters[clusters.length >> 1];
      const middle = cluster.offset + (cluster.size >> 1);

      const cut = join(workDir, 'cut.webm');
      writeFileSync(cut, bytes.subarray(0, middle));
      const cutErrors = await decodeErrors(cut);
      console.info(`cut in a cluster: ${cutErrors}`);
      expect(cutErrors).not.toBe('');

      const garbled = join(workDir, 'garbled.webm');
      const copy = bytes.slice();
      for (let i = 0; i < 512; i++) copy[middle - 256 + i] = (i * 73 + 41) & 0xff;
      writeFileSync(garbled, copy);
      const garbledErrors = await decodeErrors(garbled);
      console.info(`garbage in a cluster: ${garbledErrors}`);
      expect(garbledErrors).not.toBe('');
    });
  });
});
