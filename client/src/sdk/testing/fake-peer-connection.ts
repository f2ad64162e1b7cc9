/**
 * Just enough of RTCPeerConnection to test the SDK's negotiation logic
 * without a browser: descriptions are labelled strings, transceivers are
 * plain objects, and events are fired by the test.
 */

interface FakeTransceiver {
  kind: string;
  direction: RTCRtpTransceiverDirection;
  sender: { track: MediaStreamTrack | null };
  receiver: { track: MediaStreamTrack };
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
  restarts = 0;
  closed = false;
  private offers = 0;
  onnegotiationneeded: (() => void) | null = null;
  onicecandidate: ((event: { candidate: RTCIceCandidate | null }) => void) | null = null;
  ontrack: ((event: { track: MediaStreamTrack; streams: MediaStream[] }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;

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

  getSenders(): { track: MediaStreamTrack | null }[] {
    return this.transceivers.map((transceiver) => transceiver.sender);
  }

  getReceivers(): { track: MediaStreamTrack }[] {
    return this.transceivers.map((transceiver) => transceiver.receiver);
  }

  addTransceiver(kind: string, init: { direction: RTCRtpTransceiverDirection }): void {
    this.transceivers.push(fakeTransceiver(kind, init.direction, null));
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
  }

  async setLocalDescription(): Promise<void> {
    await Promise.resolve();
    if (this.signalingState === 'have-remote-offer') {
      this.localDescription = { type: 'answer', sdp: `answer to ${this.remoteDescription?.sdp}` };
      this.signalingState = 'stable';
    } else {
      this.offers += 1;
      this.localDescription = {
        type: 'offer',
        sdp: `offer ${this.offers} m=${this.transceivers.map((t) => t.kind).join(',')}`,
      };
      this.signalingState = 'have-local-offer';
    }
  }

  async setRemoteDescription(description: { type: RTCSdpType; sdp: string }): Promise<void> {
    await Promise.resolve();
    this.remoteDescription = description;
    if (description.type === 'offer') {
      // An offer arriving over our own is an implicit rollback (perfect negotiation).
      this.signalingState = 'have-remote-offer';
      for (const kind of description.sdp.match(/m=(.*)$/)?.[1]?.split(',') ?? [])
        if (!this.transceivers.some((t) => t.kind === kind))
          this.transceivers.push(fakeTransceiver(kind, 'recvonly', null));
    } else this.signalingState = 'stable';
  }

  async addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void> {
    if (!this.remoteDescription) throw new Error('InvalidStateError: no remote description');
    this.candidates.push(candidate);
  }

  restartIce(): void {
    this.restarts += 1;
  }

  close(): void {
    this.closed = true;
    this.signalingState = 'closed';
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
}

function fakeTransceiver(
  kind: string,
  direction: RTCRtpTransceiverDirection,
  track: MediaStreamTrack | null,
): FakeTransceiver {
  return {
    kind,
    direction,
    sender: { track },
    receiver: { track: { kind, id: `remote-${kind}` } as MediaStreamTrack },
  };
}

/** A local track stand-in. */
export function fakeTrack(kind: 'audio' | 'video'): MediaStreamTrack {
  return { kind, id: `local-${kind}`, enabled: true } as MediaStreamTrack;
}

/** A local stream stand-in holding `tracks`. */
export function fakeStream(tracks: MediaStreamTrack[]): MediaStream {
  return { id: 'local-stream', getTracks: () => tracks } as unknown as MediaStream;
}
