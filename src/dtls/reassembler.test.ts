import { describe, expect, it } from 'vitest';
import { HandshakeType } from './constants.js';
import {
  decodeHandshakeFragment,
  encodeHandshakeFragment,
  HANDSHAKE_HEADER_SIZE,
} from './handshake-header.js';
import { HandshakeReassembler, MAX_MESSAGES_AHEAD } from './reassembler.js';

function fragment(
  seq: number,
  body: Buffer,
  offset: number,
  length: number,
  type: number = HandshakeType.certificate,
) {
  const decoded = decodeHandshakeFragment(encodeHandshakeFragment(type, seq, body, offset, length));
  if (!decoded.ok) throw decoded.error;
  return decoded.value.fragment;
}

const body = Buffer.from(Array.from({ length: 100 }, (_, i) => i));

describe('handshake header', () => {
  it('encodes the RFC 6347 §4.2.2 layout', () => {
    const encoded = encodeHandshakeFragment(HandshakeType.clientHello, 2, body, 10, 20);
    expect(encoded.subarray(0, HANDSHAKE_HEADER_SIZE).toString('hex')).toBe(
      '01' + '000064' + '0002' + '00000a' + '000014',
    );
    expect(encoded.subarray(HANDSHAKE_HEADER_SIZE)).toEqual(body.subarray(10, 30));
  });

  it('refuses fragments past the message or the record', () => {
    const encoded = encodeHandshakeFragment(HandshakeType.clientHello, 0, body, 90, 10);
    encoded.writeUIntBE(95, 6, 3); // offset 95 + 10 > 100
    expect(decodeHandshakeFragment(encoded).ok).toBe(false);
    expect(decodeHandshakeFragment(encodeHandshakeFragment(1, 0, body).subarray(0, 50)).ok).toBe(false);
  });
});

describe('HandshakeReassembler', () => {
  it('reassembles out-of-order, overlapping and repeated fragments', () => {
    const reassembler = new HandshakeReassembler();
    expect(reassembler.add(fragment(0, body, 60, 40))).toBe('buffered');
    expect(reassembler.next()).toBeUndefined();
    reassembler.add(fragment(0, body, 0, 30));
    reassembler.add(fragment(0, body, 20, 30)); // overlaps 20..30
    reassembler.add(fragment(0, body, 0, 30)); // repeated
    expect(reassembler.next()).toBeUndefined(); // 50..60 still missing
    reassembler.add(fragment(0, body, 45, 20));
    const message = reassembler.next();
    expect(message?.messageSeq).toBe(0);
    expect(message?.body).toEqual(body);
    expect(reassembler.nextSeq).toBe(1);
  });

  it('holds later messages until their turn and releases them in order', () => {
    const reassembler = new HandshakeReassembler();
    reassembler.add(fragment(2, Buffer.from('two'), 0, 3));
    reassembler.add(fragment(1, Buffer.from('one'), 0, 3));
    expect(reassembler.next()).toBeUndefined();
    reassembler.add(fragment(0, Buffer.from('zero'), 0, 4));
    expect(
      [reassembler.next(), reassembler.next(), reassembler.next()].map((m) => m?.body.toString()),
    ).toEqual(['zero', 'one', 'two']);
    expect(reassembler.next()).toBeUndefined();
  });

  it('releases empty messages (ServerHelloDone)', () => {
    const reassembler = new HandshakeReassembler(4);
    reassembler.add(fragment(4, Buffer.alloc(0), 0, 0, HandshakeType.serverHelloDone));
    expect(reassembler.next()?.messageType).toBe(HandshakeType.serverHelloDone);
  });

  it('classifies old, far-ahead and conflicting fragments', () => {
    const reassembler = new HandshakeReassembler(3);
    expect(reassembler.add(fragment(2, body, 0, 10))).toBe('old');
    expect(reassembler.add(fragment(3 + MAX_MESSAGES_AHEAD, body, 0, 10))).toBe('too-far');
    expect(reassembler.add(fragment(3, body, 0, 10))).toBe('buffered');
    expect(reassembler.add(fragment(3, body.subarray(0, 50), 10, 10))).toBe('conflict');
    expect(reassembler.add(fragment(3, body, 10, 10, HandshakeType.finished))).toBe('conflict');
  });

  it('copies fragment bytes so the datagram may be reused', () => {
    const reassembler = new HandshakeReassembler();
    const encoded = encodeHandshakeFragment(HandshakeType.finished, 0, Buffer.from('abcdef'));
    const decoded = decodeHandshakeFragment(encoded);
    if (!decoded.ok) throw decoded.error;
    reassembler.add(decoded.value.fragment);
    encoded.fill(0);
    expect(reassembler.next()?.body.toString()).toBe('abcdef');
  });

  it('reset forgets partial messages', () => {
    const reassembler = new HandshakeReassembler();
    reassembler.add(fragment(0, body, 0, 10));
    reassembler.reset(1);
    expect(reassembler.empty).toBe(true);
    expect(reassembler.nextSeq).toBe(1);
  });
});
