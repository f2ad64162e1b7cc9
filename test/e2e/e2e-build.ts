/**
 * What the browser end-to-end tests share: building the project into a
 * folder of a test's own, the prefix that runs a driver in a network
 * namespace with only loopback, and running a driver for its report.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeResult, runProcess } from '../helpers/process.js';
import { findExecutable, isCi } from '../helpers/tools.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

/**
 * How to keep the browser's traffic on loopback: a fresh network namespace
 * with only `lo` up, when this process may make one (root, util-linux
 * `unshare`, iproute2 `ip`).
 */
export function loopbackOnlyPrefix(): string[] | undefined {
  if (process.getuid?.() !== 0 || !findExecutable('unshare') || !findExecutable('ip')) return undefined;
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { encoding: 'utf8' });
  return probe.status === 0
    ? ['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"']
    : undefined;
}

/**
 * The loopback-only prefix, or none with a loud warning; under CI=true a
 * missing namespace is an error (CI installs iproute2 and runs as root: a
 * run on the host network there is a broken setup).
 */
export function isolationPrefix(): string[] {
  const prefix = loopbackOnlyPrefix();
  if (prefix) return prefix;
  if (isCi()) throw new Error('cannot make a loopback-only network namespace (needs root, unshare and ip)');
  console.warn(
    [
      '#'.repeat(78),
      '# NOT ISOLATED: cannot make a loopback-only network namespace (needs root, unshare and ip).',
      '# Chromium runs on the host network and gathers candidates on every interface.',
      '#'.repeat(78),
    ].join('\n'),
  );
  return [];
}

/**
 * Where a test builds the project: `node_modules/.cache/<name>`. Not dist/:
 * test/integration/cli.test.ts rebuilds dist/ with tsc in parallel with the
 * e2e files, and a server started from a half-rewritten dist/ fails at
 * random; and each e2e file has a folder of its own, as they run in
 * parallel too. Under node_modules/ it is ignored by git and still resolves
 * the project's dependencies.
 */
export function buildDirectory(name: string): string {
  return join(root, 'node_modules', '.cache', name);
}

/**
 * Builds what `npm run build` builds — the server with tsc and the browser
 * bundles with client/build.mjs — into `<buildDir>/dist`, with a
 * package.json that makes its .js files ES modules (Node does not look past
 * node_modules/ for one). Returns the dist folder.
 */
export function buildProject(buildDir: string): string {
  const distDir = join(buildDir, 'dist');
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const projectPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  writeFileSync(
    join(buildDir, 'package.json'),
    JSON.stringify({
      name: 'switchboard-e2e-build',
      version: projectPackage.version,
      type: 'module',
      private: true,
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const steps = [
    [tsc, '-p', 'tsconfig.build.json', '--outDir', distDir],
    ['client/build.mjs', '--outdir', join(distDir, 'client')],
  ];
  for (const args of steps) {
    try {
      execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`build failed (${args.join(' ')}):\n${failed.stdout ?? ''}${failed.stderr ?? error}`);
    }
  }
  return distDir;
}

/**
 * Runs a driver (`node <script> <args…>`, from the project's root) in the
 * loopback-only namespace, and returns the JSON report it prints on its last
 * line of output; fails when there is none. `timeoutMs` bounds the run.
 */
export async function runDriver<Report extends { ok: boolean }>(
  driver: string[],
  timeoutMs: number,
): Promise<Report> {
  const [command, ...args] = [...isolationPrefix(), process.execPath, ...driver];
  const result = await runProcess(command, args, { cwd: root, timeoutMs });
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  let report: Report;
  try {
    report = JSON.parse(lastLine) as Report;
  } catch {
    throw new Error(`the driver printed no report:\n${describeResult(result)}`);
  }
  // The driver's own account (timings, failures) helps when an assertion on the report fails.
  if (!report.ok) console.warn(result.stderr);
  return report;
}
