/**
 * Smoke test of the data channel benchmark (bench/datachannel.ts): one round
 * of 1 MB in each of its three transfers, checking only the shape of the
 * result — the last line is key=value figures with positive rates and CPU
 * figures, and every transfer of the round was verified and reported.
 * Timings are never asserted: they depend on the machine.
 *
 * libwebrtc (@roamhq/wrtc) is the sender of ours, both ends of the reference
 * and the receiver of ours_send: without it the benchmark cannot run at all,
 * so the test is skipped with a banner, and fails under CI=true.
 *
 * The benchmarks are compiled into a folder of this test's own (harness.ts),
 * with their own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import { describeResult, runProcess } from '../helpers/process.js';
import { compileBenchmarks, parseFigures, root } from './harness.js';

const wrtc = npmPackageAvailable('@roamhq/wrtc');

describeWithNpmPackage('npm run bench:datachannel', wrtc, () => {
  let outDir = '';

  beforeAll(async () => {
    outDir = await compileBenchmarks('datachannel');
  }, 180_000);

  it('ends with key=value figures: MB/s of ours and of libwebrtc to libwebrtc, their ratio, CPU per MB', async () => {
    const args = [join(outDir, 'bench/datachannel.js'), '--megabytes', '1', '--rounds', '1', '--warmup', '1'];
    const result = await runProcess(process.execPath, args, { timeoutMs: 90_000, cwd: root });
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    for (const key of [
      'ours_mbps',
      'ref_mbps',
      'ratio',
      'ours_send_mbps',
      'send_ratio',
      'ours_cpu_ms_per_mb',
      'ref_cpu_ms_per_mb',
      'ours_send_cpu_ms_per_mb',
      'others_cpu_pct',
    ]) {
      expect(figures, context).toHaveProperty(key);
    }
    expect(figures['megabytes']).toBe('1');
    expect(figures['message_size']).toBe('65536');
    expect(figures['rounds']).toBe('1');
    // Each transfer arrived whole (the benchmark fails otherwise) and took some time.
    for (const key of ['ours_mbps', 'ref_mbps', 'ours_send_mbps', 'ratio', 'send_ratio'])
      expect(Number(figures[key]), `${key}\n${context}`).toBeGreaterThan(0);
    // Our process spent CPU on the transfers it took part in (read from process.cpuUsage, not /proc).
    expect(Number(figures['ours_cpu_ms_per_mb']), context).toBeGreaterThan(0);
    expect(Number(figures['ours_send_cpu_ms_per_mb']), context).toBeGreaterThan(0);
    expect(result.stdout, context).toMatch(/^warm-up .*1 MB each way through our stack, not counted$/m);
    for (const name of ['ours', 'ref', 'ours_send'])
      expect(result.stdout, context).toMatch(new RegExp(`^round 1 ${name} +[\\d.]+ MB/s`, 'm'));
  }, 100_000);
});
