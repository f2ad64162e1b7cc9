/**
 * The `switchboard` command as users run it: built with tsc once, then
 * spawned as `node dist/cli/main.js …` with a clean environment.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/server/config.js';
import { DEV_API_KEY, DEV_API_SECRET } from '../../src/server/dev.js';
import { reusePortSupported } from '../../src/server/turn-threads.js';
import { createAccessToken, TokenVerifier } from '../../src/signaling/tokens.js';
import { TurnClient } from '../../src/turn/client.js';
import { generateSelfSignedCertificate } from '../../src/util/certificate.js';
import { SignalingTestClient } from '../helpers/ws-client.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = 'dist/cli/main.js';
const hasUclient = spawnSync('turnutils_uclient', ['-h']).error === undefined;

beforeAll(() => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  } catch (error) {
    throw new Error(`build failed:\n${(error as { stdout?: string }).stdout ?? error}`);
  }
}, 120_000);

/** The environment without SWITCHBOARD_* variables, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('SWITCHBOARD_')) env[name] = value;
  return { ...env, ...extra };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion. */
function run(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: root, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A server started by the CLI, with its output so far. */
interface Running {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

const running: Running[] = [];
afterEach(() => {
  for (const server of running.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL');
});

function start(args: string[]): Running {
  const child = spawn(process.execPath, [main, ...args], { cwd: root, env: cleanEnv() });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const server = { child, output, exited };
  running.push(server);
  return server;
}

/** The parsed log lines on stdout. */
function logRecords(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits for the log line with this message; fails if the process exits first. */
async function waitForLog(server: Running, msg: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const record = logRecords(server.output.stdout).find((entry) => entry.msg === msg);
    if (record) return record;
    if (server.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "${msg}" log line; stdout:\n${server.output.stdout}\nstderr:\n${server.output.stderr}`);
}

/** One STUN Binding request; resolves with the response type. */
function stunBinding(port: number): Promise<number> {
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
      clearTimeout(timer);
      socket.close();
      resolve(message.readUInt16BE(0));
    });
    socket.send(request, port, '127.0.0.1');
  });
}

describe('help and version', () => {
  it('--help exits 0 and lists the commands', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: switchboard <command>');
      expect(result.stdout).toMatch(/start \[--dev\]/);
      expect(result.stdout).toMatch(/turn /);
    }
  });

  it('help for turn and start lists every setting flag', async () => {
    for (const args of [
      ['help', 'turn'],
      ['turn', '--help'],
      ['start', '-h'],
    ]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      for (const spec of SETTINGS) expect(result.stdout).toContain(`--${spec.flag}`);
    }
    expect((await run(['start', '--help'])).stdout).toContain('--dev');
    expect((await run(['turn', '--help'])).stdout).not.toContain('--dev');
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const args of [['--version'], ['version']]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('no command or an unknown one exits 2', async () => {
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: switchboard');
    const unknown = await run(['serve']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "serve"');
  });
});

describe('bad settings', () => {
  it('exits 2 naming the setting and its source, without a stack trace', async () => {
    const result = await run(['turn'], { SWITCHBOARD_TURN_MAX_PORT: '70000' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'switchboard: invalid setting turn.maxPort (from SWITCHBOARD_TURN_MAX_PORT): must be ≤ 65535',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('exits 2 on a bad flag value, an unknown flag and a missing file', async () => {
    const cidr = await run(['turn', '--deny-peer', '10.0.0.0/40']);
    expect(cidr.code).toBe(2);
    expect(cidr.stderr).toContain('invalid setting turn.denyPeers (from --deny-peer)');
    const unknown = await run(['start', '--relm', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown flag --relm');
    const file = await run(['turn', '--config', '/nonexistent/switchboard.yaml']);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('cannot read config file /nonexistent/switchboard.yaml');
  });

  it('never echoes a secret in a refusal', async () => {
    const result = await run(['turn', '--user', 'no-colon-hunter2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid setting turn.users (from --user)');
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('switchboard turn', () => {
  it('starts, logs its addresses, answers STUN, and exits 0 on SIGTERM', async () => {
    const server = start([
      'turn',
      '--listen',
      '127.0.0.1:0',
      '--user',
      'alice:hunter2-password',
      '--auth-secret',
      'rest-secret-value',
    ]);
    const started = await waitForLog(server, 'STUN/TURN service started');
    const listen = started.listen as string[];
    expect(listen).toHaveLength(1);
    const port = Number(/^udp\+tcp 127\.0\.0\.1:(\d+)$/.exec(listen[0])?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await stunBinding(port)).toBe(0x0101);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const messages = logRecords(server.output.stdout).map((record) => record.msg);
    expect(messages).toContain('shutting down');
    expect(messages.at(-1)).toBe('stopped');
    const everything = server.output.stdout + server.output.stderr;
    expect(everything).not.toContain('hunter2-password');
    expect(everything).not.toContain('rest-secret-value');
  });

  it('exits 0 on SIGINT too', async () => {
    const server = start(['turn', '--listen', '127.0.0.1:0', '--log-level', 'warn']);
    // At warn level the start line is not written; the missing-credentials warning is.
    await waitForLog(
      server,
      'no TURN credentials configured (--user, --auth-secret): only STUN Binding requests will succeed',
    );
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
  });

  it('exits 0 on a signal that arrives while it starts', async () => {
    const server = start(['turn', '--listen', '127.0.0.1:0']);
    // "starting" is written just before the services start, in the same tick as the signal handlers go in.
    await waitForLog(server, 'starting');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(logRecords(server.output.stdout).at(-1)?.msg).toBe('stopped');
  });

  it('exits 1 with a clear line when its port is taken', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve()));
    try {
      const result = await run(['turn', '--listen', `127.0.0.1:${blocker.address().port}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^switchboard: cannot start: .*EADDRINUSE/m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(logRecords(result.stdout).some((record) => record.msg === 'cannot start')).toBe(true);
    } finally {
      blocker.close();
    }
  });
});

describe('switchboard start --dev', () => {
  /** Starts a dev server on a free loopback port; resolves once the banner is out. */
  async function startDev(): Promise<{ server: Running; port: number; password: string; secret: string }> {
    const server = start([
      'start',
      '--media-udp-port',
      '0',
      '--media-tcp-port',
      '0',
      '--dev',
      '--listen',
      '127.0.0.1:0',
      '--tls-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
    ]);
    const started = await waitForLog(server, 'STUN/TURN service started');
    const port = Number(/:(\d+)$/.exec((started.listen as string[])[0])?.[1]);
    const deadline = Date.now() + 5000;
    while (!server.output.stderr.includes('turnutils_uclient') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const password = /^ {2}password\s+(\S+)$/m.exec(server.output.stderr)?.[1] ?? '';
    const secret = /^ {2}TURN REST secret\s+(\S+)$/m.exec(server.output.stderr)?.[1] ?? '';
    return { server, port, password, secret };
  }

  it('prints a dev user, a REST secret and commands on stderr, and keeps them out of the log', async () => {
    const { server, port, password, secret } = await startDev();
    expect(password).toMatch(/^[\w-]{22}$/);
    expect(secret).toMatch(/^[\w-]{22}$/);
    expect(server.output.stderr).toContain(`turnutils_stunclient -p ${port} 127.0.0.1`);
    expect(server.output.stderr).toContain(`-u dev -w '${password}' -p ${port} 127.0.0.1`);
    expect(server.output.stderr).toContain(`-u dev -W '${secret}' -p ${port} 127.0.0.1`);
    const started = logRecords(server.output.stdout).find(
      (record) => record.msg === 'STUN/TURN service started',
    );
    expect(started).toMatchObject({ staticUserCount: 1, authSecretCount: 1, allowLoopbackPeers: true });
    expect(server.output.stdout).not.toContain(password);
    expect(server.output.stdout).not.toContain(secret);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it.skipIf(!hasUclient)(
    'serves the turnutils_uclient commands it prints',
    async () => {
      const { server } = await startDev();
      const commands = server.output.stderr
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith('turnutils_uclient'));
      // UDP with a static user and with a REST credential, TCP, and TLS with the generated certificate.
      expect(commands).toHaveLength(4);
      expect(commands.filter((command) => command.includes(' -t -y '))).toHaveLength(1);
      expect(commands.filter((command) => command.includes(' -t -S '))).toHaveLength(1);
      const results = await Promise.all(
        commands.map(
          (command) =>
            new Promise<Finished>((resolve) => {
              const child = spawn('sh', ['-c', command]);
              let stdout = '';
              child.stdout.on('data', (chunk) => {
                stdout += chunk;
              });
              child.stderr.on('data', (chunk) => {
                stdout += chunk;
              });
              const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
              child.on('close', (code) => {
                clearTimeout(timer);
                resolve({ code, stdout, stderr: '' });
              });
            }),
        ),
      );
      for (const result of results) {
        expect(result.code, result.stdout).toBe(0);
        expect(result.stdout).toContain('Total lost packets 0 ');
      }
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    },
    60_000,
  );
});

describe('switchboard turn operations: TLS files, SIGHUP, SIGUSR1, /metrics', () => {
  /** Writes a fresh self-signed certificate over the given files; returns its SHA-256 fingerprint. */
  function writeCertificate(certFile: string, keyFile: string): string {
    const certificate = generateSelfSignedCertificate({ commonName: 'localhost' });
    writeFileSync(certFile, certificate.certPem);
    writeFileSync(keyFile, certificate.keyPem, { mode: 0o600 });
    return certificate.fingerprintSha256;
  }

  /** The SHA-256 fingerprint of the certificate a TLS listener presents now. */
  async function presentedFingerprint(port: number): Promise<string> {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    const fingerprint = socket.getPeerCertificate().fingerprint256;
    socket.destroy();
    return fingerprint;
  }

  async function get(port: number, path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  }

  /** A counter or gauge sample from Prometheus text, by its full name with labels. */
  function sample(metrics: string, name: string): number {
    const line = metrics.split('\n').find((entry) => entry.startsWith(`${name} `));
    return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
  }

  it('serves TLS from the files, reloads them on SIGHUP, drains on SIGUSR1, and counts in /metrics', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
    const certFile = join(folder, 'cert.pem');
    const keyFile = join(folder, 'key.pem');
    const first = writeCertificate(certFile, keyFile);
    const server = start([
      'turn',
      '--listen',
      '127.0.0.1:0',
      '--tls-listen',
      '127.0.0.1:0',
      '--cert',
      certFile,
      '--key',
      keyFile,
      '--http-listen',
      '127.0.0.1:0',
      '--user',
      'alice:alice-password',
      '--allow-loopback-peers',
      '--relay-ip',
      '127.0.0.1',
    ]);
    const started = await waitForLog(server, 'STUN/TURN service started');
    const listen = started.listen as string[];
    const udpPort = Number(/^udp\+tcp\+tls 127\.0\.0\.1:(\d+)$/.exec(listen[0])?.[1]);
    const tlsPort = Number(/^tls 127\.0\.0\.1:(\d+)$/.exec(listen[1])?.[1]);
    const http = await waitForLog(server, 'HTTP service started (/metrics, /healthz, /readyz)');
    const httpPort = Number(/:(\d+)$/.exec((http.listen as string[])[0])?.[1]);

    expect(await get(httpPort, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await get(httpPort, '/readyz')).status).toBe(200);
    expect((await get(httpPort, '/nope')).status).toBe(404);
    const before = (await get(httpPort, '/metrics')).body;
    expect(sample(before, 'switchboard_turn_allocations')).toBe(0);
    expect(sample(before, 'switchboard_turn_relayed_packets_total{direction="to_peer"}')).toBe(0);

    // Traffic: a TLS allocation relaying to a UDP one.
    expect(await presentedFingerprint(tlsPort)).toBe(first);
    const clientOptions = { username: 'alice', password: 'alice-password' };
    const overTls = new TurnClient({
      server: { host: '127.0.0.1', port: tlsPort },
      transport: 'tls',
      tls: { rejectUnauthorized: false },
      ...clientOptions,
    });
    const overUdp = new TurnClient({ server: { host: '127.0.0.1', port: udpPort }, ...clientOptions });
    try {
      const relayTls = (await overTls.allocate()).relayed;
      const relayUdp = (await overUdp.allocate()).relayed;
      await overTls.createPermission([relayUdp]);
      await overUdp.createPermission([relayTls]);
      const arrived = new Promise((resolve) => overUdp.once('data', resolve));
      overTls.send(relayUdp, Buffer.from('counted'));
      await arrived;
      const after = (await get(httpPort, '/metrics')).body;
      expect(sample(after, 'switchboard_turn_allocations')).toBe(2);
      expect(sample(after, 'switchboard_turn_permissions')).toBe(2);
      expect(sample(after, 'switchboard_turn_relayed_packets_total{direction="to_peer"}')).toBe(1);
      expect(sample(after, 'switchboard_turn_relayed_bytes_total{direction="to_peer"}')).toBe(7);
      expect(sample(after, 'switchboard_turn_tcp_connections{kind="client"}')).toBe(1);
      expect(sample(after, 'switchboard_turn_auth_failures_total')).toBeGreaterThanOrEqual(0);
      expect(after).toContain('switchboard_turn_dropped_total{reason="malformed"} 0');

      // SIGHUP: new connections get the new certificate; the TLS allocation stays.
      const second = writeCertificate(certFile, keyFile);
      server.child.kill('SIGHUP');
      await waitForLog(server, 'TLS certificate reloaded');
      expect(await presentedFingerprint(tlsPort)).toBe(second);
      expect(await overTls.refresh(600)).toBe(600);

      // A broken file is refused and the current certificate kept.
      writeFileSync(certFile, 'not a certificate');
      server.child.kill('SIGHUP');
      await waitForLog(server, 'TLS certificate reload failed; keeping the previous one');
      expect(await presentedFingerprint(tlsPort)).toBe(second);

      // SIGUSR1: drain. New allocations get 508, /readyz 503, existing allocations carry on.
      server.child.kill('SIGUSR1');
      await waitForLog(server, 'draining: new allocations are refused');
      expect(await get(httpPort, '/readyz')).toEqual({ status: 503, body: '{"status":"draining"}' });
      const late = new TurnClient({ server: { host: '127.0.0.1', port: udpPort }, ...clientOptions });
      await expect(late.allocate()).rejects.toMatchObject({ status: 508 });
      await late.close();
      expect(await overUdp.refresh(600)).toBe(600);
      expect(sample((await get(httpPort, '/metrics')).body, 'switchboard_turn_draining')).toBe(1);
    } finally {
      await overTls.close();
      await overUdp.close();
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('switchboard turn --threads', () => {
  const threadsSupported = reusePortSupported();

  /** Where UDP ports can be shared: clients spread over threads, RESERVATION-TOKENs handed over. */
  async function spreadsOverThreads(): Promise<void> {
    const server = start([
      'turn',
      '--listen',
      '127.0.0.1:0',
      '--threads',
      '2',
      '--user',
      'alice:alice-password',
      '--user-quota',
      '40',
      '--relay-ip',
      '127.0.0.1',
      '--min-port',
      '41000',
      '--max-port',
      '41999',
      '--log-level',
      'debug',
    ]);
    const started = await waitForLog(server, 'STUN/TURN service started');
    expect(started.threads).toBe(2);
    const port = Number(/:(\d+)$/.exec((started.listen as string[])[0])?.[1]);
    const options = { server: { host: '127.0.0.1', port }, username: 'alice', password: 'alice-password' };
    const clients: TurnClient[] = [];
    try {
      // Each pair: an EVEN-PORT allocation that reserves the next port, then an Allocate with
      // its token from another local port, which the kernel may hand to either thread.
      for (let attempt = 0; attempt < 12; attempt++) {
        const first = new TurnClient(options);
        const second = new TurnClient(options);
        clients.push(first, second);
        const even = await first.allocate({ evenPort: { reserve: true } });
        expect(even.relayed.port % 2).toBe(0);
        const odd = await second.allocate({ reservationToken: even.reservationToken });
        expect(odd.relayed.port).toBe(even.relayed.port + 1);
      }
      const handedOver = logRecords(server.output.stdout).filter(
        (record) => record.msg === 'reserved port handed over by another thread',
      );
      // Each token lands on the other thread half of the time: 12 misses in a row is 1 in 4096.
      expect(handedOver.length).toBeGreaterThan(0);
      // The user quota is counted once across threads: 24 allocations of 40.
      const more = Array.from({ length: 20 }, () => new TurnClient(options));
      clients.push(...more);
      const results = await Promise.allSettled(more.map((client) => client.allocate()));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(16);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ status: 486 });
      }
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }

  /** Where they cannot (Node before 22.12): one thread, and a warning that says why. */
  async function fallsBackToOneThread(): Promise<void> {
    const server = start(['turn', '--listen', '127.0.0.1:0', '--threads', '2']);
    const started = await waitForLog(server, 'STUN/TURN service started');
    expect(started.threads).toBe(1);
    expect(server.output.stdout).toContain('needs Node 22.12 or later on Linux');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }

  it(`runs ${threadsSupported ? 'on two threads' : 'on one thread'} with --threads 2 on Node ${process.versions.node}`, async () => {
    if (threadsSupported) await spreadsOverThreads();
    else await fallsBackToOneThread();
  });
});

describe('switchboard token', () => {
  const devVerifier = new TokenVerifier([{ key: DEV_API_KEY, secret: DEV_API_SECRET }]);

  it('prints a participant token on its last line, signed with the development key', async () => {
    const result = await run([
      'token',
      '--dev',
      '--room',
      'standup',
      '--identity',
      'ada',
      '--name',
      'Ada',
      '--ttl',
      '15m',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const token = result.stdout.trim().split('\n').at(-1)!;
    const verified = await devVerifier.verify(token);
    expect(verified).toMatchObject({
      identity: 'ada',
      name: 'Ada',
      room: 'standup',
      grants: { join: true, admin: false },
    });
    expect(verified.expiresAt - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(verified.expiresAt - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('makes an admin token without a room, and takes grants and keys from flags or the environment', async () => {
    const admin = await run(['token', '--dev', '--grant', 'admin', '--identity', 'ops']);
    expect((await devVerifier.verify(admin.stdout.trim())).grants.admin).toBe(true);
    const key = 'prod:a-production-secret-of-at-least-32-chars';
    const viaEnv = await run(['token', '--room', 'r', '--identity', 'bob', '--grant', 'join,subscribe'], {
      SWITCHBOARD_SIGNALING_API_KEYS: key,
    });
    const verifier = new TokenVerifier([{ key: 'prod', secret: 'a-production-secret-of-at-least-32-chars' }]);
    expect((await verifier.verify(viaEnv.stdout.trim())).grants).toMatchObject({
      join: true,
      subscribe: true,
      publish: false,
      data: false,
    });
    const viaFlag = await run(['token', '--room', 'r', '--identity', 'bob', '--api-key', key]);
    expect((await verifier.verify(viaFlag.stdout.trim())).identity).toBe('bob');
  });

  it('refuses missing identity, room, key, unknown grants and bad durations with exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['token', '--dev', '--room', 'r'], /--identity/],
      [['token', '--dev', '--identity', 'a'], /--room/],
      [['token', '--room', 'r', '--identity', 'a'], /no API key/],
      [['token', '--dev', '--room', 'r', '--identity', 'a', '--grant', 'fly'], /unknown grant fly/],
      [['token', '--dev', '--room', 'r', '--identity', 'a', '--ttl', 'soon'], /--ttl/],
      [['token', '--dev', '--room', 'bad room', '--identity', 'a'], /--room/],
      [['token', '--api-key', 'short:secret', '--room', 'r', '--identity', 'a'], /at least 32 characters/],
    ];
    for (const [args, message] of cases) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});

describe('switchboard start: signaling', () => {
  it('serves /rtc, /dev/token and the admin API on its HTTP port', async () => {
    const server = start([
      'start',
      '--media-udp-port',
      '0',
      '--media-tcp-port',
      '0',
      '--dev',
      '--listen',
      '127.0.0.1:0',
      '--tls-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
    ]);
    const http = await waitForLog(
      server,
      'HTTP service started (/rtc, /api, /, /metrics, /healthz, /readyz)',
    );
    const port = Number(/:(\d+)$/.exec((http.listen as string[])[0])?.[1]);
    const { token, identity } = (await (
      await fetch(`http://127.0.0.1:${port}/dev/token?room=cli&name=Ada%20L.`)
    ).json()) as {
      token: string;
      identity: string;
    };
    expect(identity).toMatch(/^ada-l-[a-z0-9]+$/);
    const client = await SignalingTestClient.connect(`ws://127.0.0.1:${port}/rtc`);
    const joined = await client.join(token);
    expect(joined).toMatchObject({ room: { name: 'cli' }, participant: { name: 'Ada L.' } });
    const ice = joined.iceServers as { urls: string[]; username?: string }[];
    expect(ice[0].urls[0]).toMatch(/^stun:127\.0\.0\.1:\d+$/);
    expect(ice[1].urls).toEqual(
      expect.arrayContaining([expect.stringMatching(/^turn:127\.0\.0\.1:\d+\?transport=udp$/)]),
    );
    expect(ice[1].username).toMatch(new RegExp(`^\\d{10}:${identity}$`));
    const adminToken = await createAccessToken(
      { key: DEV_API_KEY, secret: DEV_API_SECRET },
      { identity: 'ops', grants: { admin: true }, ttlSeconds: 60 },
    );
    const rooms = await fetch(`http://127.0.0.1:${port}/api/rooms`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(((await rooms.json()) as { rooms: { name: string }[] }).rooms.map((room) => room.name)).toEqual([
      'cli',
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^switchboard_signaling_participants 1$/m);
    // The room is an sfu room: its router lives on a media worker.
    expect(metrics).toMatch(/^switchboard_media_workers [1-9]\d*$/m);
    expect(metrics).toMatch(/^switchboard_media_routers 1$/m);
    client.close();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});
