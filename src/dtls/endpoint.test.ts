/**
 * Two endpoints of ours wired together in memory: the handshake with loss,
 * reordering and fragmentation, fingerprint checks, every SRTP profile and
 * cipher suite, application data, close_notify and key export.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { SrtpProfileName } from '../srtp/profile.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../util/certificate.js';
import { AlertDescription } from './alert.js';
import type { CipherSuiteName } from './cipher-suite.js';
import { ContentType, HandshakeType } from './constants.js';
import { type DtlsCloseInfo, DtlsEndpoint, type DtlsEndpointOptions } from './endpoint.js';
import { DtlsError } from './errors.js';
import { certificateFingerprint } from './fingerprint.js';
import { encodeHandshakeFragment } from './handshake-header.js';
import { decodeRecords, encodeRecord } from './record.js';
import { encodeServerHello } from './server-hello.js';

const clientCert = generateSelfSignedCertificate({ keyType: 'ec-p256', commonName: 'client' });
const serverCert = generateSelfSignedCertificate({ keyType: 'ec-p256', commonName: 'server' });
const otherCert = generateSelfSignedCertificate({ keyType: 'ec-p256', commonName: 'other' });

function fingerprintOf(cert: SelfSignedCertificate) {
  return [{ algorithm: 'sha-256', value: cert.fingerprintSha256 }];
}

/** A deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LinkOptions {
  /** Probability that a datagram is lost, each direction. */
  loss?: number;
  /** Deliver each datagram after a random delay of up to this many ms (reorders them). */
  maxDelayMs?: number;
  seed?: number;
  /** Return true to drop a datagram (after loss), e.g. to lose one particular flight. */
  drop?: (direction: 'to-server' | 'to-client', datagram: Buffer) => boolean;
  client?: Partial<DtlsEndpointOptions>;
  server?: Partial<DtlsEndpointOptions>;
}

interface Link {
  client: DtlsEndpoint;
  server: DtlsEndpoint;
  /** Every datagram sent, each direction, before loss. */
  sent: { toServer: Buffer[]; toClient: Buffer[] };
  closes: { client: DtlsCloseInfo[]; server: DtlsCloseInfo[] };
}

const live: DtlsEndpoint[] = [];
afterEach(() => {
  for (const endpoint of live.splice(0)) endpoint.close();
});

function link(options: LinkOptions = {}): Link {
  const random = prng(options.seed ?? 1);
  const sent = { toServer: [] as Buffer[], toClient: [] as Buffer[] };
  const closes = { client: [] as DtlsCloseInfo[], server: [] as DtlsCloseInfo[] };
  let client!: DtlsEndpoint;
  let server!: DtlsEndpoint;
  // Delivery is always asynchronous, as from a socket: an endpoint never re-enters itself.
  const deliver = (direction: 'to-server' | 'to-client', datagram: Buffer) => {
    (direction === 'to-server' ? sent.toServer : sent.toClient).push(datagram);
    if (options.loss && random() < options.loss) return;
    if (options.drop?.(direction, datagram)) return;
    const target = direction === 'to-server' ? server : client;
    const copy = Buffer.from(datagram);
    if (options.maxDelayMs) setTimeout(() => target.handleDatagram(copy), random() * options.maxDelayMs);
    else setImmediate(() => target.handleDatagram(copy));
  };
  client = new DtlsEndpoint({
    role: 'client',
    certificate: clientCert,
    remoteFingerprints: fingerprintOf(serverCert),
    send: (datagram) => deliver('to-server', datagram),
    initialRetransmitMs: 20,
    handshakeTimeoutMs: 10_000,
    ...options.client,
  });
  server = new DtlsEndpoint({
    role: 'server',
    certificate: serverCert,
    remoteFingerprints: fingerprintOf(clientCert),
    send: (datagram) => deliver('to-client', datagram),
    initialRetransmitMs: 20,
    handshakeTimeoutMs: 10_000,
    ...options.server,
  });
  client.on('close', (info) => closes.client.push(info));
  server.on('close', (info) => closes.server.push(info));
  live.push(client, server);
  return { client, server, sent, closes };
}

/** Resolves once the endpoint is connected or closed, whichever comes first. */
function settled(endpoint: DtlsEndpoint): Promise<void> {
  if (endpoint.state !== 'new' && endpoint.state !== 'connecting') return Promise.resolve();
  return new Promise((resolve) => {
    endpoint.once('connected', resolve);
    endpoint.once('close', () => resolve());
  });
}

async function handshake(l: Link): Promise<void> {
  l.server.start();
  l.client.start();
  await Promise.all([settled(l.client), settled(l.server)]);
}

function expectConnected(l: Link): void {
  const why = JSON.stringify({ closes: l.closes, client: l.client.stats, server: l.server.stats });
  expect(l.client.state, why).toBe('connected');
  expect(l.server.state, why).toBe('connected');
}

function nextData(endpoint: DtlsEndpoint, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const onData = (data: Buffer) => {
      chunks.push(data);
      if (Buffer.concat(chunks).length >= bytes) {
        endpoint.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    endpoint.on('data', onData);
  });
}

describe('DtlsEndpoint in memory', () => {
  it('connects, exports equal keys and agrees on the SRTP profile', async () => {
    const l = link();
    await handshake(l);
    expectConnected(l);
    expect(l.client.srtpProfile).toBe('SRTP_AEAD_AES_128_GCM');
    expect(l.server.srtpProfile).toBe('SRTP_AEAD_AES_128_GCM');
    expect(l.client.cipherSuite).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(l.client.remoteCertificate).toEqual(serverCert.certDer);
    expect(l.server.remoteCertificate).toEqual(clientCert.certDer);
    expect(l.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56)).toEqual(
      l.server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56),
    );
    const context = Buffer.from('context');
    expect(l.client.exportKeyingMaterial('EXPORTER-x', 32, context)).toEqual(
      l.server.exportKeyingMaterial('EXPORTER-x', 32, context),
    );
    const client = l.client.srtpKeys();
    const server = l.server.srtpKeys();
    expect(client.localMasterKey).toHaveLength(16);
    expect(client.localMasterSalt).toHaveLength(12);
    expect(client.localMasterKey).toEqual(server.remoteMasterKey);
    expect(client.localMasterSalt).toEqual(server.remoteMasterSalt);
    expect(client.remoteMasterKey).toEqual(server.localMasterKey);
    expect(client.remoteMasterKey).not.toEqual(client.localMasterKey);
    // The cookie exchange ran once.
    expect(l.server.stats.helloVerifyRequests).toBe(1);
    expect(l.client.stats.helloVerifyRequests).toBe(1);
  });

  it('negotiates SRTP_AES128_CM_HMAC_SHA1_80 with 16 + 14 byte keys', async () => {
    const l = link({ server: { srtpProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'] } });
    await handshake(l);
    expectConnected(l);
    expect(l.client.srtpProfile).toBe('SRTP_AES128_CM_HMAC_SHA1_80');
    const keys = l.client.srtpKeys();
    expect(keys.localMasterKey).toHaveLength(16);
    expect(keys.localMasterSalt).toHaveLength(14);
    expect(keys).toEqual({
      profile: 'SRTP_AES128_CM_HMAC_SHA1_80',
      localMasterKey: l.server.srtpKeys().remoteMasterKey,
      localMasterSalt: l.server.srtpKeys().remoteMasterSalt,
      remoteMasterKey: l.server.srtpKeys().localMasterKey,
      remoteMasterSalt: l.server.srtpKeys().localMasterSalt,
    });
  });

  it.each<[SrtpProfileName[], SrtpProfileName[], SrtpProfileName | undefined]>([
    [
      ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM'],
      ['SRTP_AEAD_AES_128_GCM'],
      'SRTP_AEAD_AES_128_GCM',
    ],
    [[], ['SRTP_AEAD_AES_128_GCM'], undefined],
    [['SRTP_AES128_CM_HMAC_SHA1_80'], ['SRTP_AEAD_AES_128_GCM'], undefined],
  ])('client offers %j, server takes %j: %s', async (clientProfiles, serverProfiles, expected) => {
    const l = link({ client: { srtpProfiles: clientProfiles }, server: { srtpProfiles: serverProfiles } });
    await handshake(l);
    expectConnected(l);
    expect(l.client.srtpProfile).toBe(expected);
    expect(l.server.srtpProfile).toBe(expected);
    if (expected === undefined) {
      expect(() => l.client.srtpKeys()).toThrow(expect.objectContaining({ code: 'ERR_DTLS_NO_SRTP' }));
    }
  });

  it.each<CipherSuiteName>([
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  ])('negotiates %s and carries data on it', async (suite) => {
    const l = link({ client: { cipherSuites: [suite] } });
    await handshake(l);
    expectConnected(l);
    expect(l.server.cipherSuite).toBe(suite);
    const received = nextData(l.server, 5);
    l.client.send(Buffer.from('hello'));
    expect((await received).toString()).toBe('hello');
  });

  it('carries application data both ways, splitting what exceeds the MTU', async () => {
    const l = link({ client: { mtu: 300 }, server: { mtu: 300 } });
    await handshake(l);
    expectConnected(l);
    const big = Buffer.from(Array.from({ length: 2000 }, (_, i) => i & 0xff));
    const atServer = nextData(l.server, big.length);
    expect(l.client.send(big)).toBe(true);
    expect(await atServer).toEqual(big);
    const atClient = nextData(l.client, 4);
    expect(l.server.send(Buffer.from('pong'))).toBe(true);
    expect((await atClient).toString()).toBe('pong');
    for (const datagram of [...l.sent.toServer, ...l.sent.toClient])
      expect(datagram.length).toBeLessThanOrEqual(300);
  });

  it('completes with a tiny MTU that fragments every handshake message', async () => {
    const mtu = 80;
    const l = link({ client: { mtu }, server: { mtu } });
    await handshake(l);
    expectConnected(l);
    for (const datagram of [...l.sent.toServer, ...l.sent.toClient])
      expect(datagram.length).toBeLessThanOrEqual(mtu);
    // The certificates alone need many datagrams.
    expect(l.sent.toClient.length).toBeGreaterThan(10);
    expect(l.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56)).toEqual(
      l.server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56),
    );
  });

  it('completes despite random loss, by retransmission', async () => {
    let retransmissions = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const l = link({ loss: 0.3, seed, client: { mtu: 200 }, server: { mtu: 200 } });
      await handshake(l);
      expectConnected(l);
      retransmissions += l.client.stats.retransmissions + l.server.stats.retransmissions;
      expect(l.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56)).toEqual(
        l.server.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56),
      );
    }
    expect(retransmissions).toBeGreaterThan(0);
  });

  it('completes despite reordering (and loss with reordering)', async () => {
    for (const seed of [7, 8, 9, 10]) {
      const l = link({
        maxDelayMs: 15,
        loss: seed % 2 ? 0.2 : 0,
        seed,
        client: { mtu: 150 },
        server: { mtu: 150 },
      });
      await handshake(l);
      expectConnected(l);
    }
  });

  it('resends the final flight when the peer repeats its own (lost server Finished)', async () => {
    let dropped = 0;
    const l = link({
      drop: (direction, datagram) => {
        // Lose the server's final flight (ChangeCipherSpec + Finished) the first time.
        const final = decodeRecords(datagram).records.some(
          (r) => r.contentType === ContentType.changeCipherSpec,
        );
        if (direction === 'to-client' && final && dropped < 1) {
          dropped++;
          return true;
        }
        return false;
      },
    });
    await handshake(l);
    expectConnected(l);
    expect(dropped).toBe(1);
    expect(l.client.stats.retransmissions).toBeGreaterThan(0);
    expect(l.server.stats.retransmissions).toBeGreaterThan(0);
  });

  it('works without the cookie exchange', async () => {
    const l = link({ server: { requireCookie: false } });
    await handshake(l);
    expectConnected(l);
    expect(l.server.stats.helloVerifyRequests).toBe(0);
  });

  it('fails both sides with bad_certificate when the client certificate does not match', async () => {
    const l = link({ server: { remoteFingerprints: fingerprintOf(otherCert) } });
    await handshake(l);
    await settled(l.client);
    expect(l.server.state).toBe('failed');
    expect(l.closes.server[0]).toMatchObject({ alert: AlertDescription.badCertificate, remote: false });
    expect(l.client.state).toBe('failed');
    expect(l.closes.client[0]).toMatchObject({ alert: AlertDescription.badCertificate, remote: true });
  });

  it('fails both sides with bad_certificate when the server certificate does not match', async () => {
    const l = link({
      client: { remoteFingerprints: [certificateFingerprint(otherCert.certDer, 'sha-512')] },
    });
    l.server.start();
    l.client.start();
    await settled(l.client);
    await new Promise<void>((resolve) =>
      l.server.state === 'failed' ? resolve() : l.server.once('close', () => resolve()),
    );
    expect(l.closes.client[0]).toMatchObject({ alert: AlertDescription.badCertificate, remote: false });
    expect(l.closes.server[0]).toMatchObject({ alert: AlertDescription.badCertificate, remote: true });
    expect(l.server.state).toBe('failed');
  });

  it('accepts any listed fingerprint, in sha-1/384/512 too, whatever the case and colons', async () => {
    const sha384 = certificateFingerprint(serverCert.certDer, 'sha-384');
    const l = link({
      client: {
        remoteFingerprints: [
          { algorithm: 'md5', value: '00' },
          { algorithm: 'SHA-384', value: sha384.value.toLowerCase().replace(/:/g, '') },
        ],
      },
      server: { remoteFingerprints: [certificateFingerprint(clientCert.certDer, 'sha-1')] },
    });
    await handshake(l);
    expectConnected(l);
  });

  it('close() sends close_notify once and the peer closes too', async () => {
    const l = link();
    await handshake(l);
    const sentBefore = l.client.stats.datagramsSent;
    const serverClosed = new Promise<DtlsCloseInfo>((resolve) => l.server.once('close', resolve));
    l.client.close();
    l.client.close();
    expect(l.client.state).toBe('closed');
    expect(l.client.stats.datagramsSent).toBe(sentBefore + 1);
    expect(l.closes.client).toEqual([{ reason: 'closed locally', alert: 0, remote: false }]);
    expect(await serverClosed).toMatchObject({ alert: AlertDescription.closeNotify, remote: true });
    expect(l.server.state).toBe('closed');
    expect(l.server.send(Buffer.from('late'))).toBe(false);
    expect(l.client.send(Buffer.from('late'))).toBe(false);
  });

  it('throws DtlsError for key export before the handshake', () => {
    const l = link();
    expect(() => l.client.exportKeyingMaterial('EXTRACTOR-dtls_srtp', 56)).toThrow(DtlsError);
    expect(() => l.client.srtpKeys()).toThrow(expect.objectContaining({ code: 'ERR_DTLS_NOT_CONNECTED' }));
    expect(l.client.send(Buffer.from('x'))).toBe(false);
  });

  it('drops replayed application records', async () => {
    const l = link();
    await handshake(l);
    const received: string[] = [];
    l.server.on('data', (data) => received.push(data.toString()));
    const before = l.sent.toServer.length;
    l.client.send(Buffer.from('once'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const datagram = l.sent.toServer[before];
    l.server.handleDatagram(datagram);
    l.server.handleDatagram(datagram);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(received).toEqual(['once']);
    expect(l.server.stats.recordsReplayed).toBe(2);
  });

  it('ignores unauthenticated epoch-0 alerts and data once connected', async () => {
    const l = link();
    await handshake(l);
    l.server.handleDatagram(encodeRecord(ContentType.alert, 0, 999, Buffer.from([2, 40])));
    l.server.handleDatagram(encodeRecord(ContentType.applicationData, 0, 1000, Buffer.from('forged')));
    l.server.handleDatagram(encodeRecord(ContentType.applicationData, 1, 1000, Buffer.alloc(40)));
    expect(l.server.state).toBe('connected');
    expect(l.server.stats.recordsUndecryptable).toBe(1);
  });

  it('fails the handshake after handshakeTimeoutMs, retransmitting with doubling timeouts', () => {
    const timers: { callback: () => void; ms: number; cleared: boolean }[] = [];
    const sent: Buffer[] = [];
    const closes: DtlsCloseInfo[] = [];
    const client = new DtlsEndpoint({
      role: 'client',
      certificate: clientCert,
      send: (datagram) => sent.push(datagram),
      initialRetransmitMs: 100,
      handshakeTimeoutMs: 5000,
      setTimer: (callback, ms) => {
        const timer = { callback, ms, cleared: false };
        timers.push(timer);
        return timer;
      },
      clearTimer: (handle) => {
        (handle as { cleared: boolean }).cleared = true;
      },
    });
    client.on('close', (info) => closes.push(info));
    client.start();
    expect(sent).toHaveLength(1);
    const handshakeTimer = timers.find((timer) => timer.ms === 5000)!;
    const retransmitDelays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const pending = timers.find((timer) => !timer.cleared && timer !== handshakeTimer && timer.ms !== -1)!;
      retransmitDelays.push(pending.ms);
      pending.ms = -1; // fired
      pending.callback();
    }
    expect(retransmitDelays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800]);
    expect(sent).toHaveLength(9);
    // Every retransmitted ClientHello uses a fresh record sequence number.
    const sequenceNumbers = sent.map((datagram) => decodeRecords(datagram).records[0].sequenceNumber);
    expect(new Set(sequenceNumbers).size).toBe(9);
    handshakeTimer.callback();
    expect(client.state).toBe('failed');
    expect(closes[0].reason).toMatch(/timed out/);
    expect(
      timers.filter((timer) => timer.ms !== -1 && timer !== handshakeTimer).every((timer) => timer.cleared),
    ).toBe(true);
  });

  it('caps the retransmission timeout at 60 s', () => {
    const delays: number[] = [];
    let fire: (() => void) | undefined;
    const client = new DtlsEndpoint({
      role: 'client',
      certificate: clientCert,
      send: () => {},
      handshakeTimeoutMs: 10 ** 9,
      setTimer: (callback, ms) => {
        if (ms !== 10 ** 9) {
          delays.push(ms);
          fire = callback;
        }
        return {};
      },
      clearTimer: () => {},
    });
    client.start();
    for (let i = 0; i < 10; i++) fire!();
    expect(delays.slice(0, 3)).toEqual([1000, 2000, 4000]);
    expect(Math.max(...delays)).toBe(60_000);
    client.close();
  });

  it('handleDatagram never throws on garbage, in any state', async () => {
    const l = link();
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      // Plausible records with random contents reach deeper.
      fc
        .record({
          type: fc.constantFrom(20, 21, 22, 23),
          epoch: fc.constantFrom(0, 1, 2),
          seq: fc.nat(1000),
          body: fc.uint8Array({ maxLength: 200 }),
        })
        .map((spec) => encodeRecord(spec.type, spec.epoch, spec.seq, Buffer.from(spec.body))),
    );
    const fresh = new DtlsEndpoint({ role: 'server', certificate: serverCert, send: () => {} });
    live.push(fresh);
    fresh.start();
    fc.assert(
      fc.property(garbage, (datagram) => {
        expect(() => l.client.handleDatagram(datagram)).not.toThrow();
        expect(() => fresh.handleDatagram(datagram)).not.toThrow();
      }),
      { numRuns: 300 },
    );
    expect(fresh.stats.internalErrors).toBe(0);
    // Connected endpoints shrug it off as well: data still flows afterwards.
    const m = link();
    await handshake(m);
    fc.assert(
      fc.property(garbage, (datagram) => {
        m.server.handleDatagram(datagram);
        m.client.handleDatagram(datagram);
      }),
      { numRuns: 300 },
    );
    expectConnected(m);
    const received = nextData(m.server, 2);
    m.client.send(Buffer.from('ok'));
    expect((await received).toString()).toBe('ok');
    expect(m.server.stats.internalErrors + m.client.stats.internalErrors).toBe(0);
  });

  it('answers a malformed ClientHello with a fatal decode_error alert', () => {
    const sent: Buffer[] = [];
    const closes: DtlsCloseInfo[] = [];
    const server = new DtlsEndpoint({ role: 'server', certificate: serverCert, send: (d) => sent.push(d) });
    live.push(server);
    server.on('close', (info) => closes.push(info));
    server.start();
    const body = Buffer.from([0xfe, 0xfd, 1, 2, 3]); // truncated inside the random
    server.handleDatagram(
      encodeRecord(ContentType.handshake, 0, 0, encodeHandshakeFragment(HandshakeType.clientHello, 0, body)),
    );
    expect(server.state).toBe('failed');
    expect(closes[0]).toMatchObject({ alert: AlertDescription.decodeError, remote: false });
    const [alert] = decodeRecords(sent[0]).records;
    expect(alert.contentType).toBe(ContentType.alert);
    expect([...alert.fragment]).toEqual([2, AlertDescription.decodeError]);
  });

  it('fails with illegal_parameter when the server picks a cipher suite that was not offered', () => {
    const closes: DtlsCloseInfo[] = [];
    const client = new DtlsEndpoint({
      role: 'client',
      certificate: clientCert,
      cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      send: () => {},
    });
    live.push(client);
    client.on('close', (info) => closes.push(info));
    client.start();
    const hello = encodeServerHello({
      serverVersion: 0xfefd,
      random: Buffer.alloc(32, 5),
      cipherSuite: 0xc02c,
      extensions: {},
    });
    client.handleDatagram(
      encodeRecord(ContentType.handshake, 0, 0, encodeHandshakeFragment(HandshakeType.serverHello, 0, hello)),
    );
    expect(client.state).toBe('failed');
    expect(closes[0]).toMatchObject({ alert: AlertDescription.illegalParameter, remote: false });
  });

  it('refuses unusable options', () => {
    const base = { role: 'client' as const, certificate: clientCert, send: () => {} };
    expect(() => new DtlsEndpoint({ ...base, mtu: 10 })).toThrow(DtlsError);
    expect(() => new DtlsEndpoint({ ...base, srtpProfiles: ['NOPE' as SrtpProfileName] })).toThrow(DtlsError);
    expect(() => new DtlsEndpoint({ ...base, cipherSuites: [] })).toThrow(DtlsError);
  });
});
