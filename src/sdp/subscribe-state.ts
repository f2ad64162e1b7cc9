/**
 * The sections of one subscribe connection across renegotiations: which mid
 * carries which track, which sections can take a new track, and the
 * successive offers with their o= versions (RFC 8829 §5.2.2).
 *
 * Rules, and the browser behaviour behind them:
 *
 * - A mid never changes while its section lives; sections are never removed
 *   or reordered (RFC 3264 §8: the m= lines of a later offer keep their
 *   order).
 * - Removing a track marks its section a=inactive. The browser keeps the
 *   transceiver, mutes the track and takes it out of its stream.
 * - A new track first takes an inactive section of its kind, keeping the
 *   mid, but only once the browser has answered an offer in which that
 *   section was not active: only then does making it active again fire a
 *   new track event with the new stream id.
 * - Otherwise it takes a section of its kind that the browser rejected
 *   (port 0 in its answer) under a new mid, at the same index, as RFC 8829
 *   §5.2.2 asks of a recycled section: the browser stopped that transceiver
 *   and ended its track. Otherwise a new section is appended.
 * - Changing the track of an active section in place does not work:
 *   libwebrtc fires no track event for the new stream (Chromium does), and a
 *   kind change in place is refused by both.
 * - The version goes up by one whenever an offer differs from the previous
 *   one, and stays when it is identical.
 */
import { randomBytes } from 'node:crypto';
import { SdpNegotiationError, type SdpNegotiationResult } from './negotiation-error.js';
import {
  createSubscribeOffer,
  parseSubscribeAnswer,
  type SubscribeAnswer,
  type SubscribeDataSection,
  type SubscribeMediaSection,
  type SubscribeSection,
  type SubscribeSectionState,
  type SubscribeSender,
  type SubscribeSession,
  type SubscribeTransport,
  validateSession,
  validateTransport,
} from './offer.js';
import {
  isRtxCodec,
  mimeKind,
  type RtpCodecParameters,
  type RtpHeaderExtensionParameters,
  type RtpParameters,
} from './rtp-parameters.js';
import type { SessionDescription } from './types.js';
import { writeSdp } from './write.js';

/** A track to send on the subscribe connection. */
export interface SubscribeTrack {
  /** Media kind. */
  kind: 'audio' | 'video';
  /** Codecs with our payload types, each media codec followed by its RTX. */
  codecs: RtpCodecParameters[];
  /** Header extensions with our ids. */
  headerExtensions: RtpHeaderExtensionParameters[];
  /** SSRCs, cname and msid. */
  send: SubscribeSender;
}

/** One offer made by SubscribeSdpState. */
export interface SubscribeOffer {
  /** The offer text, for the browser's setRemoteDescription. */
  sdp: string;
  /** The same, as a model. */
  description: SessionDescription;
  /** What it was made from; parseSubscribeAnswer checks the answer against it. */
  session: SubscribeSession;
}

/** Options of a SubscribeSdpState. */
export interface SubscribeSdpStateOptions {
  /** Our ICE credentials, candidates and certificate hash. */
  transport: SubscribeTransport;
  /** o= session id; a random 62-bit number when absent (RFC 8829 §5.2.1). */
  sessionId?: string;
}

interface SectionRecord {
  section: SubscribeSection;
  /** State of this mid in the latest offer made, undefined before any. */
  offered?: SubscribeSectionState;
  /** State of this mid in the latest offer the browser answered, undefined before any. */
  negotiated?: SubscribeSectionState;
}

/** The subscribe connection's sections and offers; see the file comment for the rules. */
export class SubscribeSdpState {
  #transport: SubscribeTransport;
  readonly #sessionId: string;
  readonly #records: SectionRecord[] = [];
  #nextMid = 0;
  #version = 0;
  #lastOfferBody: string | undefined;
  #pending: SubscribeOffer | undefined;
  #dtlsRole: 'client' | 'server' | undefined;

  /** Throws SdpNegotiationError (ERR_SDP_INVALID_ARGUMENT) for unusable transport parameters. */
  constructor(options: SubscribeSdpStateOptions) {
    const invalid = validateTransport(options.transport);
    if (invalid !== undefined) throw new SdpNegotiationError('ERR_SDP_INVALID_ARGUMENT', invalid);
    if (options.sessionId !== undefined && !/^[0-9]{1,20}$/.test(options.sessionId))
      throw new SdpNegotiationError('ERR_SDP_INVALID_ARGUMENT', 'sessionId must be 1–20 digits');
    this.#transport = structuredClone(options.transport);
    this.#sessionId = options.sessionId ?? randomSessionId();
  }

  /** The o= session id. */
  get sessionId(): string {
    return this.#sessionId;
  }

  /** The o= version of the latest offer; 0 before the first. */
  get version(): number {
    return this.#version;
  }

  /** `have-local-offer` between createOffer and applyAnswer (or rollback), else `stable`. */
  get signalingState(): 'stable' | 'have-local-offer' {
    return this.#pending === undefined ? 'stable' : 'have-local-offer';
  }

  /** Our DTLS role once an answer chose it: `server` when the browser is active. */
  get dtlsRole(): 'client' | 'server' | undefined {
    return this.#dtlsRole;
  }

  /** The sections as they stand now, in m= line order (copies). */
  get sections(): SubscribeSection[] {
    return this.#records.map((record) => structuredClone(record.section));
  }

  /**
   * ICE restart (RFC 8445 §9, RFC 8839 §4.4.1.1.1): the next offer carries
   * these new local credentials, so negotiation is needed. Throws
   * SdpNegotiationError (ERR_SDP_INVALID_ARGUMENT) for unusable ones.
   */
  restartIce(iceParameters: { usernameFragment: string; password: string }): void {
    const transport = { ...this.#transport, iceParameters: { ...iceParameters } };
    const invalid = validateTransport(transport);
    if (invalid !== undefined) throw new SdpNegotiationError('ERR_SDP_INVALID_ARGUMENT', invalid);
    this.#transport = transport;
  }

  /** True when createOffer would make an offer that differs from the latest one. */
  get negotiationNeeded(): boolean {
    return (
      this.#lastOfferBody === undefined || offerBody(this.#build(this.#version).sdp) !== this.#lastOfferBody
    );
  }

  /**
   * Puts a track in a section (see the file comment for which) and returns
   * its mid. Throws SdpNegotiationError (ERR_SDP_INVALID_ARGUMENT) when the
   * track could not be written.
   */
  addTrack(track: SubscribeTrack): string {
    const section: SubscribeMediaSection = {
      mid: '',
      kind: track.kind,
      state: 'active',
      codecs: structuredClone(track.codecs),
      headerExtensions: structuredClone(track.headerExtensions),
      send: structuredClone(track.send),
    };
    const reusable = this.#records.find(
      (record) =>
        record.section.kind === track.kind &&
        record.section.state === 'inactive' &&
        record.offered !== 'active' &&
        record.negotiated !== 'active',
    );
    if (reusable !== undefined) section.mid = reusable.section.mid;
    this.#check(section);
    if (reusable !== undefined) {
      reusable.section = section;
      return section.mid;
    }
    this.#place(section);
    return section.mid;
  }

  /**
   * addTrack for a consumer: codecs, header extensions, SSRCs and cname from
   * its RTP parameters (capabilities.ts consumerRtpParameters), msid given.
   */
  addConsumer(rtpParameters: RtpParameters, msid: { streamId: string; trackId: string }): string {
    const kind = mimeKind(rtpParameters.codecs[0]?.mimeType ?? '');
    const encoding = rtpParameters.encodings[0];
    const cname = rtpParameters.rtcp.cname;
    if ((kind !== 'audio' && kind !== 'video') || encoding?.ssrc === undefined || cname === undefined)
      throw new SdpNegotiationError(
        'ERR_SDP_INVALID_ARGUMENT',
        'a consumer needs audio or video codecs, an encoding with an ssrc, and a cname',
      );
    const send: SubscribeSender = { ssrc: encoding.ssrc, cname, msid: { ...msid } };
    if (encoding.rtx !== undefined && rtpParameters.codecs.some(isRtxCodec)) send.rtxSsrc = encoding.rtx.ssrc;
    return this.addTrack({
      kind,
      codecs: rtpParameters.codecs,
      headerExtensions: rtpParameters.headerExtensions,
      send,
    });
  }

  /**
   * Stops sending on a mid: the section becomes inactive and keeps its mid.
   * Nothing happens when it is already inactive or closed. Throws
   * SdpNegotiationError (ERR_SDP_UNKNOWN_MID) for a mid that is not a media section.
   */
  removeTrack(mid: string): void {
    const record = this.#records.find((candidate) => candidate.section.mid === mid);
    if (record === undefined || record.section.kind === 'application')
      throw new SdpNegotiationError('ERR_SDP_UNKNOWN_MID', 'no media section has this mid', { mid });
    if (record.section.state !== 'active') return;
    const section = record.section as SubscribeMediaSection;
    record.section = {
      mid,
      kind: section.kind,
      state: 'inactive',
      codecs: section.codecs,
      headerExtensions: section.headerExtensions,
    };
  }

  /** Adds the data channel section unless one is open, and returns its mid. */
  addDataChannel(options: { maxMessageSize?: number } = {}): string {
    const open = this.#records.find(
      (record) => record.section.kind === 'application' && record.section.state !== 'closed',
    );
    if (open !== undefined) return open.section.mid;
    const section: SubscribeDataSection = { mid: '', kind: 'application', state: 'active' };
    if (options.maxMessageSize !== undefined) section.maxMessageSize = options.maxMessageSize;
    this.#check(section);
    this.#place(section);
    return section.mid;
  }

  /**
   * Makes the next offer and remembers it until applyAnswer. The version
   * goes up when the offer differs from the previous one. A second call
   * before the answer replaces the pending offer.
   */
  createOffer(): SubscribeOffer {
    let offer = this.#build(this.#version);
    const body = offerBody(offer.sdp);
    if (body !== this.#lastOfferBody) {
      this.#version++;
      offer = this.#build(this.#version);
      this.#lastOfferBody = body;
    }
    for (const record of this.#records) record.offered = record.section.state;
    this.#pending = offer;
    return offer;
  }

  /**
   * Checks the browser's answer to the pending offer (parseSubscribeAnswer)
   * and applies it: sections it rejected become closed, and our DTLS role
   * is fixed. On failure nothing changes and the offer stays pending.
   */
  applyAnswer(answerSdp: string): SdpNegotiationResult<SubscribeAnswer> {
    const pending = this.#pending;
    if (pending === undefined)
      return {
        ok: false,
        error: new SdpNegotiationError('ERR_SDP_NO_PENDING_OFFER', 'no offer is waiting for an answer'),
      };
    const result = parseSubscribeAnswer(answerSdp, pending.session);
    if (!result.ok) return result;
    const transport = result.value.transport;
    // RFC 8842 §5.5: keeping the association means keeping the roles.
    if (transport !== undefined && this.#dtlsRole !== undefined && transport.dtlsRole !== this.#dtlsRole)
      return {
        ok: false,
        error: new SdpNegotiationError(
          'ERR_SDP_DTLS_ROLE_CHANGED',
          `the answer makes us DTLS ${transport.dtlsRole}, we are ${this.#dtlsRole}`,
        ),
      };
    if (transport !== undefined) this.#dtlsRole = transport.dtlsRole;
    result.value.sections.forEach((answered, index) => {
      const record = this.#records[index];
      // A section recycled under a new mid since the offer waits for the next one.
      if (record === undefined || record.section.mid !== answered.mid) return;
      const offeredState = pending.session.sections[index].state;
      record.negotiated = answered.accepted ? offeredState : 'closed';
      if (!answered.accepted && record.section.state !== 'closed') record.section = closed(record.section);
    });
    this.#pending = undefined;
    return result;
  }

  /**
   * Forgets the pending offer after the browser refused it (RFC 8829 §4.1.8.2
   * rollback): sections count as offered in the state last answered, and
   * the next offer gets a new version.
   */
  rollback(): void {
    if (this.#pending === undefined) return;
    this.#pending = undefined;
    for (const record of this.#records) record.offered = record.negotiated;
    this.#lastOfferBody = undefined;
  }

  /**
   * A section of the same kind that the browser rejected, recycled under a
   * new mid; else a new section at the end. RFC 8829 §5.2.2 would let a
   * recycled section change kind, but Chromium then fails to set up
   * demuxing when the section was the BUNDLE tag, so kinds stay put.
   */
  #place(section: SubscribeSection): void {
    const recyclable = this.#records.find(
      (record) =>
        record.section.kind === section.kind &&
        record.section.state === 'closed' &&
        record.negotiated === 'closed',
    );
    section.mid = this.#newMid();
    if (recyclable !== undefined) {
      recyclable.section = section;
      recyclable.offered = undefined;
      recyclable.negotiated = undefined;
      return;
    }
    this.#records.push({ section });
  }

  #newMid(): string {
    const taken = new Set(this.#records.map((record) => record.section.mid));
    let mid: string;
    do mid = `${this.#nextMid++}`;
    while (taken.has(mid));
    return mid;
  }

  /** Throws when the section could not be offered. */
  #check(section: SubscribeSection): void {
    const probe = { ...section, mid: section.mid === '' ? 'probe' : section.mid };
    const invalid = validateSession({ ...this.#session(0), sections: [probe] });
    if (invalid !== undefined) throw new SdpNegotiationError('ERR_SDP_INVALID_ARGUMENT', invalid);
  }

  #session(version: number): SubscribeSession {
    return {
      ...structuredClone(this.#transport),
      sessionId: this.#sessionId,
      sessionVersion: version,
      iceLite: true,
      sections: this.#records.map((record) => structuredClone(record.section)),
    };
  }

  #build(version: number): SubscribeOffer {
    const session = this.#session(version);
    const result = createSubscribeOffer(session);
    // Every section was checked when it was added, so this is a defect, not a user error.
    if (!result.ok) throw SdpNegotiationError.fromSdpError(result.error);
    return { sdp: writeSdp(result.value), description: result.value, session };
  }
}

function closed(section: SubscribeSection): SubscribeSection {
  if (section.kind === 'application') return { ...section, state: 'closed' };
  return {
    mid: section.mid,
    kind: section.kind,
    state: 'closed',
    codecs: section.codecs,
    headerExtensions: section.headerExtensions,
  };
}

/** The offer without its o= line, to tell whether anything changed. */
function offerBody(sdp: string): string {
  return sdp.replace(/^o=.*\r\n/m, '');
}

/** RFC 8829 §5.2.1: a 64-bit random session id with the top bit clear; we keep it below 2^62. */
function randomSessionId(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x3fff_ffff_ffff_ffffn).toString();
}
