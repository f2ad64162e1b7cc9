/**
 * Smoke test of the recording benchmark (bench/recording.ts): one round of
 * one-second windows with two publishers (four tracks), checking only the
 * shape of the result — the last line is key=value figures, CPU figures are
 * numbers, and the recordings were valid: every file read back whole, with
 * video and audio frames and a duration (and ffprobe found its packets when
 * it is installed). Timings are never asserted (nor whether the target was
 * met): they depend on the machine.
 *
 * The benchmarks are compiled into a folder of this test's own (harness.ts),
 * with their own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runProcess } from '../helpers/process.js';
import { toolAvailable } from '../helpers/tools.js';
import { compileBenchmarks, parseFigures, root } from './harness.js';

let outDir = '';
const ffprobe = toolAvailable('ffprobe', 'ffmpeg');

describe('npm run bench:recording', () => {
  beforeAll(async () => {
    outDir = await compileBenchmarks('recording');
  }, 180_000);

  it('ends with key=value figures: CPU with and without recording, and valid files', async () => {
    const result = await runProcess(
      process.execPath,
      [join(outDir, 'bench/recording.js'), ...['--rounds', '1', '--duration', '1', '--publishers', '2']],
      {
        timeoutMs: 100_000,
        cwd: root,
        env: { ...process.env, BENCH_FFPROBE: ffprobe.paths['ffprobe'] ?? 'ffprobe' },
      },
    );
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    for (const key of [
      'cpu_forward_cores',
      'cpu_record_cores',
      'recording_extra_cores',
      'extra_core_pct_per_track',
      'ratio',
      'target_met',
      'written_bytes_per_s',
      'files_valid',
      'file_video_frames',
      'file_audio_frames',
      'file_duration_s',
    ]) {
      expect(figures, context).toHaveProperty(key);
    }
    expect(figures['rounds']).toBe('1');
    expect(figures['tracks']).toBe('4');
    expect(['yes', 'no']).toContain(figures['target_met']);
    // The server spent CPU in both phases (how much is the machine's business).
    expect(Number(figures['cpu_forward_cores']), context).toBeGreaterThan(0);
    expect(Number(figures['cpu_record_cores']), context).toBeGreaterThan(0);
    expect(Number.isFinite(Number(figures['recording_extra_cores'])), context).toBe(true);
    // One round of two publishers: two files, both read back, with both tracks.
    expect(figures['files_valid'], context).toBe('2');
    expect(Number(figures['file_video_frames']), context).toBeGreaterThan(0);
    expect(Number(figures['file_audio_frames']), context).toBeGreaterThan(0);
    expect(Number(figures['file_duration_s']), context).toBeGreaterThan(0);
    expect(Number(figures['written_bytes_per_s']), context).toBeGreaterThan(0);
    if (ffprobe.present) {
      expect(Number(figures['ffprobe_video_packets']), context).toBeGreaterThan(0);
      expect(Number(figures['ffprobe_audio_packets']), context).toBeGreaterThan(0);
    } else {
      expect(figures['ffprobe_video_packets']).toBe('NA');
    }
    // Both phases were measured.
    expect(result.stdout, context).toMatch(/^round 1 A forward +server cpu /m);
    expect(result.stdout, context).toMatch(/^round 1 B forward\+record +server cpu /m);
  }, 110_000);
});
