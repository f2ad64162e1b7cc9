/** answerPublishOffer on a captured libwebrtc offer, and its refusals. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { answerPublishOffer } from './publish.js';

const offer = readFileSync(
  new URL('../../testdata/sdp/wrtc-offer-audio-video-data.sdp', import.meta.url),
  'utf8',
);
const local = {
  iceParameters: { usernameFragment: 'ufragAbcdEfghIjkl', password: 'aPasswordThatIsLongEnough0123456' },
  candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 7882 typ host'],
  fingerprint: { algorithm: 'sha-256' as const, value: Array.from({ length: 32 }, () => 'AB').join(':') },
};

describe('answerPublishOffer', () => {
  it('answers recvonly as the DTLS server and gives what the publisher sends per section', () => {
    const result = answerPublishOffer(offer, local);
    if (!result.ok) throw result.error;
    const { sdp, remoteIce, remoteFingerprint, sending } = result.value;
    expect(sdp).toContain('a=setup:passive');
    expect(sdp).toContain('a=ice-lite');
    expect(sdp).not.toContain('a=sendrecv');
    expect(remoteIce.usernameFragment.length).toBeGreaterThan(0);
    expect(remoteFingerprint.algorithm).toBe('sha-256');
    expect(sending.map((section) => section.kind).sort()).toEqual(['audio', 'video']);
    for (const section of sending) expect(section.rtpParameters.codecs.length).toBeGreaterThan(0);
  });

  it('leaves out header extensions not accepted, and refuses an offer that is not SDP', () => {
    const result = answerPublishOffer(offer, {
      ...local,
      headerExtensions: ['urn:ietf:params:rtp-hdrext:sdes:mid'],
    });
    if (!result.ok) throw result.error;
    expect(result.value.sdp).not.toContain('transport-wide-cc');
    expect(answerPublishOffer('not sdp', local).ok).toBe(false);
  });
});
