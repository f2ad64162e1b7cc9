/**
 * SubscribeSdpState across renegotiations: mids, recycling, versions, the
 * answer's effects, rollback and misuse. The browser is played by a text
 * rewrite of our offer; test/interop/sdp-subscribe.test.ts uses real ones.
 */
import { describe, expect, it } from 'vitest';
import { consumerRtpParameters, ROUTER_CODECS, SUBSCRIBE_HEADER_EXTENSIONS } from './capabilities.js';
import { SdpNegotiationError } from './negotiation-error.js';
import type { RtpParameters } from './rtp-parameters.js';
import { type SubscribeOffer, SubscribeSdpState, type SubscribeTrack } from './subscribe-state.js';

const HASH = Array.from({ length: 32 }, (_, i) =>
  ((i * 9) % 256).toString(16).padStart(2, '0').toUpperCase(),
).join(':');
const TRANSPORT = {
  iceParameters: { usernameFragment: 'sfuUfrag', password: 'sfuPasswordIsLongEnough1' },
  candidates: ['candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host'],
  fingerprint: { algorithm: 'sha-256' as const, value: HASH },
};

let ssrc = 100;
function track(kind: 'audio' | 'video', streamId = 'alice'): SubscribeTrack {
  ssrc += 2;
  return {
    kind,
    codecs: ROUTER_CODECS.filter((codec) =>
      kind === 'audio'
        ? codec.mimeType === 'audio/opus'
        : codec.payloadType === 96 || codec.payloadType === 97,
    ),
    headerExtensions: [...SUBSCRIBE_HEADER_EXTENSIONS[kind]],
    send: {
      ssrc,
      rtxSsrc: kind === 'video' ? ssrc + 1 : undefined,
      cname: 'sfu',
      msid: { streamId, trackId: `${streamId}-${kind}-${ssrc}` },
    },
  };
}

/**
 * The browser's answer, made by rewriting our offer: its own transport,
 * setup as given, recvonly for sendonly, and port 0 on the mids it rejects
 * (which then leave its BUNDLE group).
 */
function answer(offer: SubscribeOffer, options: { setup?: string; reject?: string[] } = {}): string {
  const reject = new Set(options.reject ?? []);
  const blocks = offer.sdp.split(/\r\n(?=m=)/);
  const session = blocks[0]
    .split('\r\n')
    .filter((line) => line !== 'a=ice-lite')
    .map((line) =>
      line.startsWith('a=group:BUNDLE')
        ? line
            .split(' ')
            .filter((token) => !reject.has(token))
            .join(' ')
        : line,
    )
    .join('\r\n');
  const media = blocks.slice(1).map((block) => {
    const mid = /a=mid:(\S+)/.exec(block)?.[1] ?? '';
    const lines = block
      .split('\r\n')
      .filter((line) => !/^a=(ssrc|ssrc-group|msid|candidate|end-of-candidates)\b/.test(line))
      .map((line) =>
        line
          .replace(/^a=ice-ufrag:.*/, 'a=ice-ufrag:brws')
          .replace(/^a=ice-pwd:.*/, 'a=ice-pwd:browserPasswordIsLongEnough')
          .replace(/^a=setup:actpass/, `a=setup:${options.setup ?? 'active'}`)
          .replace(/^a=sendonly/, 'a=recvonly'),
      );
    if (reject.has(mid)) lines[0] = lines[0].replace(/^(m=\S+) \d+/, '$1 0');
    return lines.join('\r\n');
  });
  return [session, ...media].join('\r\n');
}

function negotiate(
  state: SubscribeSdpState,
  options: { setup?: string; reject?: string[] } = {},
): SubscribeOffer {
  const offer = state.createOffer();
  const result = state.applyAnswer(answer(offer, options));
  if (!result.ok) throw result.error;
  return offer;
}

const layout = (offer: SubscribeOffer) =>
  offer.description.media.map(
    (m) => `${m.mid} ${m.media} ${m.port === 0 ? 'closed' : (m.direction ?? 'data')}`,
  );

function thrown(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof SdpNegotiationError ? error.code : `not an SdpNegotiationError: ${error}`;
  }
  return undefined;
}

describe('SubscribeSdpState', () => {
  it('numbers mids from 0 and makes offers that go up one version per change', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT, sessionId: '5' });
    expect(state.version).toBe(0);
    expect(state.negotiationNeeded).toBe(true);
    expect([state.addTrack(track('audio')), state.addTrack(track('video'))]).toEqual(['0', '1']);
    const first = state.createOffer();
    expect(first.description.origin).toMatchObject({ sessionId: '5', sessionVersion: '1' });
    expect(state.signalingState).toBe('have-local-offer');
    // Asking again without a change repeats the version (RFC 8829 §5.2.2).
    expect(state.createOffer().sdp).toBe(first.sdp);
    expect(state.applyAnswer(answer(first)).ok).toBe(true);
    expect(state.signalingState).toBe('stable');
    expect(state.negotiationNeeded).toBe(false);
    state.removeTrack('0');
    expect(state.negotiationNeeded).toBe(true);
    expect(negotiate(state).description.origin.sessionVersion).toBe('2');
    expect(state.version).toBe(2);
  });

  it('restarts ICE: the next offer carries the new credentials, mids and sections unchanged', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    const before = negotiate(state);
    expect(state.negotiationNeeded).toBe(false);
    state.restartIce({ usernameFragment: 'newUfragAbcdEfgh', password: 'aNewPasswordThatIsLongEnough1234' });
    expect(state.negotiationNeeded).toBe(true);
    const after = negotiate(state);
    expect(after.sdp).toContain('a=ice-ufrag:newUfragAbcdEfgh');
    expect(after.sdp).toContain('a=ice-pwd:aNewPasswordThatIsLongEnough1234');
    expect(after.sdp).not.toContain(`a=ice-ufrag:${TRANSPORT.iceParameters.usernameFragment}`);
    expect(layout(after)).toEqual(layout(before));
    expect(Number(after.description.origin.sessionVersion)).toBe(
      Number(before.description.origin.sessionVersion) + 1,
    );
    expect(thrown(() => state.restartIce({ usernameFragment: 'x', password: 'short' }))).toBe(
      'ERR_SDP_INVALID_ARGUMENT',
    );
  });

  it('picks a random 62-bit session id when none is given', () => {
    const ids = new Set(
      Array.from({ length: 5 }, () => new SubscribeSdpState({ transport: TRANSPORT }).sessionId),
    );
    expect(ids.size).toBe(5);
    for (const id of ids) expect(BigInt(id) < 2n ** 62n).toBe(true);
  });

  it('removing a track leaves an inactive section with the same mid', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.addTrack(track('video'));
    negotiate(state);
    state.removeTrack('1');
    state.removeTrack('1');
    const offer = negotiate(state);
    expect(layout(offer)).toEqual(['0 audio sendonly', '1 video inactive']);
    expect(offer.description.groups[0].mids).toEqual(['0', '1']);
    expect(state.sections[1]).toEqual({
      mid: '1',
      kind: 'video',
      state: 'inactive',
      codecs: track('video').codecs,
      headerExtensions: SUBSCRIBE_HEADER_EXTENSIONS.video,
    });
  });

  it('recycles an inactive section of the same kind only once the browser answered it inactive', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.addTrack(track('video'));
    negotiate(state);
    state.removeTrack('1');
    // Not yet told to the browser: a new video would look like a track swap, which fires no event.
    expect(state.addTrack(track('video', 'bob'))).toBe('2');
    // Told, but not answered yet.
    state.createOffer();
    expect(state.addTrack(track('video', 'carol'))).toBe('3');
    expect(state.applyAnswer(answer(state.createOffer())).ok).toBe(true);
    // Answered inactive: the next video takes mid 1; an audio does not.
    expect(state.addTrack(track('audio', 'dave'))).toBe('4');
    expect(state.addTrack(track('video', 'erin'))).toBe('1');
    const offer = negotiate(state);
    expect(layout(offer)).toEqual([
      '0 audio sendonly',
      '1 video sendonly',
      '2 video sendonly',
      '3 video sendonly',
      '4 audio sendonly',
    ]);
    expect(offer.description.media[1].msids).toEqual([{ streamId: 'erin', trackId: expect.any(String) }]);
  });

  it('a section never offered may be recycled at once', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.removeTrack('0');
    expect(state.addTrack(track('audio', 'bob'))).toBe('0');
  });

  it('closes the sections the browser rejects and recycles them under a new mid, same kind only', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.addTrack(track('video'));
    state.addTrack(track('audio'));
    const offer = state.createOffer();
    const result = state.applyAnswer(answer(offer, { reject: ['1'] }));
    if (!result.ok) throw result.error;
    expect(result.value.sections.map((s) => s.accepted)).toEqual([true, false, true]);
    expect(state.sections.map((s) => s.state)).toEqual(['active', 'closed', 'active']);
    expect(layout(state.createOffer())).toEqual(['0 audio sendonly', '1 video closed', '2 audio sendonly']);
    expect(state.createOffer().description.groups[0].mids).toEqual(['0', '2']);
    // An audio does not take the closed video section; a video does, under a new mid.
    expect(state.addTrack(track('audio'))).toBe('3');
    expect(state.addTrack(track('video'))).toBe('4');
    expect(layout(negotiate(state))).toEqual([
      '0 audio sendonly',
      '4 video sendonly',
      '2 audio sendonly',
      '3 audio sendonly',
    ]);
    // A mid once used is never handed out again.
    state.removeTrack('4');
    expect(state.addDataChannel()).toBe('5');
  });

  it('a section recycled while an answer was pending keeps its new mid when that answer arrives', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.addTrack(track('video'));
    negotiate(state, { reject: ['1'] });
    const pending = state.createOffer();
    expect(state.addTrack(track('video'))).toBe('2');
    expect(state.applyAnswer(answer(pending, { reject: ['1'] })).ok).toBe(true);
    expect(state.sections.map((s) => `${s.mid} ${s.state}`)).toEqual(['0 active', '2 active']);
  });

  it('keeps the DTLS role of the first answer and refuses an answer that flips it', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    negotiate(state, { setup: 'passive' });
    expect(state.dtlsRole).toBe('client');
    state.addTrack(track('video'));
    const offer = state.createOffer();
    const flipped = state.applyAnswer(answer(offer, { setup: 'active' }));
    expect(!flipped.ok && flipped.error.code).toBe('ERR_SDP_DTLS_ROLE_CHANGED');
    // The offer stays pending; a consistent answer still applies.
    expect(state.signalingState).toBe('have-local-offer');
    expect(state.applyAnswer(answer(offer, { setup: 'passive' })).ok).toBe(true);
  });

  it('refuses an answer with no offer pending, and a mismatching one without changing anything', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    const offer = state.createOffer();
    expect(state.applyAnswer(answer(offer)).ok).toBe(true);
    const none = state.applyAnswer(answer(offer));
    expect(!none.ok && none.error.code).toBe('ERR_SDP_NO_PENDING_OFFER');
    state.addTrack(track('video'));
    const next = state.createOffer();
    const short = state.applyAnswer(answer(offer));
    expect(!short.ok && short.error.code).toBe('ERR_SDP_ANSWER_MISMATCH');
    expect(state.signalingState).toBe('have-local-offer');
    expect(state.applyAnswer(answer(next)).ok).toBe(true);
  });

  it('rollback forgets the pending offer and the next offer gets a new version', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    state.addTrack(track('audio'));
    state.addTrack(track('video'));
    negotiate(state);
    state.removeTrack('1');
    const refused = state.createOffer();
    state.rollback();
    state.rollback();
    expect(state.signalingState).toBe('stable');
    // The browser never saw mid 1 inactive, so it is not recyclable yet.
    expect(state.addTrack(track('video'))).toBe('2');
    const next = state.createOffer();
    expect(Number(next.description.origin.sessionVersion)).toBeGreaterThan(
      Number(refused.description.origin.sessionVersion),
    );
  });

  it('adds one data channel section, idempotently', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    expect(state.addDataChannel({ maxMessageSize: 1024 })).toBe('0');
    expect(state.addDataChannel()).toBe('0');
    expect(state.createOffer().description.media[0]).toMatchObject({ sctpPort: 5000, maxMessageSize: 1024 });
  });

  it('addConsumer takes codecs, extensions, SSRCs and cname from consumer parameters', () => {
    const producer: RtpParameters = {
      codecs: [
        { mimeType: 'video/VP8', payloadType: 120, clockRate: 90000, parameters: {}, rtcpFeedback: [] },
      ],
      headerExtensions: [],
      encodings: [{ ssrc: 1 }],
      rtcp: { cname: 'pub', reducedSize: true },
    };
    const consumer = consumerRtpParameters(producer, ROUTER_CODECS, { ssrc: 50, rtxSsrc: 51 });
    if (!consumer.ok) throw consumer.error;
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    expect(state.addConsumer(consumer.value.rtpParameters, { streamId: 's', trackId: 't' })).toBe('0');
    const section = state.createOffer().description.media[0];
    expect(section.formats).toEqual(['96', '97']);
    expect(section.ssrcGroups).toEqual([{ semantics: 'FID', ssrcs: [50, 51] }]);
    expect(section.ssrcs[0]).toEqual({ ssrc: 50, attribute: 'cname', value: 'pub' });
    const noCname = { ...consumer.value.rtpParameters, rtcp: { reducedSize: true } };
    expect(thrown(() => state.addConsumer(noCname, { streamId: 's', trackId: 't' }))).toBe(
      'ERR_SDP_INVALID_ARGUMENT',
    );
    const noSsrc = { ...consumer.value.rtpParameters, encodings: [{}] };
    expect(thrown(() => state.addConsumer(noSsrc, { streamId: 's', trackId: 't' }))).toBe(
      'ERR_SDP_INVALID_ARGUMENT',
    );
  });

  it('throws typed errors on misuse and leaves the state as it was', () => {
    expect(
      thrown(
        () =>
          new SubscribeSdpState({
            transport: { ...TRANSPORT, iceParameters: { usernameFragment: 'x', password: 'y' } },
          }),
      ),
    ).toBe('ERR_SDP_INVALID_ARGUMENT');
    expect(thrown(() => new SubscribeSdpState({ transport: TRANSPORT, sessionId: '-1' }))).toBe(
      'ERR_SDP_INVALID_ARGUMENT',
    );
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    const data = state.addDataChannel();
    expect(thrown(() => state.removeTrack('nope'))).toBe('ERR_SDP_UNKNOWN_MID');
    expect(thrown(() => state.removeTrack(data))).toBe('ERR_SDP_UNKNOWN_MID');
    const bad = track('audio');
    bad.send.cname = 'two words';
    expect(thrown(() => state.addTrack(bad))).toBe('ERR_SDP_INVALID_ARGUMENT');
    expect(thrown(() => state.addDataChannel())).toBeUndefined();
    expect(state.sections.map((s) => s.mid)).toEqual([data]);
  });

  it('hands out copies: changing them does not change the state', () => {
    const state = new SubscribeSdpState({ transport: TRANSPORT });
    const added = track('audio');
    state.addTrack(added);
    added.send.msid.streamId = 'changed';
    const sections = state.sections;
    sections[0].mid = 'changed';
    expect(state.sections[0].mid).toBe('0');
    expect(state.createOffer().description.media[0].msids[0].streamId).toBe('alice');
  });
});
