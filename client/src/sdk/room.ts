/**
 * A room as a browser sees it: the signaling connection, the other
 * participants, and the media: in `p2p` rooms one `PeerLink` per remote
 * participant (a mesh), in `sfu` rooms one `SfuSession` (a publish and a
 * subscribe connection with the server). Both raise the same events, so an
 * application need not care which mode the room is in. This is what
 * `connect()` returns.
 */
import type { BackoffOptions } from './backoff.js';
import {
  binaryPayload,
  checkDataOptions,
  type DataChannelInfo,
  type DataMessage,
  type DataPath,
  type DataStats,
  emptyDataStats,
  type SendDataOptions,
  signalingDataMessage,
} from './data-channels.js';
import { TypedEmitter } from './emitter.js';
import { DataChannelUnavailableError } from './errors.js';
import { isPolite, makesFirstOffer } from './negotiation.js';
import { type LocalTrack, PeerLink } from './peer.js';
import type {
  JoinedMessage,
  ParticipantInfo,
  RecordingState,
  RoomInfo,
  ServerMessage,
  TrackInfo,
  TrackSource,
} from './protocol.js';
import { PendingRequests } from './requests.js';
import { defaultTrackSource, type SfuConnectionName, SfuSession } from './sfu-session.js';
import { type CloseInfo, SignalClient, type SignalState, type WebSocketFactory } from './signal-client.js';

/** Options of `connect`. */
export interface ConnectOptions {
  /** The signaling URL, `ws(s)://host/rtc`. */
  url: string;
  /** An access token for the room (docs/protocol.md, "Access tokens"). */
  token: string;
  /** Camera and microphone (or any stream) to send to every participant; `publish` adds more later. */
  localStream?: MediaStream;
  /**
   * What the tracks of `localStream` show, told to an sfu server; by default
   * audio is `microphone` and video `camera` (`screen` for a captured display).
   */
  localSources?: Partial<Record<'audio' | 'video', TrackSource>>;
  /** `relay` sends everything through TURN (the servers from `joined`). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** The room meant: the server refuses (wrong_room) a token for another one. */
  room?: string;
  /** Participant metadata sent with `join`. */
  metadata?: unknown;
  /** Reconnection delays after the WebSocket drops. */
  backoff?: Partial<BackoffOptions>;
  /** Stop reconnecting this long after a drop, ms (default 60 s). */
  reconnectTimeoutMs?: number;
  /** How long `startRecording` and `stopRecording` wait for the server's answer, ms (default 15 s). */
  requestTimeoutMs?: number;
  /** Defaults to the browser's WebSocket (tests pass a fake). */
  createWebSocket?: WebSocketFactory;
  /** Defaults to `new RTCPeerConnection(configuration)` (tests pass a fake). */
  createPeerConnection?: (configuration: RTCConfiguration) => RTCPeerConnection;
}

export type { DataMessage, SendDataOptions } from './data-channels.js';

/** Events of `Room`. */
export type RoomEvents = {
  participantJoined: [participant: ParticipantInfo];
  participantUpdated: [participant: ParticipantInfo];
  participantLeft: [participant: ParticipantInfo, reason: string];
  /** A remote track arrived; `stream` groups the participant's tracks (attach it to a <video>). */
  trackAdded: [participantId: string, track: MediaStreamTrack, stream: MediaStream];
  trackRemoved: [participantId: string, track: MediaStreamTrack];
  data: [message: DataMessage];
  /** The signaling connection's state. */
  connectionStateChanged: [state: SignalState];
  /**
   * The media connection to one participant; in sfu rooms the id is that of a
   * connection with the server, `'publish'` or `'subscribe'` (SfuConnectionName).
   */
  peerConnectionStateChanged: [participantId: string, state: RTCPeerConnectionState];
  /** Sfu rooms: the participant the server hears speaking loudest now (perhaps this one), or null for silence. */
  activeSpeakerChanged: [participantId: string | null];
  /**
   * Sfu rooms: a recording of the room started (`active: true`) or ended
   * (`active: false`), whoever asked, this client included.
   */
  recording: [recording: RecordingState];
  /** An `error` from the server, or a negotiation failure. */
  error: [error: { code: string; message: string }];
  /** The room is over for this client: it left, was removed, or the connection could not be restored. */
  disconnected: [info: CloseInfo];
};

/** One participant's view of a room. */
export class Room extends TypedEmitter<RoomEvents> {
  private readonly options: ConnectOptions;
  private readonly signal: SignalClient;
  private readonly remote = new Map<string, ParticipantInfo>();
  private readonly peers = new Map<string, PeerLink>();
  /** Remote tracks announced through `trackAdded`, per participant, so each removal is announced once. */
  private readonly remoteTracks = new Map<string, Set<MediaStreamTrack>>();
  private readonly local: LocalTrack[] = [];
  /** The media of an sfu room; undefined in p2p rooms. */
  private sfu: SfuSession | undefined;
  private speaker: string | null = null;
  private iceServers: RTCIceServer[] = [];
  private self: ParticipantInfo | undefined;
  private info: RoomInfo | undefined;
  private leaving: Promise<void> | undefined;
  /** Data counters over the life of the room, whatever the sessions. */
  private readonly dataCounters: DataStats = emptyDataStats();
  /** The room's active recording, as the server last said. */
  private recordingState: RecordingState | null = null;
  /** `recording_start` and `recording_stop` awaiting their answer. */
  private readonly recordingRequests: PendingRequests<RecordingState>;

  /** Use `connect()`; the constructor does not connect. */
  constructor(options: ConnectOptions) {
    super();
    this.options = options;
    this.recordingRequests = new PendingRequests('recording', options.requestTimeoutMs);
    if (options.localStream)
      for (const track of options.localStream.getTracks())
        this.local.push({
          track,
          stream: options.localStream,
          source: options.localSources?.[track.kind as 'audio' | 'video'] ?? defaultTrackSource(track),
        });
    this.signal = new SignalClient({
      url: options.url,
      token: options.token,
      metadata: options.metadata,
      room: options.room,
      backoff: options.backoff,
      reconnectTimeoutMs: options.reconnectTimeoutMs,
      createWebSocket: options.createWebSocket,
    });
    this.signal.on('joined', (joined) => this.onJoined(joined));
    this.signal.on('message', (message) => this.onMessage(message));
    this.signal.on('state', (state) => this.emit('connectionStateChanged', state));
    this.signal.on('closed', (info) => {
      this.closePeers();
      this.recordingRequests.cancelAll('the room is over');
      this.emit('disconnected', info);
    });
  }

  /** Connects and joins; resolves once joined. */
  async join(): Promise<this> {
    await this.signal.connect();
    return this;
  }

  /** This participant, as the server last described it. */
  get localParticipant(): ParticipantInfo | undefined {
    return this.self;
  }

  /** The room, as `joined` described it. */
  get roomInfo(): RoomInfo | undefined {
    return this.info;
  }

  /** The signaling connection's state. */
  get connectionState(): SignalState {
    return this.signal.state;
  }

  /** The room's mode, once joined: `p2p` (a mesh of calls) or `sfu` (media through the server). */
  get mode(): 'p2p' | 'sfu' | undefined {
    return this.info?.mode;
  }

  /** Sfu rooms: the participant speaking loudest now, as the server last said; null for none. */
  get activeSpeaker(): string | null {
    return this.speaker;
  }

  /**
   * Sfu rooms: the room's recording while one is active (whoever started it,
   * the admin API included), else null. Set from `joined`, then from every
   * `recording` event.
   */
  get recording(): RecordingState | null {
    return this.recordingState;
  }

  /** The other participants. */
  get participants(): ParticipantInfo[] {
    return [...this.remote.values()];
  }

  /** The participant with this id, if it is in the room. */
  participant(participantId: string): ParticipantInfo | undefined {
    return this.remote.get(participantId);
  }

  /**
   * The RTCPeerConnection to a participant, once there is one (for stats and
   * inspection). In sfu rooms, `'publish'` and `'subscribe'` name the two
   * connections with the server, and participants have none of their own.
   */
  peerConnection(participantId: string): RTCPeerConnection | undefined {
    if (this.sfu) return isSfuConnection(participantId) ? this.sfu.peerConnection(participantId) : undefined;
    return this.peers.get(participantId)?.pc;
  }

  /**
   * Statistics of the connection to a participant (`RTCPeerConnection.getStats`).
   * In sfu rooms: of the subscribe connection, with only that participant's
   * `inbound-rtp` records; `'publish'` and `'subscribe'` give a whole connection's.
   */
  async getStats(participantId: string): Promise<RTCStatsReport | undefined> {
    if (this.sfu)
      return isSfuConnection(participantId)
        ? this.sfu.peerConnection(participantId)?.getStats()
        : this.sfu.statsOf(participantId);
    return this.peers.get(participantId)?.pc.getStats();
  }

  /**
   * Sends the tracks of a stream to every participant, now and to those who
   * join later. `source` says what they show to an sfu server (by default as
   * for `localStream`, e.g. `screen` for a shared screen).
   */
  publish(
    stream: MediaStream,
    options: { source?: Partial<Record<'audio' | 'video', TrackSource>> } = {},
  ): void {
    this.publishTracks(
      stream.getTracks().map((track) => ({
        track,
        stream,
        source: options.source?.[track.kind as 'audio' | 'video'] ?? defaultTrackSource(track),
      })),
    );
  }

  /**
   * Sends one track of a stream (the others stay as they are), e.g. the
   * camera again after `unpublish`. Remote sides group it with the stream's
   * other tracks.
   */
  publishTrack(track: MediaStreamTrack, stream: MediaStream, source = defaultTrackSource(track)): void {
    this.publishTracks([{ track, stream, source }]);
  }

  private publishTracks(tracks: LocalTrack[]): void {
    const added: LocalTrack[] = [];
    for (const local of tracks) {
      if (this.local.some((existing) => existing.track === local.track)) continue;
      this.local.push(local);
      added.push(local);
      for (const peer of this.peers.values()) peer.addTrack(local);
    }
    // One renegotiation with the server for all of them.
    this.sfu?.addTracks(added);
  }

  /** Stops sending a track to everyone. */
  unpublish(track: MediaStreamTrack): void {
    const index = this.local.findIndex((local) => local.track === track);
    if (index < 0) return;
    this.local.splice(index, 1);
    for (const peer of this.peers.values()) peer.removeTrack(track);
    this.sfu?.removeTrack(track);
  }

  /**
   * Mutes or unmutes the local tracks of a kind: they keep flowing but carry
   * silence or black (no renegotiation), and the room is told with `mute`
   * (in sfu rooms the server also stops forwarding them meanwhile).
   */
  setMuted(kind: 'audio' | 'video', muted: boolean): void {
    for (const local of this.local) if (local.track.kind === kind) local.track.enabled = !muted;
    this.signal.send({ type: 'mute', kind, muted });
    if (this.self) this.self = { ...this.self, muted: { ...this.self.muted, [kind]: muted } };
  }

  /** Changes the display name or metadata; everyone gets `participantUpdated`. */
  update(changes: { name?: string; metadata?: unknown }): void {
    this.signal.send({ type: 'update', ...changes });
  }

  /**
   * Sends data to everyone else, or to the participants listed in `to`.
   * `payload` is any JSON value, or in sfu rooms binary (an ArrayBuffer or a
   * typed array; receivers get a Uint8Array).
   *
   * In sfu rooms it goes on the subscribe connection's `reliable` data
   * channel, or its `lossy` one with `reliable: false`; until the channel
   * opens (or while the browser's buffer is full) it waits in a bounded
   * queue. When no channel can carry it (the subscribe connection failed, the
   * server offers no data channels) a JSON payload goes as a signaling `data`
   * message instead. In p2p rooms it is always a signaling `data` message.
   *
   * Returns the path taken: `datachannel` (sent or queued for a channel) or
   * `signaling`. Throws InvalidDataError (topic over 128 characters, over 256
   * recipients), DataTooLargeError (over the channel's max-message-size, or a
   * signaling frame over 64 KiB), DataQueueFullError (the reliable queue holds
   * 256 messages or 1 MiB), BinaryDataUnsupportedError (a binary payload in a
   * p2p room) and DataChannelUnavailableError (a binary payload in an sfu room
   * without a usable channel).
   */
  sendData(payload: unknown, options: SendDataOptions = {}): DataPath {
    const sfu = this.info?.mode === 'sfu';
    if (sfu && this.sfu) return this.sfu.data.send(payload, options);
    checkDataOptions(options);
    if (sfu && binaryPayload(payload))
      throw new DataChannelUnavailableError('the room is over: there is no data channel to send on');
    // Not counted once the room is over (the signaling client is closed and sends nothing).
    if (this.signal.send(signalingDataMessage(payload, options))) this.dataCounters.sentOnSignaling += 1;
    return 'signaling';
  }

  /**
   * Sfu rooms: the data channels the server opened on the subscribe
   * connection (`reliable`, `lossy`), with their state; empty in p2p rooms.
   */
  get dataChannels(): DataChannelInfo[] {
    return this.sfu?.data.channels ?? [];
  }

  /** Counters of the data sent and received (malformed envelopes included), since the room was created. */
  get dataStats(): DataStats {
    return { ...this.dataCounters };
  }

  /**
   * Sfu rooms: starts recording the room (the server writes a file per
   * participant; `audioOnly` leaves the video out). Needs the `record` grant.
   * Resolves with the new recording once the server started it; everyone in
   * the room, this client included, also gets the `recording` event.
   *
   * Rejects with ServerError when the server refuses (`code`:
   * `permission_denied` without the grant, `wrong_mode` in a p2p room,
   * `recording_active` when one is already running, `recording_failed`), with
   * RequestTimeoutError when no answer came within `requestTimeoutMs`, and
   * with RequestCancelledError when the room ended first.
   */
  startRecording(options: { audioOnly?: boolean } = {}): Promise<RecordingState> {
    return this.recordingRequests.start('recording_start', (rid) =>
      this.signal.send({
        type: 'recording_start',
        ...(options.audioOnly !== undefined ? { audioOnly: options.audioOnly } : {}),
        rid,
      }),
    );
  }

  /**
   * Sfu rooms: stops the room's active recording, whoever started it. Needs
   * the `record` grant. Resolves with the recording, now `active: false`;
   * everyone gets the `recording` event. Rejects as `startRecording` does,
   * with ServerError `recording_inactive` when none is active.
   */
  stopRecording(): Promise<RecordingState> {
    return this.recordingRequests.start('recording_stop', (rid) =>
      this.signal.send({ type: 'recording_stop', rid }),
    );
  }

  /** Leaves the room and closes every connection. Resolves when the server confirmed or after 2 s. */
  leave(): Promise<void> {
    this.leaving ??= new Promise<void>((resolve) => {
      if (this.signal.state === 'closed') {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.signal.close(1000, 'leave'), 2_000);
      this.signal.once('closed', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.signal.state !== 'connected') this.signal.close(1000, 'leave');
      else this.signal.send({ type: 'leave' });
    });
    return this.leaving;
  }

  private onJoined(joined: JoinedMessage): void {
    const previous = this.self;
    this.self = joined.participant;
    this.info = joined.room;
    this.iceServers = joined.iceServers;
    if (previous && !joined.resumed) {
      // The session was lost and this is a fresh join under a new id: the old calls are gone, and
      // so are the requests of the old session (the messages queued meanwhile were dropped).
      for (const id of [...this.remote.keys()]) this.removeParticipant(id, 'timeout');
      this.recordingRequests.cancelAll('the session was lost');
    }
    this.joinedRecording(joined.recording);
    const present = new Set(joined.participants.map((participant) => participant.id));
    for (const id of [...this.remote.keys()]) if (!present.has(id)) this.removeParticipant(id, 'left');
    // After a resume, those listed that this client does not know joined while it was away: they are
    // the newcomers, and their offers were kept for it.
    const introducedBy = joined.resumed ? 'participant_joined' : 'joined';
    for (const participant of joined.participants) this.addParticipant(participant, introducedBy);
    if (joined.room.mode !== 'sfu') return;
    // A resumed session keeps its connections with the server; a new one starts over.
    if (this.sfu && joined.resumed) return;
    this.sfu?.close();
    if (this.speaker !== null) {
      this.speaker = null;
      this.emit('activeSpeakerChanged', null);
    }
    this.sfu = this.startSfuSession();
  }

  /** The media of an sfu room: publishes the local tracks, and waits for the server's subscribe offer. */
  private startSfuSession(): SfuSession {
    const session = new SfuSession({
      configuration: this.rtcConfiguration(),
      createPeerConnection:
        this.options.createPeerConnection ?? ((configuration) => new RTCPeerConnection(configuration)),
      signal: (message) => this.signal.send(message),
      onTrack: (participantId, track, stream) => this.emit('trackAdded', participantId, track, stream),
      onTrackRemoved: (participantId, track) => this.emit('trackRemoved', participantId, track),
      onConnectionState: (connection, state) => this.emit('peerConnectionStateChanged', connection, state),
      onPublished: (tracks) => {
        if (this.self) this.self = { ...this.self, tracks };
      },
      onError: (error) => this.emit('error', error),
      onData: (message) => this.emit('data', message),
      dataStats: this.dataCounters,
    });
    session.addTracks(this.local);
    return session;
  }

  /** Records a participant; when this side is the newcomer (makesFirstOffer), opens the call to it. */
  private addParticipant(participant: ParticipantInfo, introducedBy: 'joined' | 'participant_joined'): void {
    if (this.remote.has(participant.id)) {
      this.updateParticipant(participant);
      return;
    }
    this.remote.set(participant.id, participant);
    this.emit('participantJoined', participant);
    if (this.info?.mode !== 'sfu' && makesFirstOffer(introducedBy)) this.ensurePeer(participant.id, true);
  }

  private onMessage(message: ServerMessage): void {
    switch (message.type) {
      case 'participant_joined':
        this.addParticipant(message.participant, 'participant_joined');
        return;
      case 'participant_updated':
        this.updateParticipant(message.participant);
        return;
      case 'participant_left':
        this.removeParticipant(message.participantId, message.reason);
        return;
      case 'offer':
      case 'answer':
        if (this.info?.mode === 'sfu') return; // media goes through the server, not between participants
        void this.ensurePeer(message.from, false).handleDescription(message.type, message.sdp);
        return;
      case 'candidate':
        void this.peers.get(message.from)?.handleCandidate(message.candidate);
        return;
      case 'publish_answer':
        void this.sfu?.handlePublishAnswer(message.sdp, message.tracks, message.rid);
        return;
      case 'subscribe_offer':
        void this.sfu?.handleSubscribeOffer(message.sdp, message.tracks);
        return;
      case 'track_published':
        this.changeTracks(message.participantId, (tracks) => [
          ...tracks.filter((track) => track.id !== message.track.id),
          message.track,
        ]);
        return;
      case 'track_unpublished':
        this.sfu?.trackUnpublished(message.participantId, message.trackId);
        this.changeTracks(message.participantId, (tracks) =>
          tracks.filter((track) => track.id !== message.trackId),
        );
        return;
      case 'active_speaker':
        if (message.participantId === this.speaker) return;
        this.speaker = message.participantId;
        this.emit('activeSpeakerChanged', message.participantId);
        return;
      case 'data':
        this.dataCounters.receivedOnSignaling += 1;
        this.emit('data', {
          from: message.from,
          topic: message.topic,
          payload: message.payload,
          via: 'signaling',
        });
        return;
      case 'recording':
        this.onRecording(message.recording, message.rid);
        return;
      case 'error':
        // A refused request rejects its promise; it is not also an `error` event.
        if (this.recordingRequests.fail(message.rid, message)) return;
        if (message.rid !== undefined) void this.sfu?.handleError(message.rid);
        this.emit('error', { code: message.code, message: message.message });
        return;
      case 'left':
        this.closePeers();
        return;
    }
  }

  /** A `recording` message: the room's recording started or ended; `rid` when it answers this client's request. */
  private onRecording(recording: RecordingState, rid: string | undefined): void {
    if (recording.active) this.recordingState = recording;
    // The end of a recording other than the one known leaves the known one be.
    else if (this.recordingState?.id === recording.id) this.recordingState = null;
    this.emit('recording', recording);
    this.recordingRequests.resolve(rid, recording);
  }

  /**
   * The recording `joined` describes. After a resume or a fresh join, what
   * changed while this client was away is announced as a `recording` event:
   * a recording that ended meanwhile as the one known, with `active: false`.
   */
  private joinedRecording(recording: RecordingState | null | undefined): void {
    const previous = this.recordingState;
    const next = recording?.active ? recording : null;
    this.recordingState = next;
    if (next && next.id !== previous?.id) this.emit('recording', next);
    else if (!next && previous) this.emit('recording', { ...previous, active: false });
  }

  private updateParticipant(participant: ParticipantInfo): void {
    if (participant.id === this.self?.id) {
      this.self = participant;
      return;
    }
    if (!this.remote.has(participant.id)) return;
    this.remote.set(participant.id, participant);
    this.emit('participantUpdated', participant);
  }

  /** A participant's published tracks changed (sfu rooms): its info is updated, and `participantUpdated` says so. */
  private changeTracks(participantId: string, change: (tracks: TrackInfo[]) => TrackInfo[]): void {
    if (participantId === this.self?.id) {
      this.self = { ...this.self, tracks: change(this.self.tracks ?? []) };
      return;
    }
    const participant = this.remote.get(participantId);
    if (!participant) return;
    this.updateParticipant({ ...participant, tracks: change(participant.tracks ?? []) });
  }

  private removeParticipant(participantId: string, reason: string): void {
    this.closePeer(participantId);
    this.sfu?.forgetParticipant(participantId);
    if (this.speaker === participantId) {
      this.speaker = null;
      this.emit('activeSpeakerChanged', null);
    }
    const participant = this.remote.get(participantId);
    if (!participant) return;
    this.remote.delete(participantId);
    this.emit('participantLeft', participant, reason);
  }

  /** The link to a participant, created on first need; `initiator` only matters when it is created. */
  private ensurePeer(remoteId: string, initiator: boolean): PeerLink {
    const existing = this.peers.get(remoteId);
    if (existing) return existing;
    const localId = this.self?.id ?? '';
    const configuration = this.rtcConfiguration();
    const peer = new PeerLink({
      remoteId,
      polite: isPolite(localId, remoteId),
      initiator,
      configuration,
      createPeerConnection:
        this.options.createPeerConnection ?? ((configuration) => new RTCPeerConnection(configuration)),
      signal: (message) => this.signal.send(message),
      localTracks: () => [...this.local],
      onTrack: (track, stream) => {
        let tracks = this.remoteTracks.get(remoteId);
        if (!tracks) {
          tracks = new Set();
          this.remoteTracks.set(remoteId, tracks);
        }
        tracks.add(track);
        this.emit('trackAdded', remoteId, track, stream);
      },
      onTrackRemoved: (track) => {
        if (this.remoteTracks.get(remoteId)?.delete(track)) this.emit('trackRemoved', remoteId, track);
      },
      onConnectionState: (state) => this.emit('peerConnectionStateChanged', remoteId, state),
      onError: (error) =>
        this.emit('error', { code: 'negotiation_failed', message: `with ${remoteId}: ${String(error)}` }),
    });
    this.peers.set(remoteId, peer);
    return peer;
  }

  private closePeer(participantId: string): void {
    const peer = this.peers.get(participantId);
    if (!peer) return;
    this.peers.delete(participantId);
    peer.close();
    this.remoteTracks.delete(participantId);
  }

  private closePeers(): void {
    for (const id of [...this.peers.keys()]) this.closePeer(id);
    this.sfu?.close();
    this.sfu = undefined;
  }

  /** The ICE servers from `joined`, and the transport policy asked for. */
  private rtcConfiguration(): RTCConfiguration {
    const configuration: RTCConfiguration = { iceServers: this.iceServers };
    if (this.options.iceTransportPolicy) configuration.iceTransportPolicy = this.options.iceTransportPolicy;
    return configuration;
  }
}

/** True for the names of the two connections of an sfu room. */
function isSfuConnection(name: string): name is SfuConnectionName {
  return name === 'publish' || name === 'subscribe';
}

/**
 * Joins a room: connects to the signaling server, sends `join`, and resolves
 * with the room once the server answered `joined`. Calls to the other
 * participants start on their own; listen to `trackAdded` to show them.
 */
export function connect(options: ConnectOptions): Promise<Room> {
  return new Room(options).join();
}
