/**
 * Offers captured from real WebRTC stacks (testdata/sdp/README.md): each
 * parses, keeps every line through parse → write, and reads as the stack
 * wrote it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fingerprintFromDescription,
  iceParametersFromDescription,
  setupFromDescription,
} from './parameters.js';
import { parseSdp } from './parse.js';
import type { SessionDescription } from './types.js';
import { writeSdp } from './write.js';

const CAPTURES = [
  'wrtc-offer-audio-video-data.sdp',
  'node-datachannel-offer.sdp',
  'chromium-offer-audio-video-data.sdp',
  'chromium-offer-simulcast.sdp',
];

function capture(name: string): string {
  return readFileSync(new URL(`../../testdata/sdp/${name}`, import.meta.url), 'utf8');
}

function parsed(name: string): SessionDescription {
  const result = parseSdp(capture(name));
  if (!result.ok) throw result.error;
  return result.value;
}

const lines = (text: string) => text.split(/\r?\n/).filter((line) => line !== '');

describe.each(CAPTURES)('%s', (name) => {
  it('parses, and parse → write keeps every line (the order of known attributes may change)', () => {
    const text = capture(name);
    const desc = parsed(name);
    const written = writeSdp(desc);
    expect(written.endsWith('\r\n')).toBe(true);
    expect(lines(written).sort()).toEqual(lines(text).sort());
    const again = parseSdp(written);
    expect(again.ok && again.value).toEqual(desc);
  });

  it('has what every WebRTC offer has', () => {
    const desc = parsed(name);
    const bundle = desc.groups.find((group) => group.semantics === 'BUNDLE');
    expect(bundle?.mids).toEqual(desc.media.map((section) => section.mid));
    expect(iceParametersFromDescription(desc)?.password.length).toBeGreaterThanOrEqual(22);
    expect(fingerprintFromDescription(desc)?.value).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(setupFromDescription(desc)).toBe('actpass');
    for (const section of desc.media) {
      expect(section.attributes.map((a) => a.name)).not.toContain('rtpmap');
      if (section.kind !== 'application') expect(section.rtcpMux).toBe(true);
    }
  });
});

describe('details of each capture', () => {
  it('libwebrtc: codecs grouped per payload type, RTX, FID group, extmaps, SCTP', () => {
    const desc = parsed('wrtc-offer-audio-video-data.sdp');
    expect(desc.attributes).toEqual([
      { name: 'extmap-allow-mixed' },
      { name: 'msid-semantic', value: ' WMS' },
    ]);
    const [audio, video, data] = desc.media;
    expect(audio.codecs[0]).toEqual({
      payloadType: 111,
      name: 'opus',
      clockRate: 48000,
      channels: 2,
      fmtp: 'minptime=10;useinbandfec=1',
      rtcpFeedback: [{ type: 'transport-cc' }],
    });
    expect(audio.codecs.map((c) => c.payloadType)).toEqual(audio.formats.map(Number));
    expect(audio.attributes).toEqual([{ name: 'rtcp', value: '9 IN IP4 0.0.0.0' }]);
    expect(video.codecs.find((c) => c.payloadType === 96)?.rtcpFeedback).toEqual([
      { type: 'goog-remb' },
      { type: 'transport-cc' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
    ]);
    expect(video.codecs.find((c) => c.payloadType === 97)).toMatchObject({ name: 'rtx', fmtp: 'apt=96' });
    expect(video.rtcpRsize).toBe(true);
    expect(video.ssrcGroups[0].semantics).toBe('FID');
    expect(video.ssrcs).toHaveLength(4);
    expect(video.ssrcs[0]).toMatchObject({ ssrc: video.ssrcGroups[0].ssrcs[0], attribute: 'cname' });
    expect(video.msids[0].streamId).toBe('-');
    expect(video.extmaps.find((e) => e.uri === 'urn:3gpp:video-orientation')?.id).toBe(13);
    expect(data).toMatchObject({
      kind: 'application',
      protocol: 'UDP/DTLS/SCTP',
      formats: ['webrtc-datachannel'],
      sctpPort: 5000,
      maxMessageSize: 262144,
      iceOptions: ['trickle'],
    });
  });

  it('libdatachannel: session-level fingerprint, candidates and end-of-candidates', () => {
    const desc = parsed('node-datachannel-offer.sdp');
    expect(desc.origin).toMatchObject({ username: 'rtc', netType: 'IN', addrType: 'IP4' });
    expect(desc.groups.map((g) => g.semantics)).toEqual(['BUNDLE', 'LS']);
    expect(desc.iceOptions).toEqual(['ice2,trickle']);
    expect(desc.fingerprints).toHaveLength(1);
    const [video, audio, data] = desc.media;
    expect(video.fingerprints).toEqual([]);
    expect(fingerprintFromDescription(desc, 'audio')).toEqual(desc.fingerprints[0]);
    expect(video.candidates).toHaveLength(2);
    expect(video.candidates[0]).toMatch(/^2 1 UDP \d+ \S+ \d+ typ host$/);
    expect(video.endOfCandidates).toBe(true);
    expect(audio.candidates).toEqual([]);
    expect(video.ssrcs).toEqual([
      { ssrc: 1234, attribute: 'cname', value: 'video-send' },
      { ssrc: 1234, attribute: 'msid', value: 'stream1 video-track' },
    ]);
    expect(video.msids).toEqual([{ streamId: 'stream1', trackId: 'video-track' }]);
    expect(data.direction).toBe('sendrecv');
    expect(iceParametersFromDescription(desc, '0')?.options).toEqual(['ice2,trickle']);
  });

  it('Chromium simulcast: three send rids and a=simulcast', () => {
    const video = parsed('chromium-offer-simulcast.sdp').media[1];
    expect(video.direction).toBe('sendonly');
    expect(video.rids).toEqual([
      { id: 'q', direction: 'send' },
      { id: 'h', direction: 'send' },
      { id: 'f', direction: 'send' },
    ]);
    expect(video.simulcast).toEqual({
      send: [[{ rid: 'q', paused: false }], [{ rid: 'h', paused: false }], [{ rid: 'f', paused: false }]],
    });
    expect(video.attributes.map((a) => a.name)).toEqual(['rtcp', 'rtcp-xr']);
  });
});
