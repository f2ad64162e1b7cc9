/**
 * Smoke test of the SRTP benchmark (bench/srtp.ts): a very short run,
 * checking only the shape of the result — the last line is key=value figures
 * with a positive AES-GCM protect rate. Timings are never asserted: they
 * depend on the machine.
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
const openssl = toolAvailable('openssl', 'openssl');

describe('npm run bench:srtp', () => {
  beforeAll(async () => {
    outDir = await compileBenchmarks('srtp');
  }, 180_000);

  it('ends with key=value figures and a positive protect rate', async () => {
    if (!openssl.present && isCi()) throw new Error(`\n${missingToolsBanner(openssl)}`);
    const args = [join(outDir, 'bench/srtp.js'), '--duration', '0.1', '--rounds', '1', '--size', '1200'];
    if (!openssl.present) {
      console.warn('openssl is not installed: the SRTP benchmark smoke test runs WITHOUT its reference.');
      args.push('--no-openssl');
    }
    const result = await runProcess(process.execPath, args, {
      timeoutMs: 60_000,
      cwd: root,
      env: { ...process.env, BENCH_OPENSSL: openssl.paths['openssl'] ?? '' },
    });
    const context = describeResult(result);
    expect(result.exitCode, context).toBe(0);

    const figures = parseFigures(result.stdout.trimEnd().split('\n').at(-1) ?? '');
    for (const key of [
      'protect_pps',
      'unprotect_pps',
      'cm_protect_pps',
      'cm_unprotect_pps',
      'openssl_gcm_pps',
      'ratio',
    ]) {
      expect(figures, context).toHaveProperty(key);
    }
    expect(figures['size']).toBe('1200');
    expect(Number(figures['protect_pps']), context).toBeGreaterThan(0);
    if (!openssl.present) {
      expect(figures['openssl_gcm_pps']).toBe('NA');
      expect(figures['ratio']).toBe('NA');
    }
  }, 60_000);
});
