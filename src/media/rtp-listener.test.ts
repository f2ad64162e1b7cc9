import { describe, expect, it } from 'vitest';
import { ONE_BYTE_PROFILE } from '../rtp/header-extension.js';
import { encodeRtpPacket } from '../rtp/packet.js';
import { MAX_LEARNED_SSRCS, RtpListener } from './rtp-listener.js';

function packet(ssrc: number, mid?: string): Buffer {
  return encodeRtpPacket({
    version: 2,
    marker: false,
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 1,
    ssrc,
    csrcs: [],
    extension:
      mid === undefined
        ? undefined
        : {
            profile: ONE_BYTE_PROFILE,
            elements: [{ id: 4, value: Buffer.from(mid) }],
            data: new Uint8Array(),
          },
    payload: Buffer.from([1, 2, 3]),
    paddingLength: 0,
  });
}

describe('RtpListener', () => {
  it('routes by announced SSRC, then by MID, and learns the SSRC of a MID match', () => {
    const listener = new RtpListener<string>();
    listener.midExtensionId = 4;
    listener.add('audio', { ssrcs: [1111], mid: '0' });
    listener.add('video', { mid: '1' });
    expect(listener.find(packet(1111))).toBe('audio');
    expect(listener.find(packet(2222))).toBeUndefined();
    expect(listener.find(packet(2222, '1'))).toBe('video');
    // Learned: later packets of that SSRC carry no MID.
    expect(listener.find(packet(2222))).toBe('video');
    expect(listener.find(packet(3333, '9'))).toBeUndefined();
  });

  it('refuses an SSRC or MID owned by another target and forgets a removed one', () => {
    const listener = new RtpListener<string>();
    listener.add('a', { ssrcs: [1], mid: '0' });
    expect(() => listener.add('b', { ssrcs: [1] })).toThrow(/SSRC 1/);
    expect(() => listener.add('b', { mid: '0' })).toThrow(/MID 0/);
    listener.remove('a');
    expect(listener.find(packet(1))).toBeUndefined();
    listener.add('b', { ssrcs: [1], mid: '0' });
    expect(listener.find(packet(1))).toBe('b');
  });

  it('bounds the SSRCs it learns and ignores short packets', () => {
    const listener = new RtpListener<string>();
    listener.midExtensionId = 4;
    listener.add('video', { mid: '1' });
    for (let ssrc = 1; ssrc <= MAX_LEARNED_SSRCS + 50; ssrc++) listener.find(packet(ssrc, '1'));
    expect(listener.ssrcCount).toBe(MAX_LEARNED_SSRCS);
    expect(listener.find(Buffer.alloc(5))).toBeUndefined();
  });
});
