import { beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, type Room } from './room.js';
import { fakeConnectOptions } from './testing/connect-options.js';
import { FakePeerConnection, fakeStream, fakeTrack } from './testing/fake-peer-connection.js';
import { type FakeWebSocket, fakeWebSocketFactory } from './testing/fake-web-socket.js';
import { joined, participant } from './testing/messages.js';

const ADA = 'PA_4k2Jx9QmZt1B'; // sorts first: polite
const GRACE = 'PA_7Hq0sLwE3nVa';
const HOPPER = 'PA_9zzzzzzzzzzz';

/** Lets pending promise callbacks (the fake's async descriptions) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

async function joinAs(selfId: string, others: string[], options: { relay?: boolean } = {}) {
  const factory = fakeWebSocketFactory();
  const audio = fakeTrack('audio');
  const video = fakeTrack('video');
  const connecting = connect({
    url: 'ws://127.0.0.1/rtc',
    token: 't',
    localStream: fakeStream([audio, video]),
    createWebSocket: factory.create,
    createPeerConnection: FakePeerConnection.create,
    ...(options.relay ? { iceTransportPolicy: 'relay' as const } : {}),
  });
  const socket: FakeWebSocket = factory.sockets[0];
  socket.open();
  socket.receive(joined(selfId, others));
  const room: Room = await connecting;
  return { room, socket, audio, video };
}

beforeEach(() => {
  FakePeerConnection.created.length = 0;
});

describe('Room', () => {
  it('as the newcomer, offers to everyone already there with its tracks and the ICE servers', async () => {
    const { room, socket, audio, video } = await joinAs(GRACE, [ADA, HOPPER], { relay: true });
    expect(room.participants.map((p) => p.id)).toEqual([ADA, HOPPER]);
    expect(FakePeerConnection.created).toHaveLength(2);
    const [toAda] = FakePeerConnection.created;
    expect(toAda.configuration).toEqual({
      iceServers: [{ urls: ['turn:127.0.0.1:3478?transport=udp'], username: 'u', credential: 'c' }],
      iceTransportPolicy: 'relay',
    });
    expect(toAda.getSenders().map((sender) => sender.track)).toEqual([audio, video]);
    toAda.fireNegotiationNeeded();
    await settle();
    expect(socket.sentOfType('offer')).toEqual([{ type: 'offer', to: ADA, sdp: 'offer 1 m=audio,video' }]);
    socket.receive({ type: 'answer', from: ADA, sdp: 'answer to offer 1 m=audio,video' });
    socket.receive({
      type: 'candidate',
      from: ADA,
      candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' },
    });
    await settle();
    expect(toAda.signalingState).toBe('stable');
    expect(toAda.candidates).toEqual([{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }]);
  });

  it('as a participant already there, waits for the newcomer and answers with its own tracks', async () => {
    const { socket, audio, video } = await joinAs(ADA, []);
    socket.receive({ type: 'participant_joined', participant: participant(GRACE) });
    expect(FakePeerConnection.created).toHaveLength(0);
    socket.receive({ type: 'offer', from: GRACE, sdp: 'offer 1 m=audio,video' });
    await settle();
    expect(FakePeerConnection.created).toHaveLength(1);
    const pc = FakePeerConnection.created[0];
    // Its tracks went into the transceivers the offer created, not new ones.
    expect(pc.getTransceivers().map((t) => [t.kind, t.direction, t.sender.track])).toEqual([
      ['audio', 'sendrecv', audio],
      ['video', 'sendrecv', video],
    ]);
    expect(socket.sentOfType('answer')).toEqual([
      { type: 'answer', to: GRACE, sdp: 'answer to offer 1 m=audio,video' },
    ]);
  });

  it('trickles its candidates to the participant, and the end of candidates as null', async () => {
    const { socket } = await joinAs(GRACE, [ADA]);
    const pc = FakePeerConnection.created[0];
    pc.onicecandidate?.({
      candidate: {
        candidate: 'candidate:2 1 udp 5 127.0.0.1 7 typ relay',
        sdpMid: '0',
        sdpMLineIndex: 0,
        usernameFragment: 'uf',
      } as RTCIceCandidate,
    });
    pc.onicecandidate?.({ candidate: null });
    expect(socket.sentOfType('candidate')).toEqual([
      {
        type: 'candidate',
        to: ADA,
        candidate: {
          candidate: 'candidate:2 1 udp 5 127.0.0.1 7 typ relay',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'uf',
        },
      },
      { type: 'candidate', to: ADA, candidate: null },
    ]);
  });

  it('on colliding offers, the impolite side ignores the other offer (and its candidates)', async () => {
    const { room, socket } = await joinAs(GRACE, [ADA]); // Grace is impolite towards Ada
    const pc = FakePeerConnection.created[0];
    const errors = vi.fn();
    room.on('error', errors);
    pc.fireNegotiationNeeded();
    await settle();
    expect(pc.signalingState).toBe('have-local-offer');
    socket.receive({ type: 'offer', from: ADA, sdp: 'offer 1 m=audio,video' });
    socket.receive({
      type: 'candidate',
      from: ADA,
      candidate: { candidate: 'candidate:9 1 udp 1 127.0.0.1 9 typ host' },
    });
    await settle();
    expect(pc.remoteDescription).toBeNull();
    expect(socket.sentOfType('answer')).toEqual([]);
    expect(errors).not.toHaveBeenCalled();
  });

  it('on colliding offers, the polite side takes the other offer and answers it', async () => {
    const { socket } = await joinAs(ADA, [GRACE]); // Ada is polite towards Grace
    const pc = FakePeerConnection.created[0];
    pc.fireNegotiationNeeded();
    await settle();
    socket.receive({ type: 'offer', from: GRACE, sdp: 'offer 1 m=audio,video' });
    await settle();
    expect(pc.remoteDescription).toEqual({ type: 'offer', sdp: 'offer 1 m=audio,video' });
    expect(socket.sentOfType('answer')).toHaveLength(1);
  });

  it('restarts ICE when the connection fails, on the side that made the first offer only', async () => {
    const newcomer = await joinAs(GRACE, [ADA]);
    const offering = FakePeerConnection.created[0];
    offering.setConnectionState('failed');
    expect(offering.restarts).toBe(1);
    const states = vi.fn();
    newcomer.room.on('peerConnectionStateChanged', states);
    offering.setConnectionState('connected');
    expect(states).toHaveBeenCalledWith(ADA, 'connected');

    const { socket } = await joinAs(ADA, []);
    socket.receive({ type: 'participant_joined', participant: participant(GRACE) });
    socket.receive({ type: 'offer', from: GRACE, sdp: 'offer 1 m=audio,video' });
    await settle();
    const answering = FakePeerConnection.created[1];
    answering.setConnectionState('failed');
    expect(answering.restarts).toBe(0);
  });

  it('closes the connection and reports the tracks gone when a participant leaves', async () => {
    const { room, socket } = await joinAs(GRACE, [ADA]);
    const pc = FakePeerConnection.created[0];
    const stream = fakeStream([]);
    const added = vi.fn();
    const removed = vi.fn();
    const left = vi.fn();
    room.on('trackAdded', added);
    room.on('trackRemoved', removed);
    room.on('participantLeft', left);
    const remoteVideo = pc.getReceivers()[1].track;
    pc.ontrack?.({ track: remoteVideo, streams: [stream] });
    expect(added).toHaveBeenCalledWith(ADA, remoteVideo, stream);
    socket.receive({ type: 'participant_left', participantId: ADA, reason: 'left' });
    expect(pc.closed).toBe(true);
    expect(removed).toHaveBeenCalledWith(ADA, remoteVideo);
    expect(removed).toHaveBeenCalledTimes(1);
    expect(left).toHaveBeenCalledWith(expect.objectContaining({ id: ADA }), 'left');
    expect(room.participants).toEqual([]);
  });

  it('relays data, mute and update', async () => {
    const { room, socket, audio } = await joinAs(GRACE, [ADA]);
    const data = vi.fn();
    room.on('data', data);
    socket.receive({ type: 'data', from: ADA, topic: 'chat', payload: { text: 'hello' } });
    expect(data).toHaveBeenCalledWith({
      from: ADA,
      topic: 'chat',
      payload: { text: 'hello' },
      via: 'signaling',
    });
    expect(room.sendData({ text: 'hi' }, { topic: 'chat' })).toBe('signaling');
    room.setMuted('audio', true);
    room.update({ name: 'Grace H.' });
    expect(audio.enabled).toBe(false);
    expect(socket.sent.slice(-3)).toEqual([
      { type: 'data', topic: 'chat', payload: { text: 'hi' } },
      { type: 'mute', kind: 'audio', muted: true },
      { type: 'update', name: 'Grace H.' },
    ]);
    const updated = vi.fn();
    room.on('participantUpdated', updated);
    socket.receive({
      type: 'participant_updated',
      participant: { ...participant(ADA), muted: { audio: false, video: true } },
    });
    expect(updated).toHaveBeenCalledWith(expect.objectContaining({ muted: { audio: false, video: true } }));
    expect(room.participant(ADA)?.muted.video).toBe(true);
  });

  it('leave sends leave and resolves when the server closes', async () => {
    const { room, socket } = await joinAs(GRACE, [ADA]);
    const disconnected = vi.fn();
    room.on('disconnected', disconnected);
    const leaving = room.leave();
    expect(socket.sentOfType('leave')).toHaveLength(1);
    socket.receive({ type: 'left', reason: 'left' });
    socket.drop(1000);
    await leaving;
    expect(FakePeerConnection.created[0].closed).toBe(true);
    expect(disconnected).toHaveBeenCalledWith({ code: 1000, reason: '' });
    expect(room.connectionState).toBe('closed');
  });

  it('after a resume keeps its calls; after a fresh join starts them over', async () => {
    vi.useFakeTimers();
    try {
      const factory = fakeWebSocketFactory();
      const connecting = connect({
        ...fakeConnectOptions(factory),
      });
      factory.sockets[0].open();
      factory.sockets[0].receive(joined(GRACE, [ADA]));
      const room = await connecting;
      const first = FakePeerConnection.created[0];
      factory.sockets[0].drop(1006);
      await vi.advanceTimersByTimeAsync(10);
      factory.sockets[1].open();
      // Hopper joined while Grace was away: Hopper is the newcomer and its offer is on the way.
      factory.sockets[1].receive(joined(GRACE, [ADA, HOPPER], { resumed: true }));
      expect(first.closed).toBe(false);
      expect(FakePeerConnection.created).toHaveLength(1);
      expect(room.participants.map((p) => p.id)).toEqual([ADA, HOPPER]);

      factory.sockets[1].drop(1006);
      await vi.advanceTimersByTimeAsync(10);
      factory.sockets[2].open();
      factory.sockets[2].receive(joined('PA_000000000001', [ADA], { sessionId: 'SE_other', resumed: false }));
      expect(first.closed).toBe(true);
      expect(FakePeerConnection.created).toHaveLength(2);
      expect(room.localParticipant?.id).toBe('PA_000000000001');
      expect(room.participants.map((p) => p.id)).toEqual([ADA]);
    } finally {
      vi.useRealTimers();
    }
  });
});
