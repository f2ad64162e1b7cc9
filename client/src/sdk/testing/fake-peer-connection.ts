/**
 * Just enough of RTCPeerConnection to test the SDK's negotiation logic
 * without a browser: descriptions are labelled strings, transceivers are
 * plain objects, and events are fired by the test.
 *
 * A description names its media sections after `m=`, comma-separated. A
 * section is either a bare kind (`m=audio,video`, as the mesh tests write
 * them: matched to a transceiver of that kind) or, as an sfu server's offer,
 * `MID:KIND:DIRECTION[:STREAM_ID]` (`m=0:audio:sendonly:PA_4k2Jx9QmZt1B,1:video:inactive`):
 * matched by mid, with `ontrack` fired when a section starts sending to this
 * side and the track taken out of its stream when it stops, as a browser does.
 * A server's `MID:application` section negotiates SCTP: `sctp` is set (with
 * the max-message-size of `FakePeerConnection.sctpMaxMessageSize`), and the
 * test then plays the server opening channels with `announceDataChannel`.
 */
import { FakeDataChannel } from './fake-data-channel.js';

interface FakeSender {
  track: MediaStreamTrack | null;
  replaceTrack(track: MediaStreamTrack | null): Promise<void>;
}

interface FakeTransceiver {
  mid: string | null;
  kind: string;
  direction: RTCRtpTransceiverDirection;
  sender: FakeSender;
  receiver: { track: MediaStreamTrack };
  /** True while the remote side sends on it (an `ontrack` was fired). */
  receiving: boolean;
}

/** A recorded peer connection. */
export class FakePeerConnection {
  static readonly created: FakePeerConnection[] = [];
  readonly configuration: RTCConfiguration;
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: { type: RTCSdpType; sdp: string } | null = null;
  remoteDescription: { type: RTCSdpType; sdp: string } | null = null;
  readonly transceivers: FakeTransceiver[] = [];
  readonly candidates: (RTCIceCandidateInit | undefined)[] = [];
  /** The SCTP transport once a negotiation set it up (an application section), else null. */
  sctp: { maxMessageSize: number; state: RTCSctpTransportState } | null = null;
  /** The max-message-size the next SCTP transport reports. */
  static sctpMaxMessageSize = 262_144;
  /** Channels this side created with createDataChannel (the sfu SDK must create none). */
  readonly createdDataChannels: FakeDataChannel[] = [];
  /** Remote streams by id, as the browser keeps one per `a=msid` stream id. */
  readonly remoteStreams = new Map<string, FakeMediaStream>();
  restarts = 0;
  rollbacks = 0;
  closed = false;
  private offers = 0;
  private nextMid = 0;
  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((event: { candidate: RTCIceCandidate | null }) => void) | null = null;
  ontrack:
    | ((event: { track: MediaStreamTrack; streams: MediaStream[]; transceiver?: FakeTransceiver }) => void)
    | null = null;
  onconnectionstatechange: (() => void) | null = null;
  ondatachannel: ((event: { channel: RTCDataChannel }) => void) | null = null;

  constructor(configuration: RTCConfiguration) {
    this.configuration = configuration;
    FakePeerConnection.created.push(this);
  }

  /** A factory for `ConnectOptions.createPeerConnection`. */
  static create(configuration: RTCConfiguration): RTCPeerConnection {
    return new FakePeerConnection(configuration) as unknown as RTCPeerConnection;
  }

  getTransceivers(): FakeTransceiver[] {
    return this.transceivers;
  }

  getSenders(): FakeSender[] {
    return this.transceivers.map((transceiver) => transceiver.sender);
  }

  getReceivers(): { track: MediaStreamTrack }[] {
    return this.transceivers.map((transceiver) => transceiver.receiver);
  }

  addTransceiver(
    trackOrKind: MediaStreamTrack | string,
    init: { direction: RTCRtpTransceiverDirection; streams?: MediaStream[] },
  ): FakeTransceiver {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind;
    const transceiver = fakeTransceiver(track?.kind ?? String(trackOrKind), init.direction, track);
    this.transceivers.push(transceiver);
    return transceiver;
  }

  addTrack(track: MediaStreamTrack): void {
    // Like the real one: reuse a transceiver of the same kind that has never sent.
    const reusable = this.transceivers.find((t) => t.kind === track.kind && t.sender.track === null);
    if (reusable) {
      reusable.sender.track = track;
      reusable.direction = 'sendrecv';
    } else this.transceivers.push(fakeTransceiver(track.kind, 'sendrecv', track));
  }

  removeTrack(sender: { track: MediaStreamTrack | null }): void {
    sender.track = null;
    const transceiver = this.transceivers.find((t) => t.sender === sender);
    // Like the real one: stop sending, keep receiving.
    if (transceiver)
      transceiver.direction =
        transceiver.direction === 'sendrecv' || transceiver.direction === 'recvonly'
          ? 'recvonly'
          : 'inactive';
  }

  async setLocalDescription(description?: { type: RTCSdpType }): Promise<void> {
    await Promise.resolve();
    if (description?.type === 'rollback') {
      this.rollbacks += 1;
      this.localDescription = null;
      this.signalingState = 'stable';
      return;
    }
    if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: `answer to ${this.remoteDescription?.sdp}` };
      this.signalingState = 'stable';
    } else {
      this.offers += 1;
      for (const transceiver of this.transceivers) transceiver.mid ??= String(this.nextMid++);
      this.localDescription = {
        type: 'offer',
        sdp: `offer ${this.offers} m=${this.transceivers.map((t) => t.kind).join(',')}`,
      };
      this.signalingState = 'have-local-offer';
    }
  }

  async setRemoteDescription(description: { type: RTCSdpType; sdp: string }): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new Error('InvalidStateError: closed');
    if (description.sdp.includes('unparsable'))
      throw new Error('OperationError: cannot parse the description');
    this.remoteDescription = description;
    if (description.type !== 'offer') {
      this.signalingState = 'stable';
      return;
    }
    // An offer arriving over our own is an implicit rollback (perfect negotiation).
    this.signalingState = 'have-remote-offer';
    for (const section of description.sdp.match(/m=(\S*)/)?.[1]?.split(',') ?? []) {
      const [first, kind, direction, streamId] = section.split(':');
      if (kind === 'application') {
        this.sctp ??= { maxMessageSize: FakePeerConnection.sctpMaxMessageSize, state: 'connecting' };
        continue;
      }
      if (kind === undefined) {
        if (!this.transceivers.some((t) => t.kind === first))
          this.transceivers.push(fakeTransceiver(first, 'recvonly', null));
        continue;
      }
      this.applyServerSection(first, kind, direction, streamId);
    }
  }

  async addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void> {
    if (!this.remoteDescription) throw new Error('InvalidStateError: no remote description');
    this.candidates.push(candidate);
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): FakeDataChannel {
    const channel = new FakeDataChannel(label, init);
    this.createdDataChannels.push(channel);
    return channel;
  }

  /** The remote side opened a channel (DCEP DATA_CHANNEL_OPEN): fires `datachannel`, as a browser does. */
  announceDataChannel(label: string, init: RTCDataChannelInit = {}): FakeDataChannel {
    const channel = new FakeDataChannel(label, init);
    this.ondatachannel?.({ channel: channel as unknown as RTCDataChannel });
    return channel;
  }

  restartIce(): void {
    this.restarts += 1;
  }

  async getStats(): Promise<RTCStatsReport> {
    const records = new Map<string, Record<string, unknown>>();
    records.set('T1', { id: 'T1', type: 'transport' });
    for (const transceiver of this.transceivers)
      if (transceiver.mid !== null)
        records.set(`IN${transceiver.mid}`, {
          id: `IN${transceiver.mid}`,
          type: 'inbound-rtp',
          kind: transceiver.kind,
          mid: transceiver.mid,
        });
    return records as unknown as RTCStatsReport;
  }

  close(): void {
    this.closed = true;
    this.signalingState = 'closed';
    if (this.sctp) this.sctp.state = 'closed';
  }

  /** Fires negotiationneeded as the browser would after a change. */
  fireNegotiationNeeded(): void {
    this.onnegotiationneeded?.();
  }

  /** Fires a connection state change. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }

  /** One `MID:KIND:DIRECTION[:STREAM_ID]` section of a server's offer. */
  private applyServerSection(
    mid: string,
    kind: string,
    direction: string,
    streamId: string | undefined,
  ): void {
    let transceiver = this.transceivers.find((t) => t.mid === mid);
    if (!transceiver) {
      transceiver = fakeTransceiver(kind, 'recvonly', null);
      transceiver.mid = mid;
      transceiver.receiver.track = fakeRemoteTrack(kind, `remote-${kind}-${mid}`);
      this.transceivers.push(transceiver);
    }
    const track = transceiver.receiver.track;
    const sends = direction === 'sendonly' || direction === 'sendrecv';
    // The track leaves whichever stream it was in; a sending section puts it in its stream.
    for (const stream of this.remoteStreams.values()) stream.removeTrack(track);
    if (!sends) {
      transceiver.receiving = false;
      return;
    }
    const id = streamId ?? '-';
    let stream = this.remoteStreams.get(id);
    if (!stream) {
      stream = new FakeMediaStream(id);
      this.remoteStreams.set(id, stream);
    }
    stream.addTrack(track);
    if (!transceiver.receiving) {
      transceiver.receiving = true;
      this.ontrack?.({ track, streams: [stream as unknown as MediaStream], transceiver });
    }
  }
}

function fakeTransceiver(
  kind: string,
  direction: RTCRtpTransceiverDirection,
  track: MediaStreamTrack | null,
): FakeTransceiver {
  const sender: FakeSender = {
    track,
    async replaceTrack(next) {
      sender.track = next;
    },
  };
  return {
    mid: null,
    kind,
    direction,
    sender,
    receiver: { track: fakeRemoteTrack(kind, `remote-${kind}`) },
    receiving: false,
  };
}

function fakeRemoteTrack(kind: string, id: string): MediaStreamTrack {
  return { kind, id } as MediaStreamTrack;
}

/** A MediaStream stand-in that keeps its tracks. */
export class FakeMediaStream {
  readonly id: string;
  private readonly tracks: MediaStreamTrack[];

  constructor(id: string, tracks: MediaStreamTrack[] = []) {
    this.id = id;
    this.tracks = [...tracks];
  }

  getTracks(): MediaStreamTrack[] {
    return [...this.tracks];
  }

  addTrack(track: MediaStreamTrack): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }

  removeTrack(track: MediaStreamTrack): void {
    const index = this.tracks.indexOf(track);
    if (index >= 0) this.tracks.splice(index, 1);
  }
}

/** A local track stand-in. */
export function fakeTrack(kind: 'audio' | 'video', id = `local-${kind}`): MediaStreamTrack {
  return { kind, id, enabled: true } as MediaStreamTrack;
}

/** A local stream stand-in holding `tracks`. */
export function fakeStream(tracks: MediaStreamTrack[], id = 'local-stream'): MediaStream {
  return new FakeMediaStream(id, tracks) as unknown as MediaStream;
}
