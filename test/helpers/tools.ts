import { describe, it } from 'vitest';
import { findExecutable } from '../../bench/executables.js';

/** The outcome of looking for one or more executables on PATH. */
export interface ToolCheck {
  /** Executables looked for. */
  tools: string[];
  /** Debian package that provides them, for the install hint. */
  debianPackage: string;
  /** True when every tool was found. */
  present: boolean;
  /** Tools not found on PATH. */
  missing: string[];
  /** Absolute path of each tool that was found. */
  paths: Record<string, string>;
}

/** True when running under CI (`CI=true`, `CI=1`, `CI=yes`), where a missing tool fails instead of skipping. */
export function isCi(): boolean {
  return /^(1|true|yes)$/i.test(process.env['CI'] ?? '');
}

/** The banner printed when tools are missing; also the failure message in CI. */
export function missingToolsBanner(check: ToolCheck): string {
  const rule = '#'.repeat(78);
  const verdict = isCi()
    ? 'CI=true: this is a FAILURE, not a skip. .ci/run must install the package.'
    : 'The tests that need them are SKIPPED. Under CI=true this would FAIL.';
  return [
    rule,
    `# MISSING TOOL${check.missing.length > 1 ? 'S' : ''}: ${check.missing.join(', ')} (not found on PATH)`,
    `# Install with:  apt-get install -y ${check.debianPackage}`,
    `# ${verdict}`,
    rule,
  ].join('\n');
}

const warned = new Set<string>();

/**
 * Looks for the tools on PATH now (synchronously, so the result can drive
 * `describe.skipIf` at collection time) and prints the banner once per tool
 * set when any is missing.
 */
export function toolAvailable(tools: string | string[], debianPackage: string): ToolCheck {
  const list = typeof tools === 'string' ? [tools] : tools;
  const paths: Record<string, string> = {};
  const missing: string[] = [];
  for (const tool of list) {
    const path = findExecutable(tool);
    if (path) paths[tool] = path;
    else missing.push(tool);
  }
  const check: ToolCheck = { tools: list, debianPackage, present: missing.length === 0, missing, paths };
  const key = list.join(',');
  if (!check.present && !warned.has(key)) {
    warned.add(key);
    console.warn(missingToolsBanner(check));
  }
  return check;
}

/**
 * Registers one test in the current file or suite that stands for the tools:
 * it passes when they are present, fails under CI when they are not, and is
 * skipped (with the banner) on a developer machine without them.
 */
export function requireTools(check: ToolCheck): void {
  it(`has ${check.tools.join(', ')} (Debian package ${check.debianPackage})`, (context) => {
    if (check.present) return;
    const banner = missingToolsBanner(check);
    if (isCi()) throw new Error(`\n${banner}`);
    // toolAvailable() already printed the banner when the file was collected.
    context.skip(`missing ${check.missing.join(', ')}: apt-get install -y ${check.debianPackage}`);
  });
}

/** `requireTools(check)` plus a `describe` that is skipped when the tools are missing. */
export function describeWithTools(title: string, check: ToolCheck, body: () => void): void {
  requireTools(check);
  describe.skipIf(!check.present)(title, body);
}

export { findExecutable };
