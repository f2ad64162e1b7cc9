/**
 * Our subscribe offers fed to the WebRTC stacks a browser runs: libwebrtc
 * (@roamhq/wrtc) in this process and Chromium through playwright-core. A
 * SubscribeSdpState offers sendonly sections; the stack answers; we check
 * the answer with applyAnswer. Three rounds per stack:
 *
 * 1. one audio and one video track: two track events with our stream id;
 * 2. the video removed and a second audio added: the video transceiver goes
 *    inactive (its track leaves the stream), the audio is appended;
 * 3. a video added again: it takes the inactive video section, same mid, and
 *    fires a new track event with its new stream id.
 *
 * The consumers' parameters come from a real publish negotiation: the same
 * stack makes a publish offer, createAnswer answers it, rtpParametersFromAnswer
 * reads the producers and consumerRtpParameters maps them to our payload
 * types. No packets flow: our candidate points at a closed loopback port, and
 * every peer is closed at the end of its test.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAnswer } from '../../src/sdp/answer.js';
import { consumerRtpParameters, ROUTER_CODECS } from '../../src/sdp/capabilities.js';
import type { SubscribeTransport } from '../../src/sdp/offer.js';
import { parseSdp } from '../../src/sdp/parse.js';
import { type RtpParameters, rtpParametersFromAnswer } from '../../src/sdp/rtp-parameters.js';
import { SubscribeSdpState } from '../../src/sdp/subscribe-state.js';
import { describeWithTools, toolAvailable } from '../helpers/tools.js';

const require = createRequire(import.meta.url);

function transport(): SubscribeTransport {
  const hash = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return {
    iceParameters: { usernameFragment: 'sbSubscribe', password: 'switchboardSubscribePassword' },
    candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 9 typ host'],
    fingerprint: { algorithm: 'sha-256', value: hash },
  };
}

/**
 * Producers of a publish negotiation: the stack's offer (audio + video),
 * our answer, and the RTP parameters each mid sends, by kind.
 */
function producersFromOffer(offerSdp: string): { audio: RtpParameters; video: RtpParameters } {
  const offer = parseSdp(offerSdp);
  if (!offer.ok) throw offer.error;
  const hash = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const answer = createAnswer(offer.value, {
    iceParameters: { usernameFragment: 'sbPublish', password: 'switchboardPublishPassword' },
    candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 9 typ host'],
    fingerprint: { algorithm: 'sha-256', value: hash },
    setup: 'passive',
  });
  if (!answer.ok) throw answer.error;
  const byKind: Record<string, RtpParameters> = {};
  for (const media of answer.value.mids) {
    if (media.kind === 'application') continue;
    const parameters = rtpParametersFromAnswer(offer.value, media);
    if (!parameters.ok) throw parameters.error;
    byKind[media.kind] = parameters.value;
  }
  return { audio: byKind['audio'], video: byKind['video'] };
}

/** Damaged offers every stack must refuse: without fingerprint, without ICE ufrag. */
function damaged(sdp: string): Array<[string, string]> {
  return [
    ['no fingerprint', sdp.replace(/a=fingerprint:.*\r\n/g, '')],
    ['no ice-ufrag', sdp.replace(/a=ice-ufrag:.*\r\n/g, '')],
  ];
}

function consumer(producer: RtpParameters): RtpParameters {
  const result = consumerRtpParameters(producer, ROUTER_CODECS, { cname: 'switchboard-sub' });
  if (!result.ok) throw result.error;
  return result.value.rtpParameters;
}

/** What a stack reports after applying one offer and answering it. */
interface RoundReport {
  answer: string;
  signaling: string;
  transceivers: Array<{ mid: string | null; direction: string; currentDirection: string | null }>;
  /** Track events of this round: mid, kind and stream ids. */
  tracks: Array<{ mid: string | null; kind: string; streams: string[] }>;
  /** Every stream seen so far with the number of tracks it now holds. */
  streams: Record<string, number>;
}

/**
 * The part of RTCPeerConnection these tests touch, shared by wrtc and the
 * browser (the project compiles without the DOM library).
 */
interface PeerConnectionLike {
  close(): void;
  createOffer(): Promise<{ sdp?: string; type: string }>;
  createAnswer(): Promise<{ sdp?: string; type: string }>;
  setLocalDescription(d: { sdp?: string; type: string }): Promise<void>;
  setRemoteDescription(d: { type: 'offer' | 'answer'; sdp: string }): Promise<void>;
  addTransceiver(kind: string, init?: object): void;
  getTransceivers(): Array<{
    mid: string | null;
    direction: string;
    currentDirection: string | null;
  }>;
  signalingState: string;
  ontrack:
    | ((event: {
        transceiver: { mid: string | null };
        track: { kind: string };
        streams: Array<{ id: string; getTracks(): unknown[] }>;
      }) => void)
    | null;
}

/** Applies one offer to a subscriber and answers it; runs in Node (wrtc) or in the page (Chromium). */
async function applyRound(
  pc: PeerConnectionLike,
  seen: Map<string, { getTracks(): unknown[] }>,
  offerSdp: string,
): Promise<RoundReport> {
  const tracks: RoundReport['tracks'] = [];
  pc.ontrack = (event) => {
    for (const stream of event.streams) seen.set(stream.id, stream);
    tracks.push({
      mid: event.transceiver.mid,
      kind: event.track.kind,
      streams: event.streams.map((s) => s.id),
    });
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  const streams: Record<string, number> = {};
  for (const [id, stream] of seen) streams[id] = stream.getTracks().length;
  return {
    answer: answer.sdp!,
    signaling: pc.signalingState,
    transceivers: pc.getTransceivers().map((t) => ({
      mid: t.mid,
      direction: t.direction,
      currentDirection: t.currentDirection,
    })),
    tracks,
    streams,
  };
}

/**
 * The three rounds against one stack. `round` gives an offer to the stack
 * and returns its report; `producers` are the stack's own publish producers.
 */
async function threeRounds(
  producers: { audio: RtpParameters; video: RtpParameters },
  round: (offerSdp: string) => Promise<RoundReport>,
): Promise<void> {
  const state = new SubscribeSdpState({ transport: transport() });

  // 1. One audio and one video track.
  const audioMid = state.addConsumer(consumer(producers.audio), { streamId: 'alice', trackId: 'alice-mic' });
  const videoMid = state.addConsumer(consumer(producers.video), { streamId: 'alice', trackId: 'alice-cam' });
  expect([audioMid, videoMid]).toEqual(['0', '1']);
  const first = state.createOffer();
  expect(first.description.origin.sessionVersion).toBe('1');
  const one = await round(first.sdp);
  expect(one.signaling).toBe('stable');
  expect(one.tracks).toEqual([
    { mid: '0', kind: 'audio', streams: ['alice'] },
    { mid: '1', kind: 'video', streams: ['alice'] },
  ]);
  expect(one.transceivers).toEqual([
    { mid: '0', direction: 'recvonly', currentDirection: 'recvonly' },
    { mid: '1', direction: 'recvonly', currentDirection: 'recvonly' },
  ]);
  const applied = state.applyAnswer(one.answer);
  if (!applied.ok) throw applied.error;
  expect(applied.value.transport?.setup).toBe('active');
  expect(state.dtlsRole).toBe('server');
  expect(applied.value.sections.map((s) => [s.mid, s.accepted, s.direction])).toEqual([
    ['0', true, 'recvonly'],
    ['1', true, 'recvonly'],
  ]);
  // The stack keeps our payload types: opus 111, and VP8 96 with RTX 97 among the video ones.
  expect(applied.value.sections[0].payloadTypes).toEqual([111]);
  expect(applied.value.sections[1].payloadTypes.slice(0, 2)).toEqual([96, 97]);

  // 2. The video leaves; a second audio arrives and is appended (no inactive audio section).
  state.removeTrack(videoMid);
  const secondAudio = state.addConsumer(consumer(producers.audio), { streamId: 'bob', trackId: 'bob-mic' });
  expect(secondAudio).toBe('2');
  const second = state.createOffer();
  expect(second.description.origin.sessionVersion).toBe('2');
  expect(second.description.media.map((m) => [m.mid, m.port !== 0, m.direction])).toEqual([
    ['0', true, 'sendonly'],
    ['1', true, 'inactive'],
    ['2', true, 'sendonly'],
  ]);
  const two = await round(second.sdp);
  expect(two.signaling).toBe('stable');
  expect(two.tracks).toEqual([{ mid: '2', kind: 'audio', streams: ['bob'] }]);
  expect(two.transceivers.map((t) => [t.mid, t.currentDirection])).toEqual([
    ['0', 'recvonly'],
    ['1', 'inactive'],
    ['2', 'recvonly'],
  ]);
  // The removed video track left alice's stream; the audio stayed.
  expect(two.streams).toEqual({ alice: 1, bob: 1 });
  const appliedTwo = state.applyAnswer(two.answer);
  if (!appliedTwo.ok) throw appliedTwo.error;
  expect(appliedTwo.value.sections.map((s) => [s.mid, s.accepted, s.direction])).toEqual([
    ['0', true, 'recvonly'],
    ['1', true, 'inactive'],
    ['2', true, 'recvonly'],
  ]);

  // 3. A video again: it takes the inactive video section and keeps mid 1.
  const carolMid = state.addConsumer(consumer(producers.video), { streamId: 'carol', trackId: 'carol-cam' });
  expect(carolMid).toBe(videoMid);
  const third = state.createOffer();
  expect(third.description.origin.sessionVersion).toBe('3');
  const three = await round(third.sdp);
  expect(three.signaling).toBe('stable');
  expect(three.tracks).toEqual([{ mid: '1', kind: 'video', streams: ['carol'] }]);
  expect(three.transceivers.map((t) => [t.mid, t.currentDirection])).toEqual([
    ['0', 'recvonly'],
    ['1', 'recvonly'],
    ['2', 'recvonly'],
  ]);
  expect(three.streams).toEqual({ alice: 1, bob: 1, carol: 1 });
  const appliedThree = state.applyAnswer(three.answer);
  if (!appliedThree.ok) throw appliedThree.error;
  expect(state.dtlsRole).toBe('server');

  // An offer identical to the last one keeps its version.
  expect(state.negotiationNeeded).toBe(false);
  expect(state.createOffer().description.origin.sessionVersion).toBe('3');
}

describe('libwebrtc (@roamhq/wrtc) takes our subscribe offers', () => {
  const wrtc = require('@roamhq/wrtc') as { RTCPeerConnection: new () => PeerConnectionLike };
  const peers: PeerConnectionLike[] = [];
  afterEach(() => {
    for (const pc of peers.splice(0)) pc.close();
  });

  function peer(): PeerConnectionLike {
    const pc = new wrtc.RTCPeerConnection();
    peers.push(pc);
    return pc;
  }

  async function publishOffer(): Promise<string> {
    const publisher = peer();
    publisher.addTransceiver('audio');
    publisher.addTransceiver('video');
    const offer = await publisher.createOffer();
    return offer.sdp!;
  }

  it('adds audio and video, removes the video and adds audio, then recycles the video section', async () => {
    const producers = producersFromOffer(await publishOffer());
    const subscriber = peer();
    const seen = new Map<string, { getTracks(): unknown[] }>();
    await threeRounds(producers, (sdp) => applyRound(subscriber, seen, sdp));
  });

  it('rejects a video section it cannot decode; we close it and recycle it under a new mid', async () => {
    const producers = producersFromOffer(await publishOffer());
    const state = new SubscribeSdpState({ transport: transport() });
    const subscriber = peer();
    const seen = new Map<string, { getTracks(): unknown[] }>();
    state.addConsumer(consumer(producers.audio), { streamId: 'alice', trackId: 'alice-mic' });
    // This libwebrtc build has no H264, so a section offering only H264 has no common codec.
    const h264 = consumer({
      ...producers.video,
      codecs: ROUTER_CODECS.filter((codec) => codec.mimeType === 'video/H264').slice(0, 1),
    });
    expect(h264.codecs.map((codec) => codec.payloadType)).toEqual([102, 103]);
    expect(state.addConsumer(h264, { streamId: 'alice', trackId: 'alice-cam' })).toBe('1');
    const one = await applyRound(subscriber, seen, state.createOffer().sdp);
    // The track event comes with the offer; the answer then rejects the section and stops its transceiver.
    expect(one.tracks.map((t) => t.mid)).toEqual(['0', '1']);
    expect(one.transceivers.map((t) => t.mid)).toEqual(['0']);
    expect(one.answer).toMatch(/\r\nm=video 0 /);
    const applied = state.applyAnswer(one.answer);
    if (!applied.ok) throw applied.error;
    expect(applied.value.sections.map((s) => [s.mid, s.accepted])).toEqual([
      ['0', true],
      ['1', false],
    ]);
    expect(state.sections.map((s) => [s.mid, s.state])).toEqual([
      ['0', 'active'],
      ['1', 'closed'],
    ]);

    // The next video takes the rejected section's place under a new mid; a data channel is appended.
    expect(state.addConsumer(consumer(producers.video), { streamId: 'bob', trackId: 'bob-cam' })).toBe('2');
    expect(state.addDataChannel()).toBe('3');
    const offer = state.createOffer();
    expect(offer.description.media.map((m) => [m.mid, m.media, m.port !== 0])).toEqual([
      ['0', 'audio', true],
      ['2', 'video', true],
      ['3', 'application', true],
    ]);
    const two = await applyRound(subscriber, seen, offer.sdp);
    expect(two.signaling).toBe('stable');
    expect(two.tracks).toEqual([{ mid: '2', kind: 'video', streams: ['bob'] }]);
    const appliedTwo = state.applyAnswer(two.answer);
    if (!appliedTwo.ok) throw appliedTwo.error;
    expect(appliedTwo.value.sections.map((s) => [s.mid, s.kind, s.accepted])).toEqual([
      ['0', 'audio', true],
      ['2', 'video', true],
      ['3', 'application', true],
    ]);
    expect(appliedTwo.value.description.media[2]).toMatchObject({ sctpPort: 5000 });
  });

  it('refuses damaged offers, so the acceptance above means something', async () => {
    const producers = producersFromOffer(await publishOffer());
    const state = new SubscribeSdpState({ transport: transport() });
    state.addConsumer(consumer(producers.audio), { streamId: 'alice', trackId: 'alice-mic' });
    for (const [what, sdp] of damaged(state.createOffer().sdp)) {
      const subscriber = peer();
      await expect(subscriber.setRemoteDescription({ type: 'offer', sdp }), what).rejects.toThrow();
    }
  });
});

const chromium = toolAvailable('chromium', 'chromium');

describeWithTools('Chromium takes our subscribe offers', chromium, () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const { chromium: launcher } = await import('playwright-core');
    browser = await launcher.launch({
      executablePath: chromium.paths['chromium'],
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage();
    await page.goto('about:blank');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('adds audio and video, removes the video and adds audio, then recycles the video section', async () => {
    const publishOffer = await page.evaluate(async () => {
      const scope = globalThis as unknown as { RTCPeerConnection: new () => PeerConnectionLike };
      const publisher = new scope.RTCPeerConnection();
      publisher.addTransceiver('audio');
      publisher.addTransceiver('video');
      const offer = await publisher.createOffer();
      publisher.close();
      return offer.sdp!;
    });
    const producers = producersFromOffer(publishOffer);
    await page.evaluate(`
      globalThis.subscriber = new RTCPeerConnection();
      globalThis.seenStreams = new Map();
      globalThis.applyRound = ${applyRound.toString()};
    `);
    try {
      await threeRounds(producers, (sdp) =>
        page.evaluate((offer) => {
          const scope = globalThis as unknown as {
            subscriber: PeerConnectionLike;
            seenStreams: Map<string, { getTracks(): unknown[] }>;
            applyRound: typeof applyRound;
          };
          return scope.applyRound(scope.subscriber, scope.seenStreams, offer);
        }, sdp),
      );
    } finally {
      await page.evaluate(() =>
        (globalThis as unknown as { subscriber: PeerConnectionLike }).subscriber.close(),
      );
    }
  });

  it('refuses damaged offers, so the acceptance above means something', async () => {
    const state = new SubscribeSdpState({ transport: transport() });
    state.addTrack({
      kind: 'audio',
      codecs: ROUTER_CODECS.filter((codec) => codec.mimeType === 'audio/opus'),
      headerExtensions: [],
      send: { ssrc: 1, cname: 'c', msid: { streamId: 's', trackId: 't' } },
    });
    const refusals = await page.evaluate(async (offers) => {
      const scope = globalThis as unknown as { RTCPeerConnection: new () => PeerConnectionLike };
      const refused: string[] = [];
      for (const [what, sdp] of offers) {
        const pc = new scope.RTCPeerConnection();
        await pc.setRemoteDescription({ type: 'offer', sdp }).catch(() => refused.push(what));
        pc.close();
      }
      return refused;
    }, damaged(state.createOffer().sdp));
    expect(refusals).toEqual(['no fingerprint', 'no ice-ufrag']);
  });
});
