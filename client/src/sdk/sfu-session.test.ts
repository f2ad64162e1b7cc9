import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientMessageSchema } from '../../../src/signaling/protocol.js';
import type { SubscribedTrack, TrackInfo } from './protocol.js';
import { connect, type Room } from './room.js';
import { fakeConnectOptions } from './testing/connect-options.js';
import {
  FakeMediaStream,
  FakePeerConnection,
  fakeStream,
  fakeTrack,
} from './testing/fake-peer-connection.js';
import { type FakeWebSocket, fakeWebSocketFactory } from './testing/fake-web-socket.js';
import { ADA, GRACE, joined, participant, SFU_ROOM } from './testing/messages.js';

const HOPPER = 'PA_9zzzzzzzzzzz';

/** Lets pending promise callbacks (the fake's async descriptions) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const audioInfo = (id: string): TrackInfo => ({ id, kind: 'audio', source: 'microphone', muted: false });
const videoInfo = (id: string): TrackInfo => ({ id, kind: 'video', source: 'camera', muted: false });

/** A subscribe offer in the fake's notation: `MID:KIND:DIRECTION[:STREAM_ID]` per section. */
function subscribeOffer(version: number, sections: string[], tracks: SubscribedTrack[]) {
  return { type: 'subscribe_offer' as const, sdp: `subscribe ${version} m=${sections.join(',')}`, tracks };
}

const sent = (
  mid: string,
  participantId: string,
  trackId: string,
  kind: 'audio' | 'video',
): SubscribedTrack => ({
  mid,
  participantId,
  trackId,
  kind,
  source: kind === 'audio' ? 'microphone' : 'camera',
});

async function joinSfu(options: { withMedia?: boolean; others?: string[] } = {}) {
  const factory = fakeWebSocketFactory();
  const audio = fakeTrack('audio');
  const video = fakeTrack('video');
  const connecting = connect({
    ...fakeConnectOptions(factory),
    ...(options.withMedia === false ? {} : { localStream: fakeStream([audio, video]) }),
  });
  const socket: FakeWebSocket = factory.sockets[0];
  socket.open();
  socket.receive(joined(GRACE, options.others ?? [ADA], { room: SFU_ROOM }));
  const room: Room = await connecting;
  await settle();
  return { room, socket, audio, video, factory };
}

/** Joins, and completes the first publish negotiation. */
async function joinedAndPublished() {
  const context = await joinSfu();
  const [offer] = context.socket.sentOfType('publish');
  context.socket.receive({
    type: 'publish_answer',
    sdp: 'answer p1',
    tracks: [audioInfo('TR_g1'), videoInfo('TR_g2')],
    rid: offer.rid,
  });
  await settle();
  return { ...context, publisher: FakePeerConnection.created[0] };
}

/** Every message a socket sent passes the server's validation. */
function expectValid(socket: FakeWebSocket): void {
  for (const message of socket.sent) {
    const result = clientMessageSchema.safeParse(message);
    expect(result.success, `${JSON.stringify(message)}: ${result.error?.message}`).toBe(true);
  }
}

/** `new MediaStream()` as the browser has it, for the streams the SDK makes itself. */
class CreatedMediaStream extends FakeMediaStream {
  constructor(tracks: MediaStreamTrack[] = []) {
    super('created-stream', tracks);
  }
}

beforeEach(() => {
  FakePeerConnection.created.length = 0;
  vi.stubGlobal('MediaStream', CreatedMediaStream);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('Room in an sfu room', () => {
  it('offers its publish connection at join, with the source of each section, and applies the answer', async () => {
    const { room, socket, audio, video } = await joinSfu();
    expect(room.mode).toBe('sfu');
    // One connection (publish) so far, none per participant.
    expect(FakePeerConnection.created).toHaveLength(1);
    const publisher = FakePeerConnection.created[0];
    expect(room.peerConnection('publish')).toBe(publisher);
    expect(room.peerConnection(ADA)).toBeUndefined();
    expect(publisher.configuration.iceServers).toEqual([
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' },
    ]);
    expect(publisher.getTransceivers().map((t) => [t.mid, t.direction, t.sender.track])).toEqual([
      ['0', 'sendonly', audio],
      ['1', 'sendonly', video],
    ]);
    expect(socket.sentOfType('publish')).toEqual([
      {
        type: 'publish',
        sdp: 'offer 1 m=audio,video',
        tracks: [
          { mid: '0', source: 'microphone' },
          { mid: '1', source: 'camera' },
        ],
        rid: 'publish-1',
      },
    ]);
    socket.receive({
      type: 'publish_answer',
      sdp: 'answer p1',
      tracks: [audioInfo('TR_g1'), videoInfo('TR_g2')],
      rid: 'publish-1',
    });
    await settle();
    expect(publisher.remoteDescription).toEqual({ type: 'answer', sdp: 'answer p1' });
    expect(publisher.signalingState).toBe('stable');
    expect(room.localParticipant?.tracks.map((track) => track.id)).toEqual(['TR_g1', 'TR_g2']);
    // The server is ICE-lite and has all its candidates in its SDP: nothing trickles either way.
    publisher.onicecandidate?.({
      candidate: { candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' } as RTCIceCandidate,
    });
    expect(socket.sentOfType('candidate')).toEqual([]);
    expect(socket.sentOfType('offer')).toEqual([]);
    expectValid(socket);
  });

  it('without local tracks publishes nothing, and still subscribes', async () => {
    const { room, socket } = await joinSfu({ withMedia: false });
    expect(FakePeerConnection.created).toHaveLength(0);
    expect(socket.sentOfType('publish')).toEqual([]);
    const added = vi.fn();
    room.on('trackAdded', added);
    socket.receive(subscribeOffer(1, [`0:audio:sendonly:${ADA}`], [sent('0', ADA, 'TR_a1', 'audio')]));
    await settle();
    expect(FakePeerConnection.created).toHaveLength(1);
    expect(room.peerConnection('subscribe')).toBe(FakePeerConnection.created[0]);
    expect(added).toHaveBeenCalledTimes(1);
    expect(socket.sentOfType('subscribe_answer')).toHaveLength(1);
  });

  it('answers subscribe offers, giving each participant one stream with its tracks', async () => {
    const { room, socket } = await joinedAndPublished();
    const added = vi.fn();
    const removed = vi.fn();
    room.on('trackAdded', added);
    room.on('trackRemoved', removed);
    socket.receive(
      subscribeOffer(
        1,
        [`0:audio:sendonly:${ADA}`, `1:video:sendonly:${ADA}`, `2:video:sendonly:${HOPPER}`],
        [
          sent('0', ADA, 'TR_a1', 'audio'),
          sent('1', ADA, 'TR_a2', 'video'),
          sent('2', HOPPER, 'TR_h1', 'video'),
        ],
      ),
    );
    await settle();
    const subscriber = FakePeerConnection.created[1];
    expect(subscriber.remoteDescription?.sdp).toContain('subscribe 1');
    expect(socket.sentOfType('subscribe_answer')).toEqual([
      {
        type: 'subscribe_answer',
        sdp: `answer to subscribe 1 m=0:audio:sendonly:${ADA},1:video:sendonly:${ADA},2:video:sendonly:${HOPPER}`,
      },
    ]);
    expect(added.mock.calls.map(([id, track]) => [id, track.id])).toEqual([
      [ADA, 'remote-audio-0'],
      [ADA, 'remote-video-1'],
      [HOPPER, 'remote-video-2'],
    ]);
    const adaStream = added.mock.calls[0][2] as MediaStream;
    expect(added.mock.calls[1][2]).toBe(adaStream);
    expect(adaStream.id).toBe(ADA);
    expect(adaStream.getTracks().map((track) => track.id)).toEqual(['remote-audio-0', 'remote-video-1']);
    expect(removed).not.toHaveBeenCalled();
    expect(room.peerConnection(ADA)).toBeUndefined();
    expectValid(socket);
  });

  it('reports a track gone when its section goes inactive, and a reused section as the new track', async () => {
    const { room, socket } = await joinedAndPublished();
    const added = vi.fn();
    const removed = vi.fn();
    room.on('trackAdded', added);
    room.on('trackRemoved', removed);
    socket.receive(
      subscribeOffer(
        1,
        [`0:audio:sendonly:${ADA}`, `1:video:sendonly:${ADA}`],
        [sent('0', ADA, 'TR_a1', 'audio'), sent('1', ADA, 'TR_a2', 'video')],
      ),
    );
    await settle();
    const adaVideo = added.mock.calls[1][1] as MediaStreamTrack;
    const adaStream = added.mock.calls[1][2] as MediaStream;
    // Ada stops her camera: its section goes inactive.
    socket.receive(
      subscribeOffer(2, [`0:audio:sendonly:${ADA}`, '1:video:inactive'], [sent('0', ADA, 'TR_a1', 'audio')]),
    );
    await settle();
    expect(removed.mock.calls).toEqual([[ADA, adaVideo]]);
    expect(adaStream.getTracks().map((track) => track.id)).toEqual(['remote-audio-0']);
    // Hopper's camera reuses the inactive video section.
    socket.receive(
      subscribeOffer(
        3,
        [`0:audio:sendonly:${ADA}`, `1:video:sendonly:${HOPPER}`],
        [sent('0', ADA, 'TR_a1', 'audio'), sent('1', HOPPER, 'TR_h1', 'video')],
      ),
    );
    await settle();
    expect(added).toHaveBeenCalledTimes(3);
    const [id, track, stream] = added.mock.calls[2] as [string, MediaStreamTrack, MediaStream];
    expect([id, track.id, stream.id]).toEqual([HOPPER, 'remote-video-1', HOPPER]);
    expect(removed).toHaveBeenCalledTimes(1);
    // Each offer was answered, in order.
    expect(socket.sentOfType('subscribe_answer').map((answer) => answer.sdp.slice(0, 21))).toEqual([
      'answer to subscribe 1',
      'answer to subscribe 2',
      'answer to subscribe 3',
    ]);
  });

  it('announces a section handed straight to another participant, and tells a track unpublished at once', async () => {
    const { room, socket } = await joinedAndPublished();
    const added = vi.fn();
    const removed = vi.fn();
    const updated = vi.fn();
    room.on('trackAdded', added);
    room.on('trackRemoved', removed);
    room.on('participantUpdated', updated);
    socket.receive(subscribeOffer(1, [`0:video:sendonly:${ADA}`], [sent('0', ADA, 'TR_a2', 'video')]));
    await settle();
    const track = added.mock.calls[0][1] as MediaStreamTrack;
    // No inactive step: the section goes from Ada's video to Hopper's, and the browser fires no `track`.
    socket.receive(subscribeOffer(2, [`0:video:sendonly:${HOPPER}`], [sent('0', HOPPER, 'TR_h1', 'video')]));
    await settle();
    expect(removed.mock.calls).toEqual([[ADA, track]]);
    expect(added.mock.calls.map(([id]) => id)).toEqual([ADA, HOPPER]);
    const hopperStream = added.mock.calls[1][2] as MediaStream;
    expect(hopperStream.getTracks()).toEqual([track]);

    socket.receive({ type: 'track_published', participantId: ADA, track: videoInfo('TR_a3') });
    expect(updated).toHaveBeenLastCalledWith(
      expect.objectContaining({ id: ADA, tracks: [videoInfo('TR_a3')] }),
    );
    socket.receive({ type: 'track_unpublished', participantId: HOPPER, trackId: 'TR_h1' });
    expect(removed.mock.calls.at(-1)).toEqual([HOPPER, track]);
    socket.receive({ type: 'track_unpublished', participantId: ADA, trackId: 'TR_a3' });
    expect(room.participant(ADA)?.tracks).toEqual([]);
    // The offer that makes the section inactive reports nothing more.
    socket.receive(subscribeOffer(3, ['0:video:inactive'], []));
    await settle();
    expect(removed).toHaveBeenCalledTimes(2);
  });

  it('keeps one publish negotiation in flight, and gathers later changes into the next offer', async () => {
    const { room, socket, video } = await joinSfu();
    const publisher = FakePeerConnection.created[0];
    const screen = fakeTrack('video', 'local-screen');
    room.publish(fakeStream([screen], 'screen-stream'), { source: { video: 'screen' } });
    room.unpublish(video);
    await settle();
    // The first offer has no answer yet: nothing more is sent.
    expect(socket.sentOfType('publish')).toHaveLength(1);
    socket.receive({ type: 'publish_answer', sdp: 'answer p1', tracks: [], rid: 'publish-1' });
    await settle();
    const publishes = socket.sentOfType('publish');
    expect(publishes).toHaveLength(2);
    expect(publishes[1]).toEqual({
      type: 'publish',
      sdp: 'offer 2 m=audio,video,video',
      tracks: [
        { mid: '0', source: 'microphone' },
        { mid: '2', source: 'screen' },
      ],
      rid: 'publish-2',
    });
    expect(publisher.getTransceivers()[1].direction).toBe('inactive');
    socket.receive({ type: 'publish_answer', sdp: 'answer p2', tracks: [], rid: 'publish-2' });
    await settle();
    // A new camera reuses the inactive section rather than add one.
    const camera = fakeTrack('video', 'local-camera-2');
    room.publishTrack(camera, fakeStream([camera], 'camera-stream'));
    await settle();
    expect(publisher.getTransceivers().map((t) => [t.mid, t.direction, t.sender.track?.id])).toEqual([
      ['0', 'sendonly', 'local-audio'],
      ['1', 'sendonly', 'local-camera-2'],
      ['2', 'sendonly', 'local-screen'],
    ]);
    expect(socket.sentOfType('publish').at(-1)?.tracks).toEqual([
      { mid: '0', source: 'microphone' },
      { mid: '1', source: 'camera' },
      { mid: '2', source: 'screen' },
    ]);
    // Publishing a track already sent changes nothing.
    room.publish(fakeStream([camera], 'camera-stream'));
    await settle();
    expect(socket.sentOfType('publish')).toHaveLength(3);
    expectValid(socket);
  });

  it('mutes by disabling the tracks and telling the server, without renegotiating', async () => {
    const { room, socket, video } = await joinedAndPublished();
    room.setMuted('video', true);
    await settle();
    expect(video.enabled).toBe(false);
    expect(socket.sent.at(-1)).toEqual({ type: 'mute', kind: 'video', muted: true });
    expect(socket.sentOfType('publish')).toHaveLength(1);
    room.setMuted('video', false);
    expect(video.enabled).toBe(true);
    expect(socket.sent.at(-1)).toEqual({ type: 'mute', kind: 'video', muted: false });
    expect(room.localParticipant?.muted.video).toBe(false);
  });

  it('follows the active speaker, and forgets one that leaves', async () => {
    const { room, socket } = await joinedAndPublished();
    const speakers = vi.fn();
    room.on('activeSpeakerChanged', speakers);
    socket.receive({ type: 'active_speaker', participantId: ADA });
    socket.receive({ type: 'active_speaker', participantId: ADA });
    expect(room.activeSpeaker).toBe(ADA);
    socket.receive({ type: 'active_speaker', participantId: GRACE });
    socket.receive({ type: 'active_speaker', participantId: null });
    socket.receive({ type: 'active_speaker', participantId: ADA });
    socket.receive({ type: 'participant_left', participantId: ADA, reason: 'left' });
    expect(speakers.mock.calls).toEqual([[ADA], [GRACE], [null], [ADA], [null]]);
    expect(room.activeSpeaker).toBeNull();
  });

  it('surfaces a refused publish (wrong_mode) and rolls the offer back so the next change offers again', async () => {
    const { room, socket } = await joinSfu();
    const publisher = FakePeerConnection.created[0];
    const errors = vi.fn();
    room.on('error', errors);
    socket.receive({ type: 'error', code: 'wrong_mode', message: 'publish in a p2p room', rid: 'publish-1' });
    await settle();
    expect(errors).toHaveBeenCalledWith({ code: 'wrong_mode', message: 'publish in a p2p room' });
    expect(publisher.rollbacks).toBe(1);
    expect(publisher.signalingState).toBe('stable');
    // A late answer to the rolled-back offer is not applied.
    socket.receive({ type: 'publish_answer', sdp: 'answer p1', tracks: [], rid: 'publish-1' });
    await settle();
    expect(publisher.remoteDescription).toBeNull();
    room.publish(fakeStream([fakeTrack('video', 'local-screen')], 'screen-stream'));
    await settle();
    expect(socket.sentOfType('publish').map((message) => message.rid)).toEqual(['publish-1', 'publish-2']);
  });

  it('reports negotiation failures on its side as negotiation_failed errors', async () => {
    const { room, socket } = await joinedAndPublished();
    const errors = vi.fn();
    room.on('error', errors);
    socket.receive({ type: 'subscribe_offer', sdp: 'unparsable', tracks: [] });
    await settle();
    expect(errors).toHaveBeenCalledWith(expect.objectContaining({ code: 'negotiation_failed' }));
    expect(socket.sentOfType('subscribe_answer')).toEqual([]);
    // The next offer is still answered.
    socket.receive(subscribeOffer(2, [`0:audio:sendonly:${ADA}`], [sent('0', ADA, 'TR_a1', 'audio')]));
    await settle();
    expect(socket.sentOfType('subscribe_answer')).toHaveLength(1);
  });

  it('restarts ICE on the publish connection when it fails or stays disconnected for 5 s', async () => {
    const { room, socket, publisher } = await joinedAndPublished();
    const states = vi.fn();
    room.on('peerConnectionStateChanged', states);
    vi.useFakeTimers();
    publisher.setConnectionState('disconnected');
    await vi.advanceTimersByTimeAsync(4_000);
    publisher.setConnectionState('connected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(publisher.restarts).toBe(0);
    publisher.setConnectionState('disconnected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(publisher.restarts).toBe(1);
    expect(socket.sentOfType('publish').map((message) => message.rid)).toEqual(['publish-1', 'publish-2']);
    socket.receive({ type: 'publish_answer', sdp: 'answer p2', tracks: [], rid: 'publish-2' });
    await vi.advanceTimersByTimeAsync(0);
    publisher.setConnectionState('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(publisher.restarts).toBe(2);
    expect(socket.sentOfType('publish')).toHaveLength(3);
    expect(states.mock.calls.map(([name, state]) => `${name}:${state}`)).toEqual([
      'publish:disconnected',
      'publish:connected',
      'publish:disconnected',
      'publish:failed',
    ]);
    // The subscribe connection's state is only reported.
    socket.receive(subscribeOffer(1, [`0:audio:sendonly:${ADA}`], [sent('0', ADA, 'TR_a1', 'audio')]));
    await vi.advanceTimersByTimeAsync(0);
    const subscriber = FakePeerConnection.created[1];
    subscriber.setConnectionState('failed');
    expect(states).toHaveBeenLastCalledWith('subscribe', 'failed');
    expect(subscriber.restarts).toBe(0);
  });

  it('gives each participant the stats of its own tracks on the subscribe connection', async () => {
    const { room, socket } = await joinedAndPublished();
    socket.receive(
      subscribeOffer(
        1,
        [`0:audio:sendonly:${ADA}`, `1:audio:sendonly:${HOPPER}`],
        [sent('0', ADA, 'TR_a1', 'audio'), sent('1', HOPPER, 'TR_h1', 'audio')],
      ),
    );
    await settle();
    const report = (await room.getStats(ADA)) as unknown as Map<string, { type: string; mid?: string }>;
    expect([...report.values()].map((record) => `${record.type}:${record.mid ?? ''}`)).toEqual([
      'transport:',
      'inbound-rtp:0',
    ]);
    const whole = (await room.getStats('subscribe')) as unknown as Map<string, unknown>;
    expect(whole.size).toBe(3);
  });

  it('closes both connections and reports every track gone when a participant leaves or the room ends', async () => {
    const { room, socket, publisher } = await joinedAndPublished();
    const removed = vi.fn();
    room.on('trackRemoved', removed);
    socket.receive(
      subscribeOffer(
        1,
        [`0:audio:sendonly:${ADA}`, `1:audio:sendonly:${HOPPER}`],
        [sent('0', ADA, 'TR_a1', 'audio'), sent('1', HOPPER, 'TR_h1', 'audio')],
      ),
    );
    socket.receive({ type: 'participant_joined', participant: participant(HOPPER) });
    await settle();
    socket.receive({ type: 'participant_left', participantId: ADA, reason: 'left' });
    expect(removed.mock.calls.map(([id]) => id)).toEqual([ADA]);
    const leaving = room.leave();
    socket.receive({ type: 'left', reason: 'left' });
    socket.drop(1000);
    await leaving;
    expect(removed.mock.calls.map(([id]) => id)).toEqual([ADA, HOPPER]);
    expect(publisher.closed).toBe(true);
    expect(FakePeerConnection.created[1].closed).toBe(true);
  });

  it('after a resume keeps its connections; after a fresh join publishes again on new ones', async () => {
    const { room, socket, publisher, factory } = await joinedAndPublished();
    socket.receive(subscribeOffer(1, [`0:audio:sendonly:${ADA}`], [sent('0', ADA, 'TR_a1', 'audio')]));
    await settle();
    const removed = vi.fn();
    room.on('trackRemoved', removed);
    socket.drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 20));
    factory.sockets[1].open();
    factory.sockets[1].receive(joined(GRACE, [ADA], { room: SFU_ROOM, resumed: true }));
    await settle();
    expect(FakePeerConnection.created).toHaveLength(2);
    expect(publisher.closed).toBe(false);
    expect(factory.sockets[1].sentOfType('publish')).toEqual([]);
    expect(removed).not.toHaveBeenCalled();

    factory.sockets[1].drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 20));
    factory.sockets[2].open();
    factory.sockets[2].receive(joined('PA_000000000001', [ADA], { room: SFU_ROOM, sessionId: 'SE_other' }));
    await settle();
    expect(publisher.closed).toBe(true);
    expect(FakePeerConnection.created[1].closed).toBe(true);
    expect(removed.mock.calls.map(([id]) => id)).toEqual([ADA]);
    expect(FakePeerConnection.created).toHaveLength(3);
    expect(factory.sockets[2].sentOfType('publish')).toHaveLength(1);
    expect(factory.sockets[2].sentOfType('publish')[0].sdp).toBe('offer 1 m=audio,video');
  });
});
