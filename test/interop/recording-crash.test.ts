/**
 * Crash safety of recordings, checked with FFmpeg. The media is a 6 s VP8 +
 * Opus WebM that FFmpeg makes (`ffmpeg -f lavfi -i testsrc… -f lavfi -i
 * sine… -c:v libvpx -g 30 -c:a libopus -f webm`), read with readWebm and
 * written again by WebmWriter:
 *
 * - the file as it stood right after a cluster reached it (copied from the
 *   writer's onClusterWritten: what a crash at that moment leaves) decodes
 *   with `ffmpeg -v error -i FILE -f null -` without a single error, and
 *   every frame of its clusters is decoded;
 * - the same file cut at bytes inside the next cluster decodes everything
 *   up to the last whole cluster;
 * - repairWebm turns a cut file into a finished one (Cues, Duration) that
 *   decodes and seeks without error;
 * - a writer in a child process, killed with SIGKILL mid-recording, leaves
 *   a file FFmpeg decodes up to its last reported cluster.
 *
 * Missing ffmpeg/ffprobe skips loudly, and fails under CI=true.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FileSink } from '../../src/recording/sink.js';
import { readWebm, type WebmBlock } from '../../src/recording/webm-reader.js';
import { repairWebm } from '../../src/recording/webm-repair.js';
import { WebmWriter, type WrittenCluster } from '../../src/recording/webm-writer.js';
import { describeWithTools, type ToolCheck, toolAvailable } from '../helpers/tools.js';
import { countDecodedFrames, decodeFile, encoderCheck, ffmpeg, ffprobe } from './recording-harness.js';

const ffmpegTools = toolAvailable(['ffmpeg', 'ffprobe'], 'ffmpeg');
const vp8Encoder = encoderCheck(ffmpegTools, 'VP8 video', ['libvpx']);
const opusEncoder = encoderCheck(ffmpegTools, 'Opus audio', ['libopus']);
/** ffmpeg, ffprobe and both encoders, as one check. */
const tools: ToolCheck = {
  tools: [...ffmpegTools.tools, ...vp8Encoder.tools, ...opusEncoder.tools],
  debianPackage: 'ffmpeg',
  present: ffmpegTools.present && vp8Encoder.present && opusEncoder.present,
  missing: [...ffmpegTools.missing, ...vp8Encoder.missing, ...opusEncoder.missing],
  paths: ffmpegTools.paths,
};
const STEP_TIMEOUT_MS = 60_000;
/** What FFmpeg may say about a file that stops inside a cluster; anything else is a failure. */
const CUT_SHORT =
  /^(\[matroska,webm @ 0x[0-9a-f]+\] )?(File ended prematurely( at pos\. \d+ \(0x[0-9a-f]+\))?)$/;

const workDir = mkdtempSync(join(tmpdir(), 'switchboard-recording-crash-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Frames per track in the clusters of a file. */
function countBlocks(blocks: readonly WebmBlock[]): { video: number; audio: number } {
  return {
    video: blocks.filter((block) => block.track === 1).length,
    audio: blocks.filter((block) => block.track === 2).length,
  };
}

/** Decodes a file and returns what FFmpeg printed, line by line, failing on a non-zero exit. */
async function decodeLines(path: string): Promise<string[]> {
  const decoded = await decodeFile(path);
  expect(decoded.exitCode, decoded.description).toBe(0);
  return decoded.errors ? decoded.errors.split('\n') : [];
}

describeWithTools('recordings cut short by a crash', tools, () => {
  const sourcePath = join(workDir, 'source.webm');
  const outputPath = join(workDir, 'recording.webm');
  let source: ReturnType<typeof readWebm>;
  let clusters: WrittenCluster[] = [];
  /** snapshots[i]: the file right after cluster i reached it. */
  const snapshots: string[] = [];

  beforeAll(async () => {
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=6'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=6'],
      ...['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-pix_fmt', 'yuv420p'],
      ...['-c:a', 'libopus', '-f', 'webm', '-y', sourcePath],
    ]);
    source = readWebm(new Uint8Array(readFileSync(sourcePath)));
    expect(source.tracks.map((track) => track.codecId)).toEqual(['V_VP8', 'A_OPUS']);
    const writer = new WebmWriter(await FileSink.open(outputPath), {
      video: { codec: 'vp8', width: 320, height: 240 },
      audio: { codec: 'opus', channels: 1 },
      onClusterWritten: (cluster) => {
        clusters.push(cluster);
        const snapshot = join(workDir, `snapshot-${clusters.length - 1}.webm`);
        copyFileSync(outputPath, snapshot);
        snapshots.push(snapshot);
      },
    });
    const blocks = source.clusters
      .flatMap((cluster) => cluster.blocks)
      .sort((a, b) => a.timestamp - b.timestamp);
    for (const block of blocks)
      writer.writeFrame(block.track === 1 ? 'video' : 'audio', block.timestamp, block.data, block.keyframe);
    await writer.close();
    clusters = [...clusters];
    expect(clusters.length).toBeGreaterThanOrEqual(5);
  }, STEP_TIMEOUT_MS);

  it(
    'decodes the file as a crash right after a cluster leaves it: no error, every frame of its clusters',
    async () => {
      for (const index of [0, 2, clusters.length - 2]) {
        const structure = readWebm(new Uint8Array(readFileSync(snapshots[index])));
        expect(structure.segmentSize).toBe(-1);
        expect(structure.clusters).toHaveLength(index + 1);
        const expected = countBlocks(structure.clusters.flatMap((cluster) => cluster.blocks));
        expect(await decodeLines(snapshots[index])).toEqual([]);
        expect(await countDecodedFrames(snapshots[index], 'v')).toBe(expected.video);
        expect(await countDecodedFrames(snapshots[index], 'a')).toBe(expected.audio);
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'decodes everything up to the last whole cluster when the file stops at any byte of the next one',
    async () => {
      const index = 2;
      const bytes = readFileSync(snapshots[index + 1]);
      const next = clusters[index + 1];
      const whole = countBlocks(
        readWebm(new Uint8Array(readFileSync(snapshots[index]))).clusters.flatMap((c) => c.blocks),
      );
      // The cluster's header, its first block, and bytes spread through it.
      const cuts = [3, 12, 200, Math.floor(next.size / 3), Math.floor((next.size * 2) / 3), next.size - 1];
      for (const cut of cuts) {
        const path = join(workDir, `cut-${cut}.webm`);
        writeFileSync(path, bytes.subarray(0, next.offset + cut));
        const lines = await decodeLines(path);
        for (const line of lines) expect(line).toMatch(CUT_SHORT);
        expect(await countDecodedFrames(path, 'v')).toBeGreaterThanOrEqual(whole.video);
        expect(await countDecodedFrames(path, 'a')).toBeGreaterThanOrEqual(whole.audio);
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'repairs a cut file into a finished one that decodes and seeks without error',
    async () => {
      const index = 3;
      const next = clusters[index + 1];
      const path = join(workDir, 'repaired.webm');
      writeFileSync(
        path,
        readFileSync(snapshots[index + 1]).subarray(0, next.offset + Math.floor(next.size / 2)),
      );
      const result = await repairWebm(path);
      expect(result).toMatchObject({ repaired: true, clusters: index + 1, finalized: true });
      const structure = readWebm(new Uint8Array(readFileSync(path)));
      // A cue for each kept cluster that starts with a video key frame (the first may hold only early audio).
      expect(structure.cues.length).toBe(
        clusters.slice(0, index + 1).filter((cluster) => cluster.seekable).length,
      );
      expect(structure.cues.length).toBeGreaterThanOrEqual(index);
      expect(await decodeLines(path)).toEqual([]);
      const probe = await ffprobe(path);
      expect(Math.abs(Number(probe.format.duration) - result.duration / 1000)).toBeLessThanOrEqual(0.05);
      const seekTo = clusters[index].timestampMs / 1000 + 0.2;
      const seeked = await ffmpegSeekDecode(path, seekTo);
      expect(seeked.exitCode, seeked.description).toBe(0);
      expect(seeked.errors, seeked.description).toBe('');
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'leaves a decodable file when the writer process is killed with SIGKILL',
    async () => {
      const child = await startWriterChild({
        input: sourcePath,
        output: join(workDir, 'killed.webm'),
        frameDelayMs: 8,
      });
      try {
        // Wait (bounded) for three clusters to be reported as written, then kill mid-recording.
        const reported = await child.waitFor(
          (messages) => messages.filter((m) => m.type === 'cluster').length >= 3,
          30_000,
        );
        expect(reported.some((message) => message.type === 'done')).toBe(false);
        child.process.kill('SIGKILL');
        await child.exited;
      } finally {
        child.process.kill('SIGKILL');
      }
      const written = child.messages.filter(
        (message) => message.type === 'cluster',
      ) as unknown as WrittenCluster[];
      const path = join(workDir, 'killed.webm');
      const structure = readWebm(new Uint8Array(readFileSync(path)));
      // Every cluster the child reported is in the file, whole.
      const whole = structure.clusters.filter((cluster) => cluster.complete);
      expect(whole.length).toBeGreaterThanOrEqual(written.length);
      const frames = countBlocks(whole.flatMap((cluster) => cluster.blocks));
      const lines = await decodeLines(path);
      for (const line of lines) expect(line).toMatch(CUT_SHORT);
      expect(await countDecodedFrames(path, 'v')).toBeGreaterThanOrEqual(frames.video);
      expect(frames.video + frames.audio).toBeGreaterThanOrEqual(
        written.reduce((sum, cluster) => sum + cluster.frames, 0),
      );
      const repaired = await repairWebm(path);
      expect(repaired.repaired).toBe(true);
      expect(await decodeLines(path)).toEqual([]);
    },
    STEP_TIMEOUT_MS,
  );
});

/** `ffmpeg -v error -ss SECONDS -i FILE -f null -`. */
async function ffmpegSeekDecode(path: string, seconds: number) {
  const { runProcess, describeResult } = await import('../helpers/process.js');
  const result = await runProcess(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-v', 'error', '-ss', seconds.toFixed(2), '-i', path, '-f', 'null', '-'],
    { timeoutMs: 30_000 },
  );
  return { exitCode: result.exitCode, errors: result.stderr.trim(), description: describeResult(result) };
}

type ChildMessage = { type: string } & Record<string, unknown>;

/** The writer child, bundled with esbuild (a development dependency) and run with node. */
async function startWriterChild(options: { input: string; output: string; frameDelayMs: number }) {
  const { build } = await import('esbuild');
  const bundle = join(workDir, 'recording-writer-child.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('./recording-writer-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'silent',
  });
  const child: ChildProcess = spawn(process.execPath, [bundle, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: ChildMessage[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line) as ChildMessage);
    } catch {
      stderr += `(stdout) ${line}\n`;
    }
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => {
    for (const wake of waiters) wake();
  });
  return {
    process: child,
    messages,
    exited,
    /** Resolves with the messages once `done` holds; rejects after `timeoutMs` or if the child exits first. */
    waitFor(done: (messages: ChildMessage[]) => boolean, timeoutMs: number): Promise<ChildMessage[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (done(messages)) {
            finish();
            resolve([...messages]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            reject(new Error(`the writer child exited early: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(
              `the writer child did not report in ${timeoutMs} ms: ${JSON.stringify(messages)} ${stderr}`,
            ),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
