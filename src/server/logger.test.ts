import { describe, expect, it } from 'vitest';
import type { Log } from '../util/log.js';
import { loadConfig, parseCommandLine, toTurnServerOptions } from './config.js';
import { childLog, createLogger } from './logger.js';

/** A logger writing into an array of parsed lines. */
function capture(level: Parameters<typeof createLogger>[0]['level'] = 'trace') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('createLogger', () => {
  it('writes one JSON object per line with a level name, time and message', () => {
    const { logger, lines, records } = capture();
    logger.info({ port: 3478 }, 'listening');
    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(lines[0].trimEnd()).not.toContain('\n');
    const [record] = records();
    expect(record).toMatchObject({ level: 'info', port: 3478, msg: 'listening', pid: process.pid });
    expect(new Date(record.time as string).toISOString()).toBe(record.time);
  });

  it('honours the configured level', () => {
    const { logger, records } = capture('warn');
    logger.info({}, 'dropped');
    logger.warn({}, 'kept');
    expect(records().map((record) => record.msg)).toEqual(['kept']);
    const silent = capture('silent');
    silent.logger.fatal({}, 'nothing');
    expect(silent.lines).toEqual([]);
  });

  it('satisfies the Log interface of the protocol layers', () => {
    const { logger, records } = capture();
    const log: Log = logger;
    log.debug({ a: 1 });
    log.error({ b: 2 }, 'e');
    expect(records().map((record) => record.level)).toEqual(['debug', 'error']);
  });

  it('never writes passwords, secrets, users or authorization headers', () => {
    const { logger, lines } = capture();
    const commandLine = parseCommandLine([
      '--user',
      'alice:hunter2-password',
      '--auth-secret',
      'very-secret-rest-key',
      '--realm',
      'example.org',
    ]);
    const { config } = loadConfig({ commandLine });
    logger.info({ config }, 'whole config');
    logger.info({ options: toTurnServerOptions(config) }, 'turn options');
    logger.info(toTurnServerOptions(config), 'options at top level');
    logger.info(
      {
        req: {
          headers: { authorization: 'Bearer tok-abc', 'proxy-authorization': 'Basic xyz', cookie: 'sid=1' },
        },
        password: 'top-level-password',
        nested: { deeper: { secret: 'deep-secret', apiKey: 'key-123', token: 'tok-456' } },
        list: [{ password: 'in-a-list' }],
      },
      'request',
    );
    const text = lines.join('');
    for (const secret of [
      'hunter2-password',
      'alice',
      'very-secret-rest-key',
      'tok-abc',
      'xyz',
      'sid=1',
      'top-level-password',
      'deep-secret',
      'key-123',
      'tok-456',
      'in-a-list',
    ]) {
      expect(text).not.toContain(secret);
    }
    // Redaction hides values, not the fact that a field was there, and leaves other settings readable.
    expect(text).toContain('[redacted]');
    expect(text).toContain('example.org');
  });
});

describe('childLog', () => {
  it('adds fields through pino child loggers', () => {
    const { logger, records } = capture();
    childLog(logger, { service: 'turn' }).info({ x: 1 }, 'hello');
    expect(records()[0]).toMatchObject({ service: 'turn', x: 1, msg: 'hello' });
  });

  it('returns a sink without child support unchanged', () => {
    const sink: Log = { debug() {}, info() {}, warn() {}, error() {} };
    expect(childLog(sink, { service: 'turn' })).toBe(sink);
  });
});
