/**
 * Smoke test of the SRTP benchmark (bench/srtp.ts): a very short run,
 * checking only the shape of the result — the last line is key=value figures
 * with a positive AES-GCM protect rate. Timings are never asserted: they
 * depend on the machine.
 *
 * The benchmark is compiled with tsconfig.bench.json into dist-bench/, which
 * holds its own build of src/, so the test never rewrites dist/.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeResult, runProcess } from '../helpers/process.js';
import { isCi, missingToolsBanner, toolAvailable } from '../helpers/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const openssl = toolAvailable('openssl', 'openssl');

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

describe('npm run bench:srtp', () => {
  beforeAll(async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = await runProcess(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], {
      timeoutMs: 170_000,
      cwd: root,
    });
    if (result.exitCode !== 0) throw new Error(`cannot compile the benchmark\n${describeResult(result)}`);
  }, 180_000);

  it('ends with key=value figures and a positive protect rate', async () => {
    if (!openssl.present && isCi()) throw new Error(`\n${missingToolsBanner(openssl)}`);
    const args = [
      join(root, 'dist-bench/bench/srtp.js'),
      '--duration',
      '0.1',
      '--rounds',
      '1',
      '--size',
      '1200',
    ];
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
