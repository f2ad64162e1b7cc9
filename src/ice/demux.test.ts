import { describe, expect, it } from 'vitest';
import { classifyPacket, isMediaPacketKind, type PacketClass } from './demux.js';

describe('classifyPacket (RFC 7983 §7, RFC 5761 §4)', () => {
  const table: [number[], PacketClass][] = [
    [[], 'unknown'],
    [[0x00, 0x01], 'stun'],
    [[0x01, 0x01], 'stun'],
    [[0x03, 0x00], 'stun'],
    [[0x04], 'unknown'],
    [[0x0f], 'unknown'],
    [[0x10], 'zrtp'],
    [[0x13], 'zrtp'],
    [[0x14], 'dtls'], // ChangeCipherSpec
    [[0x16, 0xfe, 0xfd], 'dtls'], // handshake
    [[0x17], 'dtls'], // application data
    [[0x3f], 'dtls'],
    [[0x40, 0x00], 'turn-channel'],
    [[0x4f], 'turn-channel'],
    [[0x50], 'unknown'],
    [[0x7f], 'unknown'],
    [[0x80], 'unknown'], // no second byte to tell RTP from RTCP
    [[0x80, 0x00], 'rtp'], // PT 0
    [[0x80, 0x6f], 'rtp'], // PT 111 (Opus)
    [[0x80, 0xe0], 'rtp'], // marker + PT 96
    [[0x80, 0xbf], 'rtp'], // marker + PT 63
    [[0x80, 0xc0], 'rtcp'], // 192: FIR (RFC 2032), PT 64 after masking
    [[0x80, 0xc8], 'rtcp'], // SR
    [[0x81, 0xc9], 'rtcp'], // RR
    [[0x81, 0xcd], 'rtcp'], // RTPFB
    [[0x8f, 0xce], 'rtcp'], // PSFB
    [[0x80, 0xdf], 'rtcp'], // 223: PT 95 after masking
    [[0xbf, 0x60], 'rtp'],
    [[0xc0, 0xc8], 'unknown'],
    [[0xff], 'unknown'],
  ];
  it.each(table)('%j → %s', (bytes, expected) => {
    expect(classifyPacket(Buffer.from(bytes))).toBe(expected);
  });

  it('classifies every first byte into the RFC 7983 ranges', () => {
    for (let first = 0; first < 256; first++) {
      const kind = classifyPacket(Buffer.from([first, 0x60]));
      const expected =
        first <= 3
          ? 'stun'
          : first >= 16 && first <= 19
            ? 'zrtp'
            : first >= 20 && first <= 63
              ? 'dtls'
              : first >= 64 && first <= 79
                ? 'turn-channel'
                : first >= 128 && first <= 191
                  ? 'rtp'
                  : 'unknown';
      expect(kind, `first byte ${first}`).toBe(expected);
    }
  });

  it('tells RTCP from RTP for every second byte', () => {
    for (let second = 0; second < 256; second++) {
      expect(classifyPacket(Buffer.from([0x80, second]))).toBe(
        second >= 192 && second <= 223 ? 'rtcp' : 'rtp',
      );
    }
  });

  it('hands only DTLS, RTP and RTCP to agents', () => {
    expect(['dtls', 'rtp', 'rtcp'].every((kind) => isMediaPacketKind(kind as PacketClass))).toBe(true);
    for (const kind of ['stun', 'zrtp', 'turn-channel', 'unknown'] as PacketClass[]) {
      expect(isMediaPacketKind(kind)).toBe(false);
    }
  });
});
