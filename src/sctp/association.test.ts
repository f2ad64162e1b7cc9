/**
 * Two associations wired back to back over an in-memory link on virtual
 * time. The link can lose, duplicate and reorder packets, driven by a seeded
 * PRNG so every run is the same.
 */
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from '../../test/fakes/virtual-timers.js';
import { SctpAssociation, type SctpAssociationOptions } from './association.js';
import type { SctpError } from './errors.js';
import { decodeSctpPacket, sctpChecksum } from './packet.js';

/** Mulberry32: small, fast, seeded. */
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
  seed?: number;
  loss?: number;
  duplicate?: number;
  /** One-way delay is delayMs plus up to jitterMs, which reorders packets. */
  delayMs?: number;
  jitterMs?: number;
  /** Rewrites or drops (returns undefined) packets from a to b. */
  tamperAtoB?: (packet: Buffer) => Buffer | undefined;
}

interface Received {
  streamId: number;
  ppid: number;
  data: Buffer;
}

function pair(link: LinkOptions = {}, options: Partial<SctpAssociationOptions> = {}) {
  const clock = new VirtualTimers();
  const random = prng(link.seed ?? 1);
  const loss = link.loss ?? 0;
  const duplicate = link.duplicate ?? 0;
  const delayMs = link.delayMs ?? 10;
  const jitterMs = link.jitterMs ?? 0;
  const peers: { a?: SctpAssociation; b?: SctpAssociation } = {};
  const carry = (to: 'a' | 'b', packet: Buffer) => {
    if (random() < loss) return;
    const copies = random() < duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++)
      clock.setTimer(() => peers[to]?.handlePacket(packet), delayMs + random() * jitterMs);
  };
  // DATA chunks unless a test asks for I-DATA (association-i-data.test.ts covers that path).
  const base = { timers: clock, cookieSecret: Buffer.alloc(32, 1), messageInterleaving: false, ...options };
  const a = new SctpAssociation({
    ...base,
    localPort: 5000,
    remotePort: 5001,
    send: (packet) => {
      const out = link.tamperAtoB ? link.tamperAtoB(packet) : packet;
      if (out) carry('b', out);
    },
  });
  const b = new SctpAssociation({
    ...base,
    localPort: 5001,
    remotePort: 5000,
    send: (packet) => carry('a', packet),
  });
  peers.a = a;
  peers.b = b;
  const received: { a: Received[]; b: Received[] } = { a: [], b: [] };
  a.on('message', (streamId, ppid, data) => received.a.push({ streamId, ppid, data }));
  b.on('message', (streamId, ppid, data) => received.b.push({ streamId, ppid, data }));
  const closed: { a?: SctpError | null; b?: SctpError | null } = {};
  a.on('close', (error) => {
    closed.a = error ?? null;
  });
  b.on('close', (error) => {
    closed.b = error ?? null;
  });
  const open = () => a.state === 'established' && b.state === 'established';
  return { clock, a, b, received, closed, open };
}

function payload(random: () => number, size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) data[i] = (random() * 256) | 0;
  return data;
}

const SIZES = [1, 2, 100, 1131, 1132, 1133, 4000, 65_536, 262_144];

/** Sends every size on four streams, half of them unordered, and checks what arrives. */
function exchange(link: LinkOptions, limitMs = 300_000) {
  const net = pair(link);
  net.a.connect();
  expect(net.clock.runUntil(net.open)).toBe(true);
  const random = prng(99);
  const sent: Array<Received & { unordered: boolean }> = [];
  for (const size of SIZES) {
    for (let streamId = 0; streamId < 4; streamId++) {
      const unordered = streamId % 2 === 1;
      const data = payload(random, size);
      const ppid = size === 1 ? 51 : 53;
      net.a.send(streamId, ppid, data, { unordered });
      sent.push({ streamId, ppid, data, unordered });
    }
  }
  expect(net.clock.runUntil(() => net.received.b.length >= sent.length, limitMs)).toBe(true);
  expect(net.received.b).toHaveLength(sent.length);
  for (let streamId = 0; streamId < 4; streamId++) {
    const expected = sent.filter((m) => m.streamId === streamId);
    const got = net.received.b.filter((m) => m.streamId === streamId);
    const key = (m: Received) => `${m.ppid}:${m.data.toString('base64')}`;
    if (streamId % 2 === 0) expect(got.map(key)).toEqual(expected.map(key));
    else expect(got.map(key).sort()).toEqual(expected.map(key).sort());
  }
  // Everything is acknowledged in the end.
  expect(net.clock.runUntil(() => net.a.bufferedAmount === 0, net.clock.time + 60_000)).toBe(true);
  return net;
}

describe('SctpAssociation', () => {
  it('completes the four-way handshake and opens both sides', () => {
    const net = pair();
    const opened: string[] = [];
    net.a.on('open', () => opened.push('a'));
    net.b.on('open', () => opened.push('b'));
    net.a.connect();
    expect(net.clock.runUntil(net.open)).toBe(true);
    expect(opened.sort()).toEqual(['a', 'b']);
    // INIT, INIT ACK, COOKIE ECHO, COOKIE ACK.
    expect(net.clock.time).toBe(40);
  });

  it('opens when both sides connect at once, as WebRTC peers do', () => {
    const net = pair();
    net.a.connect();
    net.b.connect();
    expect(net.clock.runUntil(net.open)).toBe(true);
    net.a.send(0, 51, Buffer.from('ping'));
    net.b.send(0, 51, Buffer.from('pong'));
    net.clock.advance(1000);
    expect(net.received.b.map((m) => m.data.toString())).toEqual(['ping']);
    expect(net.received.a.map((m) => m.data.toString())).toEqual(['pong']);
  });

  it('carries 1 byte to 256 KiB messages, ordered and unordered, on several streams', () => {
    const net = exchange({ jitterMs: 0 });
    expect(net.a.stats.retransmissions).toBe(0);
  });

  it('delivers everything exactly once over a link that loses 5 %, duplicates and reorders', () => {
    const net = exchange({ seed: 7, loss: 0.05, duplicate: 0.03, jitterMs: 15 });
    expect(net.a.stats.retransmissions).toBeGreaterThan(0);
    expect(net.a.stats.fastRetransmissions).toBeGreaterThan(0);
    expect(net.b.stats.duplicateTsnsReceived).toBeGreaterThan(0);
  });

  it('delivers everything exactly once over a link that loses 10 %', () => {
    const net = exchange({ seed: 11, loss: 0.1, jitterMs: 5 });
    expect(net.a.stats.fastRetransmissions).toBeGreaterThan(0);
    expect(net.a.stats.t3Expirations).toBeGreaterThan(0);
  });

  it('recovers a lone lost packet by the retransmission timer', () => {
    let dropped = 0;
    const net = pair({
      tamperAtoB: (packet) => {
        const decoded = decodeSctpPacket(packet);
        if (decoded.ok && decoded.value.chunks[0].type === 0 && dropped === 0) {
          dropped++;
          return undefined;
        }
        return packet;
      },
    });
    net.a.connect();
    net.clock.runUntil(net.open);
    net.a.send(3, 51, Buffer.from('hello'));
    expect(net.clock.runUntil(() => net.received.b.length === 1, 5_000)).toBe(true);
    expect(net.a.stats.t3Expirations).toBe(1);
    expect(net.received.b[0].data.toString()).toBe('hello');
  });

  it('fast-retransmits a lost packet once, not again while its copy is on the way', () => {
    // One DATA packet lost in the middle of a window: SACKs for the packets sent before its
    // retransmission keep reporting it missing until the copy arrives; counting those as new
    // miss indications would resend it again (and again), each copy a duplicate at the peer.
    let dataPackets = 0;
    const net = pair({
      delayMs: 20,
      tamperAtoB: (packet) => {
        const decoded = decodeSctpPacket(packet);
        if (decoded.ok && decoded.value.chunks[0].type === 0 && ++dataPackets === 60) return undefined;
        return packet;
      },
    });
    net.a.connect();
    net.clock.runUntil(net.open);
    const message = Buffer.alloc(256 * 1024, 0x5a);
    for (let i = 0; i < 4; i++) net.a.send(1, 53, message);
    expect(net.clock.runUntil(() => net.received.b.length === 4, 30_000)).toBe(true);
    expect(net.received.b.every((received) => received.data.equals(message))).toBe(true);
    expect(net.a.stats.fastRetransmissions).toBe(1);
    expect(net.a.stats.retransmissions).toBe(1);
    expect(net.b.stats.duplicateTsnsReceived).toBe(0);
  });

  it('abandons messages past maxRetransmits with FORWARD TSN and keeps the association going', () => {
    const net = pair({ seed: 3, loss: 0.3 });
    net.a.connect();
    expect(net.clock.runUntil(net.open, 60_000)).toBe(true);
    const sent = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const text = `unreliable ${i}`;
      sent.add(text);
      net.a.send(1, 51, Buffer.from(text), { unordered: true, maxRetransmits: 0 });
    }
    for (let i = 0; i < 50; i++) net.a.send(2, 51, Buffer.from(`ordered lossy ${i}`), { maxRetransmits: 0 });
    net.a.send(0, 51, Buffer.from('reliable'));
    expect(net.clock.runUntil(() => net.received.b.some((m) => m.streamId === 0), 120_000)).toBe(true);
    expect(net.clock.runUntil(() => net.a.bufferedAmount === 0, net.clock.time + 120_000)).toBe(true);
    expect(net.a.stats.forwardTsnsSent).toBeGreaterThan(0);
    expect(net.a.stats.messagesAbandoned).toBeGreaterThan(0);
    const unreliable = net.received.b.filter((m) => m.streamId === 1).map((m) => m.data.toString());
    expect(unreliable.length).toBeLessThan(200);
    for (const text of unreliable) expect(sent.has(text)).toBe(true);
    expect(new Set(unreliable).size).toBe(unreliable.length);
    // Ordered but partially reliable: what arrives is in order.
    const ordered = net.received.b
      .filter((m) => m.streamId === 2)
      .map((m) => Number(m.data.toString().split(' ')[2]));
    expect(ordered).toEqual([...ordered].sort((x, y) => x - y));
    // The association still works afterwards, ordered stream 2 included.
    net.a.send(2, 51, Buffer.from('after'));
    expect(
      net.clock.runUntil(() => net.received.b.at(-1)?.data.toString() === 'after', net.clock.time + 60_000),
    ).toBe(true);
  });

  it('drops messages whose lifetime ran out before they could be sent', () => {
    const net = pair({ delayMs: 50 });
    net.a.connect();
    net.clock.runUntil(net.open);
    // Far more than one congestion window: the tail waits in the queue past its lifetime.
    for (let i = 0; i < 100; i++) net.a.send(4, 53, Buffer.alloc(1100, i), { maxPacketLifeTimeMs: 30 });
    net.a.send(4, 51, Buffer.from('last'), {});
    expect(net.clock.runUntil(() => net.received.b.at(-1)?.data.toString() === 'last', 60_000)).toBe(true);
    expect(net.a.stats.messagesAbandoned).toBeGreaterThan(0);
    expect(net.received.b.length).toBeLessThan(101);
    const values = net.received.b.slice(0, -1).map((m) => m.data[0]);
    expect(values).toEqual([...values].sort((x, y) => x - y));
  });

  it('resets streams both ways and restarts their sequence numbers', () => {
    const net = pair();
    net.a.connect();
    net.clock.runUntil(net.open);
    net.a.send(1, 51, Buffer.from('before'));
    net.a.send(1, 51, Buffer.from('before 2'));
    const resets: string[] = [];
    net.a.on('streamreset', (ids, direction) => resets.push(`a ${direction} ${ids}`));
    net.b.on('streamreset', (ids, direction) => {
      resets.push(`b ${direction} ${ids}`);
      // A data channel closes by resetting its side in answer (RFC 8831 §6.7).
      if (direction === 'incoming') net.b.resetStreams(ids);
    });
    net.a.resetStreams([1]);
    net.a.send(1, 51, Buffer.from('after'));
    net.clock.advance(2_000);
    expect(resets.sort()).toEqual(['a incoming 1', 'a outgoing 1', 'b incoming 1', 'b outgoing 1']);
    expect(net.received.b.map((m) => m.data.toString())).toEqual(['before', 'before 2', 'after']);
    net.b.send(1, 51, Buffer.from('reply'));
    net.clock.advance(1_000);
    expect(net.received.a.map((m) => m.data.toString())).toEqual(['reply']);
  });

  it('shuts down gracefully after delivering what was queued', () => {
    const net = pair({ seed: 5, loss: 0.05 });
    net.a.connect();
    net.clock.runUntil(net.open, 30_000);
    const big = payload(prng(1), 100_000);
    net.a.send(0, 53, big);
    net.a.shutdown();
    expect(() => net.a.send(0, 51, Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_INVALID_STATE' }),
    );
    expect(net.clock.runUntil(() => net.closed.a !== undefined && net.closed.b !== undefined, 60_000)).toBe(
      true,
    );
    expect(net.closed).toEqual({ a: null, b: null });
    expect(net.received.b).toHaveLength(1);
    expect(net.received.b[0].data.equals(big)).toBe(true);
  });

  it('aborts: the peer closes with ERR_SCTP_ABORTED', () => {
    const net = pair();
    net.a.connect();
    net.clock.runUntil(net.open);
    net.a.abort('going away');
    net.a.abort('twice is harmless');
    net.clock.advance(100);
    expect(net.closed.a).toBeNull();
    expect(net.closed.b?.code).toBe('ERR_SCTP_ABORTED');
    expect(net.b.state).toBe('closed');
  });

  it('refuses a tampered cookie and keeps no state for it', () => {
    const net = pair({
      tamperAtoB: (packet) => {
        const decoded = decodeSctpPacket(packet);
        if (!decoded.ok || decoded.value.chunks[0].type !== 10) return packet;
        const copy = Buffer.from(packet);
        copy[COOKIE_BYTE] ^= 1;
        copy.writeUInt32LE(sctpChecksum(copy), 8);
        return copy;
      },
    });
    net.a.connect();
    net.clock.advance(3_000);
    expect(net.b.state).toBe('new');
    expect(net.b.stats.chunksDropped).toBeGreaterThan(0);
    expect(net.a.state).toBe('cookie-echoed');
    expect(net.clock.runUntil(() => net.closed.a !== undefined, 600_000)).toBe(true);
    expect(net.closed.a?.code).toBe('ERR_SCTP_TIMEOUT');
  });

  it('ignores garbage and damaged packets without disturbing the association', () => {
    let header: Buffer | undefined;
    const net = pair({
      tamperAtoB: (packet) => {
        header ??= Buffer.from(packet.subarray(0, 8));
        return packet;
      },
    });
    net.a.connect();
    net.clock.runUntil(net.open);
    net.a.send(0, 51, Buffer.from('first'));
    net.clock.advance(500);
    const random = prng(1234);
    // The COOKIE ECHO carried b's tag: reuse ports and tag so the chunks get past the header checks.
    expect(header).toBeDefined();
    for (let i = 0; i < 2000; i++) {
      const garbage = payload(random, 12 + ((random() * 120) | 0));
      if (i % 4 !== 0) {
        header!.copy(garbage, 0);
        // Plausible chunk headers: known types with random flags, lengths and values.
        garbage[12] = [0, 3, 6, 7, 9, 10, 11, 130, 192, 64, 0x3f, 0xff][i % 12];
        garbage.writeUInt32LE(sctpChecksum(garbage), 8);
      }
      if (garbage[12] === 6 || garbage[12] === 7) continue; // a valid ABORT or SHUTDOWN would end it, rightly
      net.b.handlePacket(garbage);
    }
    expect(net.b.state).toBe('established');
    expect(net.b.stats.packetsDropped + net.b.stats.chunksDropped).toBeGreaterThan(500);
    expect(net.b.stats.internalErrors).toBe(0);
    net.a.send(0, 51, Buffer.from('second'));
    net.clock.advance(2_000);
    expect(net.received.b.map((m) => m.data.toString())).toEqual(['first', 'second']);
  });

  it('refuses misuse with typed errors', () => {
    const net = pair();
    expect(() => net.a.send(0, 51, Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_INVALID_STATE' }),
    );
    net.a.connect();
    expect(() => net.a.connect()).toThrow(expect.objectContaining({ code: 'ERR_SCTP_INVALID_STATE' }));
    net.clock.runUntil(net.open);
    expect(() => net.a.send(0, 51, Buffer.alloc(0))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_INVALID_ARGUMENT' }),
    );
    expect(() => net.a.send(0, 51, Buffer.alloc(300_000))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_MESSAGE_TOO_LARGE' }),
    );
    expect(() => net.a.send(70_000, 51, Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'ERR_SCTP_INVALID_ARGUMENT' }),
    );
  });
});

/** Offset of a cookie byte inside a COOKIE ECHO packet: common header, chunk header, then the cookie. */
const COOKIE_BYTE = 12 + 4 + 20;
