/**
 * Property tests for the subscribe side: generated sessions give offers that
 * parse back to the same model and whose browser-shaped answers check out;
 * garbage and damaged answers never make parseSubscribeAnswer throw; random
 * renegotiation sequences keep SubscribeSdpState's promises (stable mids,
 * never-shrinking m= lines, versions that only go up); and the producer
 * reading and codec matching never throw and stay consistent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnswerMedia } from './answer.js';
import { ROUTER_CODECS, SUBSCRIBE_HEADER_EXTENSIONS } from './capabilities.js';
import {
  createSubscribeOffer,
  parseSubscribeAnswer,
  type SubscribeSection,
  type SubscribeSession,
} from './offer.js';
import { parseSdp } from './parse.js';
import {
  codecsMatch,
  isRtxCodec,
  type RtpCodecParameters,
  rtpParametersFromAnswer,
} from './rtp-parameters.js';
import { SubscribeSdpState } from './subscribe-state.js';
import type { SessionDescription } from './types.js';
import { writeSdp } from './write.js';

const HASH = Array.from({ length: 32 }, () => '5A').join(':');
const TRANSPORT = {
  iceParameters: { usernameFragment: 'sfuUfrag', password: 'sfuPasswordIsLongEnough1' },
  candidates: ['candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host'],
  fingerprint: { algorithm: 'sha-256' as const, value: HASH },
};

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const msidPart = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
const cname = fc.stringMatching(/^[\x21-\x7e]{1,16}$/);

/** Router codecs of one kind: a non-empty subset of media codecs, each with or without its RTX. */
function codecsOf(kind: 'audio' | 'video'): fc.Arbitrary<RtpCodecParameters[]> {
  const media = ROUTER_CODECS.filter((codec) => !isRtxCodec(codec) && codec.mimeType.startsWith(`${kind}/`));
  return fc
    .uniqueArray(fc.tuple(fc.constantFrom(...media), fc.boolean()), {
      minLength: 1,
      maxLength: media.length,
      selector: ([codec]) => codec.payloadType,
    })
    .map((picked) =>
      picked.flatMap(([codec, withRtx]) => {
        const rtx = ROUTER_CODECS.find((c) => isRtxCodec(c) && c.parameters['apt'] === codec.payloadType);
        return withRtx && rtx !== undefined ? [codec, rtx] : [codec];
      }),
    );
}

const state = fc.constantFrom('active' as const, 'inactive' as const, 'closed' as const);

function mediaSection(kind: 'audio' | 'video'): fc.Arbitrary<Omit<SubscribeSection, 'mid'>> {
  return fc.record({
    kind: fc.constant(kind),
    state,
    codecs: codecsOf(kind),
    headerExtensions: fc.subarray([...SUBSCRIBE_HEADER_EXTENSIONS[kind]]),
    send: fc
      .record({
        ssrc: u32,
        rtxSsrc: fc.option(u32, { nil: undefined }),
        cname,
        streamId: msidPart,
        trackId: msidPart,
      })
      .filter((s) => s.rtxSsrc !== s.ssrc)
      .map(({ ssrc, rtxSsrc, cname, streamId, trackId }) => ({
        ssrc,
        ...(rtxSsrc === undefined ? {} : { rtxSsrc }),
        cname,
        msid: { streamId, trackId },
      })),
  });
}

const dataSection = fc.record({
  kind: fc.constant('application' as const),
  state: fc.constantFrom('active' as const, 'closed' as const),
});

const sessionArbitrary: fc.Arbitrary<SubscribeSession> = fc
  .tuple(
    fc.array(fc.oneof(mediaSection('audio'), mediaSection('video')), { maxLength: 6 }),
    fc.option(dataSection, { nil: undefined }),
    fc.nat({ max: 2 ** 40 }),
  )
  .map(([media, data, version]) => ({
    ...TRANSPORT,
    sessionId: '42',
    sessionVersion: version,
    sections: [...media, ...(data === undefined ? [] : [data])].map(
      (section, index) => ({ ...section, mid: `m${index}` }) as SubscribeSection,
    ),
  }));

/** The browser's answer by rewriting our offer: its transport, setup active, recvonly for sendonly. */
function browserAnswer(offerSdp: string): string {
  return offerSdp
    .split('\r\n')
    .filter((line) => !/^a=(ssrc|ssrc-group|msid|candidate|end-of-candidates|ice-lite)\b/.test(line))
    .map((line) =>
      line
        .replace(/^a=ice-ufrag:.*/, 'a=ice-ufrag:brws')
        .replace(/^a=ice-pwd:.*/, 'a=ice-pwd:browserPasswordIsLongEnough')
        .replace(/^a=setup:actpass/, 'a=setup:active')
        .replace(/^a=sendonly/, 'a=recvonly'),
    )
    .join('\r\n');
}

function offerOf(session: SubscribeSession): SessionDescription {
  const result = createSubscribeOffer(session);
  if (!result.ok) throw result.error;
  return result.value;
}

describe('subscribe offers and answers (properties)', () => {
  it('every generated session gives an offer that parses back to itself and whose answer checks out', () => {
    fc.assert(
      fc.property(sessionArbitrary, (session) => {
        const desc = offerOf(session);
        const text = writeSdp(desc);
        const again = parseSdp(text);
        expect(again.ok && again.value).toEqual(desc);
        expect(desc.media.map((m) => m.mid)).toEqual(session.sections.map((s) => s.mid));
        const open = session.sections.filter((s) => s.state !== 'closed').map((s) => s.mid);
        expect(desc.groups).toEqual(open.length === 0 ? [] : [{ semantics: 'BUNDLE', mids: open }]);
        const checked = parseSubscribeAnswer(browserAnswer(text), session);
        if (!checked.ok) throw checked.error;
        expect(checked.value.sections.map((s) => s.accepted)).toEqual(
          session.sections.map((s) => s.state !== 'closed'),
        );
        expect(checked.value.transport?.dtlsRole).toBe(open.length === 0 ? undefined : 'server');
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage or on damaged answers', () => {
    const session: SubscribeSession = {
      ...TRANSPORT,
      sessionId: '1',
      sessionVersion: 1,
      sections: [
        {
          mid: '0',
          kind: 'video',
          state: 'active',
          codecs: ROUTER_CODECS.slice(1, 3),
          headerExtensions: [...SUBSCRIBE_HEADER_EXTENSIONS.video],
          send: { ssrc: 1, rtxSsrc: 2, cname: 'c', msid: { streamId: 's', trackId: 't' } },
        },
        { mid: '1', kind: 'application', state: 'active' },
      ],
    };
    const lines = browserAnswer(writeSdp(offerOf(session))).split('\r\n');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        parseSubscribeAnswer(text, session);
      }),
    );
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('repeat' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
      fc.record({ kind: fc.constant('garble' as const), at: fc.nat(), text: fc.string({ maxLength: 12 }) }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const damaged = [...lines];
        for (const e of edits) {
          const at = e.at % damaged.length;
          if (e.kind === 'drop') damaged.splice(at, 1);
          else if (e.kind === 'repeat') damaged.splice(at, 0, damaged[at]);
          else if (e.kind === 'swap')
            [damaged[at], damaged[e.to % damaged.length]] = [damaged[e.to % damaged.length], damaged[at]];
          else damaged[at] = `${damaged[at].slice(0, 2)}${e.text}`;
          if (damaged.length === 0) damaged.push('');
        }
        const result = parseSubscribeAnswer(damaged.join('\r\n'), session);
        if (!result.ok) expect(result.error.code).toMatch(/^ERR_SDP_/);
      }),
      { numRuns: 500 },
    );
  });
});

type Operation =
  | { op: 'add'; kind: 'audio' | 'video' }
  | { op: 'remove'; pick: number }
  | { op: 'data' }
  | { op: 'negotiate'; rejectMask: number }
  | { op: 'offer-only' }
  | { op: 'rollback' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      kind: fc.constantFrom('audio' as const, 'video' as const),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('data' as const) }), weight: 1 },
  {
    arbitrary: fc.record({ op: fc.constant('negotiate' as const), rejectMask: fc.nat({ max: 255 }) }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('offer-only' as const) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('rollback' as const) }), weight: 1 },
);

/** The browser's answer, rejecting the open sections whose bit is set in the mask (the first section never). */
function answerRejecting(offerSdp: string, mask: number): string {
  const blocks = offerSdp.split(/\r\n(?=m=)/);
  const rejected = new Set<string>();
  const media = blocks.slice(1).map((block, index) => {
    const mid = /a=mid:(\S+)/.exec(block)![1];
    if (index > 0 && !block.startsWith('m=application') && (mask >> index) & 1 && !/^m=\S+ 0 /.test(block)) {
      rejected.add(mid);
      return block.replace(/^(m=\S+) \d+/, '$1 0');
    }
    return block;
  });
  const session = blocks[0]
    .split('\r\n')
    .map((line) =>
      line.startsWith('a=group:BUNDLE')
        ? line
            .split(' ')
            .filter((token) => !rejected.has(token))
            .join(' ')
        : line,
    )
    .join('\r\n');
  return browserAnswer([session, ...media].join('\r\n'));
}

describe('SubscribeSdpState (properties)', () => {
  it('keeps mids stable, never shrinks the m= lines, and only raises the version', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 30 }), (operations) => {
        const subscribe = new SubscribeSdpState({ transport: TRANSPORT, sessionId: '9' });
        let ssrc = 1;
        let lastVersion = 0;
        /** Mid of each index in the last negotiated offer, with its state. */
        let negotiated: Array<{ mid: string; state: string; kind: string }> = [];
        const everUsed = new Set<string>();
        for (const step of operations) {
          const before = subscribe.sections;
          if (step.op === 'add') {
            const mid = subscribe.addTrack({
              kind: step.kind,
              codecs: ROUTER_CODECS.filter((c) =>
                step.kind === 'audio'
                  ? c.mimeType === 'audio/opus'
                  : c.payloadType === 96 || c.payloadType === 97,
              ),
              headerExtensions: [...SUBSCRIBE_HEADER_EXTENSIONS[step.kind]],
              send: { ssrc: ssrc++, cname: 'c', msid: { streamId: `s${ssrc}`, trackId: `t${ssrc}` } },
            });
            const reused = before.find((s) => s.mid === mid);
            // A kept mid is an inactive section of the same kind; any other mid is brand new.
            if (reused !== undefined) expect([reused.kind, reused.state]).toEqual([step.kind, 'inactive']);
            else expect(everUsed.has(mid)).toBe(false);
          } else if (step.op === 'remove') {
            const media = before.filter((s) => s.kind !== 'application');
            if (media.length > 0) subscribe.removeTrack(media[step.pick % media.length].mid);
          } else if (step.op === 'data') {
            subscribe.addDataChannel();
          } else if (step.op === 'offer-only') {
            subscribe.createOffer();
          } else if (step.op === 'rollback') {
            subscribe.rollback();
          } else {
            const offer = subscribe.createOffer();
            const version = Number(offer.description.origin.sessionVersion);
            expect(version).toBeGreaterThanOrEqual(lastVersion);
            lastVersion = version;
            const reparsed = parseSdp(offer.sdp);
            expect(reparsed.ok).toBe(true);
            const sections = offer.session.sections;
            // JSEP: m= lines never disappear; an open section keeps its mid and kind while it lives.
            expect(sections.length).toBeGreaterThanOrEqual(negotiated.length);
            negotiated.forEach((previous, index) => {
              if (previous.state !== 'closed')
                expect([sections[index].mid, sections[index].kind]).toEqual([previous.mid, previous.kind]);
              else if (sections[index].mid !== previous.mid) expect(sections[index].kind).toBe(previous.kind);
            });
            const result = subscribe.applyAnswer(answerRejecting(offer.sdp, step.rejectMask));
            if (!result.ok) throw result.error;
            negotiated = subscribe.sections.map((s) => ({ mid: s.mid, state: s.state, kind: s.kind }));
          }
          for (const section of subscribe.sections) everUsed.add(section.mid);
          const mids = subscribe.sections.map((s) => s.mid);
          expect(new Set(mids).size).toBe(mids.length);
          expect(subscribe.sections.length).toBeGreaterThanOrEqual(before.length);
          expect(
            subscribe.sections.filter((s) => s.kind === 'application' && s.state !== 'closed').length,
          ).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('producer parameters and codec matching (properties)', () => {
  const baseOffer = [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
    'a=mid:0',
    'a=rtpmap:96 VP8/90000',
    'a=rtpmap:97 rtx/90000',
    'a=fmtp:97 apt=96',
  ];
  const media: AnswerMedia = {
    mid: '0',
    kind: 'video',
    direction: 'recvonly',
    codecs: [
      {
        payloadType: 96,
        name: 'VP8',
        clockRate: 90000,
        parameters: {},
        rtcpFeedback: [],
        rtxPayloadType: 97,
      },
    ],
    headerExtensions: [],
    rtcpRsize: true,
    receiveRids: [],
  };
  const small = fc.integer({ min: 1, max: 6 });

  it('reads encodings from any a=ssrc / ssrc-group mix without throwing, never taking a repair SSRC as media', () => {
    const line = fc.oneof(
      small.map((ssrc) => `a=ssrc:${ssrc} cname:c${ssrc}`),
      fc.tuple(small, small).map(([a, b]) => `a=ssrc-group:FID ${a} ${b}`),
      fc.array(small, { maxLength: 3 }).map((ssrcs) => `a=ssrc-group:SIM ${ssrcs.join(' ')}`.trim()),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (extra) => {
        const offer = parseSdp(`${[...baseOffer, ...extra].join('\r\n')}\r\n`);
        if (!offer.ok) return;
        const result = rtpParametersFromAnswer(offer.value, media);
        if (!result.ok) throw result.error;
        const section = offer.value.media[0];
        const hasSim = section.ssrcGroups.some((g) => g.semantics === 'SIM' && g.ssrcs.length > 0);
        const repairs = new Set(
          section.ssrcGroups.filter((g) => g.semantics === 'FID').flatMap((g) => g.ssrcs.slice(1)),
        );
        expect(result.value.encodings.length).toBeGreaterThanOrEqual(1);
        if (!hasSim)
          for (const encoding of result.value.encodings)
            if (encoding.ssrc !== undefined) expect(repairs.has(encoding.ssrc)).toBe(false);
      }),
    );
  });

  it('codecsMatch is reflexive for well-formed codecs and symmetric for any', () => {
    const value = fc.oneof(
      fc.constantFrom('0', '1', '2', '42e01f', '42001f', '4d001f', '640c1f', 'zz'),
      fc.nat({ max: 3 }),
    );
    const codec = fc.record({
      mimeType: fc.constantFrom(
        'video/H264',
        'video/h264',
        'video/VP9',
        'video/AV1',
        'audio/opus',
        'video/rtx',
      ),
      payloadType: fc.nat({ max: 127 }),
      clockRate: fc.constantFrom(90000, 48000),
      channels: fc.option(fc.constantFrom(1, 2), { nil: undefined }),
      parameters: fc.dictionary(
        fc.constantFrom('profile-level-id', 'packetization-mode', 'profile-id', 'profile', 'apt'),
        value,
      ),
      rtcpFeedback: fc.constant(null).map((): RtpCodecParameters['rtcpFeedback'] => []),
    });
    fc.assert(
      fc.property(codec, codec, (a, b) => {
        expect(codecsMatch(a, b)).toBe(codecsMatch(b, a));
        const wellFormed = { ...a, parameters: { ...a.parameters, 'profile-level-id': '42e01f' } };
        expect(codecsMatch(wellFormed, { ...wellFormed, payloadType: 1 })).toBe(true);
      }),
    );
  });
});
