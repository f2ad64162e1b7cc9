/**
 * `Room.sendData` and the `data` event in both room modes: in sfu rooms on
 * the data channels the server opens on the subscribe connection (played
 * here with the fake peer connection's `application` section and
 * `announceDataChannel`), with signaling as the fallback; in p2p rooms
 * through signaling only.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientMessageSchema } from '../../../src/signaling/protocol.js';
import { DATA_CHANNEL_PROTOCOL, type DataMessage } from './data-channels.js';
import {
  BinaryDataUnsupportedError,
  DataChannelUnavailableError,
  DataTooLargeError,
  InvalidDataError,
} from './errors.js';
import { connect, type Room } from './room.js';
import { fakeConnectOptions } from './testing/connect-options.js';
import { readClientBinaryEnvelope, serverBinaryEnvelope, serverTextEnvelope } from './testing/envelopes.js';
import { FakePeerConnection } from './testing/fake-peer-connection.js';
import { type FakeWebSocket, fakeWebSocketFactory } from './testing/fake-web-socket.js';
import { ADA, GRACE, joined, SFU_ROOM } from './testing/messages.js';

/** Lets pending promise callbacks (the fake's async descriptions) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** The first subscribe offer of a server with data channels: an application section, no tracks yet. */
const firstSubscribeOffer = {
  type: 'subscribe_offer' as const,
  sdp: 'subscribe 1 m=0:application',
  tracks: [],
};

/** Grace joins a room of the given mode (Ada is there), without local media. */
async function join(mode: 'p2p' | 'sfu') {
  const factory = fakeWebSocketFactory();
  const connecting = connect({
    ...fakeConnectOptions(factory),
  });
  const socket: FakeWebSocket = factory.sockets[0];
  socket.open();
  socket.receive(joined(GRACE, [ADA], mode === 'sfu' ? { room: SFU_ROOM } : {}));
  const room: Room = await connecting;
  live.push({ room, sockets: factory.sockets });
  await settle();
  const received: DataMessage[] = [];
  room.on('data', (message) => received.push(message));
  return { room, socket, factory, received };
}

/** An sfu room whose subscribe connection is negotiated and whose two channels the server opened. */
async function joinSfuWithChannels(options: { open?: boolean } = {}) {
  const context = await join('sfu');
  context.socket.receive(firstSubscribeOffer);
  await settle();
  const subscriber = FakePeerConnection.created[0];
  const reliable = subscriber.announceDataChannel('reliable', {
    ordered: true,
    protocol: DATA_CHANNEL_PROTOCOL,
  });
  const lossy = subscriber.announceDataChannel('lossy', {
    ordered: false,
    maxRetransmits: 0,
    protocol: DATA_CHANNEL_PROTOCOL,
  });
  if (options.open !== false) {
    subscriber.setConnectionState('connected');
    reliable.open();
    lossy.open();
  }
  return { ...context, subscriber, reliable, lossy };
}

/** Every message a socket sent passes the server's validation. */
function expectValid(socket: FakeWebSocket): void {
  for (const message of socket.sent) {
    const result = clientMessageSchema.safeParse(message);
    expect(result.success, `${JSON.stringify(message)}: ${result.error?.message}`).toBe(true);
  }
}

/** Rooms made by a test, left after it (their data channels' open timers go with them). */
const live: { room: Room; sockets: FakeWebSocket[] }[] = [];

beforeEach(() => {
  FakePeerConnection.created.length = 0;
  FakePeerConnection.sctpMaxMessageSize = 262_144;
});
afterEach(async () => {
  for (const { room, sockets } of live.splice(0)) {
    const leaving = room.leave();
    sockets.at(-1)?.drop(1000);
    await leaving;
  }
  vi.useRealTimers();
});

describe('Room data in an sfu room', () => {
  it('answers the first subscribe offer (no tracks) and takes the server’s channels, opening none', async () => {
    const { room, socket, subscriber, reliable, lossy } = await joinSfuWithChannels({ open: false });
    expect(room.peerConnection('subscribe')).toBe(subscriber);
    expect(socket.sentOfType('subscribe_answer')).toEqual([
      { type: 'subscribe_answer', sdp: 'answer to subscribe 1 m=0:application' },
    ]);
    expect(subscriber.createdDataChannels).toEqual([]);
    expect(room.dataChannels).toEqual([
      { label: 'reliable', readyState: 'connecting', bufferedAmount: 0, queued: 0 },
      { label: 'lossy', readyState: 'connecting', bufferedAmount: 0, queued: 0 },
    ]);
    reliable.open();
    lossy.open();
    expect(room.dataChannels.map(({ label, readyState }) => `${label}:${readyState}`)).toEqual([
      'reliable:open',
      'lossy:open',
    ]);
  });

  it('sends on the channels, queuing until they open, with nothing on signaling', async () => {
    const { room, socket, reliable, lossy } = await joinSfuWithChannels({ open: false });
    expect(room.sendData({ text: 'early' }, { topic: 'chat' })).toBe('datachannel');
    expect(room.dataStats.queued).toBe(1);
    reliable.open();
    lossy.open();
    expect(room.sendData({ x: 3, y: 4 }, { topic: 'cursor', to: [ADA], reliable: false })).toBe(
      'datachannel',
    );
    expect(room.sendData(Uint8Array.of(1, 2, 3), { topic: 'file' })).toBe('datachannel');
    expect(reliable.sent[0]).toBe('{"payload":{"text":"early"},"topic":"chat"}');
    expect(readClientBinaryEnvelope(reliable.sent[1] as Uint8Array)).toEqual({
      header: { topic: 'file' },
      payload: [1, 2, 3],
    });
    expect(lossy.sentJson()).toEqual([{ payload: { x: 3, y: 4 }, topic: 'cursor', to: [ADA] }]);
    expect(socket.sentOfType('data')).toEqual([]);
    expect(room.dataStats).toMatchObject({ sentOnChannels: 3, sentOnSignaling: 0, queued: 0 });
  });

  it('emits data from either channel with via datachannel, from signaling with via signaling, and counts malformed envelopes', async () => {
    const { room, socket, reliable, lossy, received } = await joinSfuWithChannels();
    reliable.receive(serverTextEnvelope({ from: ADA, topic: 'chat', payload: { text: 'hello' } }));
    lossy.receive(serverBinaryEnvelope({ from: null, topic: 'blob' }, Uint8Array.of(9)));
    socket.receive({ type: 'data', from: ADA, topic: 'chat', payload: { text: 'relayed' } });
    reliable.receive('{"from":"PA_4k2Jx9QmZt1B"}');
    lossy.receive(new ArrayBuffer(1));
    expect(received[0]).toEqual({ from: ADA, topic: 'chat', payload: { text: 'hello' }, via: 'datachannel' });
    expect(received[1]).toMatchObject({ from: null, topic: 'blob', via: 'datachannel' });
    expect(received[1].payload).toBeInstanceOf(Uint8Array);
    expect(received[2]).toEqual({ from: ADA, topic: 'chat', payload: { text: 'relayed' }, via: 'signaling' });
    expect(received).toHaveLength(3);
    expect(room.dataStats).toMatchObject({ receivedOnChannels: 2, receivedOnSignaling: 1, malformed: 2 });
  });

  it('throws a clear error over the max-message-size of the SCTP transport', async () => {
    FakePeerConnection.sctpMaxMessageSize = 1_024;
    const { room, reliable } = await joinSfuWithChannels();
    expect(() => room.sendData(new Uint8Array(1_021))).toThrow(DataTooLargeError);
    expect(() => room.sendData(new Uint8Array(1_021))).toThrow(/over the data channel's limit of 1024 bytes/);
    room.sendData(new Uint8Array(1_020));
    expect(reliable.sent).toHaveLength(1);
  });

  it('falls back to signaling when the subscribe connection fails, for JSON only', async () => {
    const { room, socket, subscriber, reliable } = await joinSfuWithChannels({ open: false });
    room.sendData({ text: 'queued' }, { topic: 'chat', reliable: true });
    subscriber.setConnectionState('failed');
    expect(room.sendData({ text: 'after' }, { topic: 'chat', to: [ADA] })).toBe('signaling');
    expect(() => room.sendData(new Uint8Array(8))).toThrow(DataChannelUnavailableError);
    expect(socket.sentOfType('data')).toEqual([
      { type: 'data', topic: 'chat', payload: { text: 'queued' } },
      { type: 'data', topic: 'chat', to: [ADA], payload: { text: 'after' } },
    ]);
    expectValid(socket);
    expect(reliable.sent).toEqual([]);
  });

  it('with a server that offers no data channels: signaling, as before', async () => {
    const { room, socket, received } = await join('sfu');
    room.sendData({ text: 'before the offer' }, { topic: 'chat' });
    socket.receive({ type: 'subscribe_offer', sdp: `subscribe 1 m=0:audio:sendonly:${ADA}`, tracks: [] });
    await settle();
    expect(room.sendData({ text: 'after' }, { topic: 'chat' })).toBe('signaling');
    expect(socket.sentOfType('data').map((message) => message.payload)).toEqual([
      { text: 'before the offer' },
      { text: 'after' },
    ]);
    expect(room.dataChannels).toEqual([]);
    socket.receive({ type: 'data', from: null, payload: 'from the admin API' });
    expect(received).toEqual([
      { from: null, topic: undefined, payload: 'from the admin API', via: 'signaling' },
    ]);
  });

  it('keeps its channels through renegotiations and a resume; takes new ones after a fresh join', async () => {
    const { room, socket, factory, reliable } = await joinSfuWithChannels();
    socket.receive({
      type: 'subscribe_offer',
      sdp: `subscribe 2 m=0:application,1:audio:sendonly:${ADA}`,
      tracks: [{ mid: '1', participantId: ADA, trackId: 'TR_a1', kind: 'audio', source: 'microphone' }],
    });
    await settle();
    room.sendData('after renegotiation');
    expect(reliable.sentJson()).toEqual([{ payload: 'after renegotiation' }]);

    socket.drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 20));
    factory.sockets[1].open();
    factory.sockets[1].receive(joined(GRACE, [ADA], { room: SFU_ROOM, resumed: true }));
    await settle();
    room.sendData('after resume');
    expect(reliable.sentJson().at(-1)).toEqual({ payload: 'after resume' });

    // A session that could not resume starts over: new connections, new channels.
    factory.sockets[1].drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 20));
    factory.sockets[2].open();
    factory.sockets[2].receive(joined('PA_000000000001', [ADA], { room: SFU_ROOM, sessionId: 'SE_other' }));
    await settle();
    expect(room.sendData('waits for the new channel')).toBe('datachannel');
    factory.sockets[2].receive(firstSubscribeOffer);
    await settle();
    const subscriber = FakePeerConnection.created.at(-1)!;
    expect(subscriber).not.toBe(FakePeerConnection.created[0]);
    const fresh = subscriber.announceDataChannel('reliable', { protocol: DATA_CHANNEL_PROTOCOL });
    fresh.open();
    expect(fresh.sentJson()).toEqual([{ payload: 'waits for the new channel' }]);
    expect(reliable.sentJson()).toHaveLength(2);
    expect(factory.sockets[2].sentOfType('data')).toEqual([]);
  });

  it('drops what was queued for a session that is over', async () => {
    const { room, factory, socket } = await joinSfuWithChannels({ open: false });
    room.sendData({ to: 'the old session' }, { to: [ADA] });
    socket.drop(1006);
    await new Promise((resolve) => setTimeout(resolve, 20));
    factory.sockets[1].open();
    factory.sockets[1].receive(joined('PA_000000000001', [ADA], { room: SFU_ROOM, sessionId: 'SE_other' }));
    await settle();
    expect(room.dataStats).toMatchObject({ dropped: 1, queued: 0 });
    expect(factory.sockets[1].sentOfType('data')).toEqual([]);
  });
});

describe('Room data in a p2p room', () => {
  it('sends JSON through signaling, without the sfu-only option on the wire', async () => {
    const { room, socket, received } = await join('p2p');
    expect(room.sendData({ text: 'hi' }, { topic: 'chat', reliable: false })).toBe('signaling');
    expect(socket.sentOfType('data')).toEqual([{ type: 'data', topic: 'chat', payload: { text: 'hi' } }]);
    expectValid(socket);
    socket.receive({ type: 'data', from: ADA, topic: 'chat', payload: { text: 'hello' } });
    expect(received).toEqual([{ from: ADA, topic: 'chat', payload: { text: 'hello' }, via: 'signaling' }]);
    expect(room.dataChannels).toEqual([]);
    expect(room.dataStats).toMatchObject({ sentOnSignaling: 1, receivedOnSignaling: 1 });
  });

  it('refuses binary payloads with a TypeError, and bad options, sending nothing', async () => {
    const { room, socket } = await join('p2p');
    for (const payload of [
      new Uint8Array(4),
      new ArrayBuffer(4),
      new Float32Array(1),
      new DataView(new ArrayBuffer(2)),
    ]) {
      expect(() => room.sendData(payload)).toThrow(BinaryDataUnsupportedError);
      expect(() => room.sendData(payload)).toThrow(TypeError);
    }
    expect(() => room.sendData(1, { topic: 'x'.repeat(200) })).toThrow(InvalidDataError);
    expect(() => room.sendData('x'.repeat(70_000))).toThrow(
      expect.objectContaining({ code: 'ERR_DATA_TOO_LARGE', path: 'signaling' }),
    );
    expect(socket.sentOfType('data')).toEqual([]);
  });
});
