/**
 * Codec vectors built by hand from the RFC diagrams: each is decoded, checked
 * field by field, and encoded back to the same bytes.
 */
import { describe, expect, it } from 'vitest';
import { chunkSize, decodeChunk, encodeChunkTo, type SctpChunk } from './chunk.js';
import { decodeRawChunk, unknownChunkAction } from './chunk-header.js';
import { decodeSctpPacket, encodeSctpPacketTo, sctpChecksum } from './packet.js';

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/** Decodes one chunk from bytes, checks it re-encodes to the same bytes, and returns it. */
function roundTrip(bytes: Buffer): SctpChunk {
  const raw = decodeRawChunk(bytes, 0);
  if (!raw.ok) throw raw.error;
  const decoded = decodeChunk(raw.value.chunk);
  if (!decoded.ok) throw decoded.error;
  const out = Buffer.alloc(chunkSize(decoded.value));
  expect(encodeChunkTo(out, 0, decoded.value)).toBe(out.length);
  expect(out.toString('hex')).toBe(bytes.toString('hex'));
  return decoded.value;
}

describe('chunk vectors', () => {
  it('DATA (RFC 9260 §3.3.1) with flags U, B, E and 3 bytes padded to 4', () => {
    const chunk = roundTrip(hex(`00 07 0013  00000064  0005 0009  00000033  616263 00`));
    expect(chunk).toMatchObject({
      kind: 'data',
      unordered: true,
      beginning: true,
      ending: true,
      immediate: false,
      tsn: 100,
      streamId: 5,
      streamSequenceNumber: 9,
      ppid: 51,
    });
    if (chunk.kind === 'data') expect(Buffer.from(chunk.userData).toString()).toBe('abc');
  });

  it('refuses DATA without user data', () => {
    const raw = decodeRawChunk(hex('00 03 0010 00000001 00000000 00000032'), 0);
    if (!raw.ok) throw raw.error;
    const decoded = decodeChunk(raw.value.chunk);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe('ERR_SCTP_BAD_FORMAT');
  });

  it('INIT (§3.3.2) with Forward-TSN-Supported and Supported Extensions', () => {
    const chunk = roundTrip(
      hex(`01 00 001e  11223344  00100000  ffff ffff  a0b0c0d0
           c000 0004  8008 0006 c082 0000`),
    );
    expect(chunk).toMatchObject({
      kind: 'init',
      initiateTag: 0x11223344,
      advertisedReceiverWindowCredit: 0x100000,
      outboundStreams: 65535,
      inboundStreams: 65535,
      initialTsn: 0xa0b0c0d0,
      forwardTsnSupported: true,
      supportedExtensions: [0xc0, 0x82],
      stateCookie: undefined,
    });
  });

  it('INIT ACK (§3.3.3) with a state cookie and an unknown parameter kept raw', () => {
    const chunk = roundTrip(
      hex(`02 00 0021  00000001 00000002 0001 0002 00000003  0007 0008 deadbeef  4321 0005 77 000000`),
    );
    expect(chunk.kind).toBe('init-ack');
    if (chunk.kind !== 'init-ack') return;
    expect(Buffer.from(chunk.stateCookie!).toString('hex')).toBe('deadbeef');
    expect(chunk.otherParameters).toHaveLength(1);
    expect(chunk.otherParameters[0].type).toBe(0x4321);
  });

  it('SACK (§3.3.4) with two gap blocks and one duplicate', () => {
    const chunk = roundTrip(hex(`03 00 001c  0000000a  00004000  0002 0001  0002 0003  0005 0005  00000007`));
    expect(chunk).toEqual({
      kind: 'sack',
      cumulativeTsnAck: 10,
      advertisedReceiverWindowCredit: 0x4000,
      gapAckBlocks: [
        { start: 2, end: 3 },
        { start: 5, end: 5 },
      ],
      duplicateTsns: [7],
    });
  });

  it('refuses a SACK whose counts do not match its length', () => {
    const raw = decodeRawChunk(hex(`03 00 0014  0000000a 00004000 0002 0000 00020003`), 0);
    if (!raw.ok) throw raw.error;
    const decoded = decodeChunk(raw.value.chunk);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe('ERR_SCTP_BAD_LENGTH');
  });

  it('HEARTBEAT and HEARTBEAT ACK (§3.3.5, §3.3.6)', () => {
    expect(roundTrip(hex(`04 00 000a 0001 0006 abcd 0000`))).toMatchObject({ kind: 'heartbeat' });
    expect(roundTrip(hex(`05 00 000a 0001 0006 abcd 0000`))).toMatchObject({ kind: 'heartbeat-ack' });
  });

  it('ABORT (§3.3.7) with the T bit and a User-Initiated Abort cause', () => {
    const chunk = roundTrip(hex(`06 01 000b 000c 0007 627965 00`));
    expect(chunk).toMatchObject({ kind: 'abort', reflectedTag: true });
    if (chunk.kind === 'abort') {
      expect(chunk.causes[0].code).toBe(12);
      expect(Buffer.from(chunk.causes[0].info).toString()).toBe('bye');
    }
  });

  it('ERROR (§3.3.10) with an Unrecognized Chunk Type cause', () => {
    const chunk = roundTrip(hex(`09 00 000c 0006 0008 7f000004`));
    expect(chunk).toMatchObject({ kind: 'error', reflectedTag: false });
  });

  it('SHUTDOWN, SHUTDOWN ACK, COOKIE ACK, SHUTDOWN COMPLETE (§3.3.8, 9, 12, 13)', () => {
    expect(roundTrip(hex('07 00 0008 01020304'))).toEqual({ kind: 'shutdown', cumulativeTsnAck: 0x01020304 });
    expect(roundTrip(hex('08 00 0004'))).toEqual({ kind: 'shutdown-ack', reflectedTag: false });
    expect(roundTrip(hex('0b 00 0004'))).toEqual({ kind: 'cookie-ack', reflectedTag: false });
    expect(roundTrip(hex('0e 01 0004'))).toEqual({ kind: 'shutdown-complete', reflectedTag: true });
  });

  it('COOKIE ECHO (§3.3.11)', () => {
    const chunk = roundTrip(hex('0a 00 0009 0102030405 000000'));
    if (chunk.kind === 'cookie-echo') expect(chunk.cookie).toHaveLength(5);
    else expect.unreachable();
  });

  it('FORWARD TSN (RFC 3758 §3.2) with two streams', () => {
    expect(roundTrip(hex('c0 00 0010 00000100 0001 0002 0003 0004'))).toEqual({
      kind: 'forward-tsn',
      newCumulativeTsn: 0x100,
      streams: [
        { streamId: 1, streamSequenceNumber: 2 },
        { streamId: 3, streamSequenceNumber: 4 },
      ],
    });
  });

  it('RE-CONFIG (RFC 6525) with an outgoing reset request and a response', () => {
    const chunk = roundTrip(
      hex(`82 00 0024  000d 0012 00000010 00000020 00000030 0001 0000  0010 000c 00000040 00000001`),
    );
    expect(chunk).toEqual({
      kind: 're-config',
      parameters: [
        {
          kind: 'outgoing-ssn-reset',
          requestSequenceNumber: 0x10,
          responseSequenceNumber: 0x20,
          senderLastAssignedTsn: 0x30,
          streamIds: [1],
        },
        { kind: 'response', responseSequenceNumber: 0x40, result: 1, nextTsns: undefined },
      ],
    });
  });

  it('RE-CONFIG with an incoming reset request for every stream', () => {
    expect(roundTrip(hex('82 00 000c 000e 0008 00000005'))).toEqual({
      kind: 're-config',
      parameters: [{ kind: 'incoming-ssn-reset', requestSequenceNumber: 5, streamIds: [] }],
    });
  });

  it('I-DATA (RFC 8260 §2.1): PPID on the first fragment, FSN on later ones', () => {
    const first = roundTrip(hex('40 02 0015 00000001 0002 0000 00000007 00000035 61 000000'));
    expect(first).toMatchObject({
      kind: 'i-data',
      beginning: true,
      messageId: 7,
      ppid: 53,
      fragmentSequenceNumber: 0,
    });
    const later = roundTrip(hex('40 01 0015 00000002 0002 0000 00000007 00000001 62 000000'));
    expect(later).toMatchObject({ kind: 'i-data', ending: true, ppid: 0, fragmentSequenceNumber: 1 });
  });

  it('keeps chunks of unknown type raw and reads their action bits (§3.2)', () => {
    const chunk = roundTrip(hex('c1 05 0005 aa 000000'));
    expect(chunk).toMatchObject({ kind: 'unknown', type: 0xc1, flags: 5 });
    expect(unknownChunkAction(0x3f)).toEqual({ stop: true, report: false });
    expect(unknownChunkAction(0x7f)).toEqual({ stop: true, report: true });
    expect(unknownChunkAction(0xbf)).toEqual({ stop: false, report: false });
    expect(unknownChunkAction(0xff)).toEqual({ stop: false, report: true });
  });
});

describe('packet', () => {
  // Common header (ports 5000 → 5000, tag 0x01020304), a COOKIE ACK and a SHUTDOWN; checksum filled below.
  const body = hex('1388 1388 01020304 00000000  0b 00 0004  07 00 0008 00000009');

  it('verifies and writes the CRC32c, least significant byte first (§6.8)', () => {
    const packet = Buffer.from(body);
    packet.writeUInt32LE(sctpChecksum(packet), 8);
    const decoded = decodeSctpPacket(packet);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toMatchObject({
      sourcePort: 5000,
      destinationPort: 5000,
      verificationTag: 0x01020304,
    });
    expect(decoded.value.chunks.map((chunk) => chunk.type)).toEqual([11, 7]);
    const out = Buffer.alloc(packet.length);
    encodeSctpPacketTo(out, 0, decoded.value, [
      { kind: 'cookie-ack', reflectedTag: false },
      { kind: 'shutdown', cumulativeTsnAck: 9 },
    ]);
    expect(out.toString('hex')).toBe(packet.toString('hex'));
    packet[20] ^= 1;
    const damaged = decodeSctpPacket(packet);
    expect(damaged.ok).toBe(false);
    if (!damaged.ok) expect(damaged.error.code).toBe('ERR_SCTP_BAD_CHECKSUM');
  });

  it('returns chunk values as views into the packet', () => {
    const packet = Buffer.from(body);
    const decoded = decodeSctpPacket(packet, false);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.chunks[1].value.buffer).toBe(packet.buffer);
  });

  it('accepts a last chunk without padding and refuses one that overruns', () => {
    const unpadded = hex('1388 1388 00000000 00000000  0a 00 0005 ff');
    expect(decodeSctpPacket(unpadded, false).ok).toBe(true);
    const overrun = hex('1388 1388 00000000 00000000  0a 00 0009 ff');
    const decoded = decodeSctpPacket(overrun, false);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe('ERR_SCTP_BAD_LENGTH');
  });
});
