/**
 * I-DATA (RFC 8260) between two associations: negotiated only when both
 * INITs list it, then carrying every message in I-DATA chunks, abandoning
 * with I-FORWARD-TSN, and resetting streams, over a link that loses,
 * duplicates and reorders packets (seeded, on virtual time).
 */
import { describe, expect, it } from 'vitest';
import { VirtualTimers } from '../../test/fakes/virtual-timers.js';
import { SctpAssociation } from './association.js';
import { ChunkType } from './chunk-header.js';
import { decodeSctpPacket } from './packet.js';

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

interface Received {
  streamId: number;
  ppid: number;
  data: Buffer;
}

/** Two associations over a seeded lossy link; `types` counts the chunk types each side sent. */
function pair(
  link: { seed?: number; loss?: number; duplicate?: number; jitterMs?: number } = {},
  interleaving: { a?: boolean; b?: boolean } = {},
) {
  const clock = new VirtualTimers();
  const random = prng(link.seed ?? 1);
  const types = { a: new Map<number, number>(), b: new Map<number, number>() };
  const peers: { a?: SctpAssociation; b?: SctpAssociation } = {};
  const carry = (from: 'a' | 'b', packet: Buffer) => {
    const decoded = decodeSctpPacket(packet);
    if (decoded.ok)
      for (const chunk of decoded.value.chunks)
        types[from].set(chunk.type, (types[from].get(chunk.type) ?? 0) + 1);
    if (random() < (link.loss ?? 0)) return;
    const copies = random() < (link.duplicate ?? 0) ? 2 : 1;
    const to = from === 'a' ? 'b' : 'a';
    for (let i = 0; i < copies; i++)
      clock.setTimer(() => peers[to]?.handlePacket(packet), 10 + random() * (link.jitterMs ?? 0));
  };
  const base = { timers: clock, cookieSecret: Buffer.alloc(32, 7) };
  const a = new SctpAssociation({
    ...base,
    localPort: 5000,
    remotePort: 5001,
    messageInterleaving: interleaving.a,
    send: (packet) => carry('a', packet),
  });
  const b = new SctpAssociation({
    ...base,
    localPort: 5001,
    remotePort: 5000,
    messageInterleaving: interleaving.b,
    send: (packet) => carry('b', packet),
  });
  peers.a = a;
  peers.b = b;
  const received: { a: Received[]; b: Received[] } = { a: [], b: [] };
  a.on('message', (streamId, ppid, data) => received.a.push({ streamId, ppid, data }));
  b.on('message', (streamId, ppid, data) => received.b.push({ streamId, ppid, data }));
  a.connect();
  b.connect();
  expect(clock.runUntil(() => a.state === 'established' && b.state === 'established', 60_000)).toBe(true);
  return { clock, a, b, received, types };
}

function payload(random: () => number, size: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) data[i] = (random() * 256) | 0;
  return data;
}

const SIZES = [1, 2, 100, 1119, 1120, 1121, 4000, 65_536, 262_144];

describe('I-DATA (RFC 8260)', () => {
  it('is used only when both sides list it in their INIT', () => {
    for (const [interleaving, expected] of [
      [{ a: true, b: true }, ChunkType.IData],
      [{ a: true, b: false }, ChunkType.Data],
      [{ a: false, b: true }, ChunkType.Data],
    ] as const) {
      const net = pair({}, interleaving);
      net.a.send(1, 51, Buffer.from('from a'));
      net.b.send(1, 51, Buffer.from('from b'));
      net.clock.advance(1_000);
      expect(net.received.b.map((m) => m.data.toString())).toEqual(['from a']);
      expect(net.received.a.map((m) => m.data.toString())).toEqual(['from b']);
      const other = expected === ChunkType.IData ? ChunkType.Data : ChunkType.IData;
      for (const side of ['a', 'b'] as const) {
        expect(net.types[side].get(expected)).toBeGreaterThan(0);
        expect(net.types[side].get(other)).toBeUndefined();
      }
      expect(net.a.stats.protocolViolations + net.b.stats.protocolViolations).toBe(0);
    }
  });

  it('delivers 1 byte to 256 KiB, ordered and unordered, exactly once over a link that loses 5 %, duplicates and reorders', () => {
    const net = pair({ seed: 5, loss: 0.05, duplicate: 0.03, jitterMs: 15 });
    const random = prng(42);
    const sent: Array<Received & { unordered: boolean }> = [];
    for (const size of SIZES) {
      for (let streamId = 0; streamId < 4; streamId++) {
        const unordered = streamId % 2 === 1;
        const data = payload(random, size);
        net.a.send(streamId, 53, data, { unordered });
        sent.push({ streamId, ppid: 53, data, unordered });
      }
    }
    expect(net.clock.runUntil(() => net.received.b.length >= sent.length, 600_000)).toBe(true);
    expect(net.received.b).toHaveLength(sent.length);
    for (let streamId = 0; streamId < 4; streamId++) {
      const key = (m: Received) => m.data.toString('base64');
      const expected = sent.filter((m) => m.streamId === streamId).map(key);
      const got = net.received.b.filter((m) => m.streamId === streamId).map(key);
      if (streamId % 2 === 0) expect(got).toEqual(expected);
      else expect([...got].sort()).toEqual([...expected].sort());
    }
    expect(net.types.a.get(ChunkType.Data)).toBeUndefined();
    expect(net.a.stats.retransmissions).toBeGreaterThan(0);
    expect(net.clock.runUntil(() => net.a.bufferedAmount === 0, net.clock.time + 60_000)).toBe(true);
  });

  it('abandons messages with I-FORWARD-TSN and keeps ordered streams in order', () => {
    const net = pair({ seed: 3, loss: 0.3 });
    const sent = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const text = `unreliable ${i} ${'x'.repeat(i * 30)}`;
      sent.add(text);
      net.a.send(1, 51, Buffer.from(text), { unordered: true, maxRetransmits: 0 });
    }
    for (let i = 0; i < 50; i++)
      net.a.send(2, 51, Buffer.from(`ordered lossy ${i} ${'y'.repeat(i * 50)}`), { maxRetransmits: 0 });
    net.a.send(0, 51, Buffer.from('reliable'));
    expect(net.clock.runUntil(() => net.received.b.some((m) => m.streamId === 0), 300_000)).toBe(true);
    expect(net.clock.runUntil(() => net.a.bufferedAmount === 0, net.clock.time + 300_000)).toBe(true);
    expect(net.a.stats.messagesAbandoned).toBeGreaterThan(0);
    expect(net.types.a.get(ChunkType.IForwardTsn)).toBeGreaterThan(0);
    expect(net.types.a.get(ChunkType.ForwardTsn)).toBeUndefined();
    const unreliable = net.received.b.filter((m) => m.streamId === 1).map((m) => m.data.toString());
    for (const text of unreliable) expect(sent.has(text)).toBe(true);
    expect(new Set(unreliable).size).toBe(unreliable.length);
    const ordered = net.received.b
      .filter((m) => m.streamId === 2)
      .map((m) => Number(m.data.toString().split(' ')[2]));
    expect(ordered).toEqual([...ordered].sort((x, y) => x - y));
    // Both ordered and unordered streams carry on afterwards.
    net.a.send(2, 51, Buffer.from('after, ordered'));
    net.a.send(1, 51, Buffer.from('after, unordered'), { unordered: true });
    expect(
      net.clock.runUntil(
        () =>
          net.received.b.some((m) => m.data.toString() === 'after, ordered') &&
          net.received.b.some((m) => m.data.toString() === 'after, unordered'),
        net.clock.time + 120_000,
      ),
    ).toBe(true);
    expect(net.b.stats.protocolViolations).toBe(0);
  });

  it('restarts message identifiers at 0 when streams are reset', () => {
    const net = pair({ seed: 9, loss: 0.1, jitterMs: 5 });
    net.a.send(1, 51, Buffer.from('before'));
    net.a.send(1, 51, Buffer.from('before, unordered'), { unordered: true });
    net.a.send(1, 51, Buffer.from('before 2'));
    net.b.on('streamreset', (ids, direction) => {
      if (direction === 'incoming') net.b.resetStreams(ids);
    });
    const resets: string[] = [];
    net.a.on('streamreset', (ids, direction) => resets.push(`${direction} ${ids}`));
    net.a.resetStreams([1]);
    net.a.send(1, 51, Buffer.from('after'));
    net.a.send(1, 51, Buffer.from('after, unordered'), { unordered: true });
    expect(net.clock.runUntil(() => net.received.b.length === 5, 120_000)).toBe(true);
    const ordered = net.received.b
      .map((m) => m.data.toString())
      .filter((text) => !text.includes('unordered'));
    expect(ordered).toEqual(['before', 'before 2', 'after']);
    expect(resets.sort()).toEqual(['incoming 1', 'outgoing 1']);
    net.b.send(1, 51, Buffer.from('reply'));
    expect(net.clock.runUntil(() => net.received.a.length === 1, net.clock.time + 60_000)).toBe(true);
    // Every user-data chunk of both sides was I-DATA.
    for (const side of ['a', 'b'] as const) expect(net.types[side].get(ChunkType.Data)).toBeUndefined();
  });
});
