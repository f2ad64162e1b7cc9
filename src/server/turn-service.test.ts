import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseCommandLine } from './config.js';
import { createLogger } from './logger.js';
import { describeTurnSettings, formatListenAddresses, TurnService } from './turn-service.js';

/** Sends a bare STUN Binding request (RFC 8489 §6); resolves with the response when its transaction ID matches. */
function bindingRequest(port: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no STUN response'));
    }, 2000);
    socket.on('message', (message) => {
      if (message.length < 20 || !message.subarray(8, 20).equals(request.subarray(8, 20))) return;
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.send(request, port, '127.0.0.1');
  });
}

function capturedLogger() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { log, lines };
}

describe('TurnService', () => {
  it('starts from the configuration, logs its addresses and settings but no secret, and closes', async () => {
    const { config } = loadConfig({
      commandLine: parseCommandLine([
        '--listen',
        '127.0.0.1:0',
        '--user',
        'alice:hunter2-password',
        '--auth-secret',
        'rest-secret-value',
        '--realm',
        'test.example',
      ]),
    });
    const { log, lines } = capturedLogger();
    const service = await TurnService.start(config, log);
    try {
      const [address] = service.addresses;
      expect(address.host).toBe('127.0.0.1');
      expect(address.port).toBeGreaterThan(0);
      const response = await bindingRequest(address.port);
      expect(response.readUInt16BE(0)).toBe(0x0101); // Binding success response
      const started = lines
        .map((line) => JSON.parse(line))
        .find((record) => record.msg === 'STUN/TURN service started');
      expect(started).toMatchObject({
        service: 'turn',
        listen: [`udp+tcp 127.0.0.1:${address.port}`],
        realm: 'test.example',
        staticUserCount: 1,
        authSecretCount: 1,
        relayPorts: '49152-65535',
      });
      expect(lines.join('')).not.toMatch(/hunter2|rest-secret-value/);
    } finally {
      await service.close();
      await service.close();
    }
  });

  it('warns when no credential is configured', async () => {
    const { config } = loadConfig({ commandLine: parseCommandLine(['--listen', '127.0.0.1:0']) });
    const { log, lines } = capturedLogger();
    const service = await TurnService.start(config, log);
    await service.close();
    expect(lines.some((line) => line.includes('no TURN credentials configured'))).toBe(true);
  });

  it('rejects, leaving nothing bound, when a port is taken', async () => {
    const { config } = loadConfig({ commandLine: parseCommandLine(['--listen', '127.0.0.1:0']) });
    const first = await TurnService.start(config, capturedLogger().log);
    try {
      const port = first.addresses[0].port;
      const { config: clash } = loadConfig({
        commandLine: parseCommandLine(['--listen', `127.0.0.1:${port}`]),
      });
      await expect(TurnService.start(clash, capturedLogger().log)).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await first.close();
    }
  });
});

describe('formatting', () => {
  it('formats addresses with brackets for IPv6', () => {
    expect(
      formatListenAddresses([
        { host: '0.0.0.0', port: 3478, family: 4 },
        { host: '::', port: 3478, family: 6 },
      ]),
    ).toEqual(['udp+tcp 0.0.0.0:3478', 'udp+tcp [::]:3478']);
  });

  it('summarizes settings with counts, never users or secrets', () => {
    const { config } = loadConfig({ commandLine: parseCommandLine(['--user', 'a:b', '--auth-secret', 'c']) });
    const summary = describeTurnSettings(config);
    expect(summary).toMatchObject({ staticUserCount: 1, authSecretCount: 1 });
    expect(JSON.stringify(summary)).not.toMatch(/"a"|"b"|"c"/);
  });
});
