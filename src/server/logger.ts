/**
 * The process logger: pino, one JSON object per line, with a redaction list so
 * that secrets never reach a log line even when a whole object (a config, a
 * request) is logged by mistake. The protocol layers see it as `Log`.
 */
import { type DestinationStream, type Logger, pino, stdTimeFunctions } from 'pino';
import type { Log } from '../util/log.js';
import type { LogLevel } from './config.js';

/** Field names whose values are secret wherever they appear. */
export const SECRET_KEYS = [
  'password',
  'passwd',
  'secret',
  'secrets',
  'authSecret',
  'authSecrets',
  'users',
  'credential',
  'credentials',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'apiSecret',
  'key',
  'privateKey',
] as const;

/**
 * pino redact paths for SECRET_KEYS at the top level and up to three levels
 * down. pino's redaction has no "any depth" wildcard; three levels cover
 * `{ config: { turn: { users } } }` and `{ req: { headers: { authorization } } }`.
 */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => {
  // Keys that are not identifiers ("proxy-authorization") need pino's bracket form.
  const accessor = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  const top = accessor.startsWith('.') ? key : accessor;
  return [top, `*${accessor}`, `*.*${accessor}`, `*.*.*${accessor}`];
});

/** What createLogger needs. */
export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go. Default: stdout, written synchronously so the last lines survive process.exit. */
  destination?: DestinationStream;
}

/** Creates the process logger; the result satisfies util/log.ts `Log`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      // Level names rather than numbers: the lines are read by people and grep as often as by tools.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A child logger with fixed fields when the sink supports it (pino does), else the sink itself. */
export function childLog(log: Log, bindings: Record<string, unknown>): Log {
  const withChild = log as Log & { child?: (bindings: Record<string, unknown>) => Log };
  return typeof withChild.child === 'function' ? withChild.child(bindings) : log;
}
