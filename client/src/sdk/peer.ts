/**
 * One RTCPeerConnection to one remote participant, negotiated with perfect
 * negotiation (W3C WebRTC §10.7): either side may renegotiate at any time,
 * and when both offer at once the polite side yields. Candidates trickle
 * through signaling as they are gathered. When the connection fails, the side
 * that made the first offer restarts ICE.
 */

import { onRemoteDescription } from './negotiation.js';
import type { CandidateInit, ClientMessage, TrackSource } from './protocol.js';

/** A local track with the stream it belongs to (the remote side groups tracks by stream). */
export interface LocalTrack {
  track: MediaStreamTrack;
  stream: MediaStream;
  /** What it shows, told to an sfu server (mesh calls do not send it). */
  source?: TrackSource;
}

/** What a `PeerLink` needs from its room. */
export interface PeerLinkOptions {
  remoteId: string;
  /** Rolls back its own offer when offers collide (see isPolite). */
  polite: boolean;
  /** Makes the first offer and restarts ICE when the connection fails. */
  initiator: boolean;
  configuration: RTCConfiguration;
  createPeerConnection: (configuration: RTCConfiguration) => RTCPeerConnection;
  /** Sends a signaling message (offer, answer, candidate) to the remote side. */
  signal: (message: ClientMessage) => void;
  /** The tracks to send, read when the link first attaches them. */
  localTracks: () => LocalTrack[];
  onTrack: (track: MediaStreamTrack, stream: MediaStream) => void;
  onTrackRemoved: (track: MediaStreamTrack) => void;
  onConnectionState: (state: RTCPeerConnectionState) => void;
  /** Negotiation errors that cannot be answered on the wire. */
  onError: (error: unknown) => void;
}

/** The media connection to one remote participant. */
export class PeerLink {
  readonly remoteId: string;
  readonly pc: RTCPeerConnection;
  private readonly options: PeerLinkOptions;
  private makingOffer = false;
  private settingRemoteAnswer = false;
  /** True after an offer was ignored: candidates for it fail and are ignored too. */
  private ignoringOffer = false;
  private localTracksAttached = false;
  /** Incoming signaling is applied in arrival order, one message at a time. */
  private incoming: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: PeerLinkOptions) {
    this.options = options;
    this.remoteId = options.remoteId;
    const pc = options.createPeerConnection(options.configuration);
    this.pc = pc;
    pc.onnegotiationneeded = () => void this.negotiate();
    pc.onicecandidate = ({ candidate }) => {
      options.signal({
        type: 'candidate',
        to: this.remoteId,
        candidate: candidate ? toCandidateInit(candidate) : null,
      });
    };
    pc.ontrack = ({ track, streams }) => {
      const stream = streams[0] ?? new MediaStream([track]);
      stream.onremovetrack = ({ track: removed }) => options.onTrackRemoved(removed);
      options.onTrack(track, stream);
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      options.onConnectionState(state);
      if (state === 'failed' && options.initiator && !this.closed) pc.restartIce();
    };
    if (options.initiator) {
      this.attachLocalTracks();
      // A side with nothing to send still asks to receive, so that the first offer has media sections.
      if (pc.getTransceivers().length === 0) {
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
      }
    }
  }

  /** Applies an offer or answer from the remote side. */
  handleDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    return this.enqueue(async () => {
      const pc = this.pc;
      const action = onRemoteDescription(type, this.options.polite, {
        makingOffer: this.makingOffer,
        settingRemoteAnswer: this.settingRemoteAnswer,
        signalingState: pc.signalingState,
      });
      this.ignoringOffer = action === 'ignore';
      if (this.ignoringOffer) return;
      this.settingRemoteAnswer = type === 'answer';
      try {
        await pc.setRemoteDescription({ type, sdp });
      } finally {
        this.settingRemoteAnswer = false;
      }
      if (type !== 'offer') return;
      // The answering side adds its tracks after the offer, so they reuse the offer's transceivers.
      this.attachLocalTracks();
      await pc.setLocalDescription();
      const answer = pc.localDescription;
      if (answer) this.options.signal({ type: 'answer', to: this.remoteId, sdp: answer.sdp });
    });
  }

  /** Adds a trickled candidate (null: the end of candidates). */
  handleCandidate(candidate: CandidateInit): Promise<void> {
    return this.enqueue(async () => {
      try {
        await this.pc.addIceCandidate(candidate ?? undefined);
      } catch (error) {
        // Candidates of an offer this side ignored cannot be added, and need not be.
        if (!this.ignoringOffer) throw error;
      }
    });
  }

  /** Starts sending a track (renegotiates). */
  addTrack(local: LocalTrack): void {
    if (!this.localTracksAttached) return; // attachLocalTracks picks it up with the rest
    if (this.pc.getSenders().some((sender) => sender.track === local.track)) return;
    this.pc.addTrack(local.track, local.stream);
  }

  /** Stops sending a track (renegotiates). */
  removeTrack(track: MediaStreamTrack): void {
    const sender = this.pc.getSenders().find((candidate) => candidate.track === track);
    if (sender) this.pc.removeTrack(sender);
  }

  /** Restarts ICE now (a new offer with fresh credentials). */
  restartIce(): void {
    this.pc.restartIce();
  }

  /** Closes the connection. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const pc = this.pc;
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.ontrack = null;
    pc.onconnectionstatechange = null;
    for (const receiver of pc.getReceivers()) this.options.onTrackRemoved(receiver.track);
    pc.close();
  }

  /** Sends an offer for whatever changed (the "negotiationneeded" half of perfect negotiation). */
  private async negotiate(): Promise<void> {
    if (this.closed) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const offer = this.pc.localDescription;
      if (offer && offer.type === 'offer')
        this.options.signal({ type: 'offer', to: this.remoteId, sdp: offer.sdp });
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.makingOffer = false;
    }
  }

  private attachLocalTracks(): void {
    if (this.localTracksAttached) return;
    this.localTracksAttached = true;
    for (const local of this.options.localTracks()) this.pc.addTrack(local.track, local.stream);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.incoming.then(() => (this.closed ? undefined : task()));
    this.incoming = run.catch((error: unknown) => this.options.onError(error));
    return this.incoming;
  }
}

/** The wire form of a gathered candidate. */
function toCandidateInit(candidate: RTCIceCandidate): NonNullable<CandidateInit> {
  const init: NonNullable<CandidateInit> = { candidate: candidate.candidate };
  if (candidate.sdpMid !== null) init.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex !== null) init.sdpMLineIndex = candidate.sdpMLineIndex;
  if (candidate.usernameFragment !== null) init.usernameFragment = candidate.usernameFragment;
  return init;
}
