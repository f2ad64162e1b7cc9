/**
 * Properties of SrtpSession for both profiles: protect → unprotect is the
 * identity, any changed byte fails, replays are refused, the ROC follows
 * the sequence number across 65535 → 0, and garbage never throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SrtpError } from './errors.js';
import { AEAD_AES_128_GCM, AES128_CM_HMAC_SHA1_80, type SrtpProfile } from './profile.js';
import { SrtpSession } from './session.js';

const profiles: SrtpProfile[] = [AES128_CM_HMAC_SHA1_80, AEAD_AES_128_GCM];

function pair(profile: SrtpProfile, seed = 1): { sender: SrtpSession; receiver: SrtpSession } {
  const masterKey = Buffer.alloc(profile.keyLength, seed);
  const masterSalt = Buffer.alloc(profile.saltLength, seed + 0x40);
  return {
    sender: new SrtpSession({ profile, masterKey, masterSalt }),
    receiver: new SrtpSession({ profile, masterKey, masterSalt }),
  };
}

/** An RTP packet: fixed header with `csrcCount` CSRCs and an optional extension. */
function rtp(
  sequence: number,
  ssrc: number,
  payload: Uint8Array,
  csrcCount = 0,
  extensionWords = -1,
): Buffer {
  const extension = extensionWords >= 0 ? 4 + extensionWords * 4 : 0;
  const packet = Buffer.alloc(12 + csrcCount * 4 + extension + payload.length);
  packet[0] = 0x80 | (extension ? 0x10 : 0) | csrcCount;
  packet[1] = 111;
  packet.writeUInt16BE(sequence, 2);
  packet.writeUInt32BE(sequence * 960, 4);
  packet.writeUInt32BE(ssrc >>> 0, 8);
  for (let i = 0; i < csrcCount; i++) packet.writeUInt32BE(0x1000 + i, 12 + i * 4);
  if (extension) {
    const at = 12 + csrcCount * 4;
    packet.writeUInt16BE(0xbede, at);
    packet.writeUInt16BE(extensionWords, at + 2);
    packet.fill(0x5a, at + 4, at + extension);
  }
  packet.set(payload, 12 + csrcCount * 4 + extension);
  return packet;
}

/** An RTCP receiver report of `body` bytes after the sender SSRC. */
function rtcp(ssrc: number, body: Uint8Array): Buffer {
  const packet = Buffer.alloc(8 + body.length);
  packet[0] = 0x80;
  packet[1] = 201;
  packet.writeUInt16BE(((packet.length + 3) >> 2) - 1, 2);
  packet.writeUInt32BE(ssrc >>> 0, 4);
  packet.set(body, 8);
  return packet;
}

function expectCode(result: Buffer | SrtpError, code: string): void {
  expect(result).toBeInstanceOf(SrtpError);
  expect((result as SrtpError).code).toBe(code);
}

describe.each(profiles)('SrtpSession with $name', (profile) => {
  it('round-trips RTP packets of any shape', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 1400 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: -1, max: 4 }),
        (sequence, ssrc, payload, csrcCount, extensionWords) => {
          const { sender, receiver } = pair(profile);
          const packet = rtp(sequence, ssrc, payload, csrcCount, extensionWords);
          const protectedPacket = sender.protectRtp(packet);
          if (protectedPacket instanceof SrtpError) throw protectedPacket;
          expect(protectedPacket.length).toBe(packet.length + profile.rtpTagLength);
          expect(receiver.unprotectRtp(protectedPacket)).toEqual(packet);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('round-trips RTCP packets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 600 }),
        (ssrc, body) => {
          const { sender, receiver } = pair(profile);
          const packet = rtcp(ssrc, body);
          for (let i = 0; i < 3; i++) {
            const protectedPacket = sender.protectRtcp(packet);
            if (protectedPacket instanceof SrtpError) throw protectedPacket;
            expect(protectedPacket.readUInt32BE(protectedPacket.length - (profile.aead ? 4 : 14))).toBe(
              (0x80000000 | i) >>> 0,
            );
            expect(receiver.unprotectRtcp(protectedPacket)).toEqual(packet);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fails authentication when any byte of an SRTP packet changes', () => {
    const { sender } = pair(profile);
    const protectedPacket = sender.protectRtp(rtp(4242, 0xcafe, Buffer.alloc(40, 7), 1, 1)) as Buffer;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: protectedPacket.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, flip) => {
          const tampered = Buffer.from(protectedPacket);
          tampered[at] ^= flip;
          const result = pair(profile).receiver.unprotectRtp(tampered);
          expect(result).toBeInstanceOf(SrtpError);
          // A changed header may no longer parse; anything else is a tag mismatch.
          expect(['ERR_SRTP_AUTH_FAILED', 'ERR_SRTP_BAD_HEADER']).toContain((result as SrtpError).code);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fails authentication when any byte of an SRTCP packet changes', () => {
    const { sender } = pair(profile);
    const protectedPacket = sender.protectRtcp(rtcp(0xbeef, Buffer.alloc(24, 3))) as Buffer;
    for (let at = 0; at < protectedPacket.length; at++) {
      const tampered = Buffer.from(protectedPacket);
      tampered[at] ^= 0x01;
      const result = pair(profile).receiver.unprotectRtcp(tampered);
      expect(result, `byte ${at}`).toBeInstanceOf(SrtpError);
    }
  });

  it('refuses a replayed SRTP packet and one behind the window, but takes late ones inside it', () => {
    const { sender, receiver } = pair(profile);
    const packets = Array.from(
      { length: 1100 },
      (_, i) => sender.protectRtp(rtp(i, 9, Buffer.alloc(20))) as Buffer,
    );
    expect(receiver.unprotectRtp(packets[0])).toBeInstanceOf(Buffer);
    expectCode(receiver.unprotectRtp(packets[0]), 'ERR_SRTP_REPLAYED');
    expect(receiver.unprotectRtp(packets[1099])).toBeInstanceOf(Buffer);
    expect(receiver.unprotectRtp(packets[500])).toBeInstanceOf(Buffer);
    expectCode(receiver.unprotectRtp(packets[500]), 'ERR_SRTP_REPLAYED');
    expectCode(receiver.unprotectRtp(packets[50]), 'ERR_SRTP_REPLAYED');
  });

  it('refuses a replayed SRTCP packet', () => {
    const { sender, receiver } = pair(profile);
    const first = sender.protectRtcp(rtcp(5, Buffer.alloc(8))) as Buffer;
    const second = sender.protectRtcp(rtcp(5, Buffer.alloc(8))) as Buffer;
    expect(receiver.unprotectRtcp(second)).toBeInstanceOf(Buffer);
    expect(receiver.unprotectRtcp(first)).toBeInstanceOf(Buffer);
    expectCode(receiver.unprotectRtcp(first), 'ERR_SRTP_REPLAYED');
    expectCode(receiver.unprotectRtcp(second), 'ERR_SRTP_REPLAYED');
  });

  it('moves the ROC across 65535 → 0 on both sides, also with reordering', () => {
    const { sender, receiver } = pair(profile);
    const sequences = [65530, 65533, 65535, 0, 65534, 2, 1, 3];
    const protectedPackets = sequences.map(
      (sequence) => sender.protectRtp(rtp(sequence, 77, Buffer.alloc(30, sequence & 0xff))) as Buffer,
    );
    expect(sender.rolloverCounter(77)).toBe(1);
    protectedPackets.forEach((packet, i) => {
      expect(receiver.unprotectRtp(packet), `sequence ${sequences[i]}`).toEqual(
        rtp(sequences[i], 77, Buffer.alloc(30, sequences[i] & 0xff)),
      );
    });
    expect(receiver.rolloverCounter(77)).toBe(1);
    // A packet from after the wrap seen further on than half the sequence space is from the old ROC.
    const far = sender.protectRtp(rtp(40000, 77, Buffer.alloc(30))) as Buffer;
    expectCode(receiver.unprotectRtp(far), 'ERR_SRTP_REPLAYED');
    // A receiver joining after the wrap assumes ROC 0: the ROC is in the tag (AES-CM) or the IV (GCM).
    expectCode(pair(profile).receiver.unprotectRtp(protectedPackets[3]), 'ERR_SRTP_AUTH_FAILED');
  });

  it('never throws on garbage, and refuses it with a stable code', () => {
    const { receiver } = pair(profile);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const result of [
          receiver.unprotectRtp(bytes),
          receiver.unprotectRtcp(bytes),
          receiver.protectRtp(bytes),
          receiver.protectRtcp(bytes),
        ]) {
          if (result instanceof SrtpError) expect(result.code).toMatch(/^ERR_SRTP_/);
        }
        expect(receiver.unprotectRtp(bytes)).toBeInstanceOf(SrtpError);
        expect(receiver.unprotectRtcp(bytes)).toBeInstanceOf(SrtpError);
      }),
      { numRuns: 1000 },
    );
  });

  it('protects and unprotects in place in a caller-owned buffer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.uint8Array({ maxLength: 300 }),
        (sequence, payload) => {
          const { sender, receiver } = pair(profile);
          const packet = rtp(sequence, 0x42, payload, 2, 1);
          const pool = Buffer.alloc(packet.length + 64);
          packet.copy(pool);
          const sealed = sender.protectRtpTo(pool.subarray(0, packet.length), pool);
          if (sealed instanceof SrtpError) throw sealed;
          expect(sealed.buffer).toBe(pool.buffer);
          expect(sealed).toEqual(pair(profile).sender.protectRtp(packet));
          const opened = receiver.unprotectRtpTo(sealed, pool);
          expect(opened).toEqual(packet);

          const report = rtcp(0x42, payload);
          report.copy(pool);
          const sealedReport = sender.protectRtcpTo(pool.subarray(0, report.length), pool);
          if (sealedReport instanceof SrtpError) throw sealedReport;
          expect(receiver.unprotectRtcpTo(sealedReport, pool)).toEqual(report);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses an output buffer that is too small without touching the stream state', () => {
    const { sender, receiver } = pair(profile);
    const packet = rtp(10, 3, Buffer.alloc(50));
    expectCode(sender.protectRtpTo(packet, Buffer.alloc(packet.length)), 'ERR_SRTP_BUFFER_TOO_SMALL');
    expect(sender.rolloverCounter(3)).toBeUndefined();
    const sealed = sender.protectRtp(packet) as Buffer;
    expectCode(receiver.unprotectRtpTo(sealed, Buffer.alloc(10)), 'ERR_SRTP_BUFFER_TOO_SMALL');
    expect(receiver.unprotectRtp(sealed)).toEqual(packet);
    expectCode(sender.protectRtcpTo(rtcp(3, Buffer.alloc(8)), Buffer.alloc(16)), 'ERR_SRTP_BUFFER_TOO_SMALL');
    const report = sender.protectRtcp(rtcp(3, Buffer.alloc(8))) as Buffer;
    // Index 0 was not used by the refused call.
    expect(report.readUInt32BE(report.length - (profile.aead ? 4 : 14))).toBe(0x80000000);
  });

  it('refuses keys of the wrong length at construction', () => {
    expect(
      () =>
        new SrtpSession({
          profile,
          masterKey: Buffer.alloc(15),
          masterSalt: Buffer.alloc(profile.saltLength),
        }),
    ).toThrow(SrtpError);
    expect(
      () => new SrtpSession({ profile, masterKey: Buffer.alloc(16), masterSalt: Buffer.alloc(13) }),
    ).toThrow(SrtpError);
  });
});
