/**
 * rtpParametersFromAnswer on the captured publish offers and our answers to
 * them, codec matching, and the fmtp parameter helpers.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AnswerLocalParameters, type AnswerMedia, createAnswer } from './answer.js';
import { parseSdp } from './parse.js';
import {
  codecsMatch,
  formatFmtpParameters,
  type RtpCodecParameters,
  type RtpParameters,
  rtpParametersFromAnswer,
  typedFmtpParameters,
} from './rtp-parameters.js';
import type { SessionDescription } from './types.js';

const HASH = Array.from({ length: 32 }, (_, i) => (i * 5).toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);
const LOCAL: AnswerLocalParameters = {
  iceParameters: { usernameFragment: 'srvUfrag', password: 'serverPasswordIsLongEnough' },
  candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host'],
  fingerprint: { algorithm: 'sha-256', value: HASH },
  setup: 'passive',
};

function parsed(text: string): SessionDescription {
  const result = parseSdp(text);
  if (!result.ok) throw result.error;
  return result.value;
}

const capture = (file: string) =>
  parsed(readFileSync(new URL(`../../testdata/sdp/${file}`, import.meta.url), 'utf8'));

/** Our answer to an offer and the producer parameters of each of its accepted mids. */
function producers(
  offer: SessionDescription,
  local: Partial<AnswerLocalParameters> = {},
): Map<string, { media: AnswerMedia; parameters: RtpParameters }> {
  const answer = createAnswer(offer, { ...LOCAL, ...local });
  if (!answer.ok) throw answer.error;
  const byMid = new Map<string, { media: AnswerMedia; parameters: RtpParameters }>();
  for (const media of answer.value.mids) {
    if (media.kind === 'application') continue;
    const result = rtpParametersFromAnswer(offer, media);
    if (!result.ok) throw result.error;
    byMid.set(media.mid, { media, parameters: result.value });
  }
  return byMid;
}

const OFFER_HEAD = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwxyz',
  `a=fingerprint:sha-256 ${HASH}`,
  'a=setup:actpass',
];
const VIDEO_HEAD = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97',
  'a=mid:0',
  'a=rtcp-mux',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
];
const small = (...lines: string[]) => parsed(`${[...OFFER_HEAD, ...lines].join('\r\n')}\r\n`);

describe('rtpParametersFromAnswer: Chromium publish offer', () => {
  const byMid = producers(capture('chromium-offer-audio-video-data.sdp'));

  it('audio: opus as negotiated, the offer extmap ids, its SSRC and cname', () => {
    expect(byMid.get('0')?.parameters).toEqual({
      mid: '0',
      codecs: [
        {
          mimeType: 'audio/opus',
          payloadType: 111,
          clockRate: 48000,
          channels: 2,
          parameters: { minptime: 10, useinbandfec: 1 },
          rtcpFeedback: [{ type: 'transport-cc' }],
        },
      ],
      headerExtensions: [
        { uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level', id: 1 },
        { uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time', id: 2 },
        { uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01', id: 3 },
        { uri: 'urn:ietf:params:rtp-hdrext:sdes:mid', id: 4 },
      ],
      encodings: [{ ssrc: 1604809749 }],
      rtcp: { cname: 'c0cE0EMO7nWIH7KL', reducedSize: true },
    });
  });

  it('video: every codec followed by its RTX with apt, and the FID pair as ssrc + rtx', () => {
    const video = byMid.get('1')!.parameters;
    expect(video.codecs.slice(0, 4)).toEqual([
      expect.objectContaining({ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000, parameters: {} }),
      { mimeType: 'video/rtx', payloadType: 97, clockRate: 90000, parameters: { apt: 96 }, rtcpFeedback: [] },
      expect.objectContaining({ mimeType: 'video/VP9', payloadType: 98, parameters: { 'profile-id': 0 } }),
      { mimeType: 'video/rtx', payloadType: 99, clockRate: 90000, parameters: { apt: 98 }, rtcpFeedback: [] },
    ]);
    expect(video.codecs.find((codec) => codec.payloadType === 108)?.parameters).toEqual({
      'level-asymmetry-allowed': 1,
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
    });
    expect(video.codecs[0].channels).toBeUndefined();
    expect(video.encodings).toEqual([{ ssrc: 1069129064, rtx: { ssrc: 1186459872 } }]);
    expect(video.rtcp).toEqual({ cname: 'c0cE0EMO7nWIH7KL', reducedSize: true });
    expect(video.headerExtensions.map((e) => e.id)).toEqual([2, 13, 3, 4, 10, 11]);
  });

  it('without RTX agreed, the FID partner is not announced as rtx', () => {
    const noRtx = producers(capture('chromium-offer-audio-video-data.sdp'), { codecs: { video: ['VP8'] } });
    const offer = capture('chromium-offer-audio-video-data.sdp');
    // Remove the rtx codecs from what was agreed, as an answer without RTX would.
    const media = noRtx.get('1')!.media;
    const stripped = { ...media, codecs: media.codecs.map((c) => ({ ...c, rtxPayloadType: undefined })) };
    const result = rtpParametersFromAnswer(offer, stripped);
    expect(result.ok && result.value.encodings).toEqual([{ ssrc: 1069129064 }]);
    expect(result.ok && result.value.codecs.map((c) => c.mimeType)).toEqual(['video/VP8']);
  });
});

describe('rtpParametersFromAnswer: other stacks and shapes', () => {
  it('Chromium simulcast: one encoding per rid, no SSRC, no cname for the video', () => {
    const video = producers(capture('chromium-offer-simulcast.sdp')).get('1')!.parameters;
    expect(video.encodings).toEqual([{ rid: 'q' }, { rid: 'h' }, { rid: 'f' }]);
    expect(video.rtcp.cname).toBeUndefined();
  });

  it('libdatachannel: mids named video and audio, SSRCs from a=ssrc', () => {
    const byMid = producers(capture('node-datachannel-offer.sdp'));
    expect(byMid.get('video')?.parameters).toMatchObject({
      mid: 'video',
      codecs: [{ mimeType: 'video/VP8', payloadType: 96 }],
      encodings: [{ ssrc: 1234 }],
      rtcp: { cname: 'video-send' },
    });
    expect(byMid.get('audio')?.parameters.encodings).toEqual([{ ssrc: 5678 }]);
  });

  it('libwebrtc (wrtc): SSRCs and RTX like Chromium', () => {
    const byMid = producers(capture('wrtc-offer-audio-video-data.sdp'));
    expect(byMid.get('1')?.parameters.encodings).toEqual([{ ssrc: 547985907, rtx: { ssrc: 847401767 } }]);
    expect(byMid.get('0')?.parameters.rtcp.cname).toBe('f2TTEfoBOT+dNf1X');
  });

  it('legacy simulcast: the SIM group gives the layers, FID their RTX', () => {
    const offer = small(
      ...VIDEO_HEAD,
      'a=sendonly',
      'a=ssrc-group:SIM 1 2 3',
      'a=ssrc-group:FID 1 11',
      'a=ssrc-group:FID 2 12',
      'a=ssrc-group:FID 3 13',
      ...[1, 2, 3, 11, 12, 13].map((ssrc) => `a=ssrc:${ssrc} cname:legacy`),
    );
    expect(producers(offer).get('0')?.parameters.encodings).toEqual([
      { ssrc: 1, rtx: { ssrc: 11 } },
      { ssrc: 2, rtx: { ssrc: 12 } },
      { ssrc: 3, rtx: { ssrc: 13 } },
    ]);
  });

  it('no a=ssrc lines: one encoding without SSRC, learned later from the mid', () => {
    expect(producers(small(...VIDEO_HEAD, 'a=sendonly')).get('0')?.parameters.encodings).toEqual([{}]);
  });

  it('the RTX SSRC listed first in a=ssrc lines is still not taken as the media SSRC', () => {
    const offer = small(...VIDEO_HEAD, 'a=ssrc-group:FID 5 6', 'a=ssrc:6 cname:x', 'a=ssrc:5 cname:y');
    const parameters = producers(offer).get('0')!.parameters;
    expect(parameters.encodings).toEqual([{ ssrc: 5, rtx: { ssrc: 6 } }]);
    expect(parameters.rtcp.cname).toBe('y');
  });

  it('nothing is sent when the publisher only receives on the mid', () => {
    const byMid = producers(small(...VIDEO_HEAD, 'a=recvonly', 'a=ssrc:5 cname:y'), {
      sendSsrcs: { '0': { ssrc: 9, cname: 'sfu' } },
    });
    expect(byMid.get('0')?.media.direction).toBe('sendonly');
    expect(byMid.get('0')?.parameters.encodings).toEqual([]);
  });

  it('refuses a mid the offer lacks and the data channel section', () => {
    const offer = capture('chromium-offer-audio-video-data.sdp');
    const answer = createAnswer(offer, LOCAL);
    if (!answer.ok) throw answer.error;
    const [audio, , data] = answer.value.mids;
    const unknown = rtpParametersFromAnswer(offer, { ...audio, mid: 'nope' });
    expect(!unknown.ok && [unknown.error.code, unknown.error.mid]).toEqual(['ERR_SDP_UNKNOWN_MID', 'nope']);
    const application = rtpParametersFromAnswer(offer, data);
    expect(!application.ok && application.error.code).toBe('ERR_SDP_INVALID_ARGUMENT');
  });
});

const codec = (mimeType: string, parameters: Record<string, string | number> = {}, extra = {}) =>
  ({
    mimeType,
    payloadType: 100,
    clockRate: 90000,
    parameters,
    rtcpFeedback: [],
    ...extra,
  }) as RtpCodecParameters;
const h264 = (profileLevelId: string | undefined, mode: number | undefined) =>
  codec('video/H264', {
    ...(profileLevelId === undefined ? {} : { 'profile-level-id': profileLevelId }),
    ...(mode === undefined ? {} : { 'packetization-mode': mode }),
  });

describe('codecsMatch', () => {
  it('compares mime type without case, clock rate and audio channels', () => {
    const opus = codec('audio/opus', {}, { clockRate: 48000, channels: 2 });
    expect(codecsMatch(opus, { ...opus, mimeType: 'audio/OPUS', payloadType: 109 })).toBe(true);
    expect(codecsMatch(opus, { ...opus, channels: 1 })).toBe(false);
    expect(codecsMatch(opus, { ...opus, clockRate: 16000 })).toBe(false);
    expect(
      codecsMatch(
        codec('audio/PCMU', {}, { clockRate: 8000 }),
        codec('audio/PCMU', {}, { clockRate: 8000, channels: 1 }),
      ),
    ).toBe(true);
    expect(codecsMatch(codec('video/VP8'), codec('video/VP9'))).toBe(false);
    expect(codecsMatch(codec('video/VP8', { 'max-fr': 30 }), codec('video/VP8'))).toBe(true);
  });

  it('H264: same packetization-mode and the same profile, whatever the level', () => {
    expect(codecsMatch(h264('42e01f', 1), h264('42e034', 1))).toBe(true);
    expect(codecsMatch(h264('42e01f', 1), h264('4de01f', 1))).toBe(true);
    expect(codecsMatch(h264('42e01f', 1), h264('42E01F', 1))).toBe(true);
    expect(codecsMatch(h264('42e01f', 1), h264('42e01f', 0))).toBe(false);
    expect(codecsMatch(h264('42e01f', 0), h264('42e01f', undefined))).toBe(true);
    expect(codecsMatch(h264('42e01f', 1), h264('42001f', 1))).toBe(false);
    expect(codecsMatch(h264('4d001f', 1), h264('640c1f', 1))).toBe(false);
    expect(codecsMatch(h264(undefined, 1), h264('42001f', 1))).toBe(true);
    expect(codecsMatch(h264('zzzzzz', 1), h264('zzzzzz', 1))).toBe(false);
    expect(
      codecsMatch(
        codec('video/H264', { 'packetization-mode': '1', 'profile-level-id': '42e01f' }),
        h264('42e01f', 1),
      ),
    ).toBe(true);
  });

  it('VP9 profile-id, AV1 profile and H265 profile-id, with their defaults', () => {
    expect(codecsMatch(codec('video/VP9', { 'profile-id': 0 }), codec('video/VP9'))).toBe(true);
    expect(
      codecsMatch(codec('video/VP9', { 'profile-id': 2 }), codec('video/VP9', { 'profile-id': 0 })),
    ).toBe(false);
    expect(codecsMatch(codec('video/AV1', { profile: 0, 'level-idx': 5 }), codec('video/AV1'))).toBe(true);
    expect(codecsMatch(codec('video/AV1', { profile: 1 }), codec('video/AV1'))).toBe(false);
    expect(codecsMatch(codec('video/H265'), codec('video/H265', { 'profile-id': 1 }))).toBe(true);
    expect(codecsMatch(codec('video/H265', { 'profile-id': 2 }), codec('video/H265'))).toBe(false);
  });

  it('RTX codecs match whatever their apt', () => {
    expect(codecsMatch(codec('video/rtx', { apt: 96 }), codec('video/rtx', { apt: 102 }))).toBe(true);
  });
});

describe('fmtp parameter helpers', () => {
  it('turns plain decimal values into numbers and leaves the rest as text', () => {
    expect(
      typedFmtpParameters({
        minptime: '10',
        zero: '0',
        padded: '010',
        'profile-level-id': '420032',
        hex: '42e01f',
        flag: '',
        big: '12345678901234567890',
      }),
    ).toEqual({
      minptime: 10,
      zero: 0,
      padded: '010',
      'profile-level-id': '420032',
      hex: '42e01f',
      flag: '',
      big: '12345678901234567890',
    });
  });

  it('writes parameters back in order, a flag without =', () => {
    expect(formatFmtpParameters({ minptime: 10, useinbandfec: 1 })).toBe('minptime=10;useinbandfec=1');
    expect(formatFmtpParameters({ flag: '', apt: 96 })).toBe('flag;apt=96');
    expect(formatFmtpParameters({})).toBe('');
  });
});
