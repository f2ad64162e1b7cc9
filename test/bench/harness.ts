/**
 * What the benchmark smoke tests share: compiling the benchmarks, each test
 * into a folder of its own under the git-ignored dist-bench/ (test files run
 * in parallel, and a process loading a file that another compiler is
 * rewriting could read it half-written), and reading the key=value last line.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeResult, runProcess } from '../helpers/process.js';

/** The repository's root folder. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** Compiles bench/ and its copy of src/ into dist-bench/NAME-smoke; resolves with that folder. */
export async function compileBenchmarks(name: string): Promise<string> {
  const outDir = join(root, `dist-bench/${name}-smoke`);
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const result = await runProcess(process.execPath, [tsc, '-p', 'tsconfig.bench.json', '--outDir', outDir], {
    timeoutMs: 170_000,
    cwd: root,
  });
  if (result.exitCode !== 0) throw new Error(`cannot compile the benchmarks\n${describeResult(result)}`);
  return outDir;
}

/** The `key=value` words of a line; throws when a word is not one. */
export function parseFigures(line: string): Record<string, string> {
  const figures: Record<string, string> = {};
  for (const word of line.trim().split(/\s+/)) {
    const match = /^([a-z][a-z0-9_]*)=(\S+)$/.exec(word);
    if (!match) throw new Error(`not a key=value figure: "${word}" in line "${line}"`);
    figures[match[1]] = match[2];
  }
  return figures;
}
