/**
 * Smoke test of the TURN relay benchmark (bench/turn.ts): a short run with a
 * tiny load, checking only the shape of the result — the last line is
 * key=value figures with positive packet rates. Timings are never asserted:
 * they depend on the machine.
 *
 * The benchmarks are compiled into a folder of this test's own (harness.ts),
 * with their own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RELAY_PORT_RANGES } from '../helpers/ports.js';
import { describeResult, runProcess } from '../helpers/process.js';
import { isCi, missingToolsBanner, toolAvailable } from '../helpers/tools.js';
import { compileBenchmarks, parseFigures, root } from './harness.js';

let outDir = '';
const coturn = toolAvailable('turnserver', 'coturn');

describe('npm run bench:turn', () => {
  beforeAll(async () => {
    outDir = await compileBenchmarks('turn');
  }, 180_000);

  it('ends with key=value figures and positive relayed packet rates', async () => {
    if (!coturn.present && isCi()) throw new Error(`\n${missingToolsBanner(coturn)}`);
    const ours = RELAY_PORT_RANGES.benchOurs;
    const theirs = RELAY_PORT_RANGES.benchCoturn;
    const args = [
      join(outDir, 'bench/turn.js'),
      ...['--pairs', '2', '--window', '4', '--procs', '2'],
      ...['--warmup', '0.5', '--duration', '1', '--rounds', '1'],
      ...['--ours-entry', join(outDir, 'src/cli/main.js')],
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
