/**
 * The media of one participant in an `sfu` room: two RTCPeerConnections with
 * the server instead of one per participant (docs/protocol.md, "A call
 * through the SFU").
 *
 * - The *publish* connection carries this client's tracks to the server. The
 *   client offers (`publish`, with each section's source) and the server
 *   answers (`publish_answer`). Only one offer is in flight at a time: changes
 *   made meanwhile are gathered into the next offer, sent once the answer is
 *   applied. Sections of removed tracks go inactive and are reused by later
 *   tracks of the same kind, so the SDP does not grow with every change.
 * - The *subscribe* connection carries everyone else's tracks to this client.
 *   The server offers (`subscribe_offer`, listing which participant's track each
 *   section carries) and renegotiates as tracks come and go; the client answers
 *   each offer in turn (`subscribe_answer`).
 *
 * - *Data* goes on two channels the server opens on the subscribe connection,
 *   `reliable` and `lossy` (data-channels.ts): the first subscribe offer comes
 *   right after join, with an m=application section, tracks or not.
 *
 * The server is ICE-lite and lists all its candidates in its SDP, so nothing
 * trickles. Offers are sent as soon as they are set, without waiting for
 * candidates: the server learns the client's addresses from its checks.
 */
import { DataChannels, type DataMessage, type DataStats } from './data-channels.js';
import type { LocalTrack } from './peer.js';
import type { ClientMessage, SubscribedTrack, TrackInfo, TrackSource } from './protocol.js';

/** The two connections of an sfu room, as named in `peerConnectionStateChanged` and `Room.peerConnection`. */
export type SfuConnectionName = 'publish' | 'subscribe';

/** How long the publish connection may stay `disconnected` before its ICE restarts, ms. */
export const PUBLISH_ICE_RESTART_DELAY_MS = 5_000;

/** What an `SfuSession` needs from its room. */
export interface SfuSessionOptions {
  configuration: RTCConfiguration;
  createPeerConnection: (configuration: RTCConfiguration) => RTCPeerConnection;
  /** Sends a signaling message to the server. */
  signal: (message: ClientMessage) => void;
  /** A remote participant's track arrived; `stream` holds all of that participant's tracks. */
  onTrack: (participantId: string, track: MediaStreamTrack, stream: MediaStream) => void;
  /** A track announced by `onTrack` is gone (unpublished, or its section went inactive). */
  onTrackRemoved: (participantId: string, track: MediaStreamTrack) => void;
  onConnectionState: (connection: SfuConnectionName, state: RTCPeerConnectionState) => void;
  /** The server's answer listed what this client now publishes. */
  onPublished: (tracks: TrackInfo[]) => void;
  /** Negotiation failures on this side (the server's own errors reach the room as `error` messages). */
  onError: (error: { code: string; message: string }) => void;
  /** An envelope arrived on a data channel. */
  onData?: (message: DataMessage) => void;
  /** Data counters to add to (the room keeps them across sessions). */
  dataStats?: DataStats;
  /** Overrides DATA_CHANNEL_OPEN_TIMEOUT_MS. */
  dataChannelOpenTimeoutMs?: number;
  /** Overrides PUBLISH_ICE_RESTART_DELAY_MS. */
  iceRestartDelayMs?: number;
}

/** A track announced through `onTrack`, by the mid of its section. */
interface AnnouncedTrack {
  participantId: string;
  trackId: string;
  track: MediaStreamTrack;
}

/** The publish and subscribe connections of one participant with the server. */
export class SfuSession {
  private readonly options: SfuSessionOptions;
  private publisher: RTCPeerConnection | undefined;
  private subscriber: RTCPeerConnection | undefined;
  /** What each sending transceiver of the publish connection carries. */
  private readonly sending = new Map<RTCRtpTransceiver, LocalTrack>();
  /** True when the publish connection changed since the last offer. */
  private publishWanted = false;
  /** The request id of the publish offer awaiting its answer; 'scheduled' just before it is made. */
  private publishInFlight: string | undefined;
  private requestCounter = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Subscribe offers are applied one at a time, in arrival order. */
  private incoming: Promise<void> = Promise.resolve();
  /** The sections of the last subscribe offer that carry a track, by mid. */
  private sections = new Map<string, SubscribedTrack>();
  private readonly announced = new Map<string, AnnouncedTrack>();
  /** One stream per remote participant, holding its announced tracks. */
  private readonly remoteStreams = new Map<string, MediaStream>();
  private closed = false;
  /** The data channels of the subscribe connection, and the data waiting for them. */
  readonly data: DataChannels;

  constructor(options: SfuSessionOptions) {
    this.options = options;
    this.data = new DataChannels({
      signal: options.signal,
      onMessage: (message) => options.onData?.(message),
      onError: options.onError,
      // min(our and the server's a=max-message-size), once SCTP is negotiated (RFC 8841 §6, RTCSctpTransport.maxMessageSize).
      maxMessageSize: () => this.subscriber?.sctp?.maxMessageSize,
      stats: options.dataStats,
      openTimeoutMs: options.dataChannelOpenTimeoutMs,
    });
  }

  /** The connection named, once it exists. */
  peerConnection(connection: SfuConnectionName): RTCPeerConnection | undefined {
    return connection === 'publish' ? this.publisher : this.subscriber;
  }

  /** Starts sending tracks (one renegotiation for all of them); a no-op for those already sent. */
  addTracks(tracks: LocalTrack[]): void {
    if (this.closed) return;
    let changed = false;
    for (const local of tracks) changed = this.attach(local) || changed;
    if (changed) this.requestPublish();
  }

  /** Stops sending a track: its section goes inactive, and the server unpublishes it. */
  removeTrack(track: MediaStreamTrack): void {
    const pc = this.publisher;
    if (!pc || this.closed) return;
    for (const [transceiver, local] of this.sending) {
      if (local.track !== track) continue;
      this.sending.delete(transceiver);
      pc.removeTrack(transceiver.sender);
      this.requestPublish();
      return;
    }
  }

  /** Applies the server's answer to the publish offer in flight. */
  async handlePublishAnswer(sdp: string, tracks: TrackInfo[], rid: string | undefined): Promise<void> {
    const pc = this.publisher;
    const inFlight = this.publishInFlight;
    // An answer to an offer that was rolled back (or to none) cannot be applied.
    if (!pc || this.closed || inFlight === undefined || (rid !== undefined && rid !== inFlight)) return;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
      if (!this.closed) this.options.onPublished(tracks);
    } catch (error) {
      this.fail('publish answer', error);
    } finally {
      this.publishDone(inFlight);
    }
  }

  /** Answers a (re)negotiation of the subscribe connection, after the ones before it. */
  handleSubscribeOffer(sdp: string, tracks: SubscribedTrack[]): Promise<void> {
    const run = this.incoming.then(() => this.answerSubscribeOffer(sdp, tracks));
    this.incoming = run.catch((error: unknown) => this.fail('subscribe offer', error));
    return this.incoming;
  }

  /** A participant stopped publishing a track: it is gone now, before the offer that makes its section inactive. */
  trackUnpublished(participantId: string, trackId: string): void {
    for (const [mid, announced] of this.announced)
      if (announced.participantId === participantId && announced.trackId === trackId) {
        this.sections.delete(mid);
        this.retract(mid);
      }
  }

  /** A participant left: its tracks and its stream are gone. */
  forgetParticipant(participantId: string): void {
    for (const [mid, announced] of this.announced)
      if (announced.participantId === participantId) {
        this.sections.delete(mid);
        this.retract(mid);
      }
    this.remoteStreams.delete(participantId);
  }

  /**
   * The server's `error` for a message this session sent (matched by `rid`).
   * A refused publish offer is rolled back, so that the next change offers
   * again from the last state both sides agreed on.
   */
  async handleError(rid: string): Promise<void> {
    const pc = this.publisher;
    if (!pc || rid !== this.publishInFlight) return;
    try {
      if (pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
    } catch (error) {
      this.fail('publish rollback', error);
    } finally {
      this.publishDone(rid);
    }
  }

  /**
   * Statistics of the tracks received from one participant: the subscribe
   * connection's report, with only that participant's `inbound-rtp` records
   * (transport and candidate records are shared by everyone's tracks).
   */
  async statsOf(participantId: string): Promise<RTCStatsReport | undefined> {
    const pc = this.subscriber;
    if (!pc) return undefined;
    const report = await pc.getStats();
    const mids = new Set<string>();
    const trackIds = new Set<string>();
    for (const [mid, announced] of this.announced)
      if (announced.participantId === participantId) {
        mids.add(mid);
        trackIds.add(announced.track.id);
      }
    const filtered = new Map<string, unknown>();
    report.forEach((record: { id: string; type: string; mid?: string; trackIdentifier?: string }) => {
      if (record.type === 'inbound-rtp') {
        const mine =
          (record.mid !== undefined && mids.has(record.mid)) ||
          (record.trackIdentifier !== undefined && trackIds.has(record.trackIdentifier));
        if (!mine) return;
      }
      filtered.set(record.id, record);
    });
    return filtered as unknown as RTCStatsReport;
  }

  /** Closes both connections and reports every remote track gone. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.data.close();
    for (const mid of [...this.announced.keys()]) this.retract(mid);
    this.remoteStreams.clear();
    this.sending.clear();
    for (const pc of [this.publisher, this.subscriber]) {
      if (!pc) continue;
      pc.ontrack = null;
      pc.ondatachannel = null;
      pc.onconnectionstatechange = null;
      pc.close();
    }
  }

  /** Adds a local track to the publish connection; false when it is already there. */
  private attach(local: LocalTrack): boolean {
    const pc = this.ensurePublisher();
    for (const sent of this.sending.values()) if (sent.track === local.track) return false;
    // Reuse a section whose track was removed, rather than grow the SDP.
    const reusable = pc
      .getTransceivers()
      .find(
        (transceiver) =>
          !this.sending.has(transceiver) &&
          transceiver.direction === 'inactive' &&
          transceiver.receiver.track.kind === local.track.kind,
      );
    if (reusable) {
      reusable.direction = 'sendonly';
      void reusable.sender
        .replaceTrack(local.track)
        .catch((error: unknown) => this.fail('replaceTrack', error));
      this.sending.set(reusable, local);
    } else {
      const transceiver = pc.addTransceiver(local.track, { direction: 'sendonly', streams: [local.stream] });
      this.sending.set(transceiver, local);
    }
    return true;
  }

  private ensurePublisher(): RTCPeerConnection {
    if (this.publisher) return this.publisher;
    const pc = this.options.createPeerConnection(this.options.configuration);
    this.publisher = pc;
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      this.options.onConnectionState('publish', state);
      this.watchPublisher(state);
    };
    return pc;
  }

  private ensureSubscriber(): RTCPeerConnection {
    if (this.subscriber) return this.subscriber;
    const pc = this.options.createPeerConnection(this.options.configuration);
    this.subscriber = pc;
    pc.ontrack = ({ transceiver, streams }) => {
      if (transceiver.mid !== null) this.announce(transceiver.mid, streams[0]);
    };
    // The server opens the channels (DCEP, RFC 8832); this side never creates one.
    pc.ondatachannel = ({ channel }) => this.data.attach(channel);
    pc.onconnectionstatechange = () => {
      this.data.setConnectionState(pc.connectionState);
      this.options.onConnectionState('subscribe', pc.connectionState);
    };
    return pc;
  }

  /** Asks for a publish offer: made at once, or after the answer to the one in flight. */
  private requestPublish(): void {
    this.publishWanted = true;
    if (this.publishInFlight !== undefined) return;
    // Made in a microtask, so that every change of the current task goes into one offer.
    this.publishInFlight = 'scheduled';
    queueMicrotask(() => void this.sendPublishOffer());
  }

  private async sendPublishOffer(): Promise<void> {
    const pc = this.publisher;
    if (!pc || this.closed) {
      this.publishInFlight = undefined;
      return;
    }
    this.publishWanted = false;
    this.requestCounter += 1;
    const rid = `publish-${this.requestCounter}`;
    this.publishInFlight = rid;
    try {
      await pc.setLocalDescription();
      const offer = pc.localDescription;
      if (this.closed || !offer || offer.type !== 'offer') {
        this.publishDone(rid);
        return;
      }
      const tracks: { mid: string; source: TrackSource }[] = [];
      for (const transceiver of pc.getTransceivers()) {
        const local = this.sending.get(transceiver);
        if (local && transceiver.mid !== null)
          tracks.push({ mid: transceiver.mid, source: local.source ?? defaultTrackSource(local.track) });
      }
      this.options.signal({ type: 'publish', sdp: offer.sdp, tracks, rid });
    } catch (error) {
      this.fail('publish offer', error);
      this.publishDone(rid);
    }
  }

  /** The publish negotiation `rid` is over; the next one starts if anything changed meanwhile. */
  private publishDone(rid: string): void {
    if (this.publishInFlight !== rid) return;
    this.publishInFlight = undefined;
    if (this.publishWanted && !this.closed) this.requestPublish();
  }

  /** ICE restart of the publish connection when it failed, or stayed disconnected too long. */
  private watchPublisher(state: RTCPeerConnectionState): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.closed) return;
    if (state === 'failed') this.restartPublisher();
    else if (state === 'disconnected')
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restartPublisher();
      }, this.options.iceRestartDelayMs ?? PUBLISH_ICE_RESTART_DELAY_MS);
  }

  private restartPublisher(): void {
    const pc = this.publisher;
    if (!pc || this.closed) return;
    // The next offer carries new ICE credentials (W3C WebRTC §4.4.1.6, restartIce).
    pc.restartIce();
    this.requestPublish();
  }

  private async answerSubscribeOffer(sdp: string, tracks: SubscribedTrack[]): Promise<void> {
    if (this.closed) return;
    const pc = this.ensureSubscriber();
    const next = new Map(tracks.map((track) => [track.mid, track]));
    // Sections that stop carrying what they carried: their tracks are gone before a reuse announces them again.
    for (const [mid, announced] of this.announced) {
      const now = next.get(mid);
      if (!now || now.participantId !== announced.participantId || now.trackId !== announced.trackId)
        this.retract(mid);
    }
    this.sections = next;
    await pc.setRemoteDescription({ type: 'offer', sdp }); // fires `track` for sections that start sending
    await pc.setLocalDescription();
    const answer = pc.localDescription;
    if (this.closed || !answer) return;
    this.options.signal({ type: 'subscribe_answer', sdp: answer.sdp });
    this.data.setNegotiated(negotiatesSctp(pc, sdp));
    // A section handed to another track without going inactive first fires no `track`: announce it here.
    for (const mid of next.keys()) this.announce(mid, undefined);
  }

  /** Reports the track of a section as the track of the participant the server says it carries. */
  private announce(mid: string, browserStream: MediaStream | undefined): void {
    const transceiver = this.subscriber?.getTransceivers().find((candidate) => candidate.mid === mid);
    if (!transceiver || this.closed) return;
    const track = transceiver.receiver.track;
    const section = this.sections.get(mid);
    // The stream id of a section is the publishing participant's id (a=msid), should the offer not list it.
    const participantId = section?.participantId ?? browserStream?.id;
    if (participantId === undefined) return;
    const trackId = section?.trackId ?? track.id;
    const previous = this.announced.get(mid);
    if (previous) {
      if (previous.participantId === participantId && previous.trackId === trackId) return;
      this.retract(mid);
    }
    let stream = this.remoteStreams.get(participantId);
    if (!stream) {
      stream = browserStream?.id === participantId ? browserStream : new MediaStream();
      this.remoteStreams.set(participantId, stream);
    }
    if (!stream.getTracks().includes(track)) stream.addTrack(track);
    this.announced.set(mid, { participantId, trackId, track });
    this.options.onTrack(participantId, track, stream);
  }

  private retract(mid: string): void {
    const announced = this.announced.get(mid);
    if (!announced) return;
    this.announced.delete(mid);
    this.remoteStreams.get(announced.participantId)?.removeTrack(announced.track);
    this.options.onTrackRemoved(announced.participantId, announced.track);
  }

  private fail(what: string, error: unknown): void {
    if (this.closed) return;
    this.options.onError({ code: 'negotiation_failed', message: `${what}: ${String(error)}` });
  }
}

/**
 * Whether the subscribe connection, its answer applied, carries SCTP: the
 * browser has an RTCSctpTransport (`pc.sctp`) then, null otherwise; one without
 * the `sctp` attribute is judged by the offer's m=application section.
 */
function negotiatesSctp(pc: RTCPeerConnection, offer: string): boolean {
  if (pc.sctp !== undefined) return pc.sctp !== null;
  return /^m=application /m.test(offer);
}

/**
 * What a local track shows when the application did not say: a screen when
 * the browser reports a captured display surface, else a microphone or camera.
 */
export function defaultTrackSource(track: MediaStreamTrack): TrackSource {
  const settings = typeof track.getSettings === 'function' ? track.getSettings() : {};
  if ('displaySurface' in settings && settings.displaySurface !== undefined)
    return track.kind === 'audio' ? 'screen_audio' : 'screen';
  return track.kind === 'audio' ? 'microphone' : track.kind === 'video' ? 'camera' : 'unknown';
}
