/**
 * Our SDP answers fed back to the WebRTC stacks that made the offers:
 * libwebrtc (@roamhq/wrtc), libdatachannel (node-datachannel) and, when it is
 * installed, Chromium. Each stack creates an offer, we parse it, answer it
 * with createAnswer, write the answer and give it to the same peer as its
 * remote description; the peer must accept it and must see what we announce
 * (our tracks, directions, simulcast layers). The same peers must refuse a
 * damaged answer, so the acceptance means something. No packets flow: the
 * answer's candidate points at a closed loopback port, and every peer is
 * closed at the end of its test.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import nodeDatachannel from 'node-datachannel';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnswerLocalParameters, createAnswer, type SdpAnswer } from '../../src/sdp/answer.js';
import { parseSdp } from '../../src/sdp/parse.js';
import type { SessionDescription } from '../../src/sdp/types.js';
import { writeSdp } from '../../src/sdp/write.js';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';

/** Our side: fixed credentials, a random certificate hash and one loopback host candidate. */
function localParameters(overrides: Partial<AnswerLocalParameters> = {}): AnswerLocalParameters {
  const hash = [...randomBytes(32)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  return {
    iceParameters: { usernameFragment: 'sbAnswerUfrag', password: 'switchboardAnswerPassword0' },
    candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 9 typ host'],
    fingerprint: { algorithm: 'sha-256', value: hash },
    setup: 'passive',
    ...overrides,
  };
}

function parsed(text: string): SessionDescription {
  const result = parseSdp(text);
  if (!result.ok) throw result.error;
  return result.value;
}

function answer(offerText: string, local: AnswerLocalParameters): SdpAnswer {
  const result = createAnswer(parsed(offerText), local);
  if (!result.ok) throw result.error;
  return result.value;
}

/** Damaged answers every stack must refuse: without fingerprint, without ICE ufrag. */
function damaged(sdp: string): Array<[string, string]> {
  return [
    ['no fingerprint', sdp.replace(/a=fingerprint:.*\r\n/g, '')],
    ['no ice-ufrag', sdp.replace(/a=ice-ufrag:.*\r\n/g, '')],
  ];
}

/**
 * The part of RTCPeerConnection these tests touch, shared by wrtc and the
 * browser (the project compiles without the DOM library).
 */
interface PeerConnectionLike {
  close(): void;
  createOffer(): Promise<{ sdp?: string; type: string }>;
  setLocalDescription(d: { sdp?: string; type: string }): Promise<void>;
  setRemoteDescription(d: { type: 'answer'; sdp: string }): Promise<void>;
  addTransceiver(kind: string, init?: object): void;
  createDataChannel(label: string): void;
  getTransceivers(): Array<{
    mid: string | null;
    currentDirection: string | null;
    sender: { getParameters(): { encodings: Array<{ rid?: string }> } };
  }>;
  signalingState: string;
  ontrack: ((event: { transceiver: { mid: string }; streams: Array<{ id: string }> }) => void) | null;
}

/** What the Chromium page's global scope holds for these tests. */
interface BrowserGlobals {
  RTCPeerConnection: new () => PeerConnectionLike;
  pc: PeerConnectionLike;
}

describe('libwebrtc (@roamhq/wrtc) accepts our answer', () => {
  const wrtc = require('@roamhq/wrtc') as { RTCPeerConnection: new () => PeerConnectionLike };
  const peers: PeerConnectionLike[] = [];
  afterEach(() => {
    for (const pc of peers.splice(0)) pc.close();
  });

  async function offerer(): Promise<{ pc: PeerConnectionLike; offer: string }> {
    const pc = new wrtc.RTCPeerConnection();
    peers.push(pc);
    pc.addTransceiver('audio');
    pc.addTransceiver('video');
    pc.createDataChannel('x');
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    return { pc, offer: offer.sdp! };
  }

  it('audio, video and data, with our tracks announced back (setup passive)', async () => {
    const { pc, offer } = await offerer();
    const [audioMid, videoMid] = parsed(offer).media.map((m) => m.mid!);
    const tracks: Array<{ mid: string; streams: string[] }> = [];
    pc.ontrack = (event) =>
      tracks.push({ mid: event.transceiver.mid, streams: event.streams.map((s) => s.id) });
    const result = answer(
      offer,
      localParameters({
        sendSsrcs: {
          [audioMid]: { ssrc: 1111, cname: 'switchboard', msid: 'room-1 audio-1' },
          [videoMid]: { ssrc: 2222, rtxSsrc: 3333, cname: 'switchboard', msid: 'room-1 video-1' },
        },
      }),
    );
    expect(result.mids.map((m) => m.kind)).toEqual(['audio', 'video', 'application']);
    await pc.setRemoteDescription({ type: 'answer', sdp: writeSdp(result.description) });
    expect(pc.signalingState).toBe('stable');
    expect(pc.getTransceivers().map((t) => [t.mid, t.currentDirection])).toEqual([
      [audioMid, 'sendrecv'],
      [videoMid, 'sendrecv'],
    ]);
    expect(tracks).toEqual([
      { mid: audioMid, streams: ['room-1'] },
      { mid: videoMid, streams: ['room-1'] },
    ]);
  });

  it('receive-only answer with setup active', async () => {
    const { pc, offer } = await offerer();
    const result = answer(offer, localParameters({ setup: 'active' }));
    await pc.setRemoteDescription({ type: 'answer', sdp: writeSdp(result.description) });
    expect(pc.getTransceivers().map((t) => t.currentDirection)).toEqual(['sendonly', 'sendonly']);
  });

  it('a rejected video section (no common codec) removes that transceiver only', async () => {
    const { pc, offer } = await offerer();
    const [audioMid] = parsed(offer).media.map((m) => m.mid!);
    const result = answer(offer, localParameters({ codecs: { video: ['H265'] } }));
    expect(result.description.media.map((m) => m.port === 0)).toEqual([false, true, false]);
    await pc.setRemoteDescription({ type: 'answer', sdp: writeSdp(result.description) });
    expect(pc.signalingState).toBe('stable');
    // A rejected section stops its transceiver; a stopped transceiver leaves getTransceivers().
    expect(pc.getTransceivers().map((t) => [t.mid, t.currentDirection])).toEqual([[audioMid, 'sendonly']]);
  });

  it('refuses damaged answers, so acceptance above is meaningful', async () => {
    for (const [what, sdp] of damaged(
      writeSdp(answer((await offerer()).offer, localParameters()).description),
    )) {
      const { pc } = await offerer();
      await expect(pc.setRemoteDescription({ type: 'answer', sdp }), what).rejects.toThrow();
    }
  });
});

describe('libdatachannel (node-datachannel) accepts our answer', () => {
  const peers: nodeDatachannel.PeerConnection[] = [];
  afterEach(() => {
    for (const pc of peers.splice(0)) pc.close();
  });
  afterAll(() => nodeDatachannel.cleanup());

  function offerer(): { pc: nodeDatachannel.PeerConnection; offer: string } {
    const pc = new nodeDatachannel.PeerConnection('sdp-answer', { iceServers: [] });
    peers.push(pc);
    const video = new nodeDatachannel.Video('video', 'SendRecv');
    video.addVideoCodec(96, 'VP8');
    video.addSSRC(1234, 'video-send', 'stream1', 'video-track');
    pc.addTrack(video);
    const audio = new nodeDatachannel.Audio('audio', 'SendRecv');
    audio.addOpusCodec(111);
    pc.addTrack(audio);
    pc.createDataChannel('x');
    pc.setLocalDescription();
    const description = pc.localDescription();
    if (description === null) throw new Error('no local description');
    return { pc, offer: description.sdp };
  }

  it('video, audio and data, with our video announced back', () => {
    const { pc, offer } = offerer();
    const result = answer(
      offer,
      localParameters({ sendSsrcs: { video: { ssrc: 4444, cname: 'switchboard' } } }),
    );
    expect(result.mids.map((m) => [m.mid, m.kind, m.direction])).toEqual([
      ['video', 'video', 'sendrecv'],
      ['audio', 'audio', 'recvonly'],
      ['0', 'application', 'sendrecv'],
    ]);
    expect(result.mids[0].codecs.map((c) => c.name)).toEqual(['VP8']);
    pc.setRemoteDescription(writeSdp(result.description), 'answer');
    expect(pc.signalingState()).toBe('stable');
    // libdatachannel rewrites what it accepted; our announced source must survive.
    expect(pc.remoteDescription()?.sdp).toMatch(/a=ssrc:4444 cname:switchboard/);
  });

  it('refuses damaged answers, so acceptance above is meaningful', () => {
    for (const [what, sdp] of damaged(writeSdp(answer(offerer().offer, localParameters()).description))) {
      const { pc } = offerer();
      expect(() => pc.setRemoteDescription(sdp, 'answer'), what).toThrow();
    }
  });
});

describe.skipIf(!existsSync(CHROMIUM))('Chromium accepts our answer', () => {
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await browser.newPage();
    await page.goto('about:blank');
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('audio, video and data, then three simulcast layers', async () => {
    const offer = await page.evaluate(async () => {
      const scope = globalThis as unknown as BrowserGlobals;
      const pc = new scope.RTCPeerConnection();
      scope.pc = pc;
      pc.addTransceiver('audio');
      pc.addTransceiver('video', {
        sendEncodings: [
          { rid: 'q', scaleResolutionDownBy: 4 },
          { rid: 'h', scaleResolutionDownBy: 2 },
          { rid: 'f' },
        ],
      });
      pc.createDataChannel('x');
      const description = await pc.createOffer();
      await pc.setLocalDescription(description);
      return description.sdp!;
    });
    const result = answer(
      offer,
      localParameters({ sendSsrcs: { '0': { ssrc: 5555, cname: 'switchboard', msid: 'room-2 audio-2' } } }),
    );
    expect(result.mids[1].receiveRids).toEqual(['q', 'h', 'f']);
    const seen = await page.evaluate(async (sdp) => {
      const pc = (globalThis as unknown as BrowserGlobals).pc;
      const streams: string[] = [];
      pc.ontrack = (event) => streams.push(...event.streams.map((s) => s.id));
      await pc.setRemoteDescription({ type: 'answer', sdp });
      const state = {
        signaling: pc.signalingState,
        directions: pc.getTransceivers().map((t) => t.currentDirection),
        layers: pc
          .getTransceivers()[1]
          .sender.getParameters()
          .encodings.map((e) => e.rid),
        streams,
      };
      pc.close();
      return state;
    }, writeSdp(result.description));
    expect(seen).toEqual({
      signaling: 'stable',
      directions: ['sendrecv', 'sendonly'],
      layers: ['q', 'h', 'f'],
      streams: ['room-2'],
    });
  });
});
