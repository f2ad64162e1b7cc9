/**
 * The TURN server over TCP and TLS (RFC 8656 §3.1), RFC 6062 TCP
 * allocations, IPv6 on ::1, bandwidth caps, drain mode and certificate reload,
 * on loopback with the project's client.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { AttributeType, ErrorCode, MessageClass, Method, TransportProtocol } from '../../src/stun/index.js';
import { TurnClient, type TurnClientOptions } from '../../src/turn/client.js';
import type { TurnServerOptions } from '../../src/turn/options.js';
import { TurnServer } from '../../src/turn/server.js';
import { generateSelfSignedCertificate } from '../../src/util/certificate.js';
import type { TransportAddress } from '../../src/util/ip.js';

const REALM = 'example.org';
const certificate = generateSelfSignedCertificate({ commonName: 'localhost' });
const opened: { close(): Promise<void> | void }[] = [];

afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
});

function relayRange(): { minPort: number; maxPort: number } {
  const minPort = 20000 + Math.floor(Math.random() * 40) * 200;
  return { minPort, maxPort: minPort + 199 };
}

async function startServer(overrides: Partial<TurnServerOptions> = {}): Promise<TurnServer> {
  const server = new TurnServer({
    listen: [{ host: '127.0.0.1', port: 0 }],
    realm: REALM,
    users: { alice: 'alice-password', bob: 'bob-password' },
    relayIps: ['127.0.0.1'],
    allowLoopbackPeers: true,
    tls: { cert: certificate.certPem, key: certificate.keyPem },
    tlsListen: [{ host: '127.0.0.1', port: 0 }],
    sweepIntervalMs: 0,
    ...relayRange(),
    ...overrides,
  });
  await server.start();
  opened.push(server);
  return server;
}

function client(
  server: TurnServer,
  transport: 'udp' | 'tcp' | 'tls',
  options: Partial<TurnClientOptions> = {},
): TurnClient {
  const address =
    transport === 'tls' && server.tlsAddresses.length > 0 ? server.tlsAddresses[0] : server.addresses[0];
  const turn = new TurnClient({
    server: { host: address.host, port: address.port },
    transport,
    tls: { ca: certificate.certPem, servername: 'localhost' },
    username: 'alice',
    password: 'alice-password',
    transactions: { rtoMs: 100, maxRequests: 3, lastWaitFactor: 4, reliableTimeoutMs: 5000 },
    ...options,
  });
  turn.on('error', () => {});
  opened.push(turn);
  return turn;
}

function nextData(turn: TurnClient): Promise<{ peer: TransportAddress; data: Buffer; via: string }> {
  return new Promise((resolve) => turn.once('data', (peer, data, via) => resolve({ peer, data, via })));
}

/** Two allocations that relay to each other, the first over `transport`. */
async function relayPair(server: TurnServer, transport: 'udp' | 'tcp' | 'tls') {
  const a = client(server, transport);
  const b = client(server, 'udp', { username: 'bob', password: 'bob-password' });
  const relayA = (await a.allocate()).relayed;
  const relayB = (await b.allocate()).relayed;
  await a.createPermission([relayB]);
  await b.createPermission([relayA]);
  return { a, b, relayA, relayB };
}

async function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('TURN over TCP and TLS', () => {
  for (const transport of ['tcp', 'tls'] as const) {
    it(`answers Binding and relays Send indications and padded ChannelData over ${transport}`, async () => {
      const server = await startServer();
      const { a, b, relayA, relayB } = await relayPair(server, transport);
      const mapped = await a.binding();
      expect(mapped.address).toBe('127.0.0.1');

      // Send indication from the stream client, Data indication back.
      const atB = nextData(b);
      a.sendIndication(relayB, Buffer.from('over the stream'));
      expect((await atB).data.toString()).toBe('over the stream');
      const atA = nextData(a);
      b.sendIndication(relayA, Buffer.from('back'));
      expect(await atA).toMatchObject({ via: 'indication' });

      // Channels: odd lengths exercise the 4-byte padding on the stream.
      const channel = await a.channelBind(relayB);
      await b.channelBind(relayA);
      for (const size of [1, 2, 3, 5, 1199]) {
        const payload = Buffer.alloc(size, size & 0xff);
        const toB = nextData(b);
        a.sendChannelData(channel, payload);
        expect((await toB).data).toEqual(payload);
        const toA = nextData(a);
        b.send(relayA, payload);
        const received = await toA;
        expect(received.via).toBe('channel');
        expect(received.data).toEqual(payload);
      }
    });
  }

  it('serves plain TCP and TLS on the same listen port, told apart by the first byte', async () => {
    const server = await startServer({ tlsListen: [] });
    const plain = client(server, 'tcp');
    const secure = client(server, 'tls');
    expect(server.tlsAddresses).toEqual([]);
    expect((await plain.allocate()).relayed.port).toBeGreaterThan(0);
    expect((await secure.allocate()).relayed.port).toBeGreaterThan(0);
    expect(server.gauges().streamConnections).toBe(2);
  });

  it('negotiates TLS 1.3 and TLS 1.2 and offers stun.turn over ALPN (RFC 7443)', async () => {
    const server = await startServer();
    const { host, port } = server.tlsAddresses[0];
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const socket = tlsConnect({
        host,
        port,
        ca: certificate.certPem,
        servername: 'localhost',
        minVersion: version,
        maxVersion: version,
        ALPNProtocols: ['stun.turn'],
      });
      await once(socket, 'secureConnect');
      expect(socket.getProtocol()).toBe(version);
      expect(socket.alpnProtocol).toBe('stun.turn');
      socket.destroy();
    }
  });

  it('deletes the allocation when its connection closes', async () => {
    const server = await startServer();
    const turn = client(server, 'tcp');
    await turn.allocate();
    expect(server.allocations).toBe(1);
    await turn.close();
    await waitFor(() => server.allocations === 0);
    expect(server.stats.allocationsDeleted).toBe(1);
  });

  it('closes a connection that sends bytes no STUN or ChannelData message starts with, and carries on', async () => {
    const server = await startServer();
    const { port } = server.addresses[0];
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]));
    socket.write(Buffer.alloc(12));
    // A well-framed message, then garbage (0xC0 starts neither STUN nor ChannelData).
    socket.write(Buffer.from([0xc0, 0xff, 0xee, 0x00]));
    socket.resume();
    await once(socket, 'close');
    expect(server.stats.bindingRequests).toBe(1);
    expect(server.stats.droppedMalformed).toBe(1);
    const turn = client(server, 'tcp');
    expect((await turn.allocate()).relayed.port).toBeGreaterThan(0);
    expect(server.stats.internalErrors).toBe(0);
  });

  it('drops a TLS handshake with a bad certificate check without harm', async () => {
    const server = await startServer();
    const turn = client(server, 'tls', { tls: { servername: 'localhost' } }); // no CA: the client refuses
    await expect(turn.allocate()).rejects.toThrow();
    await waitFor(() => server.stats.streamConnectionsRejected >= 1);
  });

  it('replaces the certificate for new connections and keeps existing allocations', async () => {
    const server = await startServer();
    const before = client(server, 'tls');
    await before.allocate();
    const next = generateSelfSignedCertificate({ commonName: 'localhost' });
    server.setTlsCredentials({ cert: next.certPem, key: next.keyPem });
    const withOld = client(server, 'tls');
    await expect(withOld.allocate()).rejects.toThrow();
    const withNew = client(server, 'tls', { tls: { ca: next.certPem, servername: 'localhost' } });
    await withNew.allocate();
    expect(server.allocations).toBe(2);
    // The first allocation still answers over its connection.
    expect(await before.refresh(600)).toBe(600);
    expect(() => server.setTlsCredentials({ cert: 'not a certificate', key: 'nor a key' })).toThrow(
      /does not load/,
    );
  });
});

describe('RFC 6062 TCP allocations', () => {
  /** A TCP peer that echoes what it receives, and remembers the connections it accepted. */
  async function echoPeer(): Promise<{ server: Server; address: TransportAddress; sockets: Socket[] }> {
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.pipe(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    opened.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return { server, address: { family: 4, address: '127.0.0.1', port }, sockets };
  }

  /** Reads `count` bytes, leaving the socket open and paused. */
  function readBytes(socket: Socket, count: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        total += chunk.length;
        if (total < count) return;
        socket.off('data', onData);
        socket.off('error', reject);
        socket.pause();
        resolve(Buffer.concat(chunks));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.resume();
    });
  }

  for (const transport of ['tcp', 'tls'] as const) {
    it(`connects to a peer (Connect + ConnectionBind) and pipes bytes both ways over ${transport}`, async () => {
      const server = await startServer();
      const peer = await echoPeer();
      const turn = client(server, transport);
      const allocation = await turn.allocate({ transport: TransportProtocol.TCP });
      expect(allocation.relayed.address).toBe('127.0.0.1');
      await turn.createPermission([peer.address]);
      const id = await turn.connect(peer.address);
      expect(id).toBeGreaterThan(0);
      const data = await turn.connectionBind(id);
      const payload = Buffer.alloc(200_000);
      for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
      data.write(payload);
      const echoed = await readBytes(data, payload.length);
      expect(echoed.subarray(0, payload.length)).toEqual(payload);
      // The peer saw the relay's address, not the client's.
      expect(peer.sockets[0].remoteAddress).toBe(allocation.relayed.address);
      expect(server.stats.bytesToPeer).toBeGreaterThanOrEqual(payload.length);
      data.destroy();
    });
  }

  it('tells the client of an incoming peer connection (ConnectionAttempt) when permitted', async () => {
    const server = await startServer();
    const turn = client(server, 'tcp');
    const { relayed } = await turn.allocate({ transport: TransportProtocol.TCP });

    // Without a permission the relay closes the peer's connection at once.
    const refused = tcpConnect({ host: relayed.address, port: relayed.port });
    refused.on('error', () => {});
    await once(refused, 'close');

    await turn.createPermission([{ family: 4, address: '127.0.0.1', port: 1 }]);
    const attempt = new Promise<[TransportAddress, number]>((resolve) =>
      turn.once('connectionAttempt', (peer, id) => resolve([peer, id])),
    );
    const peerSocket = tcpConnect({ host: relayed.address, port: relayed.port });
    await once(peerSocket, 'connect');
    peerSocket.write('sent before the bind'); // buffered by the relay until ConnectionBind
    const [peer, id] = await attempt;
    expect(peer.port).toBe(peerSocket.localPort);
    const data = await turn.connectionBind(id);
    expect((await readBytes(data, 20)).toString()).toBe('sent before the bind');
    data.write('hello peer');
    expect((await readBytes(peerSocket, 10)).toString()).toBe('hello peer');
    // Closing the client's data connection closes the peer's.
    data.destroy();
    await once(peerSocket, 'close');
  });

  it('answers 446 to a second Connect to the same peer and 447 when the peer refuses', async () => {
    const server = await startServer();
    const peer = await echoPeer();
    const turn = client(server, 'tcp');
    await turn.allocate({ transport: TransportProtocol.TCP });
    await turn.connect(peer.address);
    await expect(turn.connect(peer.address)).rejects.toMatchObject({
      status: ErrorCode.ConnectionAlreadyExists,
    });
    // A port nothing listens on: the connection is refused.
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const address = closed.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(turn.connect({ family: 4, address: '127.0.0.1', port })).rejects.toMatchObject({
      status: ErrorCode.ConnectionTimeoutOrFailure,
    });
  });

  it('refuses RFC 6062 misuse: ConnectionBind for an unknown id, Connect on a UDP allocation, TCP allocations over UDP', async () => {
    const server = await startServer();
    const turn = client(server, 'tcp');
    await turn.allocate({ transport: TransportProtocol.TCP });
    await expect(turn.connectionBind(0xdead)).rejects.toMatchObject({ status: ErrorCode.BadRequest });
    const udpOnStream = client(server, 'tcp');
    await udpOnStream.allocate();
    await expect(udpOnStream.connect({ family: 4, address: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      status: ErrorCode.BadRequest,
    });
    const overUdp = client(server, 'udp');
    await expect(overUdp.allocate({ transport: TransportProtocol.TCP })).rejects.toMatchObject({
      status: ErrorCode.BadRequest,
    });
    // ChannelBind has no meaning on a TCP allocation.
    await expect(turn.channelBind({ family: 4, address: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      status: ErrorCode.BadRequest,
    });
  });

  it('refuses a Connect to a peer the filter forbids (403)', async () => {
    const server = await startServer({ allowLoopbackPeers: false });
    const turn = client(server, 'tcp');
    await turn.allocate({ transport: TransportProtocol.TCP });
    await expect(turn.connect({ family: 4, address: '127.0.0.1', port: 9 })).rejects.toMatchObject({
      status: ErrorCode.Forbidden,
    });
  });
});

describe('IPv6', () => {
  it('listens on ::1 over UDP, TCP and TLS and relays on IPv6', async () => {
    const server = await startServer({
      listen: [{ host: '::1', port: 0 }],
      tlsListen: [{ host: '::1', port: 0 }],
      relayIps: ['::1'],
    });
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      const turn = client(server, transport, { tls: { ca: certificate.certPem, servername: 'localhost' } });
      const result = await turn.allocate({ family: 6 });
      expect(result.relayed).toMatchObject({ family: 6, address: '::1' });
      expect(result.mapped).toMatchObject({ family: 6, address: '::1' });
    }
    // No IPv4 relay on this server: 440.
    const v4 = client(server, 'udp');
    await expect(v4.allocate()).rejects.toMatchObject({ status: ErrorCode.AddressFamilyNotSupported });
  });

  it('makes dual allocations (ADDITIONAL-ADDRESS-FAMILY) and relays IPv6 peers over an IPv4 client', async () => {
    const server = await startServer({ relayIps: ['127.0.0.1', '::1'] });
    const a = client(server, 'tcp');
    const result = await a.allocate({ additionalFamily: 6 });
    expect(result.relayedAddresses.map((relayed) => relayed.family)).toEqual([4, 6]);
    const v6 = new TurnClient({
      server: { host: '127.0.0.1', port: server.addresses[0].port },
      username: 'bob',
      password: 'bob-password',
    });
    opened.push(v6);
    const relay6 = (await v6.allocate({ family: 6 })).relayed;
    await a.createPermission([relay6]);
    await v6.createPermission([result.relayedAddresses[1]]);
    const received = nextData(v6);
    a.send(relay6, Buffer.from('over v6'));
    expect((await received).data.toString()).toBe('over v6');
    // 443 for a peer of a family the allocation does not have.
    const v4only = client(server, 'udp');
    await v4only.allocate();
    await expect(v4only.createPermission([relay6])).rejects.toMatchObject({
      status: ErrorCode.PeerAddressFamilyMismatch,
    });
  });

  it('grants IPv4 and refuses IPv6 (ADDRESS-ERROR-CODE 440) when the server has no IPv6 relay', async () => {
    const server = await startServer();
    const turn = client(server, 'tcp');
    const result = await turn.allocate({ additionalFamily: 6 });
    expect(result.relayedAddresses.map((relayed) => relayed.family)).toEqual([4]);
    const error = result.response.get(AttributeType.AddressErrorCode);
    expect(error?.[3]).toBe(40);
  });
});

describe('bandwidth caps', () => {
  async function burst(server: TurnServer, count: number, size: number): Promise<number> {
    const { a, b, relayB } = await relayPair(server, 'udp');
    const channel = await a.channelBind(relayB);
    let received = 0;
    b.on('data', () => received++);
    const payload = Buffer.alloc(size);
    for (let i = 0; i < count; i++) a.sendChannelData(channel, payload);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return received;
  }

  it('drops and counts what goes over the per-allocation cap', async () => {
    // 10 kB/s with a one-second burst: of 100 × 1000 bytes sent at once, about 10 pass.
    const server = await startServer({ allocationBandwidth: 10_000 });
    const received = await burst(server, 100, 1000);
    expect(received).toBeGreaterThanOrEqual(5);
    expect(received).toBeLessThan(30);
    expect(server.stats.droppedBandwidth).toBe(100 - received);
  });

  it('shares the per-user cap between the allocations of one user', async () => {
    const server = await startServer({ userBandwidth: 20_000 });
    const first = client(server, 'udp');
    const second = client(server, 'udp');
    const sink = client(server, 'udp', { username: 'bob', password: 'bob-password' });
    const sinkRelay = (await sink.allocate()).relayed;
    const relays = [(await first.allocate()).relayed, (await second.allocate()).relayed];
    await sink.createPermission(relays);
    await first.createPermission([sinkRelay]);
    await second.createPermission([sinkRelay]);
    let received = 0;
    sink.on('data', () => received++);
    for (let i = 0; i < 30; i++) {
      first.send(sinkRelay, Buffer.alloc(1000));
      second.send(sinkRelay, Buffer.alloc(1000));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // alice's two allocations share 20 kB/s: about 20 of the 60 datagrams pass.
    expect(received).toBeGreaterThanOrEqual(10);
    expect(received).toBeLessThan(40);
    expect(server.stats.droppedBandwidth).toBe(60 - received);
  });

  it('applies a server-wide cap to everyone', async () => {
    const server = await startServer({ totalBandwidth: 5_000 });
    const received = await burst(server, 40, 1000);
    expect(received).toBeLessThan(15);
    expect(server.stats.droppedBandwidth).toBeGreaterThan(20);
  });

  it('relays everything when no cap is set', async () => {
    const server = await startServer();
    expect(await burst(server, 40, 1000)).toBe(40);
    expect(server.stats.droppedBandwidth).toBe(0);
  });
});

describe('drain mode', () => {
  it('refuses new allocations with 508 and keeps existing ones', async () => {
    const server = await startServer();
    const existing = client(server, 'udp');
    await existing.allocate();
    server.drain();
    const fresh = client(server, 'tcp');
    await expect(fresh.allocate()).rejects.toMatchObject({ status: ErrorCode.InsufficientCapacity });
    expect(await existing.refresh(600)).toBe(600);
    expect(server.allocations).toBe(1);
    expect(server.stats.refusedDraining).toBe(1);
  });

  it('refers new allocations to the alternate server with 300 ALTERNATE-SERVER', async () => {
    const alternate: TransportAddress = { family: 4, address: '192.0.2.10', port: 3478 };
    const server = await startServer({ alternateServer: alternate });
    server.drain();
    const turn = client(server, 'udp');
    const response = await turn.request(Method.Allocate, (builder) =>
      builder.addUint32(AttributeType.RequestedTransport, TransportProtocol.UDP << 24),
    );
    expect(response.messageClass).toBe(MessageClass.ErrorResponse);
    expect(response.getErrorCode()?.code).toBe(ErrorCode.TryAlternate);
    expect(response.getAddress(AttributeType.AlternateServer)).toEqual(alternate);
  });
});
