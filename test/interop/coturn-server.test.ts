/**
 * OUR TurnClient against coturn's turnserver (4.6.1 in Debian bookworm):
 * two clients allocate, permit each other's relayed address and exchange
 * data both ways, through Send/Data indications and through ChannelData,
 * with long-term credentials and with TURN REST credentials.
 *
 * coturn is started as (see coturn-turnserver.ts):
 *   turnserver -n --listening-ip=127.0.0.1 --listening-port=P --relay-ip=127.0.0.1 \
 *     --min-port=MIN --max-port=MAX --allow-loopback-peers --realm=example.org --no-tls --no-dtls \
 *     --no-cli --log-file=stdout --simple-log --verbose --pidfile=… --db=… \
 *     --lt-cred-mech --user=test:secret            (long-term)
 *     --use-auth-secret --static-auth-secret=S     (REST)
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TurnClient } from '../../src/turn/client.js';
import type { TransportAddress } from '../../src/util/ip.js';
import { RELAY_PORT_RANGES } from '../helpers/ports.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';
import { type CoturnAuth, type CoturnServer, startCoturn } from './coturn-turnserver.js';

const REST_SECRET = 'coturn-server-rest-secret';
const MESSAGES_EACH_WAY = 20;

/** A username and password for the client. */
interface Credentials {
  username: string;
  password: string;
}

/**
 * TURN REST credentials as coturn's use-auth-secret checks them, computed
 * here independently of src/: username "EXPIRY:USER", password
 * base64(HMAC-SHA1(secret, username)).
 */
function restCredentials(secret: string, user: string, expiresInSeconds: number): Credentials {
  const username = `${Math.floor(Date.now() / 1000) + expiresInSeconds}:${user}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

/** One datagram a client received. */
interface Received {
  peer: TransportAddress;
  data: Buffer;
  via: string;
}

/** A client with its allocation and everything it received. */
interface Party {
  client: TurnClient;
  relayed: TransportAddress;
  mapped: TransportAddress | undefined;
  lifetime: number;
  received: Received[];
}

/** Polls until `done()` or the deadline; the caller asserts afterwards, with full context. */
async function waitUntil(done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A distinct, checkable payload: a readable label then random bytes of varying length. */
function payload(label: string, index: number): Buffer {
  return Buffer.concat([Buffer.from(`${label} #${index} `), randomBytes(100 + index * 37)]);
}

/**
 * Counts payloads that did not arrive and arrivals that match no payload; prints what the first
 * few wrong arrivals looked like (length and first bytes), since a plain diff of 20 hex dumps is
 * unreadable.
 */
function compare(
  direction: string,
  sent: Buffer[],
  received: Received[],
): { missing: number; unexpected: number } {
  const expected = new Set(sent.map((data) => data.toString('hex')));
  const arrived = new Set(received.map((r) => r.data.toString('hex')));
  const unexpected = received.filter((r) => !expected.has(r.data.toString('hex')));
  const missing = sent.filter((data) => !arrived.has(data.toString('hex')));
  if (unexpected.length > 0 || missing.length > 0) {
    const show = (data: Buffer) => `${data.length} bytes: ${data.subarray(0, 24).toString('hex')}…`;
    console.error(
      [
        `${direction}: ${missing.length} of ${sent.length} payloads missing, ${unexpected.length} unexpected`,
        ...missing.slice(0, 3).map((data) => `  missing    ${show(data)}`),
        ...unexpected.slice(0, 3).map((r) => `  unexpected ${show(r.data)} via ${r.via}`),
      ].join('\n'),
    );
  }
  return { missing: missing.length, unexpected: unexpected.length };
}

interface Mode {
  name: string;
  auth: CoturnAuth;
  relayPorts: { min: number; max: number };
  credentials: () => Credentials;
  wrongCredentials: () => Credentials;
  /** What coturn's verbose log names the user of a successful Allocate. */
  logUser: RegExp;
}

const modes: Mode[] = [
  {
    name: 'long-term credentials',
    auth: { kind: 'long-term', users: { test: 'secret' } },
    relayPorts: RELAY_PORT_RANGES.coturnLongTerm,
    credentials: () => ({ username: 'test', password: 'secret' }),
    wrongCredentials: () => ({ username: 'test', password: 'not-the-password' }),
    logUser: /user <test>: incoming packet ALLOCATE processed, success/,
  },
  {
    name: 'REST credentials',
    auth: { kind: 'rest', secret: REST_SECRET },
    relayPorts: RELAY_PORT_RANGES.coturnRest,
    credentials: () => restCredentials(REST_SECRET, 'alice', 3600),
    // Expired a minute ago: right secret, so only the timestamp check can refuse it.
    wrongCredentials: () => restCredentials(REST_SECRET, 'alice', -60),
    logUser: /user <\d{10}:alice>: incoming packet ALLOCATE processed, success/,
  },
];

const coturn = toolAvailable('turnserver', 'coturn');

describeWithTools('our TurnClient against coturn turnserver', coturn, () => {
  for (const mode of modes) {
    describe(mode.name, () => {
      let server: CoturnServer;
      const clients: TurnClient[] = [];

      beforeAll(async () => {
        server = await startCoturn({ auth: mode.auth, relayPorts: mode.relayPorts });
      });
      afterEach(async () => {
        await Promise.all(clients.splice(0).map((client) => client.close({ deallocate: true })));
      });
      afterAll(async () => {
        await server?.stop();
      });

      /** coturn's log tail, for assertion messages. */
      const coturnLog = () => `--- coturn log (tail) ---\n${server.log().split('\n').slice(-25).join('\n')}`;

      function newClient(credentials: Credentials): TurnClient {
        const client = new TurnClient({
          server: { host: server.host, port: server.port },
          ...credentials,
          localAddress: '127.0.0.1',
          // Loopback answers in microseconds: give up after ~8 s instead of RFC 8489's 39.5 s.
          transactions: { rtoMs: 100, maxRequests: 7, lastWaitFactor: 16 },
        });
        clients.push(client);
        return client;
      }

      async function newParty(): Promise<Party> {
        const client = newClient(mode.credentials());
        const received: Received[] = [];
        client.on('data', (peer: TransportAddress, data: Buffer, via?: string) => {
          received.push({ peer, data: Buffer.from(data), via: via ?? 'unknown' });
        });
        const allocation = await client.allocate();
        return { client, received, ...allocation };
      }

      /** A sends to B and B to A, MESSAGES_EACH_WAY each; both must get all, intact, from the right peer. */
      async function exchange(a: Party, b: Party): Promise<void> {
        const fromA = Array.from({ length: MESSAGES_EACH_WAY }, (_, i) => payload('a->b', i));
        const fromB = Array.from({ length: MESSAGES_EACH_WAY }, (_, i) => payload('b->a', i));
        for (let i = 0; i < MESSAGES_EACH_WAY; i++) {
          a.client.send(b.relayed, fromA[i]);
          b.client.send(a.relayed, fromB[i]);
        }
        await waitUntil(
          () => a.received.length >= MESSAGES_EACH_WAY && b.received.length >= MESSAGES_EACH_WAY,
        );
        expect(compare('a->b', fromA, b.received), coturnLog()).toEqual({ missing: 0, unexpected: 0 });
        expect(compare('b->a', fromB, a.received), coturnLog()).toEqual({ missing: 0, unexpected: 0 });
        for (const r of b.received) expect(r.peer).toEqual(a.relayed);
        for (const r of a.received) expect(r.peer).toEqual(b.relayed);
      }

      it('allocates a relayed address in coturn’s range and learns its mapped address', async () => {
        const client = newClient(mode.credentials());
        const local = await client.localAddress();
        const allocation = await client.allocate();
        expect(allocation.relayed.family).toBe(4);
        expect(allocation.relayed.address).toBe('127.0.0.1');
        expect(allocation.relayed.port).toBeGreaterThanOrEqual(mode.relayPorts.min);
        expect(allocation.relayed.port).toBeLessThanOrEqual(mode.relayPorts.max);
        expect(allocation.mapped).toEqual({ family: 4, address: '127.0.0.1', port: local.port });
        expect(allocation.lifetime).toBeGreaterThan(0);
        expect(allocation.lifetime).toBeLessThanOrEqual(3600);
        // coturn writes the line after it answers: give its log a moment to arrive.
        for (let waited = 0; waited < 3000 && !mode.logUser.test(server.log()); waited += 20) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(server.log()).toMatch(mode.logUser);
      });

      it('exchanges data both ways through Send and Data indications', async () => {
        const a = await newParty();
        const b = await newParty();
        await a.client.createPermission([b.relayed]);
        await b.client.createPermission([a.relayed]);
        await exchange(a, b);
        expect(new Set([...a.received, ...b.received].map((r) => r.via))).toEqual(new Set(['indication']));
      });

      it('exchanges data both ways through ChannelData', async () => {
        const a = await newParty();
        const b = await newParty();
        await a.client.createPermission([b.relayed]);
        await b.client.createPermission([a.relayed]);
        const channelA = await a.client.channelBind(b.relayed);
        const channelB = await b.client.channelBind(a.relayed);
        for (const channel of [channelA, channelB]) {
          // RFC 8656 §12: a client binds 0x4000–0x4FFF.
          expect(channel).toBeGreaterThanOrEqual(0x4000);
          expect(channel).toBeLessThanOrEqual(0x4fff);
        }
        expect(server.log(), coturnLog()).toMatch(/CHANNEL_BIND processed, success/);
        await exchange(a, b);
        expect(new Set([...a.received, ...b.received].map((r) => r.via))).toEqual(new Set(['channel']));
      });

      it('mixes the two when only one side binds a channel', async () => {
        const a = await newParty();
        const b = await newParty();
        await a.client.channelBind(b.relayed); // also installs A's permission for B (RFC 8656 §12.2)
        await b.client.createPermission([a.relayed]);
        await exchange(a, b);
        // coturn sends ChannelData only where a channel is bound: towards A, not towards B.
        expect(new Set(a.received.map((r) => r.via))).toEqual(new Set(['channel']));
        expect(new Set(b.received.map((r) => r.via))).toEqual(new Set(['indication']));
      });

      it('is refused with wrong credentials (401)', async () => {
        const client = newClient(mode.wrongCredentials());
        await expect(client.allocate()).rejects.toMatchObject({
          code: 'ERR_TURN_ERROR_RESPONSE',
          status: 401,
        });
      });
    });
  }

  describe('EVEN-PORT and RESERVATION-TOKEN (long-term credentials)', () => {
    let server: CoturnServer;
    const clients: TurnClient[] = [];
    beforeAll(async () => {
      server = await startCoturn({
        auth: { kind: 'long-term', users: { test: 'secret' } },
        relayPorts: RELAY_PORT_RANGES.coturnLongTerm,
      });
    });
    afterAll(async () => {
      await Promise.all(clients.map((client) => client.close({ deallocate: true })));
      await server?.stop();
    });

    it('reserves the next port and hands it out for the token (RFC 8656 §7.2)', async () => {
      const make = () => {
        const client = new TurnClient({
          server: { host: server.host, port: server.port },
          username: 'test',
          password: 'secret',
          localAddress: '127.0.0.1',
        });
        clients.push(client);
        return client;
      };
      const rtp = await make().allocate({ evenPort: { reserve: true } });
      expect(rtp.relayed.port % 2).toBe(0);
      expect(rtp.reservationToken?.length).toBe(8);
      const rtcp = await make().allocate({ reservationToken: rtp.reservationToken });
      expect(rtcp.relayed.port).toBe(rtp.relayed.port + 1);
    });
  });
});
