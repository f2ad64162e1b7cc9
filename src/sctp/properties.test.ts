/**
 * Property tests for every SCTP decoder: decode(encode(x)) = x, and garbage
 * or damaged input never makes a decoder throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkSize, decodeChunk, encodeChunkTo, type SctpChunk } from './chunk.js';
import { ChunkType, decodeRawChunk } from './chunk-header.js';
import { decodeSctpPacket, encodeSctpPacketTo, sctpPacketSize } from './packet.js';
import { decodeStateCookie, encodeStateCookie, STATE_COOKIE_SIZE } from './state-cookie.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((array) => Buffer.from(array));
const dataFlags = {
  unordered: fc.boolean(),
  beginning: fc.boolean(),
  ending: fc.boolean(),
  immediate: fc.boolean(),
};
/** Raw parameters of types the INIT decoder does not turn into fields. */
const otherParameter = fc.record({
  type: u16.filter((type) => type !== 7 && type !== 0x8008 && type !== 0xc000),
  value: bytes(0, 20),
});
const cause = fc.record({ code: u16, info: bytes(0, 20) });

const chunkArbitrary: fc.Arbitrary<SctpChunk> = fc.oneof(
  fc.record({
    kind: fc.constant('data' as const),
    ...dataFlags,
    tsn: u32,
    streamId: u16,
    streamSequenceNumber: u16,
    ppid: u32,
    userData: bytes(1, 64),
  }),
  fc
    .record({
      kind: fc.constant('i-data' as const),
      ...dataFlags,
      tsn: u32,
      streamId: u16,
      messageId: u32,
      ppid: u32,
      fragmentSequenceNumber: u32,
      userData: bytes(1, 64),
    })
    .map((chunk) => (chunk.beginning ? { ...chunk, fragmentSequenceNumber: 0 } : { ...chunk, ppid: 0 })),
  fc.record({
    kind: fc.constantFrom('init' as const, 'init-ack' as const),
    initiateTag: u32,
    advertisedReceiverWindowCredit: u32,
    outboundStreams: u16,
    inboundStreams: u16,
    initialTsn: u32,
    stateCookie: fc.option(bytes(0, 40), { nil: undefined }),
    forwardTsnSupported: fc.boolean(),
    supportedExtensions: fc.option(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }), {
      nil: undefined,
    }),
    otherParameters: fc.array(otherParameter, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('sack' as const),
    cumulativeTsnAck: u32,
    advertisedReceiverWindowCredit: u32,
    gapAckBlocks: fc.array(fc.record({ start: u16, end: u16 }), { maxLength: 8 }),
    duplicateTsns: fc.array(u32, { maxLength: 8 }),
  }),
  fc.record({ kind: fc.constantFrom('heartbeat' as const, 'heartbeat-ack' as const), info: bytes(0, 40) }),
  fc.record({
    kind: fc.constant('abort' as const),
    reflectedTag: fc.boolean(),
    causes: fc.array(cause, { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('error' as const),
    reflectedTag: fc.constant(false),
    causes: fc.array(cause, { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('shutdown' as const), cumulativeTsnAck: u32 }),
  fc.record({
    kind: fc.constantFrom('shutdown-ack' as const, 'cookie-ack' as const),
    reflectedTag: fc.constant(false),
  }),
  fc.record({ kind: fc.constant('shutdown-complete' as const), reflectedTag: fc.boolean() }),
  fc.record({ kind: fc.constant('cookie-echo' as const), cookie: bytes(0, 80) }),
  fc.record({
    kind: fc.constant('forward-tsn' as const),
    newCumulativeTsn: u32,
    streams: fc.array(fc.record({ streamId: u16, streamSequenceNumber: u16 }), { maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('i-forward-tsn' as const),
    newCumulativeTsn: u32,
    streams: fc.array(fc.record({ streamId: u16, unordered: fc.boolean(), messageId: u32 }), {
      maxLength: 6,
    }),
  }),
  fc.record({
    kind: fc.constant('re-config' as const),
    parameters: fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant('outgoing-ssn-reset' as const),
          requestSequenceNumber: u32,
          responseSequenceNumber: u32,
          senderLastAssignedTsn: u32,
          streamIds: fc.array(u16, { maxLength: 5 }),
        }),
        fc.record({
          kind: fc.constant('incoming-ssn-reset' as const),
          requestSequenceNumber: u32,
          streamIds: fc.array(u16, { maxLength: 5 }),
        }),
        fc.record({
          kind: fc.constant('response' as const),
          responseSequenceNumber: u32,
          result: u32,
          nextTsns: fc.option(fc.record({ sender: u32, receiver: u32 }), { nil: undefined }),
        }),
        fc.record({
          kind: fc.constant('other' as const),
          parameter: fc.record({ type: fc.constantFrom(15, 17, 18, 0x4000), value: bytes(0, 12) }),
        }),
      ),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constant('unknown' as const),
    type: fc.constantFrom(0x3f, 0x7f, 0xbf, 0xff, 0x41, 0x83),
    flags: fc.integer({ min: 0, max: 255 }),
    value: bytes(0, 30),
  }),
);

/** Deep equality that treats Buffers and Uint8Arrays with the same bytes as equal. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  return value;
}

describe('SCTP codec properties', () => {
  it('decode(encode(chunk)) = chunk for every chunk type', () => {
    fc.assert(
      fc.property(chunkArbitrary, (chunk) => {
        const buf = Buffer.alloc(chunkSize(chunk));
        expect(encodeChunkTo(buf, 0, chunk)).toBe(buf.length);
        expect(buf.length % 4).toBe(0);
        const raw = decodeRawChunk(buf, 0);
        if (!raw.ok) throw raw.error;
        expect(raw.value.next).toBe(buf.length);
        const decoded = decodeChunk(raw.value.chunk);
        if (!decoded.ok) throw decoded.error;
        expect(normalize(decoded.value)).toEqual(normalize(chunk));
      }),
      { numRuns: 600 },
    );
  });

  it('decode(encode(packet)) = packet, checksum included', () => {
    fc.assert(
      fc.property(
        u16,
        u16,
        u32,
        fc.array(chunkArbitrary, { minLength: 1, maxLength: 5 }),
        (src, dst, tag, chunks) => {
          const buf = Buffer.alloc(sctpPacketSize(chunks) + 3);
          const size = encodeSctpPacketTo(
            buf,
            3,
            { sourcePort: src, destinationPort: dst, verificationTag: tag },
            chunks,
          );
          const decoded = decodeSctpPacket(buf.subarray(3, 3 + size));
          if (!decoded.ok) throw decoded.error;
          expect(decoded.value.sourcePort).toBe(src);
          expect(decoded.value.destinationPort).toBe(dst);
          expect(decoded.value.verificationTag).toBe(tag);
          const again = decoded.value.chunks.map((raw) => {
            const chunk = decodeChunk(raw);
            if (!chunk.ok) throw chunk.error;
            return chunk.value;
          });
          expect(normalize(again)).toEqual(normalize(chunks));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('state cookies round-trip and refuse any changed byte', () => {
    const secret = Buffer.alloc(32, 7);
    fc.assert(
      fc.property(
        fc.record({
          createdAtMs: fc.integer({ min: 0, max: 2 ** 48 }),
          localTag: u32,
          peerTag: u32,
          localInitialTsn: u32,
          peerInitialTsn: u32,
          peerReceiverWindow: u32,
          peerOutboundStreams: u16,
          peerInboundStreams: u16,
          localPort: u16,
          remotePort: u16,
          peerForwardTsn: fc.boolean(),
          peerReconfig: fc.boolean(),
          peerIData: fc.boolean(),
          peerIForwardTsn: fc.boolean(),
        }),
        fc.integer({ min: 0, max: STATE_COOKIE_SIZE - 1 }),
        (cookie, flip) => {
          const encoded = encodeStateCookie(cookie, secret);
          const decoded = decodeStateCookie(encoded, secret);
          if (!decoded.ok) throw decoded.error;
          expect(decoded.value).toEqual(cookie);
          encoded[flip] ^= 0x40;
          expect(decodeStateCookie(encoded, secret).ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('garbage never makes the packet decoder throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (garbage, verify) => {
        const result = decodeSctpPacket(garbage, verify);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('garbage values of every known chunk type never make a decoder throw', () => {
    const types = Object.values(ChunkType);
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 120 }),
        (type, flags, value) => {
          const result = decodeChunk({ type, flags, value });
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('damaged valid chunks never make a decoder throw', () => {
    fc.assert(
      fc.property(
        chunkArbitrary,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (chunk, edits, cut) => {
          const buf = Buffer.alloc(chunkSize(chunk));
          encodeChunkTo(buf, 0, chunk);
          for (const [at, value] of edits) buf[at % buf.length] = value;
          const truncated = buf.subarray(0, cut % (buf.length + 1));
          const raw = decodeRawChunk(truncated, 0);
          if (raw.ok) expect(typeof decodeChunk(raw.value.chunk).ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
