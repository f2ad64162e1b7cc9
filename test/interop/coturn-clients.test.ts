/**
 * coturn's client tools against OUR TURN server: `turnutils_stunclient` for
 * Binding, `turnutils_uclient` for TURN (allocations, permissions, channels,
 * Send/Data indications, REST credentials).
 *
 * Verified command lines (against coturn's own turnserver first, see
 * coturn-harness.test.ts and the notes in coturn-client-tools.ts):
 *
 *   turnutils_stunclient -p PORT 127.0.0.1
 *     ok:   "0: : IPv4. UDP reflexive addr: 127.0.0.1:45931" (twice), exit 0
 *     fail: hangs forever when nothing answers (we kill it after 10 s)
 *   turnutils_uclient -v -y -c -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1       channels
 *   turnutils_uclient -v -y -s -c -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1    Send indications
 *   turnutils_uclient -v -y -s -c -m 2 -n 10 -l 1200 -u test -w secret -p PORT 127.0.0.1   large Send indications
 *   turnutils_uclient -v -y -c -D -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1    padded ChannelData
 *   turnutils_uclient -v -y -s -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1       + RTCP (EVEN-PORT R, RESERVATION-TOKEN)
 *   turnutils_uclient -v -y -s -c -m 2 -n 10 -l 400 -u alice -W SECRET -p PORT 127.0.0.1   REST credentials
 *     ok:   "N: : start_mclient: tot_send_msgs=20, tot_recv_msgs=20"
 *           "N: : Total lost packets 0 (0.000000%), total send dropped 0 (0.000000%)", exit 0
 *   turnutils_uclient -v -y -t -c -m 2 -n 10 -l 400 -u test -w secret -p PORT 127.0.0.1     TCP to the server
 *   turnutils_uclient -v -y -t -S -c … -p TLS_PORT 127.0.0.1                               TLS to the server
 *   turnutils_uclient -v -y -T -c … -p PORT 127.0.0.1                                      RFC 6062 TCP relays
 *   turnutils_uclient -v -y -x -c … -p PORT 127.0.0.1                                      IPv6 relayed addresses
 *     (-S alone means DTLS over UDP, which is not TURN over TLS; -P, the passive
 *     RFC 6062 mode, loses half its packets against coturn's own server too.)
 *     fail: "0: : ERROR: Cannot complete Allocation" exit 255 (refused Allocate);
 *           "channel bind: error N (…)" / "create permission error N (…)" exit 255;
 *           "Total lost packets N (…)" with N > 0 and exit 0 (!) when data is lost.
 * Each run takes 3–7 s (uclient starts sending after a random 1–6 s).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TurnServer } from '../../src/turn/server.js';
import { generateSelfSignedCertificate } from '../../src/util/certificate.js';
import { type MemoryLog, memoryLog } from '../helpers/memory-log.js';
import { RELAY_PORT_RANGES } from '../helpers/ports.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';
import { runStunclient, runUclient, type UclientOptions, type UclientRun } from './coturn-client-tools.js';

const REST_SECRET = 'coturn-clients-rest-secret';
const RELAY_PORTS = RELAY_PORT_RANGES.ourServerUnderCoturnClients;

const coturn = toolAvailable(['turnutils_uclient', 'turnutils_stunclient'], 'coturn');

describeWithTools('coturn client tools against our TURN server', coturn, () => {
  let server: TurnServer;
  let log: MemoryLog;
  let port: number;
  let tlsPort: number;

  beforeAll(async () => {
    log = memoryLog();
    const certificate = generateSelfSignedCertificate({ commonName: 'localhost' });
    server = new TurnServer({
      listen: [{ host: '127.0.0.1', port: 0 }],
      tlsListen: [{ host: '127.0.0.1', port: 0 }],
      tls: { cert: certificate.certPem, key: certificate.keyPem },
      realm: 'example.org',
      users: { test: 'secret' },
      authSecrets: [REST_SECRET],
      relayIps: ['127.0.0.1', '::1'],
      allowLoopbackPeers: true,
      minPort: RELAY_PORTS.min,
      maxPort: RELAY_PORTS.max,
      log,
    });
    await server.start();
    const listener = server.addresses.find((address) => address.family === 4);
    if (!listener) throw new Error(`no IPv4 listener in ${JSON.stringify(server.addresses)}`);
    port = listener.port;
    tlsPort = server.tlsAddresses[0].port;
  });

  afterAll(async () => {
    await server?.close();
  });

  /** The uclient output and our server's log, for assertion messages. */
  const context = (run: UclientRun) => `${run.describe()}\n--- our server's log (tail) ---\n${log.tail(30)}`;

  /** Runs uclient and checks that every message went through and came back. */
  async function expectLossless(
    options: Omit<UclientOptions, 'port'> & { port?: number },
    relayHost = '127.0.0.1',
  ): Promise<UclientRun> {
    const run = await runUclient({ port, ...options });
    expect(run.result.timedOut, context(run)).toBe(false);
    // uclient re-sends an Allocate that it thinks timed out with a new transaction id; when
    // the first one had succeeded (a slow answer on a loaded machine), RFC 8656 §7.2's answer
    // to the second is 437, which uclient takes in its stride. Every other error fails the run.
    const errors = run.report.errors.filter((line) => !/^error 437 \(Allocation Mismatch\)$/.test(line));
    expect(errors, context(run)).toEqual([]);
    expect(run.result.exitCode, context(run)).toBe(0);
    expect(run.report.sent, context(run)).toBe(run.expected);
    expect(run.report.received, context(run)).toBe(run.expected);
    expect(run.report.lost, context(run)).toBe(0);
    expect(run.report.relayed.length, context(run)).toBeGreaterThanOrEqual(2);
    for (const relayed of run.report.relayed) {
      expect(relayed.address, context(run)).toBe(relayHost);
      expect(relayed.port, context(run)).toBeGreaterThanOrEqual(RELAY_PORTS.min);
      expect(relayed.port, context(run)).toBeLessThanOrEqual(RELAY_PORTS.max);
    }
    return run;
  }

  it('turnutils_stunclient gets its reflexive address', async () => {
    const run = await runStunclient(port);
    expect(run.result.timedOut, run.describe()).toBe(false);
    expect(run.result.exitCode, run.describe()).toBe(0);
    expect(run.mapped?.address, run.describe()).toBe('127.0.0.1');
    expect(run.mapped?.port, run.describe()).toBeGreaterThan(0);
    expect(run.mapped?.port, run.describe()).not.toBe(port);
  });

  it('uclient -y relays client to client over channels (long-term credentials)', async () => {
    const run = await expectLossless({ username: 'test', password: 'secret' });
    // Each client binds a channel to the other's relayed address. uclient picks the numbers at
    // random in RFC 5766's range 0x4000–0x7FFF (RFC 8656 §12 narrowed it to 0x4000–0x4FFF).
    expect(run.report.channelsBound.length, context(run)).toBeGreaterThanOrEqual(2);
    for (const channel of run.report.channelsBound) {
      expect(channel, context(run)).toBeGreaterThanOrEqual(0x4000);
      expect(channel, context(run)).toBeLessThanOrEqual(0x7fff);
    }
  });

  it('uclient -y -s relays client to client over Send/Data indications', async () => {
    const run = await expectLossless({ username: 'test', password: 'secret', sendIndications: true });
    expect(run.report.permissionsCreated, context(run)).toBeGreaterThanOrEqual(2);
    expect(run.report.channelsBound, context(run)).toEqual([]);
  });

  it('uclient -y -s relays large (1200-byte) Send/Data indications without loss', async () => {
    // Media-sized packets. uclient counts what comes back but does not compare the bytes, so
    // corrupted payloads pass here: coturn-server.test.ts compares them (with our client).
    await expectLossless({
      username: 'test',
      password: 'secret',
      sendIndications: true,
      messageLength: 1200,
    });
  });

  it('uclient -y -D relays padded ChannelData (padding is optional over UDP, RFC 8656 §12.5)', async () => {
    const run = await expectLossless({ username: 'test', password: 'secret', padding: true });
    expect(run.report.channelsBound.length, context(run)).toBeGreaterThanOrEqual(2);
  });

  // -s keeps this case (and the REST one) independent of the channel cases above.
  it('uclient -y -s with RTCP allocations (EVEN-PORT with R, then RESERVATION-TOKEN)', async () => {
    const run = await expectLossless({
      username: 'test',
      password: 'secret',
      rtcp: true,
      sendIndications: true,
    });
    // Four sessions plus the probe allocation, each with a relayed address.
    expect(run.report.relayed.length, context(run)).toBeGreaterThanOrEqual(5);
  });

  it('uclient -y -s -W authenticates with REST credentials', async () => {
    await expectLossless({ username: 'alice', restSecret: REST_SECRET, sendIndications: true });
    expect(log.tail(2000)).toMatch(/"username":"\d{10}:alice"/);
  });

  it('uclient -t relays over TCP to the server, ChannelData padded on the stream', async () => {
    const before = server.stats.streamConnectionsAccepted;
    const run = await expectLossless({ username: 'test', password: 'secret', transport: 'tcp' });
    expect(run.report.channelsBound.length, context(run)).toBeGreaterThanOrEqual(2);
    expect(server.stats.streamConnectionsAccepted).toBeGreaterThan(before);
  });

  it('uclient -t -s relays Send indications over TCP', async () => {
    await expectLossless({ username: 'test', password: 'secret', transport: 'tcp', sendIndications: true });
  });

  it('uclient -t -S relays over TLS to the server', async () => {
    const run = await expectLossless({
      username: 'test',
      password: 'secret',
      transport: 'tls',
      port: tlsPort,
    });
    expect(run.report.channelsBound.length, context(run)).toBeGreaterThanOrEqual(2);
  });

  it('uclient -T relays over RFC 6062 TCP allocations (Connect, ConnectionAttempt, ConnectionBind)', async () => {
    const opened = server.stats.peerConnectionsOpened;
    await expectLossless({ username: 'test', password: 'secret', tcpRelay: true });
    // One client Connects to the other's relayed address: the relay's outgoing connection and
    // the one it accepts are both peer connections.
    expect(server.stats.peerConnectionsOpened - opened).toBeGreaterThanOrEqual(2);
  });

  it('uclient -T -S relays over RFC 6062 TCP allocations with TLS to the server', async () => {
    await expectLossless({
      username: 'test',
      password: 'secret',
      tcpRelay: true,
      transport: 'tls',
      port: tlsPort,
    });
  });

  it('uclient -x gets IPv6 relayed addresses and relays between them', async () => {
    await expectLossless({ username: 'test', password: 'secret', ipv6Relay: true }, '::1');
  });

  it('uclient with a wrong password is refused', async () => {
    const run = await runUclient({ port, username: 'test', password: 'wrong', timeoutMs: 15_000 });
    expect(run.result.timedOut, context(run)).toBe(false);
    expect(run.result.exitCode, context(run)).toBe(255);
    expect(run.report.errors, context(run)).toContain('ERROR: Cannot complete Allocation');
    expect(run.report.sent, context(run)).toBeUndefined();
  });

  it('uclient with a wrong REST secret is refused', async () => {
    const run = await runUclient({
      port,
      username: 'alice',
      restSecret: 'not-the-secret',
      timeoutMs: 15_000,
    });
    expect(run.result.exitCode, context(run)).toBe(255);
    expect(run.report.errors, context(run)).toContain('ERROR: Cannot complete Allocation');
  });
});
