/**
 * Smoke test of the signaling benchmark (bench/signaling.ts): a short run
 * with a small load, checking only the shape of the result — the last line
 * is key=value figures with positive connection counts and message rates for
 * our server and the echo server. Timings are never asserted: they depend on
 * the machine.
 *
 * The benchmarks are compiled into a folder of this test's own (harness.ts),
 * with their own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runProcess } from '../helpers/process.js';
import { compileBenchmarks, parseFigures, root } from './harness.js';

let outDir = '';

describe('npm run bench:signaling', () => {
  beforeAll(async () => {
    outDir = await compileBenchmarks('signaling');
  }, 180_000);

  it('ends with key=value figures and positive counts and rates for ours and the echo server', async () => {
    const args = [
      join(outDir, 'bench/signaling.js'),
      ...['--connections', '200', '--room-size', '10', '--join-rate', '400', '--procs', '2'],
      ...['--warmup', '0.5', '--duration', '1.5', '--rounds', '1'],
      ...['--ours-entry', join(outDir, 'src/cli/main.js')],
    ];
    const result = await runProcess(process.execPath, args, {
      timeoutMs: 60_000,
      cwd: root,
      env: { ...process.env, BENCH_OURS_ARGS: '', BENCH_OURS_NODE_ARGS: '' },
    });
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    expect(figures['connections']).toBe('200');
    expect(figures['room_size']).toBe('10');
    expect(figures['procs']).toBe('2');
    for (const key of [
      'ours_connections',
      'echo_connections',
      'ours_join_p50_ms',
      'ours_join_p99_ms',
      'echo_join_p99_ms',
      'ours_msgs_per_s',
      'echo_msgs_per_s',
      'ratio',
    ]) {
      expect(figures, context).toHaveProperty(key);
      expect(Number(figures[key]), `${key}\n${context}`).toBeGreaterThan(0);
    }
  }, 60_000);
});
