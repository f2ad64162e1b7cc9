/**
 * What the room recording tests (test/interop/recording-room.test.ts,
 * test/e2e/recording.test.ts) check of every file a recording wrote, with
 * FFmpeg's own tools (recording-probe.ts):
 *
 *   - the codecs are those the manifest names (and the caller's, when it
 *     knows what the publisher sent), the picture size too;
 *   - `ffmpeg -v error … -f null -` prints nothing: every frame decodes;
 *   - the container duration, and the manifest's endOffsetMs − startOffsetMs,
 *     are within DURATION_TOLERANCE_MS of the time the file was recorded;
 *   - audio and video start together and end together, within
 *     EDGE_TOLERANCE_MS.
 */
import { expect } from 'vitest';
import type { RecordingFileInfo } from '../../src/server/recording-service.js';
import { decodeErrors, type ProbedStream, probeRecording } from './recording-probe.js';

/** Largest difference between a file's duration and the time it was recorded, ms. */
export const DURATION_TOLERANCE_MS = 500;
/** Largest difference between the audio and the video stream's first (and last) instants, ms. */
export const EDGE_TOLERANCE_MS = 80;

/** What the caller knows the file must hold. */
export interface ExpectedFile {
  /**
   * How long the file recorded, ms: from its first frame (the recording's
   * start plus the file's startOffsetMs) to the stop.
   */
  recordedMs: number;
  /** The video codec as ffprobe names it ('vp8'…), or null for an audio-only file. */
  videoCodec: string | null;
  /** The picture size the publisher sent, when the caller knows it. */
  width?: number;
  height?: number;
}

/** What was measured of a file, for the report. */
export interface FileFigures {
  name: string;
  bytes: number;
  /** ffprobe's container duration, ms. */
  durationMs: number;
  /** The manifest's endOffsetMs − startOffsetMs, ms. */
  manifestMs: number;
  recordedMs: number;
  startOffsetMs: number;
  size: string | null;
  /** Video first instant − audio first instant, ms (null without both). */
  startSkewMs: number | null;
  /** Video last instant − audio last instant, ms. */
  endSkewMs: number | null;
}

/** Runs every check on one file of a finished recording; returns the figures. */
export async function checkRecordedFile(
  file: RecordingFileInfo,
  expected: ExpectedFile,
): Promise<FileFigures> {
  const what = `${file.name} (${file.identity})`;
  expect(file.status, `${what}: status`).toBe('done');
  expect(file.endOffsetMs, `${what}: endOffsetMs`).not.toBeNull();
  const probe = await probeRecording(file.path);
  expect(probe.formatName, `${what}: container`).toContain('matroska');
  const audio = probe.streams.filter((stream) => stream.type === 'audio');
  const video = probe.streams.filter((stream) => stream.type === 'video');
  expect(
    audio.map((stream) => stream.codec),
    `${what}: audio streams`,
  ).toEqual(['opus']);
  expect(file.audio?.codec, `${what}: the manifest's audio`).toBe('opus');
  expect(audio[0]?.frames, `${what}: audio frames decoded`).toBeGreaterThan(0);
  if (expected.videoCodec === null) {
    expect(video, `${what}: an audio-only file has no video stream`).toEqual([]);
    expect(file.video, `${what}: the manifest's video`).toBeNull();
  } else {
    expect(
      video.map((stream) => stream.codec),
      `${what}: video streams`,
    ).toEqual([expected.videoCodec]);
    expect(file.video?.codec.toLowerCase(), `${what}: the manifest's video codec`).toBe(expected.videoCodec);
    expect(video[0]?.frames, `${what}: video frames decoded`).toBeGreaterThan(0);
    // The size the manifest took from the first key frame is what FFmpeg decodes.
    expect([video[0]?.width, video[0]?.height], `${what}: picture size`).toEqual([
      file.video?.width,
      file.video?.height,
    ]);
    if (expected.width !== undefined)
      expect([file.video?.width, file.video?.height], `${what}: the publisher's size`).toEqual([
        expected.width,
        expected.height,
      ]);
  }

  const errors = await decodeErrors(file.path);
  expect(errors, `${what}: ffmpeg decode errors`).toBe('');

  const durationMs = (probe.duration ?? Number.NaN) * 1000;
  const manifestMs = (file.endOffsetMs ?? Number.NaN) - file.startOffsetMs;
  expect(
    Math.abs(durationMs - expected.recordedMs),
    `${what}: ffprobe duration ${durationMs} ms, recorded ${expected.recordedMs} ms`,
  ).toBeLessThan(DURATION_TOLERANCE_MS);
  expect(
    Math.abs(manifestMs - expected.recordedMs),
    `${what}: manifest ${manifestMs} ms (endOffsetMs − startOffsetMs), recorded ${expected.recordedMs} ms`,
  ).toBeLessThan(DURATION_TOLERANCE_MS);
  expect(Math.abs(file.durationMs - manifestMs), `${what}: durationMs and the offsets agree`).toBeLessThan(2);

  const skew = (pick: (stream: ProbedStream) => number | null): number | null => {
    const [v, a] = [video[0] ? pick(video[0]) : null, audio[0] ? pick(audio[0]) : null];
    return v === null || a === null ? null : Math.round((v - a) * 1000);
  };
  const startSkewMs = skew((stream) => stream.firstFrameTime);
  const endSkewMs = skew((stream) => stream.lastFrameEnd);
  if (expected.videoCodec !== null) {
    expect(
      Math.abs(startSkewMs ?? Number.NaN),
      `${what}: video starts ${startSkewMs} ms after audio`,
    ).toBeLessThan(EDGE_TOLERANCE_MS);
    expect(Math.abs(endSkewMs ?? Number.NaN), `${what}: video ends ${endSkewMs} ms after audio`).toBeLessThan(
      EDGE_TOLERANCE_MS,
    );
  }
  return {
    name: file.name,
    bytes: file.bytes,
    durationMs: Math.round(durationMs),
    manifestMs,
    recordedMs: Math.round(expected.recordedMs),
    startOffsetMs: file.startOffsetMs,
    size: file.video ? `${file.video.width}x${file.video.height}` : null,
    startSkewMs,
    endSkewMs,
  };
}
