/**
 * The router's codec list and header extensions, and consumerRtpParameters
 * mapping producers (from captured publish offers) onto them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAnswer } from './answer.js';
import { consumerRtpParameters, ROUTER_CODECS, SUBSCRIBE_HEADER_EXTENSIONS } from './capabilities.js';
import { parseSdp } from './parse.js';
import { codecsMatch, isRtxCodec, type RtpParameters, rtpParametersFromAnswer } from './rtp-parameters.js';

const HASH = Array.from({ length: 32 }, () => '0A').join(':');

/** The producers of our answer to a captured offer, by mid. */
function producers(file: string): Map<string, RtpParameters> {
  const offer = parseSdp(readFileSync(new URL(`../../testdata/sdp/${file}`, import.meta.url), 'utf8'));
  if (!offer.ok) throw offer.error;
  const answer = createAnswer(offer.value, {
    iceParameters: { usernameFragment: 'srvUfrag', password: 'serverPasswordIsLongEnough' },
    candidates: [],
    fingerprint: { algorithm: 'sha-256', value: HASH },
    setup: 'passive',
  });
  if (!answer.ok) throw answer.error;
  const byMid = new Map<string, RtpParameters>();
  for (const media of answer.value.mids) {
    if (media.kind === 'application') continue;
    const result = rtpParametersFromAnswer(offer.value, media);
    if (!result.ok) throw result.error;
    byMid.set(media.mid, result.value);
  }
  return byMid;
}

describe('ROUTER_CODECS', () => {
  it('has unique payload types outside the RTCP range, each RTX right after its codec', () => {
    const payloadTypes = ROUTER_CODECS.map((codec) => codec.payloadType);
    expect(new Set(payloadTypes).size).toBe(payloadTypes.length);
    for (const pt of payloadTypes) expect(pt < 64 || pt > 95).toBe(true);
    ROUTER_CODECS.forEach((codec, index) => {
      if (isRtxCodec(codec)) expect(codec.parameters['apt']).toBe(ROUTER_CODECS[index - 1].payloadType);
      else if (codec.mimeType.startsWith('video/')) expect(isRtxCodec(ROUTER_CODECS[index + 1])).toBe(true);
    });
  });

  it('holds the fixed payload types the subscribe side announces', () => {
    const summary = ROUTER_CODECS.filter((codec) => !isRtxCodec(codec)).map((codec) =>
      `${codec.payloadType} ${codec.mimeType} ${codec.parameters['profile-level-id'] ?? ''}`.trim(),
    );
    expect(summary).toEqual([
      '111 audio/opus',
      '96 video/VP8',
      '98 video/VP9',
      '102 video/H264 42e01f',
      '104 video/H264 42001f',
      '106 video/H264 4d001f',
      '108 video/H264 640c1f',
      '45 video/AV1',
    ]);
    expect(ROUTER_CODECS[0]).toMatchObject({ channels: 2, parameters: { minptime: 10, useinbandfec: 1 } });
  });

  it('has no two codecs that match each other, so a producer codec maps to one router codec', () => {
    for (const a of ROUTER_CODECS)
      for (const b of ROUTER_CODECS)
        if (a !== b && !isRtxCodec(a) && !isRtxCodec(b)) expect(codecsMatch(a, b)).toBe(false);
  });

  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(ROUTER_CODECS)).toBe(true);
    expect(Object.isFrozen(ROUTER_CODECS[0].parameters)).toBe(true);
  });
});

describe('SUBSCRIBE_HEADER_EXTENSIONS', () => {
  it('gives one id per URI across kinds, in the one-byte range, without rid', () => {
    const all = [...SUBSCRIBE_HEADER_EXTENSIONS.audio, ...SUBSCRIBE_HEADER_EXTENSIONS.video];
    const idOf = new Map<string, number>();
    for (const { uri, id } of all) {
      expect(id).toBeGreaterThanOrEqual(1);
      expect(id).toBeLessThanOrEqual(14);
      expect(idOf.get(uri) ?? id).toBe(id);
      idOf.set(uri, id);
      expect(uri).not.toMatch(/rtp-stream-id/);
    }
    expect(new Set(idOf.values()).size).toBe(idOf.size);
  });
});

describe('consumerRtpParameters', () => {
  const chromium = producers('chromium-offer-audio-video-data.sdp');

  it('maps Chromium video codecs onto the router payload types, in the producer order', () => {
    const result = consumerRtpParameters(chromium.get('1')!, ROUTER_CODECS, { ssrc: 10, rtxSsrc: 11 });
    if (!result.ok) throw result.error;
    const { rtpParameters, payloadTypes } = result.value;
    // VP9 profile 2 and the packetization-mode 0 H264 variants have no router codec.
    expect([...payloadTypes]).toEqual([
      [96, 96],
      [98, 98],
      [102, 104],
      [108, 102],
      [116, 106],
      [45, 45],
    ]);
    expect(rtpParameters.codecs.map((codec) => `${codec.payloadType} ${codec.mimeType}`)).toEqual([
      '96 video/VP8',
      '97 video/rtx',
      '98 video/VP9',
      '99 video/rtx',
      '104 video/H264',
      '105 video/rtx',
      '102 video/H264',
      '103 video/rtx',
      '106 video/H264',
      '107 video/rtx',
      '45 video/AV1',
      '46 video/rtx',
    ]);
    expect(rtpParameters.encodings).toEqual([{ ssrc: 10, rtx: { ssrc: 11 } }]);
    expect(rtpParameters.headerExtensions).toEqual(SUBSCRIBE_HEADER_EXTENSIONS.video);
    // The producer's cname keeps its audio and video in sync at the subscriber.
    expect(rtpParameters.rtcp).toEqual({ cname: 'c0cE0EMO7nWIH7KL', reducedSize: true });
    expect(rtpParameters.mid).toBeUndefined();
  });

  it('maps audio without RTX and with random SSRCs when none are given', () => {
    const result = consumerRtpParameters(chromium.get('0')!, ROUTER_CODECS);
    if (!result.ok) throw result.error;
    expect(result.value.rtpParameters.codecs).toEqual([ROUTER_CODECS[0]]);
    expect(result.value.rtpParameters.codecs[0]).not.toBe(ROUTER_CODECS[0]);
    const [encoding] = result.value.rtpParameters.encodings;
    expect(encoding.rtx).toBeUndefined();
    expect(encoding.ssrc).toBeGreaterThan(0);
    expect(result.value.rtpParameters.headerExtensions).toEqual(SUBSCRIBE_HEADER_EXTENSIONS.audio);
  });

  it('gives a video consumer distinct random media and RTX SSRCs, and takes a cname when asked', () => {
    const producer = chromium.get('1')!;
    for (let round = 0; round < 20; round++) {
      const result = consumerRtpParameters(producer, ROUTER_CODECS, { cname: 'room-7' });
      if (!result.ok) throw result.error;
      const [encoding] = result.value.rtpParameters.encodings;
      expect(encoding.rtx?.ssrc).not.toBe(encoding.ssrc);
      expect(result.value.rtpParameters.rtcp.cname).toBe('room-7');
    }
  });

  it('maps a simulcast producer onto one encoding', () => {
    const simulcast = producers('chromium-offer-simulcast.sdp').get('1')!;
    const result = consumerRtpParameters(simulcast, ROUTER_CODECS, { ssrc: 1 });
    expect(result.ok && result.value.rtpParameters.encodings.length).toBe(1);
    expect(result.ok && result.value.rtpParameters.rtcp.cname).toBeUndefined();
  });

  it('refuses a producer whose codecs the router does not know', () => {
    const producer: RtpParameters = {
      mid: '3',
      codecs: [
        { mimeType: 'video/H265', payloadType: 49, clockRate: 90000, parameters: {}, rtcpFeedback: [] },
        {
          mimeType: 'video/rtx',
          payloadType: 50,
          clockRate: 90000,
          parameters: { apt: 49 },
          rtcpFeedback: [],
        },
      ],
      headerExtensions: [],
      encodings: [{ ssrc: 1 }],
      rtcp: { reducedSize: true },
    };
    const result = consumerRtpParameters(producer, ROUTER_CODECS);
    expect(!result.ok && [result.error.code, result.error.mid]).toEqual(['ERR_SDP_UNSUPPORTED_CODEC', '3']);
    const onlyRtx = consumerRtpParameters({ ...producer, codecs: producer.codecs.slice(1) }, ROUTER_CODECS);
    expect(!onlyRtx.ok && onlyRtx.error.code).toBe('ERR_SDP_UNSUPPORTED_CODEC');
  });

  it('refuses mixed kinds and bad SSRCs', () => {
    const audio = chromium.get('0')!;
    const video = chromium.get('1')!;
    const mixed = consumerRtpParameters(
      { ...audio, codecs: [...audio.codecs, ...video.codecs] },
      ROUTER_CODECS,
    );
    expect(!mixed.ok && mixed.error.code).toBe('ERR_SDP_INVALID_ARGUMENT');
    for (const options of [{ ssrc: -1 }, { ssrc: 2 ** 32 }, { rtxSsrc: 1.5 }, { ssrc: 7, rtxSsrc: 7 }]) {
      const result = consumerRtpParameters(video, ROUTER_CODECS, options);
      expect(!result.ok && result.error.code, JSON.stringify(options)).toBe('ERR_SDP_INVALID_ARGUMENT');
    }
  });
});
