/**
 * OUR DtlsEndpoint against OpenSSL 3 (s_server / s_client over UDP on
 * loopback), both roles, both DTLS-SRTP profiles, X25519 and P-256, all
 * three cipher suites. OpenSSL prints the RFC 5705 exporter output for
 * "EXTRACTOR-dtls_srtp"; it must equal ours byte for byte. A line of
 * application data goes each way. Commands:
 *
 *   openssl s_server -dtls1_2 -accept 127.0.0.1:P -cert srv.pem -key srv.key -verify 1
 *     -use_srtp PROFILE -groups GROUP -cipher SUITE
 *     -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen N -naccept 1
 *   openssl s_client -dtls1_2 -connect 127.0.0.1:P -cert cli.pem -key cli.key
 *     -use_srtp PROFILE -groups GROUP -cipher SUITE
 *     -keymatexport EXTRACTOR-dtls_srtp -keymatexportlen N
 *
 * s_server sends a HelloVerifyRequest to a DTLS client (cookie exchange
 * on), so our client's cookie path is covered; our server requires cookies
 * by default, which s_client answers.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DtlsEndpoint, type DtlsEndpointOptions } from '../../src/dtls/index.js';
import type { SrtpProfileName } from '../../src/srtp/profile.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../../src/util/certificate.js';
import { freeUdpPort } from '../helpers/ports.js';
import { formatCommandLine, tail } from '../helpers/process.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';

const openssl = toolAvailable('openssl', 'openssl');
const LABEL = 'EXTRACTOR-dtls_srtp';
const STEP_TIMEOUT_MS = 10_000;

/** OpenSSL's names for the profiles, and the key material length each needs (2 × (key + salt)). */
const PROFILES: Record<SrtpProfileName, { openssl: string; length: number }> = {
  SRTP_AEAD_AES_128_GCM: { openssl: 'SRTP_AEAD_AES_128_GCM', length: 56 },
  SRTP_AES128_CM_HMAC_SHA1_80: { openssl: 'SRTP_AES128_CM_SHA1_80', length: 60 },
};

const SUITES = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
} as const;

interface Scenario {
  profile: SrtpProfileName;
  group: 'X25519' | 'P-256';
  suite: keyof typeof SUITES;
}

/** A running openssl with its stdin open (to send a line) and all it printed. */
interface OpensslRun {
  child: ChildProcessWithoutNullStreams;
  commandLine: string;
  output: () => string;
}

const running: OpensslRun[] = [];
const sockets: Socket[] = [];
const endpoints: DtlsEndpoint[] = [];

/**
 * startProcess() in test/helpers/process.ts closes stdin, and s_client /
 * s_server send what arrives on stdin, so this spawns with a stdin pipe; the
 * children are killed in afterEach.
 */
function startOpenssl(args: string[]): OpensslRun {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
  });
  child.on('error', () => {});
  const run = { child, commandLine: formatCommandLine('openssl', args), output: () => text };
  running.push(run);
  return run;
}

async function waitUntil(done: () => boolean, what: string, describeState: () => string): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The exporter output openssl printed ("Keying material: HEX"), lower-case hex. */
function keyingMaterial(output: string): string | undefined {
  return /Keying material:\s*([0-9A-Fa-f]+)/.exec(output)?.[1]?.toLowerCase();
}

async function openSocket(): Promise<Socket> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

let dir: string;
let ours: SelfSignedCertificate;
let theirs: SelfSignedCertificate;
let theirCert: string;
let theirKey: string;

function srtpAndSuiteArgs(scenario: Scenario): string[] {
  const { openssl: profile, length } = PROFILES[scenario.profile];
  return [
    '-use_srtp',
    profile,
    '-groups',
    // OpenSSL refuses an ECDSA P-256 certificate from a peer (TLS 1.2 "wrong curve") unless P-256 is among
    // its own groups, so X25519 runs list P-256 second; both sides prefer X25519.
    scenario.group === 'X25519' ? 'X25519:P-256' : 'P-256',
    '-cipher',
    SUITES[scenario.suite],
    '-keymatexport',
    LABEL,
    '-keymatexportlen',
    String(length),
  ];
}

/** Checks the exporter, the SRTP keys and a line each way on a connected endpoint. */
async function exchange(endpoint: DtlsEndpoint, run: OpensslRun, scenario: Scenario): Promise<void> {
  const state = () =>
    `--- ${run.commandLine}\n${tail(run.output(), 40)}\nstats ${JSON.stringify(endpoint.stats)}`;
  expect(endpoint.state, state()).toBe('connected');
  expect(endpoint.srtpProfile).toBe(scenario.profile);
  expect(endpoint.cipherSuite).toBe(scenario.suite);
  expect(endpoint.remoteCertificate?.equals(theirs.certDer)).toBe(true);

  await waitUntil(() => keyingMaterial(run.output()) !== undefined, 'openssl keying material', state);
  const length = PROFILES[scenario.profile].length;
  const exported = endpoint.exportKeyingMaterial(LABEL, length);
  expect(exported.toString('hex')).toBe(keyingMaterial(run.output()));
  // RFC 5764 §4.2 layout: client key, server key, client salt, server salt.
  const keys = endpoint.srtpKeys();
  const client = endpoint.role === 'client';
  const [clientKey, serverKey] = client
    ? [keys.localMasterKey, keys.remoteMasterKey]
    : [keys.remoteMasterKey, keys.localMasterKey];
  const [clientSalt, serverSalt] = client
    ? [keys.localMasterSalt, keys.remoteMasterSalt]
    : [keys.remoteMasterSalt, keys.localMasterSalt];
  expect(Buffer.concat([clientKey, serverKey, clientSalt, serverSalt]).equals(exported)).toBe(true);

  const received: Buffer[] = [];
  endpoint.on('data', (data) => received.push(data));
  const fromUs = `hello from switchboard ${scenario.profile} ${scenario.group}`;
  expect(endpoint.send(Buffer.from(`${fromUs}\n`))).toBe(true);
  await waitUntil(() => run.output().includes(fromUs), 'openssl to print our line', state);
  const fromThem = `hello from openssl ${scenario.suite}`;
  run.child.stdin.write(`${fromThem}\n`);
  await waitUntil(
    () => Buffer.concat(received).toString().includes(fromThem),
    'our endpoint to receive the openssl line',
    state,
  );
}

describeWithTools('DTLS 1.2 interop with openssl', openssl, () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-dtls-'));
    ours = generateSelfSignedCertificate({ keyType: 'ec-p256', commonName: 'switchboard' });
    theirs = generateSelfSignedCertificate({ keyType: 'ec-p256', commonName: 'openssl' });
    theirCert = join(dir, 'openssl.pem');
    theirKey = join(dir, 'openssl.key');
    writeFileSync(theirCert, theirs.certPem);
    writeFileSync(theirKey, theirs.keyPem, { mode: 0o600 });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    for (const endpoint of endpoints.splice(0)) endpoint.close();
    for (const run of running.splice(0)) run.child.kill('SIGKILL');
    for (const socket of sockets.splice(0)) socket.close();
  });

  function endpointOn(socket: Socket, port: number, options: Partial<DtlsEndpointOptions>): DtlsEndpoint {
    const endpoint = new DtlsEndpoint({
      role: 'client',
      certificate: ours,
      remoteFingerprints: [{ algorithm: 'sha-256', value: theirs.fingerprintSha256 }],
      send: (datagram) => socket.send(datagram, port, '127.0.0.1'),
      initialRetransmitMs: 300,
      handshakeTimeoutMs: STEP_TIMEOUT_MS,
      ...options,
    });
    endpoints.push(endpoint);
    socket.on('message', (datagram) => endpoint.handleDatagram(datagram));
    return endpoint;
  }

  async function connect(endpoint: DtlsEndpoint, run: OpensslRun): Promise<void> {
    const closed: string[] = [];
    endpoint.on('close', (info) => closed.push(info.reason));
    endpoint.start();
    const describeState = () =>
      `--- ${run.commandLine}\n${tail(run.output(), 40)}\nclosed: ${closed.join('; ')}`;
    await waitUntil(() => endpoint.state !== 'connecting', 'the handshake', describeState);
    expect(endpoint.state, describeState()).toBe('connected');
  }

  const clientScenarios: Scenario[] = [
    { profile: 'SRTP_AEAD_AES_128_GCM', group: 'X25519', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      group: 'P-256',
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    },
    { profile: 'SRTP_AEAD_AES_128_GCM', group: 'P-256', suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' },
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      group: 'X25519',
      suite: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    },
  ];

  describe('our client against openssl s_server', () => {
    for (const scenario of clientScenarios) {
      it(`${scenario.profile}, ${scenario.group}, ${scenario.suite}`, async () => {
        const port = await freeUdpPort();
        const args = [
          's_server',
          '-dtls1_2',
          '-accept',
          `127.0.0.1:${port}`,
          '-cert',
          theirCert,
          '-key',
          theirKey,
          '-verify',
          '1',
          '-naccept',
          '1',
          ...srtpAndSuiteArgs(scenario),
        ];
        const run = startOpenssl(args);
        await waitUntil(
          () => /ACCEPT/.test(run.output()),
          's_server to listen',
          () => tail(run.output()),
        );
        const socket = await openSocket();
        const endpoint = endpointOn(socket, port, { role: 'client' });
        await connect(endpoint, run);
        await exchange(endpoint, run, scenario);
        // s_server does the cookie exchange with every DTLS client.
        expect(endpoint.stats.helloVerifyRequests).toBe(1);
        // s_server saw our certificate (it asked for one with -verify).
        expect(run.output()).toMatch(/CN\s*=\s*switchboard/);
      });
    }
  });

  const serverScenarios: Scenario[] = [
    { profile: 'SRTP_AEAD_AES_128_GCM', group: 'P-256', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      group: 'X25519',
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    },
    {
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      group: 'P-256',
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    },
    {
      profile: 'SRTP_AEAD_AES_128_GCM',
      group: 'X25519',
      suite: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    },
  ];

  describe('our server against openssl s_client', () => {
    for (const scenario of serverScenarios) {
      it(`${scenario.profile}, ${scenario.group}, ${scenario.suite}, cookie exchange`, async () => {
        const socket = await openSocket();
        const port = socket.address().port;
        let peerPort = 0;
        const endpoint = new DtlsEndpoint({
          role: 'server',
          certificate: ours,
          remoteFingerprints: [{ algorithm: 'sha-256', value: theirs.fingerprintSha256 }],
          requireCookie: true,
          send: (datagram) => {
            if (peerPort) socket.send(datagram, peerPort, '127.0.0.1');
          },
          initialRetransmitMs: 300,
          handshakeTimeoutMs: STEP_TIMEOUT_MS,
        });
        endpoints.push(endpoint);
        socket.on('message', (datagram, remote) => {
          peerPort = remote.port;
          endpoint.handleDatagram(datagram);
        });
        const args = [
          's_client',
          '-dtls1_2',
          '-connect',
          `127.0.0.1:${port}`,
          '-cert',
          theirCert,
          '-key',
          theirKey,
          ...srtpAndSuiteArgs(scenario),
        ];
        const started = connect(endpoint, startOpenssl(args));
        await started;
        const run = running[running.length - 1];
        await exchange(endpoint, run, scenario);
        // The first ClientHello was answered with a HelloVerifyRequest, and s_client came back with the cookie.
        expect(endpoint.stats.helloVerifyRequests).toBe(1);
        expect(run.output()).toMatch(/SRTP Extension negotiated/);
        expect(run.output()).toMatch(
          scenario.group === 'X25519' ? /Server Temp Key: X25519/ : /Server Temp Key: ECDH, prime256v1/,
        );
      });
    }
  });
});
