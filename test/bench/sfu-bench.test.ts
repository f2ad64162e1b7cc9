/**
 * Smoke test of the SFU benchmark (bench/sfu.ts): one round with at most two
 * subscribers and one-second windows, checking only the shape of the result
 * — the last line is key=value figures, the largest passing N is a whole
 * number within the cap, and packet rates and CPU figures are positive where
 * a step passed. Timings are never asserted (nor whether a step passed):
 * they depend on the machine.
 *
 * Janus is measured when installed and the benchmark can make the network
 * namespace it runs Janus in (root, unshare and ip); otherwise its figures
 * must read NA, and the test says loudly that Janus was not measured. Under
 * CI (root, which installs janus, unshare and ip) either is a failure.
 *
 * The benchmarks are compiled into a folder of this test's own (harness.ts),
 * with their own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runProcess } from '../helpers/process.js';
import { isCi, missingToolsBanner, toolAvailable } from '../helpers/tools.js';
import { compileBenchmarks, parseFigures, root } from './harness.js';

let outDir = '';
const janus = toolAvailable('janus', 'janus');
/** Janus's RTP ports in this test, apart from the relay ranges of test/helpers/ports.ts. */
const JANUS_RTP_PORTS = '23200-23399';

describe('npm run bench:sfu', () => {
  beforeAll(async () => {
    outDir = await compileBenchmarks('sfu');
  }, 180_000);

  it('ends with key=value figures: the largest N, packet rates and CPU per Mbit', async () => {
    if (!janus.present && isCi()) throw new Error(`\n${missingToolsBanner(janus)}`);
    const args = [
      join(outDir, 'bench/sfu.js'),
      ...['--start', '1', '--max-subscribers', '2', '--duration', '1', '--rounds', '1', '--budget', '20'],
      ...['--janus-rtp-ports', JANUS_RTP_PORTS],
    ];
    if (!janus.present) {
      console.warn('janus is not installed: the SFU benchmark smoke test measures OUR SERVER ONLY.');
      args.push('--no-janus');
    }
    const result = await runProcess(process.execPath, args, {
      timeoutMs: 100_000,
      cwd: root,
      env: { ...process.env, BENCH_JANUS: janus.paths['janus'] ?? '' },
    });
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);
    // The benchmark's own banner when it could not make its namespace (bench/sfu.ts).
    const janusSkipped = janus.present && /JANUS NOT MEASURED/.test(result.stderr);
    if (janusSkipped && isCi()) {
      throw new Error(`CI must measure Janus inside the benchmark's network namespace\n${context}`);
    }
    if (janusSkipped) {
      console.warn(
        [
          '#'.repeat(78),
          '# JANUS NOT MEASURED: the benchmark could not make its network namespace',
          '# (needs root, unshare and ip); only our server was checked.',
          '#'.repeat(78),
        ].join('\n'),
      );
    }

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    for (const key of [
      'max_subscribers',
      'janus_max_subscribers',
      'ratio',
      'forwarded_pps',
      'cpu_us_per_mbit',
      'janus_cpu_us_per_mbit',
      'subscribers_per_core',
    ]) {
      expect(figures, context).toHaveProperty(key);
    }
    expect(figures['rounds']).toBe('1');
    const ours = Number(figures['max_subscribers']);
    expect(Number.isInteger(ours), context).toBe(true);
    expect(ours, context).toBeGreaterThanOrEqual(0);
    expect(ours, context).toBeLessThanOrEqual(2);
    // A passing step forwarded media, and the server spent CPU on it.
    if (ours > 0) {
      expect(Number(figures['forwarded_pps']), context).toBeGreaterThan(0);
      expect(Number(figures['cpu_us_per_mbit']), context).toBeGreaterThan(0);
    }
    // Every step ran: the subscribers were set up and measured, whatever the verdict.
    expect(result.stdout, context).toMatch(/^ours +N= +1 +(pass|FAIL) +loss \d/m);
    if (janus.present && !janusSkipped) {
      expect(result.stdout, context).toMatch(/^janus N= +1 +(pass|FAIL) +loss \d/m);
      expect(result.stdout, context).toMatch(
        /ICE on 10\.99\.0\.1 of sb0 in the benchmark's own network namespace/,
      );
      const theirs = Number(figures['janus_max_subscribers']);
      expect(Number.isInteger(theirs), context).toBe(true);
      if (theirs > 0) expect(Number(figures['janus_cpu_us_per_mbit']), context).toBeGreaterThan(0);
    } else {
      expect(figures['janus_max_subscribers']).toBe('NA');
      expect(figures['ratio']).toBe('NA');
    }
  }, 110_000);
});
