/**
 * Smoke test of the signaling benchmark (bench/signaling.ts): a short run
 * with a small load, checking only the shape of the result — the last line
 * is key=value figures with positive connection counts and message rates for
 * our server and the echo server. Timings are never asserted: they depend on
 * the machine.
 *
 * The benchmark is compiled with tsconfig.bench.json, with its own build of
 * src/, and our server runs from there. So the test never rewrites dist/,
 * which other test files run. The output goes to a folder of its own under
 * the git-ignored dist-bench/: test/bench/turn-bench.test.ts compiles into
 * dist-bench/ at the same time, and a process loading a file that another
 * compiler is rewriting could read it half-written.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runProcess } from '../helpers/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'dist-bench/signaling-smoke');

/** The `key=value` words of a line; throws when a word is not one. */
function parseFigures(line: string): Record<string, string> {
  const figures: Record<string, string> = {};
  for (const word of line.trim().split(/\s+/)) {
    const match = /^([a-z][a-z0-9_]*)=(\S+)$/.exec(word);
    if (!match) throw new Error(`not a key=value figure: "${word}" in line "${line}"`);
    figures[match[1]] = match[2];
  }
  return figures;
}

describe('npm run bench:signaling', () => {
  beforeAll(async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await runProcess(
      process.execPath,
      [tsc, '-p', 'tsconfig.bench.json', '--outDir', outDir],
      {
        timeoutMs: 170_000,
        cwd: root,
      },
    );
    if (result.exitCode !== 0) throw new Error(`cannot compile the benchmark\n${describeResult(result)}`);
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
