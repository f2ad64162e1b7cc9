/**
 * A `Log` that keeps the last entries in memory, so a failing interop test
 * can show what our server logged next to what the other side printed.
 */
import type { Log } from '../../src/util/log.js';

/** A Log plus access to what it kept. */
export interface MemoryLog extends Log {
  /** The kept entries, oldest first, one JSON line each. */
  lines(): string[];
  /** The last `count` entries as text. */
  tail(count?: number): string;
}

/** Keeps at most `capacity` entries (default 2000), dropping the oldest. */
export function memoryLog(capacity = 2000): MemoryLog {
  const entries: string[] = [];
  const write = (level: string) => (object: object, message?: string) => {
    let fields: string;
    try {
      fields = JSON.stringify(object);
    } catch {
      fields = String(object);
    }
    entries.push(`${level} ${message ?? ''} ${fields}`);
    if (entries.length > capacity) entries.shift();
  };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    lines: () => [...entries],
    tail: (count = 40) => entries.slice(-count).join('\n'),
  };
}
