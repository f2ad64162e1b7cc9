/**
 * The npm counterpart of tools.ts: interop tests that run a WebRTC library
 * from npm (a devDependency with a native binary) skip loudly when it does
 * not load, and fail instead under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';
import { isCi } from './tools.js';

/** The outcome of loading one npm package. */
export interface NpmPackageCheck {
  /** Package name, as given to require(). */
  name: string;
  /** True when it loaded. */
  present: boolean;
  /** Why it did not, for the banner. */
  reason: string;
}

/** The banner printed when a package is missing; also the failure message in CI. */
export function missingPackageBanner(check: NpmPackageCheck): string {
  const rule = '#'.repeat(78);
  const verdict = isCi()
    ? 'CI=true: this is a FAILURE, not a skip. Run npm ci with devDependencies.'
    : 'The tests that need it are SKIPPED. Under CI=true this would FAIL.';
  return [
    rule,
    `# MISSING NPM PACKAGE: ${check.name} (${check.reason})`,
    '# Install with:  npm ci   (it is a devDependency)',
    `# ${verdict}`,
    rule,
  ].join('\n');
}

const checked = new Map<string, NpmPackageCheck>();

/**
 * Loads the package in a child process (a native binary that fails to load
 * cannot take the test runner with it), synchronously so that the result can
 * drive `describe.skipIf` at collection time; prints the banner once.
 */
export function npmPackageAvailable(name: string): NpmPackageCheck {
  const known = checked.get(name);
  if (known) return known;
  const result = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(name)})`], {
    cwd: process.cwd(),
    encoding: 'utf8',
    timeout: 20_000,
  });
  const present = result.status === 0;
  const reason = present
    ? ''
    : (result.error?.message ??
      result.stderr.split('\n').find((line) => /Error/.test(line)) ??
      'did not load');
  const check: NpmPackageCheck = { name, present, reason };
  checked.set(name, check);
  if (!present) console.warn(missingPackageBanner(check));
  return check;
}

/**
 * One test that stands for the package (passes when present, fails under CI
 * when not, skipped otherwise) plus a `describe` skipped when it is missing.
 */
export function describeWithNpmPackage(title: string, check: NpmPackageCheck, body: () => void): void {
  it(`has the npm package ${check.name}`, (context) => {
    if (check.present) return;
    const banner = missingPackageBanner(check);
    if (isCi()) throw new Error(`\n${banner}`);
    context.skip(`missing npm package ${check.name}: npm ci`);
  });
  describe.skipIf(!check.present)(title, body);
}
