/** The package version, read from package.json (two levels up from both src/server and dist/server). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version in package.json, or "unknown" when the file cannot be read (a bundled copy). */
export function packageVersion(): string {
  if (cached === undefined) {
    try {
      const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
      cached = String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
