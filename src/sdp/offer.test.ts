/**
 * createSubscribeOffer: the lines of each kind of section, what it refuses;
 * parseSubscribeAnswer: a browser-shaped answer and every way an answer can
 * fail to fit. test/interop/sdp-subscribe.test.ts feeds the offers to the
 * real stacks.
 */
import { describe, expect, it } from 'vitest';
import { ROUTER_CODECS, SUBSCRIBE_HEADER_EXTENSIONS } from './capabilities.js';
import type { SdpNegotiationErrorCode } from './negotiation-error.js';
import {
  createSubscribeOffer,
  parseSubscribeAnswer,
  type SubscribeMediaSection,
  type SubscribeSession,
} from './offer.js';
import { parseSdp } from './parse.js';
import type { SessionDescription } from './types.js';
import { writeSdp } from './write.js';

const HASH = Array.from({ length: 32 }, (_, i) => (i * 3).toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);
const BROWSER_HASH = Array.from({ length: 32 }, () => 'EE').join(':');
const opus = ROUTER_CODECS.filter((codec) => codec.mimeType === 'audio/opus');
const vp8 = ROUTER_CODECS.filter((codec) => codec.payloadType === 96 || codec.payloadType === 97);

const audio = (mid: string, state: SubscribeMediaSection['state'] = 'active'): SubscribeMediaSection => ({
  mid,
  kind: 'audio',
  state,
  codecs: opus,
  headerExtensions: [...SUBSCRIBE_HEADER_EXTENSIONS.audio],
  send: { ssrc: 1000, cname: 'sfu', msid: { streamId: 'alice', trackId: 'alice-mic' } },
});
const video = (mid: string, state: SubscribeMediaSection['state'] = 'active'): SubscribeMediaSection => ({
  mid,
  kind: 'video',
  state,
  codecs: vp8,
  headerExtensions: [...SUBSCRIBE_HEADER_EXTENSIONS.video],
  send: { ssrc: 2000, rtxSsrc: 2001, cname: 'sfu', msid: { streamId: 'alice', trackId: 'alice-cam' } },
});

function session(overrides: Partial<SubscribeSession> = {}): SubscribeSession {
  return {
    iceParameters: { usernameFragment: 'sfuUfrag', password: 'sfuPasswordIsLongEnough1' },
    candidates: [
      'candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host',
      'a=candidate:2 1 tcp 1518280447 192.0.2.1 443 typ host tcptype passive',
    ],
    fingerprint: { algorithm: 'sha-256', value: HASH },
    sessionId: '77',
    sessionVersion: 3,
    sections: [
      audio('0'),
      video('1', 'inactive'),
      video('2', 'closed'),
      { mid: '3', kind: 'application', state: 'active' },
    ],
    ...overrides,
  };
}

function offer(s: SubscribeSession = session()): SessionDescription {
  const result = createSubscribeOffer(s);
  if (!result.ok) throw result.error;
  // Whatever we offer must parse back to the same model.
  const again = parseSdp(writeSdp(result.value));
  expect(again.ok && again.value).toEqual(result.value);
  return result.value;
}

/**
 * What a browser answers to our offer, made by rewriting the offer's text:
 * its own ICE and certificate, setup active, recvonly for sendonly, no
 * sources or candidates, not ICE-lite.
 */
function browserAnswer(offerSdp: string): string {
  return offerSdp
    .split('\r\n')
    .filter((line) => !/^a=(ssrc|ssrc-group|msid|candidate|end-of-candidates|ice-lite)\b/.test(line))
    .map((line) =>
      line
        .replace(/^a=ice-ufrag:.*/, 'a=ice-ufrag:brws')
        .replace(/^a=ice-pwd:.*/, 'a=ice-pwd:browserPasswordIsLongEnough')
        .replace(/^a=fingerprint:.*/, `a=fingerprint:sha-256 ${BROWSER_HASH}`)
        .replace(/^a=setup:actpass/, 'a=setup:active')
        .replace(/^a=sendonly/, 'a=recvonly')
        .replace(/^o=- \d+ \d+/, 'o=- 999 2'),
    )
    .join('\r\n');
}

function refusal(answerSdp: string, s: SubscribeSession = session()): SdpNegotiationErrorCode | undefined {
  const result = parseSubscribeAnswer(answerSdp, s);
  return result.ok ? undefined : result.error.code;
}

describe('createSubscribeOffer', () => {
  const desc = offer();
  const [audioSection, inactive, closed, data] = desc.media;

  it('is ICE-lite, versioned, with one BUNDLE group of the open mids', () => {
    expect(desc.iceLite).toBe(true);
    expect(desc.origin).toMatchObject({ sessionId: '77', sessionVersion: '3' });
    expect(desc.groups).toEqual([{ semantics: 'BUNDLE', mids: ['0', '1', '3'] }]);
    expect(desc.attributes).toEqual([{ name: 'msid-semantic', value: ' WMS *' }]);
    expect(desc.media.map((m) => [m.mid, m.media, m.port, m.direction])).toEqual([
      ['0', 'audio', 40000, 'sendonly'],
      ['1', 'video', 40000, 'inactive'],
      ['2', 'video', 0, 'inactive'],
      ['3', 'application', 40000, undefined],
    ]);
  });

  it('gives every open section our transport and actpass; the first one the candidates', () => {
    for (const section of [audioSection, inactive, data]) {
      expect(section).toMatchObject({
        connection: { netType: 'IN', addrType: 'IP4', address: '192.0.2.1' },
        iceUfrag: 'sfuUfrag',
        icePwd: 'sfuPasswordIsLongEnough1',
        fingerprints: [{ algorithm: 'sha-256', value: HASH }],
        setup: 'actpass',
      });
    }
    expect(audioSection.candidates).toEqual([
      '1 1 udp 2130706431 192.0.2.1 40000 typ host',
      '2 1 tcp 1518280447 192.0.2.1 443 typ host tcptype passive',
    ]);
    expect(audioSection.endOfCandidates).toBe(true);
    expect(inactive.candidates).toEqual([]);
    expect(data.endOfCandidates).toBe(false);
  });

  it('writes the codecs, feedback, fmtp, extmaps, rtcp-mux and rtcp-rsize of a media section', () => {
    expect(audioSection).toMatchObject({
      protocol: 'UDP/TLS/RTP/SAVPF',
      formats: ['111'],
      rtcpMux: true,
      rtcpRsize: true,
      codecs: [
        {
          payloadType: 111,
          name: 'opus',
          clockRate: 48000,
          channels: 2,
          fmtp: 'minptime=10;useinbandfec=1',
          rtcpFeedback: [{ type: 'transport-cc' }],
        },
      ],
    });
    expect(audioSection.extmaps.map((e) => `${e.id} ${e.uri}`)).toEqual(
      SUBSCRIBE_HEADER_EXTENSIONS.audio.map((e) => `${e.id} ${e.uri}`),
    );
    expect(inactive.formats).toEqual(['96', '97']);
    expect(inactive.codecs[1]).toEqual({
      payloadType: 97,
      name: 'rtx',
      clockRate: 90000,
      fmtp: 'apt=96',
      rtcpFeedback: [],
    });
    expect(inactive.rids).toEqual([]);
  });

  it('announces the sender: msid, ssrc cname and msid lines, FID with RTX', () => {
    expect(audioSection.msids).toEqual([{ streamId: 'alice', trackId: 'alice-mic' }]);
    expect(audioSection.ssrcs).toEqual([
      { ssrc: 1000, attribute: 'cname', value: 'sfu' },
      { ssrc: 1000, attribute: 'msid', value: 'alice alice-mic' },
    ]);
    expect(audioSection.ssrcGroups).toEqual([]);
    const active = offer(session({ sections: [video('v')] })).media[0];
    expect(active.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [2000, 2001] }]);
    expect(active.ssrcs.map((l) => `${l.ssrc} ${l.attribute}`)).toEqual([
      '2000 cname',
      '2000 msid',
      '2001 cname',
      '2001 msid',
    ]);
    // No RTX codec, no RTX stream.
    const plain = offer(session({ sections: [{ ...video('v'), codecs: vp8.slice(0, 1) }] })).media[0];
    expect(plain.ssrcGroups).toEqual([]);
    expect(plain.ssrcs.map((l) => l.ssrc)).toEqual([2000, 2000]);
  });

  it('an inactive section keeps its codecs and extmaps but announces no source', () => {
    expect(inactive.msids).toEqual([]);
    expect(inactive.ssrcs).toEqual([]);
    expect(inactive.extmaps.length).toBe(SUBSCRIBE_HEADER_EXTENSIONS.video.length);
  });

  it('a closed section is port 0 with its mid and one format, and no transport', () => {
    expect(closed).toMatchObject({ port: 0, mid: '2', formats: ['96'] });
    expect([closed.iceUfrag, closed.icePwd, closed.setup]).toEqual([undefined, undefined, undefined]);
    expect(closed.codecs.map((c) => c.name)).toEqual(['VP8']);
    expect(closed.fingerprints).toEqual([]);
    const closedData = offer(
      session({ sections: [audio('0'), { mid: 'd', kind: 'application', state: 'closed' }] }),
    ).media[1];
    expect(closedData).toMatchObject({ port: 0, protocol: 'UDP/DTLS/SCTP', formats: ['webrtc-datachannel'] });
    expect(closedData.sctpPort).toBeUndefined();
  });

  it('the data channel section: SCTP over DTLS, port 5000, max-message-size', () => {
    expect(data).toMatchObject({
      protocol: 'UDP/DTLS/SCTP',
      formats: ['webrtc-datachannel'],
      sctpPort: 5000,
      maxMessageSize: 262144,
    });
    const small = offer(
      session({ sections: [{ mid: 'd', kind: 'application', state: 'active', maxMessageSize: 65536 }] }),
    );
    expect(small.media[0].maxMessageSize).toBe(65536);
  });

  it('moves the candidates to the first open section when the first is closed', () => {
    const desc2 = offer(session({ sections: [video('0', 'closed'), audio('1')] }));
    expect(desc2.groups).toEqual([{ semantics: 'BUNDLE', mids: ['1'] }]);
    expect(desc2.media[1].candidates.length).toBe(2);
    expect(desc2.media[0].candidates).toEqual([]);
  });

  it('uses the 9 / 0.0.0.0 placeholders without a UDP candidate, and an IPv6 one when that is first', () => {
    expect(offer(session({ candidates: [] })).media[0]).toMatchObject({
      port: 9,
      connection: { address: '0.0.0.0', addrType: 'IP4' },
    });
    expect(
      offer(session({ candidates: ['candidate:1 1 udp 1 2001:db8::1 5000 typ host'] })).media[0],
    ).toMatchObject({
      port: 5000,
      connection: { address: '2001:db8::1', addrType: 'IP6' },
    });
  });

  it('an offer without sections has no BUNDLE group', () => {
    expect(offer(session({ sections: [] })).groups).toEqual([]);
  });

  const refusals: Array<[string, Partial<SubscribeSession>]> = [
    ['short ufrag', { iceParameters: { usernameFragment: 'ab', password: 'sfuPasswordIsLongEnough1' } }],
    ['short password', { iceParameters: { usernameFragment: 'sfuUfrag', password: 'short' } }],
    ['sha-1 fingerprint', { fingerprint: { algorithm: 'sha-1' as 'sha-256', value: HASH } }],
    ['short fingerprint', { fingerprint: { algorithm: 'sha-256', value: 'AB:CD' } }],
    ['bad candidate', { candidates: ['candidate:1 1 udp'] }],
    ['candidate with a line break', { candidates: ['candidate:1 1 udp 1 192.0.2.1 9 typ host\r\na=x'] }],
    ['session id not digits', { sessionId: 'abc' }],
    ['negative version', { sessionVersion: -1 }],
    ['fractional version', { sessionVersion: 1.5 }],
    ['duplicate mid', { sections: [audio('0'), video('0')] }],
    ['mid with a space', { sections: [audio('a b')] }],
    ['mid too long for sdes:mid', { sections: [audio('x'.repeat(17))] }],
    [
      'two data sections',
      {
        sections: [
          { mid: 'a', kind: 'application', state: 'active' },
          { mid: 'b', kind: 'application', state: 'active' },
        ],
      },
    ],
    [
      'bad max-message-size',
      { sections: [{ mid: 'a', kind: 'application', state: 'active', maxMessageSize: -1 }] },
    ],
    ['active without send', { sections: [{ ...audio('0'), send: undefined }] }],
    ['no codec', { sections: [{ ...audio('0'), codecs: [] }] }],
    ['video codec in audio', { sections: [{ ...audio('0'), codecs: vp8 }] }],
    ['payload type 128', { sections: [{ ...audio('0'), codecs: [{ ...opus[0], payloadType: 128 }] }] }],
    [
      'payload type in the RTCP range',
      { sections: [{ ...audio('0'), codecs: [{ ...opus[0], payloadType: 72 }] }] },
    ],
    [
      'duplicate payload type',
      { sections: [{ ...video('0'), codecs: [vp8[0], { ...vp8[1], payloadType: 96 }] }] },
    ],
    ['rtx without its codec', { sections: [{ ...video('0'), codecs: [vp8[1]] }] }],
    [
      'fmtp value with a semicolon',
      { sections: [{ ...audio('0'), codecs: [{ ...opus[0], parameters: { a: 'b;c' } }] }] },
    ],
    [
      'bad rtcp-fb',
      { sections: [{ ...audio('0'), codecs: [{ ...opus[0], rtcpFeedback: [{ type: 'a b' }] }] }] },
    ],
    [
      'duplicate extmap id',
      {
        sections: [
          {
            ...audio('0'),
            headerExtensions: [
              { uri: 'a', id: 1 },
              { uri: 'b', id: 1 },
            ],
          },
        ],
      },
    ],
    ['extmap id 0', { sections: [{ ...audio('0'), headerExtensions: [{ uri: 'a', id: 0 }] }] }],
    ['ssrc equal to rtx', { sections: [{ ...video('0'), send: { ...video('0').send!, rtxSsrc: 2000 } }] }],
    ['ssrc out of range', { sections: [{ ...audio('0'), send: { ...audio('0').send!, ssrc: 2 ** 32 } }] }],
    ['cname with a space', { sections: [{ ...audio('0'), send: { ...audio('0').send!, cname: 'a b' } }] }],
    [
      'msid with a space',
      {
        sections: [{ ...audio('0'), send: { ...audio('0').send!, msid: { streamId: 'a b', trackId: 't' } } }],
      },
    ],
  ];
  it.each(refusals)('refuses %s', (_what, overrides) => {
    const result = createSubscribeOffer(session(overrides));
    expect(!result.ok && result.error.code).toBe('ERR_SDP_INVALID_ARGUMENT');
  });

  it('does not check the send of a section that is not active', () => {
    expect(
      createSubscribeOffer(session({ sections: [{ ...audio('0', 'inactive'), send: undefined }] })).ok,
    ).toBe(true);
  });
});

describe('parseSubscribeAnswer', () => {
  const offered = session();
  const offerSdp = writeSdp(offer(offered));
  const answerSdp = browserAnswer(offerSdp);

  it('accepts a browser-shaped answer: its transport, our role, and what each section agreed', () => {
    const result = parseSubscribeAnswer(answerSdp, offered);
    if (!result.ok) throw result.error;
    expect(result.value.transport).toEqual({
      iceParameters: {
        usernameFragment: 'brws',
        password: 'browserPasswordIsLongEnough',
        iceLite: false,
        options: [],
      },
      fingerprint: { algorithm: 'sha-256', value: BROWSER_HASH },
      setup: 'active',
      dtlsRole: 'server',
      candidates: [],
    });
    expect(result.value.sections).toEqual([
      {
        mid: '0',
        kind: 'audio',
        accepted: true,
        direction: 'recvonly',
        payloadTypes: [111],
        headerExtensionIds: [1, 2, 3, 4],
      },
      {
        mid: '1',
        kind: 'video',
        accepted: true,
        direction: 'inactive',
        payloadTypes: [96, 97],
        headerExtensionIds: [2, 3, 4, 13],
      },
      {
        mid: '2',
        kind: 'video',
        accepted: false,
        direction: 'inactive',
        payloadTypes: [],
        headerExtensionIds: [],
      },
      { mid: '3', kind: 'application', accepted: true, payloadTypes: [], headerExtensionIds: [] },
    ]);
  });

  it('a passive answer makes us the DTLS client; no a=setup means active (RFC 4145)', () => {
    const passive = parseSubscribeAnswer(answerSdp.replaceAll('a=setup:active', 'a=setup:passive'), offered);
    expect(passive.ok && passive.value.transport?.dtlsRole).toBe('client');
    const none = parseSubscribeAnswer(answerSdp.replaceAll('a=setup:active\r\n', ''), offered);
    expect(none.ok && none.value.transport?.setup).toBe('active');
  });

  it('a section rejected with port 0, with or without its mid, is not accepted', () => {
    const rejected = answerSdp.replace('m=audio 40000', 'm=audio 0');
    const result = parseSubscribeAnswer(rejected, offered);
    expect(result.ok && result.value.sections[0].accepted).toBe(false);
    const noMid = parseSubscribeAnswer(rejected.replace('a=mid:0\r\n', ''), offered);
    if (!noMid.ok) throw noMid.error;
    expect(noMid.value.sections[0]).toMatchObject({ mid: '0', accepted: false });
  });

  it('a port-0 section marked bundle-only inside the BUNDLE group is accepted (RFC 8843 §7.3)', () => {
    const bundleOnly = answerSdp
      .replace('m=video 40000', 'm=video 0')
      .replace('a=mid:1\r\n', 'a=mid:1\r\na=bundle-only\r\n');
    const result = parseSubscribeAnswer(bundleOnly, offered);
    expect(result.ok && result.value.sections[1].accepted).toBe(true);
  });

  it('an answer accepting no section has no transport', () => {
    const only = session({ sections: [audio('0')] });
    const rejected = browserAnswer(writeSdp(offer(only)))
      .replace('m=audio 40000', 'm=audio 0')
      .replace(/a=group:BUNDLE.*\r\n/, '')
      .replace(/a=(ice-ufrag|ice-pwd|fingerprint|setup):.*\r\n/g, '');
    const result = parseSubscribeAnswer(rejected, only);
    expect(result.ok && result.value.transport).toBeUndefined();
  });

  const mismatches: Array<[string, string, SdpNegotiationErrorCode]> = [
    ['garbage', 'not sdp', 'ERR_SDP_BAD_LINE'],
    ['a section too few', answerSdp.slice(0, answerSdp.indexOf('m=application')), 'ERR_SDP_ANSWER_MISMATCH'],
    ['a different kind', answerSdp.replace('m=audio 40000', 'm=video 40000'), 'ERR_SDP_ANSWER_MISMATCH'],
    ['a different mid', answerSdp.replace('a=mid:0', 'a=mid:9'), 'ERR_SDP_ANSWER_MISMATCH'],
    ['sendrecv to our sendonly', answerSdp.replace('a=recvonly', 'a=sendrecv'), 'ERR_SDP_ANSWER_MISMATCH'],
    [
      'no direction (sendrecv) to our sendonly',
      answerSdp.replace('a=recvonly\r\n', ''),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    [
      'recvonly to our inactive',
      answerSdp.replace(/(a=mid:1\r\n(?:.*\r\n)*?)a=inactive/, '$1a=recvonly'),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    [
      'a payload type we did not offer',
      answerSdp.replace('m=audio 40000 UDP/TLS/RTP/SAVPF 111', 'm=audio 40000 UDP/TLS/RTP/SAVPF 111 0'),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    [
      'an extmap id we did not offer',
      answerSdp.replace('a=extmap:1 urn', 'a=extmap:7 urn'),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    ['our closed section accepted', answerSdp.replace('m=video 0', 'm=video 9'), 'ERR_SDP_ANSWER_MISMATCH'],
    [
      'an accepted section outside BUNDLE',
      answerSdp.replace('a=group:BUNDLE 0 1 3', 'a=group:BUNDLE 0 1'),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    ['no BUNDLE group', answerSdp.replace(/a=group:BUNDLE.*\r\n/, ''), 'ERR_SDP_ANSWER_MISMATCH'],
    [
      'data without webrtc-datachannel',
      answerSdp.replace('SCTP webrtc-datachannel', 'SCTP other'),
      'ERR_SDP_ANSWER_MISMATCH',
    ],
    ['no ice-ufrag', answerSdp.replace(/a=ice-ufrag:.*\r\n/g, ''), 'ERR_SDP_MISSING_ICE_PARAMETERS'],
    ['no fingerprint', answerSdp.replace(/a=fingerprint:.*\r\n/g, ''), 'ERR_SDP_MISSING_FINGERPRINT'],
    [
      'setup actpass',
      answerSdp.replaceAll('a=setup:active', 'a=setup:actpass'),
      'ERR_SDP_INCOMPATIBLE_SETUP',
    ],
    [
      'setup holdconn',
      answerSdp.replaceAll('a=setup:active', 'a=setup:holdconn'),
      'ERR_SDP_INCOMPATIBLE_SETUP',
    ],
  ];
  it.each(mismatches)('refuses %s', (_what, sdp, code) => {
    expect(refusal(sdp, offered)).toBe(code);
  });

  it('names the section and the parser line in its errors', () => {
    const wrongMid = parseSubscribeAnswer(answerSdp.replace('a=mid:0', 'a=mid:9'), offered);
    expect(!wrongMid.ok && wrongMid.error.mid).toBe('0');
    const badLine = parseSubscribeAnswer(answerSdp.replace('a=mid:0', 'a=rtpmap:x'), offered);
    expect(!badLine.ok && [badLine.error.code, typeof badLine.error.line]).toEqual([
      'ERR_SDP_BAD_ATTRIBUTE',
      'number',
    ]);
  });
});
