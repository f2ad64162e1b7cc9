/**
 * The answer to a publisher's offer, the way an SFU gives it: recvonly on
 * every section, ICE-lite, the DTLS server role (`a=setup:passive`), and for
 * each audio or video section the client sends on, the RTP parameters of
 * what it sends (for a producer). One place for what the SFU service, its
 * tests and its benchmark all need.
 */
import { createAnswer } from './answer.js';
import { negotiationFail, SdpNegotiationError, type SdpNegotiationResult } from './negotiation-error.js';
import { fingerprintFromDescription, iceParametersFromDescription } from './parameters.js';
import { parseSdp } from './parse.js';
import { type RtpParameters, rtpParametersFromAnswer } from './rtp-parameters.js';
import type { SdpFingerprint, SessionDescription } from './types.js';
import { writeSdp } from './write.js';

/** Our side of the publish connection. */
export interface PublishLocalParameters {
  iceParameters: { usernameFragment: string; password: string };
  /** `a=candidate` values. */
  candidates: readonly string[];
  fingerprint: { algorithm: 'sha-256'; value: string };
  /** Header extension URIs to accept; createAnswer's default when absent. */
  headerExtensions?: readonly string[];
}

/** One section the publisher sends on. */
export interface PublishedSection {
  mid: string;
  kind: 'audio' | 'video';
  /** What the publisher sends there. */
  rtpParameters: RtpParameters;
}

/** The answer and what it says about the publisher. */
export interface PublishAnswer {
  /** The answer's text. */
  sdp: string;
  /** The publisher's ICE credentials. */
  remoteIce: { usernameFragment: string; password: string };
  /** The publisher's certificate fingerprint. */
  remoteFingerprint: SdpFingerprint;
  /** Sections the publisher sends on, in m= line order. */
  sending: PublishedSection[];
}

/** Answers a publisher's offer (text, or already parsed). Never throws. */
export function answerPublishOffer(
  offerSdp: string | SessionDescription,
  local: PublishLocalParameters,
): SdpNegotiationResult<PublishAnswer> {
  let offer: SessionDescription;
  if (typeof offerSdp === 'string') {
    const parsed = parseSdp(offerSdp);
    if (!parsed.ok) return { ok: false, error: SdpNegotiationError.fromSdpError(parsed.error) };
    offer = parsed.value;
  } else offer = offerSdp;
  const remoteIce = iceParametersFromDescription(offer);
  const remoteFingerprint = fingerprintFromDescription(offer);
  if (!remoteIce || !remoteFingerprint)
    return negotiationFail(
      'ERR_SDP_MISSING_ICE_PARAMETERS',
      'the offer has no ICE credentials or fingerprint',
    );
  const answer = createAnswer(offer, {
    iceParameters: local.iceParameters,
    candidates: [...local.candidates],
    fingerprint: local.fingerprint,
    setup: 'passive',
    ...(local.headerExtensions ? { headerExtensions: local.headerExtensions } : {}),
    direction: 'recvonly',
  });
  if (!answer.ok) return { ok: false, error: SdpNegotiationError.fromSdpError(answer.error) };
  const sending: PublishedSection[] = [];
  for (const media of answer.value.mids) {
    if (media.kind === 'application') continue;
    if (media.direction !== 'recvonly' && media.direction !== 'sendrecv') continue;
    const rtpParameters = rtpParametersFromAnswer(offer, media);
    if (!rtpParameters.ok) return rtpParameters;
    sending.push({ mid: media.mid, kind: media.kind, rtpParameters: rtpParameters.value });
  }
  return {
    ok: true,
    value: {
      sdp: writeSdp(answer.value.description),
      remoteIce: { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password },
      remoteFingerprint,
      sending,
    },
  };
}
