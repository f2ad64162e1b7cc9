/**
 * Recording with a browser in the room: the demo page in Chromium (fake
 * camera and microphone) and a libwebrtc participant that sends the
 * audio/video sync source (a flash and a beep together, once a second) join
 * one sfu room of `switchboard start --dev` (test/e2e/recording-driver.mjs,
 * in a network namespace with only loopback, like demo-calls.test.ts).
 *
 * The admin API records them for 10 s: each participant's file must carry
 * the codecs and picture size the manifest names (Chromium's camera size,
 * as the page reads it), decode without an error, last the time recorded,
 * and start and end its audio and video together; the libwebrtc
 * participant's file must be in lip sync. Meanwhile the page shows its REC
 * badge (`#recording-indicator`, data-recording="on"), and "off" after.
 * Then the page's Record button starts and stops a second recording, which
 * the API lists as started by the page's participant.
 *
 * Missing Chromium, ffmpeg or @roamhq/wrtc skips loudly, and fails under
 * CI=true.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RecordingInfo } from '../../src/server/recording-service.js';
import { npmPackageAvailable } from '../helpers/npm-packages.js';
import { describeWithTools, type ToolCheck, toolAvailable } from '../helpers/tools.js';
import { checkRecordedFile, type FileFigures } from '../interop/recording-file-checks.js';
import { measureAvSync } from '../interop/recording-probe.js';
import { buildDirectory, buildProject, CHROMIUM, runDriver } from './e2e-build.js';

const chromium = toolAvailable(CHROMIUM, 'chromium');
const ffmpeg = toolAvailable(['ffmpeg', 'ffprobe'], 'ffmpeg');
const wrtc = npmPackageAvailable('@roamhq/wrtc');
/** Chromium, ffmpeg and the libwebrtc participant's package, as one check. */
const tools: ToolCheck = {
  tools: [...chromium.tools, ...ffmpeg.tools, 'npm package @roamhq/wrtc'],
  debianPackage: 'chromium ffmpeg (and npm ci for @roamhq/wrtc)',
  present: chromium.present && ffmpeg.present && wrtc.present,
  missing: [...chromium.missing, ...ffmpeg.missing, ...(wrtc.present ? [] : ['npm package @roamhq/wrtc'])],
  paths: { ...chromium.paths, ...ffmpeg.paths },
};
const RECORD_MS = 10_000;

/** What the page showed of the recording. */
interface Indicator {
  recording: string | null;
  hidden: boolean | null;
  state: { id: string; active: boolean; startedAt: number; startedBy: string | null } | null;
  canRecord: boolean;
  button: { hidden: boolean; disabled: boolean; text: string } | null;
}

/** The report of recording-driver.mjs. */
interface DriverReport {
  ok: boolean;
  failures: string[];
  problems: string[];
  browserVersion?: string;
  serverErrors: Record<string, unknown>[];
  page: {
    participantId: string;
    identity: string;
    camera: { width: number | null; height: number | null; frameRate: number | null };
  };
  wrtc: {
    participantId: string;
    identity: string;
    sent: { video: string; audio: string; width: number; height: number };
  };
  api: {
    status: number;
    recording: RecordingInfo;
    stopRequestedAt: number;
    indicator: { before: Indicator; during: Indicator; after: Indicator };
  };
  button: {
    recording: RecordingInfo | null;
    stopRequestedAt: number;
    indicator: { before: Indicator; during: Indicator; after: Indicator };
  };
}

const recordingsDir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-recordings-'));
afterAll(() => rmSync(recordingsDir, { recursive: true, force: true }));

describeWithTools('recording a room with a Chromium page and a libwebrtc participant', tools, () => {
  let report: DriverReport;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    const distDir = buildProject(buildDirectory('switchboard-e2e-recording'));
    report = await runDriver<DriverReport>(
      [
        'test/e2e/recording-driver.mjs',
        ...['--dist', distDir, '--chromium', CHROMIUM],
        ...['--recordings-dir', recordingsDir, '--record-ms', String(RECORD_MS)],
      ],
      100_000,
    );
  }, 130_000);

  afterAll(() => {
    if (Object.keys(figures).length > 0)
      console.log(`recording figures: ${JSON.stringify(figures, null, 2)}`);
  });

  it('ran every step', () => {
    expect(report.failures, 'driver failures').toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('records each participant through the admin API: codecs, size, a clean decode, the time recorded, A/V together and in sync', async () => {
    const { recording, stopRequestedAt } = report.api;
    expect(report.api.status).toBe(200);
    expect(recording).toMatchObject({ status: 'stopped', startedBy: null, error: null, audioOnly: false });
    const startedAtMs = Date.parse(recording.startedAt);
    const byIdentity = new Map(recording.files.map((file) => [file.identity, file]));
    expect([...byIdentity.keys()].sort()).toEqual([report.page.identity, report.wrtc.identity].sort());
    const measured: FileFigures[] = [];

    // The page: what Chromium negotiated (the manifest's codec, which ffprobe must agree with) at the
    // size of its fake camera (or a size the encoder scaled it to, with the same shape).
    const pageFile = byIdentity.get(report.page.identity);
    if (!pageFile?.video) throw new Error(`no video in the page's file: ${JSON.stringify(pageFile)}`);
    expect(pageFile.participantId).toBe(report.page.participantId);
    const { width, height } = report.page.camera;
    expect(width, 'the page reads its camera size').toBeGreaterThan(0);
    expect(pageFile.video.width).toBeLessThanOrEqual(width ?? 0);
    expect(pageFile.video.width * (height ?? 0)).toBe(pageFile.video.height * (width ?? 0));
    measured.push(
      await checkRecordedFile(pageFile, {
        // From the file's first frame (startOffsetMs after the recording's start, at a key frame) to
        // the moment the stop was asked for.
        recordedMs: stopRequestedAt - startedAtMs - pageFile.startOffsetMs,
        videoCodec: pageFile.video.codec.toLowerCase(),
      }),
    );

    // The libwebrtc participant: the codecs and size it sends, and lip sync.
    const wrtcFile = byIdentity.get(report.wrtc.identity);
    if (!wrtcFile) throw new Error('no file of the libwebrtc participant');
    expect(wrtcFile.participantId).toBe(report.wrtc.participantId);
    expect(wrtcFile.audio?.codec).toBe(report.wrtc.sent.audio);
    measured.push(
      await checkRecordedFile(wrtcFile, {
        recordedMs: stopRequestedAt - startedAtMs - wrtcFile.startOffsetMs,
        videoCodec: report.wrtc.sent.video,
        width: report.wrtc.sent.width,
        height: report.wrtc.sent.height,
      }),
    );
    figures.api = { camera: report.page.camera, files: measured };
    const sync = await measureAvSync(wrtcFile.path);
    figures.avSync = {
      pairs: sync.pairs,
      medianOffsetMs: Math.round(sync.medianOffsetMs),
      maxAbsOffsetMs: Math.round(sync.maxAbsOffsetMs),
    };
    expect(sync.pairs, `flashes ${sync.flashesMs} beeps ${sync.beepsMs}`).toBeGreaterThanOrEqual(6);
    expect(sync.maxAbsOffsetMs, `offsets ${sync.offsetsMs}`).toBeLessThan(80);
  }, 60_000);

  it('shows the REC badge on the page while the API records, and takes it down after', () => {
    const { before, during, after } = report.api.indicator;
    expect(before).toMatchObject({ recording: 'off', hidden: true, state: null });
    expect(during).toMatchObject({
      recording: 'on',
      hidden: false,
      state: { id: report.api.recording.id, active: true, startedBy: null },
    });
    expect(after).toMatchObject({ recording: 'off', hidden: true, state: null });
  });

  it("starts and stops a recording with the page's Record button", async () => {
    const { recording, stopRequestedAt, indicator } = report.button;
    // Development tokens carry the record grant: the button shows.
    expect(indicator.before).toMatchObject({
      recording: 'off',
      canRecord: true,
      button: { hidden: false, disabled: false },
    });
    expect(indicator.during).toMatchObject({
      recording: 'on',
      state: { active: true, startedBy: report.page.participantId },
      button: { hidden: false },
    });
    expect(indicator.after).toMatchObject({ recording: 'off', state: null });
    if (!recording) throw new Error('the recording started with the button is not listed');
    expect(recording).toMatchObject({ status: 'stopped', startedBy: report.page.participantId, error: null });
    expect(recording.id).toBe(indicator.during.state?.id);
    expect(recording.files.map((file) => file.identity).sort()).toEqual(
      [report.page.identity, report.wrtc.identity].sort(),
    );
    const startedAtMs = Date.parse(recording.startedAt);
    const measured: FileFigures[] = [];
    for (const file of recording.files) {
      measured.push(
        await checkRecordedFile(file, {
          recordedMs: stopRequestedAt - startedAtMs - file.startOffsetMs,
          videoCodec: file.video?.codec.toLowerCase() ?? null,
        }),
      );
    }
    figures.button = measured;
  }, 60_000);

  it('the pages threw nothing, and the server logged no warning or error', () => {
    expect(report.problems).toEqual([]);
    expect(report.serverErrors).toEqual([]);
  });
});
