/**
 * The TURN server on loopback, driven by the project's client and by raw
 * datagrams: every method of RFC 8656 over UDP and every error path.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AttributeType,
  ErrorCode,
  longTermKey,
  MessageClass,
  Method,
  messageType,
  type StunMessage,
  StunMessageBuilder,
  TransportProtocol,
  userHash,
} from '../../src/stun/index.js';
import { TurnClient, type TurnClientOptions } from '../../src/turn/client.js';
import type { TurnServerOptions } from '../../src/turn/options.js';
import { createRestCredential } from '../../src/turn/rest-credentials.js';
import { TurnServer } from '../../src/turn/server.js';
import type { TransportAddress } from '../../src/util/ip.js';
import { RawUdp } from '../fakes/raw-udp.js';

const REALM = 'example.org';
const SECRETS = ['first-secret', 'second-secret'];

/** A clock the tests can move forward; the server reads it for every timer. */
let clockOffsetMs = 0;
const now = () => Date.now() + clockOffsetMs;

const opened: { close(): Promise<void> }[] = [];

function relayRange(): { minPort: number; maxPort: number } {
  const minPort = 30000 + Math.floor(Math.random() * 150) * 200;
  return { minPort, maxPort: minPort + 199 };
}

async function startServer(overrides: Partial<TurnServerOptions> = {}): Promise<TurnServer> {
  const server = new TurnServer({
    listen: [{ host: '127.0.0.1', port: 0 }],
    realm: REALM,
    users: { alice: 'alice-password', bob: 'bob-password', '1234:looks-like-rest': 'static' },
    authSecrets: SECRETS,
    relayIps: ['127.0.0.1'],
    allowLoopbackPeers: true,
    now,
    sweepIntervalMs: 0,
    ...relayRange(),
    ...overrides,
  });
  await server.start();
  opened.push(server);
  return server;
}

function client(server: TurnServer, options: Partial<TurnClientOptions> = {}): TurnClient {
  const turn = new TurnClient({
    server: { host: server.addresses[0].host, port: server.addresses[0].port },
    username: 'alice',
    password: 'alice-password',
    transactions: { rtoMs: 100, maxRequests: 3, lastWaitFactor: 4 },
    ...options,
  });
  opened.push(turn);
  return turn;
}

async function raw(): Promise<RawUdp> {
  const socket = await RawUdp.open();
  opened.push(socket);
  return socket;
}

function errorOf(response: StunMessage): number | undefined {
  expect(response.messageClass).toBe(MessageClass.ErrorResponse);
  return response.getErrorCode()?.code;
}

function nextData(turn: TurnClient): Promise<{ peer: TransportAddress; data: string; via: string }> {
  return new Promise((resolve) => {
    turn.once('data', (peer, data, via) => resolve({ peer, data: data.toString(), via }));
  });
}

/** Resolves with the received datagrams after waiting `ms`. */
function collectData(turn: TurnClient, ms: number): Promise<string[]> {
  const seen: string[] = [];
  const listener = (_peer: TransportAddress, data: Buffer) => seen.push(data.toString());
  turn.on('data', listener);
  return new Promise((resolve) =>
    setTimeout(() => {
      turn.off('data', listener);
      resolve(seen);
    }, ms),
  );
}

afterEach(() => {
  clockOffsetMs = 0;
});

afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
});

describe('Binding', () => {
  let server: TurnServer;
  beforeAll(async () => {
    server = await startServer();
  });

  it('answers with XOR-MAPPED-ADDRESS and MAPPED-ADDRESS, without authentication', async () => {
    const socket = await raw();
    const request = StunMessageBuilder.create(Method.Binding, MessageClass.Request).addFingerprint().build();
    socket.send(request, server.addresses[0].port);
    const response = await socket.nextStun();
    expect(response.messageClass).toBe(MessageClass.SuccessResponse);
    expect(response.transactionId).toEqual(request.subarray(8, 20));
    const expected = { family: 4, address: '127.0.0.1', port: socket.port };
    expect(response.getXorAddress(AttributeType.XorMappedAddress)).toEqual(expected);
    expect(response.getAddress(AttributeType.MappedAddress)).toEqual(expected);
    expect(response.has(AttributeType.Fingerprint)).toBe(true);
    expect(response.getString(AttributeType.Software)).toBe('Switchboard');
  });

  it('answers an RFC 3489 client (no magic cookie) with MAPPED-ADDRESS and the echoed cookie', async () => {
    const socket = await raw();
    const request = new StunMessageBuilder(0x0001, Buffer.alloc(12, 7), 0x01020304).build();
    socket.send(request, server.addresses[0].port);
    const response = await socket.nextStun();
    expect(response.cookie).toBe(0x01020304);
    expect(response.has(AttributeType.XorMappedAddress)).toBe(false);
    expect(response.getAddress(AttributeType.MappedAddress)?.port).toBe(socket.port);
  });

  it('works through the client helper', async () => {
    const turn = client(server);
    const mapped = await turn.binding();
    expect(mapped).toEqual({ family: 4, address: '127.0.0.1', port: (await turn.localAddress()).port });
  });
});

describe('authentication', () => {
  let server: TurnServer;
  beforeAll(async () => {
    server = await startServer();
  });

  function allocateRequest(): StunMessageBuilder {
    return StunMessageBuilder.create(Method.Allocate, MessageClass.Request).addUint32(
      AttributeType.RequestedTransport,
      TransportProtocol.UDP << 24,
    );
  }

  it('challenges a request without credentials with 401, REALM, NONCE and PASSWORD-ALGORITHMS', async () => {
    const socket = await raw();
    socket.send(allocateRequest().build(), server.addresses[0].port);
    const response = await socket.nextStun();
    expect(errorOf(response)).toBe(ErrorCode.Unauthorized);
    expect(response.getString(AttributeType.Realm)).toBe(REALM);
    expect(response.getString(AttributeType.Nonce)).toMatch(/^obMatJos2/);
    expect(response.has(AttributeType.PasswordAlgorithms)).toBe(true);
    expect(response.has(AttributeType.MessageIntegrity)).toBe(false);
    expect(server.allocations).toBe(0);
  });

  it('answers 400 when integrity comes without USERNAME, REALM or NONCE', async () => {
    const socket = await raw();
    const key = longTermKey('alice', REALM, 'alice-password');
    socket.send(
      allocateRequest().add(AttributeType.Realm, REALM).addMessageIntegrity(key).build(),
      server.addresses[0].port,
    );
    expect(errorOf(await socket.nextStun())).toBe(ErrorCode.BadRequest);
  });

  it('answers 438 with a fresh nonce for a forged or expired nonce', async () => {
    const socket = await raw();
    const key = longTermKey('alice', REALM, 'alice-password');
    const request = allocateRequest()
      .add(AttributeType.Username, 'alice')
      .add(AttributeType.Realm, REALM)
      .add(AttributeType.Nonce, 'obMatJos2gAABnot-a-nonce-we-issued')
      .addMessageIntegrity(key)
      .build();
    socket.send(request, server.addresses[0].port);
    const response = await socket.nextStun();
    expect(errorOf(response)).toBe(ErrorCode.StaleNonce);
    expect(response.getString(AttributeType.Nonce)).toMatch(/^obMatJos2/);
  });

  it('recovers from an expired nonce transparently (438 then retry)', async () => {
    const turn = client(server);
    await turn.allocate();
    clockOffsetMs = 700_000; // past the 600 s nonce lifetime, within the allocation's
    const lifetime = await turn.refresh(600);
    expect(lifetime).toBe(600);
  });

  it('refuses a wrong password, an unknown user and a wrong realm with 401 and allocates nothing', async () => {
    const before = server.stats.authFailures;
    const allocations = server.allocations;
    for (const options of [{ password: 'wrong' }, { username: 'mallory', password: 'x' }]) {
      const error = await client(server, options)
        .allocate()
        .catch((e) => e);
      expect(error.status).toBe(ErrorCode.Unauthorized);
    }
    const socket = await raw();
    const challenge = StunMessageBuilder.create(Method.Allocate, MessageClass.Request)
      .addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24)
      .build();
    socket.send(challenge, server.addresses[0].port);
    const nonce = (await socket.nextStun()).getString(AttributeType.Nonce)!;
    const otherRealm = allocateRequest()
      .add(AttributeType.Username, 'alice')
      .add(AttributeType.Realm, 'other.org')
      .add(AttributeType.Nonce, nonce)
      .addMessageIntegrity(longTermKey('alice', 'other.org', 'alice-password'))
      .build();
    socket.send(otherRealm, server.addresses[0].port);
    expect(errorOf(await socket.nextStun())).toBe(ErrorCode.Unauthorized);
    expect(server.stats.authFailures).toBeGreaterThanOrEqual(before + 3);
    expect(server.allocations).toBe(allocations);
  });

  it('accepts SHA-256 (MESSAGE-INTEGRITY-SHA256) and MD5 (MESSAGE-INTEGRITY) password algorithms', async () => {
    const sha = await client(server).allocate();
    expect(sha.response.has(AttributeType.MessageIntegritySha256)).toBe(true);
    const md5 = await client(server, { preferSha256: false }).allocate();
    expect(md5.response.has(AttributeType.MessageIntegrity)).toBe(true);
    expect(md5.response.has(AttributeType.MessageIntegritySha256)).toBe(false);
  });

  it('refuses a bid-down: PASSWORD-ALGORITHMS differing from what the server sent is a 400', async () => {
    const socket = await raw();
    socket.send(allocateRequest().build(), server.addresses[0].port);
    const challenge = await socket.nextStun();
    const onlyMd5 = Buffer.from([0, 1, 0, 0]);
    const request = allocateRequest()
      .add(AttributeType.Username, 'alice')
      .add(AttributeType.Realm, REALM)
      .add(AttributeType.Nonce, challenge.getString(AttributeType.Nonce)!)
      .add(AttributeType.PasswordAlgorithm, onlyMd5)
      .add(AttributeType.PasswordAlgorithms, onlyMd5)
      .addMessageIntegrity(longTermKey('alice', REALM, 'alice-password'))
      .build();
    socket.send(request, server.addresses[0].port);
    expect(errorOf(await socket.nextStun())).toBe(ErrorCode.BadRequest);
  });

  it('accepts USERHASH in place of USERNAME for a configured user', async () => {
    const socket = await raw();
    socket.send(allocateRequest().build(), server.addresses[0].port);
    const challenge = await socket.nextStun();
    const request = allocateRequest()
      .add(AttributeType.Userhash, userHash('bob', REALM))
      .add(AttributeType.Realm, REALM)
      .add(AttributeType.Nonce, challenge.getString(AttributeType.Nonce)!)
      .addMessageIntegrity(longTermKey('bob', REALM, 'bob-password'))
      .build();
    socket.send(request, server.addresses[0].port);
    const response = await socket.nextStun();
    expect(response.messageClass).toBe(MessageClass.SuccessResponse);
    expect(response.checkIntegrity(longTermKey('bob', REALM, 'bob-password'))).toBe('sha1');
    await client(server, { username: 'bob', password: 'bob-password' }).close();
  });

  it('accepts TURN REST credentials minted with any active secret and refuses expired ones', async () => {
    for (const secret of SECRETS) {
      const credential = createRestCredential(secret, 'carol', 3600, now());
      const result = await client(server, credential).allocate();
      expect(result.relayed.address).toBe('127.0.0.1');
    }
    const expired = createRestCredential(SECRETS[0], 'carol', -10, now());
    const error = await client(server, expired)
      .allocate()
      .catch((e) => e);
    expect(error.status).toBe(ErrorCode.Unauthorized);
    const otherSecret = createRestCredential('not-configured', 'carol', 3600, now());
    const error2 = await client(server, otherSecret)
      .allocate()
      .catch((e) => e);
    expect(error2.status).toBe(ErrorCode.Unauthorized);
  });

  it('lets configured users and REST secrets work at the same time, even for REST-shaped user names', async () => {
    const result = await client(server, { username: '1234:looks-like-rest', password: 'static' }).allocate();
    expect(result.lifetime).toBeGreaterThan(0);
  });

  it('answers 420 with UNKNOWN-ATTRIBUTES for an unknown comprehension-required attribute', async () => {
    const response = await client(server).request(Method.Allocate, (builder) => {
      builder.addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24);
      builder.add(0x7ffe, Buffer.from([1, 2, 3, 4]));
    });
    expect(errorOf(response)).toBe(ErrorCode.UnknownAttribute);
    expect(response.get(AttributeType.UnknownAttributes)).toEqual(Buffer.from([0x7f, 0xfe]));
  });

  it('answers 400 to Connect over UDP and ignores unknown comprehension-optional attributes', async () => {
    const turn = client(server);
    expect(errorOf(await turn.request(Method.Connect))).toBe(ErrorCode.BadRequest);
    const response = await turn.request(Method.Allocate, (builder) => {
      builder.addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24);
      builder.add(0xfffe, Buffer.from([1]));
    });
    expect(response.messageClass).toBe(MessageClass.SuccessResponse);
  });
});

describe('Allocate', () => {
  let server: TurnServer;
  beforeAll(async () => {
    server = await startServer({ maxLifetimeSeconds: 3600 });
  });

  it('grants a relayed address in the port range with LIFETIME and XOR-MAPPED-ADDRESS', async () => {
    const turn = client(server);
    const result = await turn.allocate();
    expect(result.relayed.address).toBe('127.0.0.1');
    expect(result.lifetime).toBe(600);
    expect(result.mapped).toEqual({
      family: 4,
      address: '127.0.0.1',
      port: (await turn.localAddress()).port,
    });
    expect(result.response.checkIntegrity(longTermKey('alice', REALM, 'alice-password', 2))).toBe('sha256');
  });

  it('caps the lifetime at the maximum and raises a short one to the default', async () => {
    expect((await client(server).allocate({ lifetime: 100_000 })).lifetime).toBe(3600);
    expect((await client(server).allocate({ lifetime: 30 })).lifetime).toBe(600);
    expect((await client(server).allocate({ lifetime: 1200 })).lifetime).toBe(1200);
  });

  it('answers 400 without REQUESTED-TRANSPORT or for TCP over UDP, and 442 for an unknown protocol', async () => {
    const turn = client(server);
    expect(errorOf(await turn.request(Method.Allocate))).toBe(ErrorCode.BadRequest);
    // RFC 6062 §5.1: a TCP allocation needs a TCP or TLS connection to the server.
    const tcp = await turn.allocate({ transport: TransportProtocol.TCP }).catch((e) => e);
    expect(tcp.status).toBe(ErrorCode.BadRequest);
    const sctp = await turn.allocate({ transport: 132 }).catch((e) => e);
    expect(sctp.status).toBe(ErrorCode.UnsupportedTransportProtocol);
  });

  it('answers 437 to a second Allocate on the same 5-tuple, and repeats the response to a retransmission', async () => {
    const turn = client(server);
    await turn.allocate();
    const error = await turn.allocate().catch((e) => e);
    expect(error.status).toBe(ErrorCode.AllocationMismatch);

    const socket = await raw();
    const port = server.addresses[0].port;
    const plain = () =>
      StunMessageBuilder.create(Method.Allocate, MessageClass.Request).addUint32(
        AttributeType.RequestedTransport,
        TransportProtocol.UDP << 24,
      );
    socket.send(plain().build(), port);
    const nonce = (await socket.nextStun()).getString(AttributeType.Nonce)!;
    const request = plain()
      .add(AttributeType.Username, 'alice')
      .add(AttributeType.Realm, REALM)
      .add(AttributeType.Nonce, nonce)
      .addMessageIntegrity(longTermKey('alice', REALM, 'alice-password'))
      .build();
    socket.send(request, port);
    const first = await socket.nextStun();
    socket.send(request, port);
    const second = await socket.nextStun();
    expect(first.messageClass).toBe(MessageClass.SuccessResponse);
    expect(second.raw).toEqual(first.raw);
  });

  it('gives an even port with EVEN-PORT, and the reserved next port through RESERVATION-TOKEN', async () => {
    const even = await client(server).allocate({ evenPort: { reserve: false } });
    expect(even.relayed.port % 2).toBe(0);
    expect(even.reservationToken).toBeUndefined();

    const first = await client(server).allocate({ evenPort: { reserve: true } });
    expect(first.relayed.port % 2).toBe(0);
    expect(first.reservationToken).toHaveLength(8);
    const second = await client(server).allocate({ reservationToken: first.reservationToken });
    expect(second.relayed.port).toBe(first.relayed.port + 1);

    // A token is good once.
    const reused = await client(server)
      .allocate({ reservationToken: first.reservationToken })
      .catch((e) => e);
    expect(reused.status).toBe(ErrorCode.InsufficientCapacity);
    const both = await client(server)
      .allocate({ reservationToken: first.reservationToken, evenPort: { reserve: false } })
      .catch((e) => e);
    expect(both.status).toBe(ErrorCode.BadRequest);
  });

  it('expires an unused reservation', async () => {
    const first = await client(server).allocate({ evenPort: { reserve: true } });
    clockOffsetMs = 31_000;
    server.sweep();
    const late = await client(server)
      .allocate({ reservationToken: first.reservationToken })
      .catch((e) => e);
    expect(late.status).toBe(ErrorCode.InsufficientCapacity);
  });

  it('answers 440 for an address family it has no relay address for, or an unknown one', async () => {
    const error = await client(server)
      .allocate({ family: 6 })
      .catch((e) => e);
    expect(error.status).toBe(ErrorCode.AddressFamilyNotSupported);
    const response = await client(server).request(Method.Allocate, (builder) => {
      builder.addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24);
      builder.addUint32(AttributeType.RequestedAddressFamily, 0x03 << 24);
    });
    expect(errorOf(response)).toBe(ErrorCode.AddressFamilyNotSupported);
  });

  it('grants IPv4 and reports ADDRESS-ERROR-CODE 440 when a dual allocation cannot have IPv6', async () => {
    const result = await client(server).allocate({ additionalFamily: 6 });
    expect(result.relayedAddresses).toHaveLength(1);
    const addressError = result.response.get(AttributeType.AddressErrorCode)!;
    expect(addressError[0]).toBe(0x02);
    expect(addressError[2] * 100 + addressError[3]).toBe(440);
  });

  it('answers 400 for ADDITIONAL-ADDRESS-FAMILY IPv4 or together with REQUESTED-ADDRESS-FAMILY', async () => {
    const turn = client(server);
    const v4 = await turn.request(Method.Allocate, (builder) => {
      builder.addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24);
      builder.addUint32(AttributeType.AdditionalAddressFamily, 0x01 << 24);
    });
    expect(errorOf(v4)).toBe(ErrorCode.BadRequest);
    const error = await turn.allocate({ family: 4, additionalFamily: 6 }).catch((e) => e);
    expect(error.status).toBe(ErrorCode.BadRequest);
  });

  it('accepts DONT-FRAGMENT', async () => {
    const result = await client(server).allocate({ dontFragment: true });
    expect(result.lifetime).toBe(600);
  });
});

describe('IPv6 relays', () => {
  let server: TurnServer;
  beforeAll(async () => {
    server = await startServer({
      listen: [
        { host: '127.0.0.1', port: 0 },
        { host: '::1', port: 0 },
      ],
      relayIps: ['127.0.0.1', '::1'],
    });
  });

  it('allocates an IPv6 relayed address with REQUESTED-ADDRESS-FAMILY', async () => {
    const result = await client(server).allocate({ family: 6 });
    expect(result.relayed).toMatchObject({ family: 6, address: '::1' });
  });

  it('allocates both families with ADDITIONAL-ADDRESS-FAMILY and relays over each', async () => {
    const dual = client(server);
    const result = await dual.allocate({ additionalFamily: 6 });
    expect(result.relayedAddresses.map((address) => address.family)).toEqual([4, 6]);

    const v6 = new TurnClient({
      server: { host: '::1', port: server.addresses[1].port },
      username: 'bob',
      password: 'bob-password',
    });
    opened.push(v6);
    const v6Result = await v6.allocate({ family: 6 });
    await dual.createPermission([v6Result.relayed]);
    await v6.createPermission([result.relayedAddresses[1]]);
    const received = nextData(v6);
    dual.send(v6Result.relayed, Buffer.from('over six'));
    expect(await received).toMatchObject({ data: 'over six', peer: result.relayedAddresses[1] });

    // 443 when the peer's family does not match any relayed address.
    const v4Only = client(server);
    await v4Only.allocate();
    const error = await v4Only.createPermission([v6Result.relayed]).catch((e) => e);
    expect(error.status).toBe(ErrorCode.PeerAddressFamilyMismatch);

    // Refresh with lifetime 0 and REQUESTED-ADDRESS-FAMILY deletes one family only.
    expect(await dual.refresh(0, 6)).toBe(0);
    expect(await dual.refresh(600)).toBe(600);
    const mismatch = await dual.refresh(600, 6).catch((e) => e);
    expect(mismatch.status).toBe(ErrorCode.PeerAddressFamilyMismatch);
  });
});

describe('Refresh', () => {
  let server: TurnServer;
  beforeAll(async () => {
    server = await startServer();
  });

  it('extends, then deletes with lifetime 0, after which requests get 437', async () => {
    const turn = client(server);
    await turn.allocate();
    const count = server.allocations;
    expect(await turn.refresh(900)).toBe(900);
    expect(await turn.refresh(0)).toBe(0);
    expect(server.allocations).toBe(count - 1);
    const error = await turn.refresh(600).catch((e) => e);
    expect(error.status).toBe(ErrorCode.AllocationMismatch);
    const error2 = await turn
      .createPermission([{ family: 4, address: '127.0.0.1', port: 1 }])
      .catch((e) => e);
    expect(error2.status).toBe(ErrorCode.AllocationMismatch);
  });

  it('answers 441 when another user speaks for the allocation', async () => {
    const turn = client(server);
    await turn.allocate();
    (turn as unknown as { options: TurnClientOptions }).options.username = 'bob';
    (turn as unknown as { options: TurnClientOptions }).options.password = 'bob-password';
    (turn as unknown as { key: undefined }).key = undefined;
    const error = await turn.refresh(600).catch((e) => e);
    expect(error.status).toBe(ErrorCode.WrongCredentials);
  });

  it('expires an allocation whose lifetime ran out and frees its port', async () => {
    const turn = client(server);
    await turn.allocate();
    const count = server.allocations;
    const expired = server.stats.allocationsExpired;
    expect(count).toBeGreaterThan(0);
    clockOffsetMs = 599_000;
    server.sweep();
    expect(server.allocations).toBe(count);
    clockOffsetMs = 601_000;
    server.sweep();
    // Every allocation of this server had the default 600 s lifetime.
    expect(server.allocations).toBe(0);
    expect(server.stats.allocationsExpired).toBe(expired + count);
    const error = await turn.refresh(600).catch((e) => e);
    expect(error.status).toBe(ErrorCode.AllocationMismatch);
  });
});

describe('quotas', () => {
  it('answers 486 past the per-user quota and 508 past the total quota', async () => {
    const server = await startServer({ userQuota: 1, totalQuota: 2 });
    await client(server).allocate();
    const error = await client(server)
      .allocate()
      .catch((e) => e);
    expect(error.status).toBe(ErrorCode.AllocationQuotaReached);
    // REST users count by their user part, whatever the expiry.
    await client(server, createRestCredential(SECRETS[0], 'dave', 600, now())).allocate();
    const third = await client(server, { username: 'bob', password: 'bob-password' })
      .allocate()
      .catch((e) => e);
    expect(third.status).toBe(ErrorCode.InsufficientCapacity);
  });

  it('frees quota when an allocation is deleted', async () => {
    const server = await startServer({ userQuota: 1 });
    const first = client(server);
    await first.allocate();
    await first.refresh(0);
    await client(server).allocate();
  });
});

describe('permissions and data', () => {
  let server: TurnServer;
  let alice: TurnClient;
  let bob: TurnClient;
  let aliceRelay: TransportAddress;
  let bobRelay: TransportAddress;

  beforeAll(async () => {
    server = await startServer();
    alice = client(server);
    bob = client(server, { username: 'bob', password: 'bob-password' });
    aliceRelay = (await alice.allocate()).relayed;
    bobRelay = (await bob.allocate()).relayed;
  });

  it('drops data from a peer without a permission', async () => {
    const before = server.stats.droppedNoPermission;
    await alice.createPermission([bobRelay]);
    const seen = collectData(alice, 300);
    // bob has no permission for alice: his Send indication is dropped at his own allocation.
    bob.sendIndication(aliceRelay, Buffer.from('nope'));
    expect(await seen).toEqual([]);
    expect(server.stats.droppedNoPermission).toBe(before + 1);
  });

  it('relays Send indications as Data indications once both sides have permissions', async () => {
    await alice.createPermission([bobRelay]);
    await bob.createPermission([aliceRelay]);
    const received = nextData(alice);
    bob.sendIndication(aliceRelay, Buffer.from('hello alice'));
    expect(await received).toEqual({ peer: bobRelay, data: 'hello alice', via: 'indication' });
  });

  it('installs several permissions in one request and refuses forbidden peers with 403', async () => {
    await alice.createPermission([
      { family: 4, address: '127.0.0.2', port: 1 },
      { family: 4, address: '127.0.0.3', port: 1 },
    ]);
    for (const address of ['10.0.0.1', '192.168.1.1', '169.254.1.1', '224.0.0.1', '0.0.0.1', '100.64.0.1']) {
      const error = await alice.createPermission([{ family: 4, address, port: 9 }]).catch((e) => e);
      expect(error.status, address).toBe(ErrorCode.Forbidden);
    }
    // All or nothing: one forbidden peer fails the whole request.
    const mixed = await alice
      .createPermission([
        { family: 4, address: '127.0.0.4', port: 1 },
        { family: 4, address: '10.1.1.1', port: 1 },
      ])
      .catch((e) => e);
    expect(mixed.status).toBe(ErrorCode.Forbidden);
  });

  it('answers 400 to CreatePermission without XOR-PEER-ADDRESS', async () => {
    expect(errorOf(await alice.request(Method.CreatePermission))).toBe(ErrorCode.BadRequest);
  });

  it('relays ChannelData both ways after ChannelBind', async () => {
    const aliceChannel = await alice.channelBind(bobRelay);
    const bobChannel = await bob.channelBind(aliceRelay);
    expect(aliceChannel).toBeGreaterThanOrEqual(0x4000);
    const toBob = nextData(bob);
    alice.send(bobRelay, Buffer.from('on a channel'));
    expect(await toBob).toEqual({ peer: aliceRelay, data: 'on a channel', via: 'channel' });
    const toAlice = nextData(alice);
    bob.send(aliceRelay, Buffer.from('back on a channel'));
    expect(await toAlice).toEqual({ peer: bobRelay, data: 'back on a channel', via: 'channel' });
    expect(bobChannel).toBeGreaterThanOrEqual(0x4000);
    // Refreshing the same binding is fine.
    expect(await alice.channelBind(bobRelay)).toBe(aliceChannel);
  });

  it('enforces the channel rules: range, one peer per channel, one channel per peer', async () => {
    const peer = { family: 4 as const, address: '127.0.0.9', port: 5000 };
    for (const bad of [0x3fff, 0x8000, 0xffff]) {
      const error = await alice.channelBind(peer, bad).catch((e) => e);
      expect(error.status, String(bad)).toBe(ErrorCode.BadRequest);
    }
    // RFC 5766's upper range, which coturn's clients use, is accepted too.
    expect(await alice.channelBind({ ...peer, port: 5002 }, 0x7abc)).toBe(0x7abc);
    await alice.channelBind(peer, 0x4100);
    const rebindNumber = await alice.channelBind({ ...peer, port: 5001 }, 0x4100).catch((e) => e);
    expect(rebindNumber.status).toBe(ErrorCode.BadRequest);
    const rebindPeer = await alice.channelBind(peer, 0x4101).catch((e) => e);
    expect(rebindPeer.status).toBe(ErrorCode.BadRequest);
    const forbidden = await alice
      .channelBind({ family: 4, address: '10.0.0.1', port: 1 }, 0x4102)
      .catch((e) => e);
    expect(forbidden.status).toBe(ErrorCode.Forbidden);
    const v6 = await alice.channelBind({ family: 6, address: '::1', port: 1 }, 0x4103).catch((e) => e);
    expect(v6.status).toBe(ErrorCode.PeerAddressFamilyMismatch);
    const noPeer = await alice.request(Method.ChannelBind, (builder) => {
      builder.add(AttributeType.ChannelNumber, Buffer.from([0x41, 0x04, 0, 0]));
    });
    expect(errorOf(noPeer)).toBe(ErrorCode.BadRequest);
  });

  it('drops ChannelData on an unbound channel and for a client without an allocation', async () => {
    const before = server.stats.droppedNoChannel;
    alice.sendChannelData(0x4fff, Buffer.from('nowhere'));
    const stranger = await raw();
    const noAllocation = server.stats.droppedNoAllocation;
    stranger.send(Buffer.from([0x40, 0x00, 0x00, 0x01, 0x55]), server.addresses[0].port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.stats.droppedNoChannel).toBe(before + 1);
    expect(server.stats.droppedNoAllocation).toBe(noAllocation + 1);
  });
});

describe('timers', () => {
  it('expires permissions after 300 s and channels after 600 s; refreshing keeps them', async () => {
    const server = await startServer();
    const alice = client(server);
    const bob = client(server, { username: 'bob', password: 'bob-password' });
    const aliceRelay = (await alice.allocate({ lifetime: 3600 })).relayed;
    const bobRelay = (await bob.allocate({ lifetime: 3600 })).relayed;
    await alice.channelBind(bobRelay);
    await bob.createPermission([aliceRelay]);

    // At 299 s bob's permission still holds.
    clockOffsetMs = 299_000;
    server.sweep();
    let received = nextData(bob);
    alice.send(bobRelay, Buffer.from('at 299 s'));
    expect((await received).data).toBe('at 299 s');

    // At 301 s both permissions have expired (a channel does not keep its permission alive):
    // alice's data is dropped at her own allocation.
    clockOffsetMs = 301_000;
    server.sweep();
    const dropped = server.stats.droppedNoPermission;
    const seen = collectData(bob, 200);
    alice.send(bobRelay, Buffer.from('at 301 s'));
    expect(await seen).toEqual([]);
    expect(server.stats.droppedNoPermission).toBe(dropped + 1);

    // Refreshing the permissions restores the path; the channel (bound at 0 s) still works.
    await alice.createPermission([bobRelay]);
    await bob.createPermission([aliceRelay]);
    received = nextData(bob);
    alice.send(bobRelay, Buffer.from('after refresh'));
    expect(await received).toMatchObject({ data: 'after refresh', via: 'indication' });

    // At 601 s the channel is gone even with fresh permissions: ChannelData on it is dropped.
    clockOffsetMs = 601_000;
    await alice.createPermission([bobRelay]);
    server.sweep();
    const noChannel = server.stats.droppedNoChannel;
    alice.sendChannelData(0x4000, Buffer.from('stale channel'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.stats.droppedNoChannel).toBe(noChannel + 1);
  });
});

describe('hostile input', () => {
  it('counts and drops garbage, truncated and oversized messages and keeps serving', async () => {
    const server = await startServer();
    const socket = await raw();
    const port = server.addresses[0].port;
    const valid = StunMessageBuilder.create(Method.Binding, MessageClass.Request).addFingerprint().build();
    const samples = [
      Buffer.alloc(0),
      Buffer.from([0x00]),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      valid.subarray(0, 19),
      Buffer.concat([valid, Buffer.alloc(4)]),
      Buffer.from([0x40, 0x00, 0xff, 0xff, 1, 2]),
      Buffer.from([0xc0, 1, 2, 3]),
    ];
    const corrupt = Buffer.from(valid);
    corrupt[corrupt.length - 1] ^= 0xff; // bad FINGERPRINT
    samples.push(corrupt);
    for (let i = 0; i < 200; i++) {
      const noise = Buffer.from(
        Array.from({ length: 20 + ((i * 37) % 200) }, (_, j) => (i * 131 + j * 17) & 0xff),
      );
      noise[0] &= 0x03;
      samples.push(noise);
    }
    for (const sample of samples) socket.send(sample, port);
    // A response-class or indication-class STUN message is not a request: dropped too.
    socket.send(
      new StunMessageBuilder(messageType(Method.Binding, MessageClass.SuccessResponse)).build(),
      port,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.stats.droppedMalformed).toBeGreaterThanOrEqual(8);
    expect(server.stats.internalErrors).toBe(0);
    const turn = client(server);
    expect((await turn.allocate()).lifetime).toBe(600);
  });
});

describe('rate limits', () => {
  it('stops answering a source that floods unauthenticated requests, and serves it again later', async () => {
    const server = await startServer({ unauthenticatedRateLimit: 10 });
    const socket = await raw();
    const port = server.addresses[0].port;
    for (let i = 0; i < 60; i++) {
      socket.send(StunMessageBuilder.create(Method.Binding, MessageClass.Request).build(), port);
    }
    let answered = 0;
    while (!(await socket.silentFor(150))) answered++;
    // A burst of 2 × 10 tokens, plus at most a few refilled while the loop ran.
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(answered).toBeLessThan(60);
    expect(server.stats.droppedRateLimited).toBe(60 - answered);
    // Authenticated traffic from the same address is not limited.
    const turn = client(server);
    clockOffsetMs = 10_000; // lets the bucket refill for the 401 challenge
    expect((await turn.allocate()).lifetime).toBe(600);
  });
});
