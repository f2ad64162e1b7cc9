/**
 * Smoke test of the TURN relay benchmark (bench/turn.ts): a short run with a
 * tiny load, checking only the shape of the result — the last line is
 * key=value figures with positive packet rates. Timings are never asserted:
 * they depend on the machine.
 *
 * The benchmark is compiled with tsconfig.bench.json into dist-bench/, which
 * holds its own build of src/, and our server runs from there. So the test
 * never rewrites dist/, which other test files run.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { RELAY_PORT_RANGES } from '../helpers/ports.js';
import { describeResult, runProcess } from '../helpers/process.js';
import { isCi, missingToolsBanner, toolAvailable } from '../helpers/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const coturn = toolAvailable('turnserver', 'coturn');

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

describe('npm run bench:turn', () => {
  beforeAll(async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await runProcess(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], {
      timeoutMs: 170_000,
      cwd: root,
    });
    if (result.exitCode !== 0) throw new Error(`cannot compile the benchmark\n${describeResult(result)}`);
  }, 180_000);

  it('ends with key=value figures and positive relayed packet rates', async () => {
    if (!coturn.present && isCi()) throw new Error(`\n${missingToolsBanner(coturn)}`);
    const ours = RELAY_PORT_RANGES.benchOurs;
    const theirs = RELAY_PORT_RANGES.benchCoturn;
    const args = [
      join(root, 'dist-bench/bench/turn.js'),
      ...['--pairs', '2', '--window', '4', '--procs', '2'],
      ...['--warmup', '0.5', '--duration', '1', '--rounds', '1'],
      ...['--ours-entry', join(root, 'dist-bench/src/cli/main.js')],
      ...[
        '--ours-relay-ports',
        `${ours.min}-${ours.max}`,
        '--coturn-relay-ports',
        `${theirs.min}-${theirs.max}`,
      ],
    ];
    if (!coturn.present) {
      console.warn(
        'coturn (turnserver) is not installed: the benchmark smoke test measures OUR SERVER ONLY.',
      );
      args.push('--no-coturn');
    }
    const result = await runProcess(process.execPath, args, {
      timeoutMs: 60_000,
      cwd: root,
      env: {
        ...process.env,
        BENCH_OURS_ARGS: '',
        BENCH_COTURN_ARGS: '',
        BENCH_TURNSERVER: coturn.paths['turnserver'] ?? '',
      },
    });
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    for (const key of ['ours_pps', 'coturn_pps', 'ratio', 'ours_p50_ms', 'ours_p99_ms', 'coturn_p99_ms']) {
      expect(figures, context).toHaveProperty(key);
    }
    expect(figures['pairs']).toBe('2');
    expect(figures['window']).toBe('4');
    expect(figures['procs']).toBe('2');
    expect(Number(figures['ours_pps']), context).toBeGreaterThan(0);
    expect(Number(figures['ours_p99_ms']), context).toBeGreaterThan(0);
    if (coturn.present) {
      expect(Number(figures['coturn_pps']), context).toBeGreaterThan(0);
      expect(Number(figures['coturn_p99_ms']), context).toBeGreaterThan(0);
      expect(Number(figures['ratio']), context).toBeGreaterThan(0);
    } else {
      expect(figures['coturn_pps']).toBe('NA');
      expect(figures['ratio']).toBe('NA');
    }
  }, 60_000);
});
