/**
 * createAnswer against captured offers and hand-made edge cases, the
 * negotiation rules it is built from, and the transport parameter helpers.
 * test/interop/sdp-answer.test.ts feeds the answers back to the real stacks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AnswerLocalParameters, createAnswer, type SdpAnswer } from './answer.js';
import type { SdpErrorCode } from './errors.js';
import { answerDirection } from './negotiate.js';
import {
  fingerprintFromDescription,
  iceParametersFromDescription,
  setupFromDescription,
} from './parameters.js';
import { parseSdp } from './parse.js';
import type { SdpMediaSection, SessionDescription } from './types.js';
import { writeSdp } from './write.js';

const HASH = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);
const LOCAL: AnswerLocalParameters = {
  iceParameters: { usernameFragment: 'srvUfrag', password: 'serverPasswordIsLongEnough' },
  candidates: [
    'candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host',
    'candidate:2 1 udp 2130706175 ::1 40001 typ host',
  ],
  fingerprint: { algorithm: 'sha-256', value: HASH },
  setup: 'passive',
  sessionId: '4242',
};

function offer(file: string): SessionDescription {
  const result = parseSdp(readFileSync(new URL(`../../testdata/sdp/${file}`, import.meta.url), 'utf8'));
  if (!result.ok) throw result.error;
  return result.value;
}

function offerText(...lines: string[]): SessionDescription {
  const result = parseSdp(`${lines.join('\r\n')}\r\n`);
  if (!result.ok) throw result.error;
  return result.value;
}

function answer(desc: SessionDescription, local: Partial<AnswerLocalParameters> = {}): SdpAnswer {
  const result = createAnswer(desc, { ...LOCAL, ...local });
  if (!result.ok) throw result.error;
  // Whatever we answer must itself parse back to the same model.
  const again = parseSdp(writeSdp(result.value.description));
  expect(again.ok && again.value).toEqual(result.value.description);
  return result.value;
}

function refusal(
  desc: SessionDescription,
  local: Partial<AnswerLocalParameters> = {},
): SdpErrorCode | undefined {
  const result = createAnswer(desc, { ...LOCAL, ...local });
  return result.ok ? undefined : result.error.code;
}

const pts = (section: SdpMediaSection) => section.codecs.map((c) => `${c.payloadType} ${c.name}`);

/** A small offer in the shape browsers write, for the edge cases. */
function smallOffer(...media: string[][]): SessionDescription {
  return offerText(
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${media.map((_, i) => i).join(' ')}`,
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwxyz',
    `a=fingerprint:sha-256 ${HASH}`,
    'a=setup:actpass',
    ...media.flatMap((lines, i) => [...lines, `a=mid:${i}`]),
  );
}
const OPUS = ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2'];

describe('createAnswer: libwebrtc offer (audio, video, data)', () => {
  const result = answer(offer('wrtc-offer-audio-video-data.sdp'));
  const [audio, video, data] = result.description.media;

  it('is ICE-lite with one BUNDLE group of every accepted mid', () => {
    const desc = result.description;
    expect(desc.iceLite).toBe(true);
    expect(desc.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1', '2'] }]);
    expect(desc.origin).toMatchObject({ sessionId: '4242', sessionVersion: '2' });
    expect(desc.media.map((m) => m.mid)).toEqual(['0', '1', '2']);
    expect(result.mids.map((m) => [m.mid, m.kind, m.direction])).toEqual([
      ['0', 'audio', 'recvonly'],
      ['1', 'video', 'recvonly'],
      ['2', 'application', 'sendrecv'],
    ]);
  });

  it('gives every section our ICE and DTLS parameters and the first one our candidates', () => {
    for (const section of [audio, video, data]) {
      expect(section).toMatchObject({
        port: 40000,
        connection: { netType: 'IN', addrType: 'IP4', address: '127.0.0.1' },
        iceUfrag: 'srvUfrag',
        icePwd: 'serverPasswordIsLongEnough',
        fingerprints: [{ algorithm: 'sha-256', value: HASH }],
        setup: 'passive',
      });
    }
    expect(audio.candidates).toEqual([
      '1 1 udp 2130706431 127.0.0.1 40000 typ host',
      '2 1 udp 2130706175 ::1 40001 typ host',
    ]);
    expect(audio.endOfCandidates).toBe(true);
    expect(video.candidates).toEqual([]);
    expect(video.endOfCandidates).toBe(false);
  });

  it('keeps only opus on audio, with the offer payload type, fmtp and supported feedback', () => {
    expect(audio.formats).toEqual(['111']);
    expect(audio.codecs).toEqual([
      {
        payloadType: 111,
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        fmtp: 'minptime=10;useinbandfec=1',
        rtcpFeedback: [{ type: 'transport-cc' }],
      },
    ]);
    expect(audio.rtcpMux).toBe(true);
    expect(audio.rtcpRsize).toBe(false);
  });

  it('keeps video codecs in our order, each followed by its RTX, without red and ulpfec', () => {
    expect(pts(video)).toEqual([
      '96 VP8',
      '97 rtx',
      '98 VP9',
      '99 rtx',
      '100 VP9',
      '101 rtx',
      '39 AV1',
      '40 rtx',
    ]);
    expect(video.formats).toEqual(['96', '97', '98', '99', '100', '101', '39', '40']);
    expect(video.codecs.find((c) => c.payloadType === 100)?.fmtp).toBe('profile-id=2');
    expect(video.codecs.find((c) => c.payloadType === 97)).toEqual({
      payloadType: 97,
      name: 'rtx',
      clockRate: 90000,
      fmtp: 'apt=96',
      rtcpFeedback: [],
    });
    expect(video.codecs[0].rtcpFeedback).toEqual([
      { type: 'goog-remb' },
      { type: 'transport-cc' },
      { type: 'ccm', parameter: 'fir' },
      { type: 'nack' },
      { type: 'nack', parameter: 'pli' },
    ]);
    expect(video.rtcpRsize).toBe(true);
    expect(result.mids[1].codecs.map((c) => [c.payloadType, c.rtxPayloadType])).toEqual([
      [96, 97],
      [98, 99],
      [100, 101],
      [39, 40],
    ]);
    expect(result.mids[1].codecs[1].parameters).toEqual({ 'profile-id': '0' });
  });

  it('keeps the accepted header extensions with the offer ids', () => {
    expect(audio.extmaps.map((e) => `${e.id} ${e.uri}`)).toEqual([
      '1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      '2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      '3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
      '4 urn:ietf:params:rtp-hdrext:sdes:mid',
    ]);
    expect(video.extmaps.map((e) => e.id)).toEqual([2, 13, 3, 4, 10, 11]);
    expect(result.mids[1].headerExtensions[1]).toEqual({ id: 13, uri: 'urn:3gpp:video-orientation' });
  });

  it('answers the data channel with webrtc-datachannel, sctp-port and max-message-size', () => {
    expect(data).toMatchObject({
      protocol: 'UDP/DTLS/SCTP',
      formats: ['webrtc-datachannel'],
      sctpPort: 5000,
      maxMessageSize: 262144,
      codecs: [],
    });
    expect(data.direction).toBeUndefined();
    expect(
      answer(offer('wrtc-offer-audio-video-data.sdp'), { maxMessageSize: 65536 }).description.media[2],
    ).toMatchObject({ maxMessageSize: 65536 });
  });

  it('announces what we send: msid, ssrc lines, and FID for RTX', () => {
    const withMedia = answer(offer('wrtc-offer-audio-video-data.sdp'), {
      sendSsrcs: {
        '0': { ssrc: 10, cname: 'sfu' },
        '1': { ssrc: 20, rtxSsrc: 21, cname: 'sfu', msid: 'stream track' },
        '2': { ssrc: 30, cname: 'data' },
      },
    });
    const [a, v, d] = withMedia.description.media;
    expect(a.direction).toBe('sendrecv');
    expect(a.msids).toEqual([{ streamId: 'sfu', trackId: 'sfu-0' }]);
    expect(a.ssrcs).toEqual([
      { ssrc: 10, attribute: 'cname', value: 'sfu' },
      { ssrc: 10, attribute: 'msid', value: 'sfu sfu-0' },
    ]);
    expect(a.ssrcGroups).toEqual([]);
    expect(v.msids).toEqual([{ streamId: 'stream', trackId: 'track' }]);
    expect(v.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [20, 21] }]);
    expect(v.ssrcs.map((s) => `${s.ssrc} ${s.attribute}:${s.value}`)).toEqual([
      '20 cname:sfu',
      '20 msid:stream track',
      '21 cname:sfu',
      '21 msid:stream track',
    ]);
    expect(d.ssrcs).toEqual([]);
    expect(withMedia.mids[1].send).toEqual({ ssrc: 20, rtxSsrc: 21, cname: 'sfu', msid: 'stream track' });
    expect(withMedia.mids[2].send).toBeUndefined();
  });

  it('uses the caller codec preferences and header extensions', () => {
    const custom = answer(offer('wrtc-offer-audio-video-data.sdp'), {
      codecs: { audio: ['PCMA', 'opus'], video: ['av1'] },
      headerExtensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'],
    });
    const [a, v] = custom.description.media;
    expect(pts(a)).toEqual(['8 PCMA', '111 opus']);
    expect(pts(v)).toEqual(['39 AV1', '40 rtx']);
    // Without the transport-cc extension its feedback goes too.
    expect(a.codecs[1].rtcpFeedback).toEqual([]);
    expect(v.codecs[0].rtcpFeedback.map((f) => f.type)).toEqual(['goog-remb', 'ccm', 'nack', 'nack']);
    expect(v.extmaps).toEqual([{ id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' }]);
  });
});

describe('createAnswer: other offers', () => {
  it('libdatachannel: session-level fingerprint, mids video, audio, 0', () => {
    const result = answer(offer('node-datachannel-offer.sdp'), { setup: 'active' });
    expect(result.description.groups[0].mids).toEqual(['video', 'audio', '0']);
    expect(result.description.media.map(pts)).toEqual([['96 VP8'], ['111 opus'], []]);
    expect(result.description.media[0].codecs[0].rtcpFeedback.map((f) => f.type)).toEqual([
      'nack',
      'nack',
      'goog-remb',
    ]);
    expect(result.description.media[0].setup).toBe('active');
  });

  it('Chromium simulcast: receives the three rids', () => {
    const result = answer(offer('chromium-offer-simulcast.sdp'));
    const video = result.description.media[1];
    expect(video.direction).toBe('recvonly');
    expect(video.rids).toEqual([
      { id: 'q', direction: 'recv' },
      { id: 'h', direction: 'recv' },
      { id: 'f', direction: 'recv' },
    ]);
    expect(video.simulcast).toEqual({
      recv: [[{ rid: 'q', paused: false }], [{ rid: 'h', paused: false }], [{ rid: 'f', paused: false }]],
    });
    expect(result.mids[1].receiveRids).toEqual(['q', 'h', 'f']);
    expect(pts(video).slice(0, 2)).toEqual(['96 VP8', '97 rtx']);
    expect(pts(video)).toContain('102 H264');
  });

  it('Chromium simulcast is declined without the rid header extension', () => {
    const result = answer(offer('chromium-offer-simulcast.sdp'), {
      headerExtensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'],
    });
    expect(result.description.media[1].rids).toEqual([]);
    expect(result.description.media[1].simulcast).toBeUndefined();
  });

  it('rejects what it cannot serve, keeping mid and formats, outside BUNDLE', () => {
    const desc = smallOffer(
      OPUS,
      ['m=video 9 UDP/TLS/RTP/SAVPF 100', 'a=rtcp-mux', 'a=rtpmap:100 H265/90000'],
      ['m=text 9 UDP/TLS/RTP/SAVPF 98', 'a=rtcp-mux', 'a=rtpmap:98 t140/1000'],
      ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2'],
      ['m=audio 0 UDP/TLS/RTP/SAVPF 111', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2'],
      ['m=audio 9 RTP/AVP 111', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2'],
      ['m=application 9 DTLS/SCTP 5000', 'a=sctpmap:5000 webrtc-datachannel 1024'],
    );
    const result = answer(desc);
    expect(result.description.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0'] }]);
    const rejected = result.description.media.slice(1);
    expect(rejected.map((m) => [m.mid, m.port, m.formats.join(' ')])).toEqual([
      ['1', 0, '100'],
      ['2', 0, '98'],
      ['3', 0, '111'],
      ['4', 0, '111'],
      ['5', 0, '111'],
      ['6', 0, '5000'],
    ]);
    for (const section of rejected) {
      expect(section.codecs).toEqual([]);
      expect(section.iceUfrag).toBeUndefined();
    }
    expect(result.mids.map((m) => m.mid)).toEqual(['0']);
  });

  it('rejects a section outside the offer BUNDLE group; without BUNDLE keeps only the first', () => {
    const desc = smallOffer(OPUS, OPUS);
    desc.groups[0].mids = ['1'];
    expect(answer(desc).description.media.map((m) => m.port)).toEqual([0, 40000]);
    expect(answer(desc).description.media[1].candidates).toHaveLength(2);
    desc.groups = [];
    const result = answer(desc);
    expect(result.description.media.map((m) => m.port)).toEqual([40000, 0]);
    expect(result.description.groups).toEqual([]);
  });

  it('answers a static payload type without rtpmap with one', () => {
    const desc = smallOffer(['m=audio 9 UDP/TLS/RTP/SAVPF 0 8', 'a=rtcp-mux']);
    const result = answer(desc, { codecs: { audio: ['PCMU'] } });
    expect(result.description.media[0].codecs).toEqual([
      { payloadType: 0, name: 'PCMU', clockRate: 8000, rtcpFeedback: [] },
    ]);
  });

  it('takes placeholders for port and address without an IP candidate', () => {
    const result = answer(smallOffer(OPUS), { candidates: ['candidate:1 1 udp 1 abc.local 5000 typ host'] });
    expect(result.description.media[0]).toMatchObject({ port: 9, connection: { address: '0.0.0.0' } });
    const v6 = answer(smallOffer(OPUS), { candidates: ['2 1 UDP 1 ::1 5002 typ host'] });
    expect(v6.description.media[0]).toMatchObject({
      port: 5002,
      connection: { addrType: 'IP6', address: '::1' },
    });
    expect(v6.description.media[0].candidates).toEqual(['2 1 UDP 1 ::1 5002 typ host']);
  });

  it('mirrors a header extension direction', () => {
    const desc = smallOffer([...OPUS, 'a=extmap:5/sendonly urn:ietf:params:rtp-hdrext:sdes:mid']);
    expect(answer(desc).description.media[0].extmaps).toEqual([
      { id: 5, direction: 'recvonly', uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
    ]);
  });
});

describe('createAnswer refuses', () => {
  it.each<[string, (d: SessionDescription) => void, Partial<AnswerLocalParameters>, SdpErrorCode]>([
    ['an ICE-lite offer', (d) => (d.iceLite = true), {}, 'ERR_SDP_BOTH_ICE_LITE'],
    [
      'an offer without ICE credentials',
      (d) => (d.iceUfrag = undefined),
      {},
      'ERR_SDP_MISSING_ICE_PARAMETERS',
    ],
    ['an offer without fingerprint', (d) => (d.fingerprints = []), {}, 'ERR_SDP_MISSING_FINGERPRINT'],
    ['active against active', (d) => (d.setup = 'active'), { setup: 'active' }, 'ERR_SDP_INCOMPATIBLE_SETUP'],
    [
      'passive against passive',
      (d) => (d.setup = 'passive'),
      { setup: 'passive' },
      'ERR_SDP_INCOMPATIBLE_SETUP',
    ],
    [
      'no setup (active) against active',
      (d) => (d.setup = undefined),
      { setup: 'active' },
      'ERR_SDP_INCOMPATIBLE_SETUP',
    ],
    ['holdconn', (d) => (d.setup = 'holdconn'), {}, 'ERR_SDP_INCOMPATIBLE_SETUP'],
    [
      'a short ufrag',
      () => {},
      { iceParameters: { usernameFragment: 'ab', password: 'x'.repeat(22) } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'a short password',
      () => {},
      { iceParameters: { usernameFragment: 'abcd', password: 'short' } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'a short fingerprint',
      () => {},
      { fingerprint: { algorithm: 'sha-256', value: 'AB:CD' } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    ['a broken candidate', () => {}, { candidates: ['candidate:1 1 udp'] }, 'ERR_SDP_INVALID_ARGUMENT'],
    [
      'a candidate with a line break',
      () => {},
      { candidates: ['1 1 udp 1 1.2.3.4 5 typ host\r\na=x'] },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'an SSRC out of range',
      () => {},
      { sendSsrcs: { '0': { ssrc: 2 ** 32, cname: 'x' } } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'equal SSRC and RTX SSRC',
      () => {},
      { sendSsrcs: { '0': { ssrc: 1, rtxSsrc: 1, cname: 'x' } } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'a cname with a space',
      () => {},
      { sendSsrcs: { '0': { ssrc: 1, cname: 'a b' } } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
    [
      'an msid of three words',
      () => {},
      { sendSsrcs: { '0': { ssrc: 1, cname: 'a', msid: 'a b c' } } },
      'ERR_SDP_INVALID_ARGUMENT',
    ],
  ])('%s', (_what, damage, local, code) => {
    const desc = smallOffer(OPUS);
    damage(desc);
    expect(refusal(desc, local)).toBe(code);
  });

  it('accepts the compatible roles', () => {
    const desc = smallOffer(OPUS);
    desc.setup = 'active';
    expect(refusal(desc, { setup: 'passive' })).toBeUndefined();
    desc.setup = 'passive';
    expect(refusal(desc, { setup: 'active' })).toBeUndefined();
  });

  it('answers an offer with nothing usable by rejecting every section', () => {
    const result = answer(
      smallOffer(['m=video 9 UDP/TLS/RTP/SAVPF 100', 'a=rtcp-mux', 'a=rtpmap:100 H265/90000']),
    );
    expect(result.mids).toEqual([]);
    expect(result.description.groups).toEqual([]);
    expect(result.description.media[0].port).toBe(0);
  });
});

describe('answerDirection (RFC 3264 §6.1)', () => {
  it.each([
    [undefined, 'sendrecv', 'sendrecv'],
    ['sendrecv', 'recvonly', 'recvonly'],
    ['sendonly', 'sendrecv', 'recvonly'],
    ['recvonly', 'sendrecv', 'sendonly'],
    ['recvonly', 'recvonly', 'inactive'],
    ['sendonly', 'sendonly', 'inactive'],
    ['inactive', 'sendrecv', 'inactive'],
  ] as const)('offer %s, we want %s → %s', (offered, wanted, expected) => {
    expect(answerDirection(offered, wanted)).toBe(expected);
  });
});

describe('transport parameter helpers', () => {
  const desc = offerText(
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE b a',
    'a=ice-ufrag:sess',
    'a=ice-pwd:sessionPasswordLongEnough',
    'a=fingerprint:sha-1 AA:BB',
    'a=setup:actpass',
    'm=audio 9 UDP/TLS/RTP/SAVPF 0',
    'a=mid:a',
    'a=ice-ufrag:aaaa',
    'a=fingerprint:sha-1 01:02',
    'a=fingerprint:sha-256 03:04',
    'm=audio 9 UDP/TLS/RTP/SAVPF 0',
    'a=mid:b',
    'a=setup:active',
  );

  it('reads the BUNDLE-tagged section by default and falls back to session level', () => {
    expect(iceParametersFromDescription(desc)).toEqual({
      usernameFragment: 'sess',
      password: 'sessionPasswordLongEnough',
      iceLite: false,
      options: [],
    });
    expect(setupFromDescription(desc)).toBe('active');
    expect(fingerprintFromDescription(desc)).toEqual({ algorithm: 'sha-1', value: 'AA:BB' });
  });

  it('reads a named section, preferring sha-256', () => {
    expect(iceParametersFromDescription(desc, 'a')?.usernameFragment).toBe('aaaa');
    expect(fingerprintFromDescription(desc, 'a')).toEqual({ algorithm: 'sha-256', value: '03:04' });
    expect(setupFromDescription(desc, 'a')).toBe('actpass');
  });

  it('gives undefined for an unknown mid or missing credentials', () => {
    expect(fingerprintFromDescription(desc, 'zz')).toBeUndefined();
    expect(iceParametersFromDescription(desc, 'zz')).toBeUndefined();
    expect(setupFromDescription(desc, 'zz')).toBeUndefined();
    expect(iceParametersFromDescription({ ...desc, icePwd: undefined })).toBeUndefined();
  });
});
