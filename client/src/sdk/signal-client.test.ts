import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientMessageSchema } from '../../../src/signaling/protocol.js';
import { SignalClient, type SignalState } from './signal-client.js';
import { fakeWebSocketFactory } from './testing/fake-web-socket.js';
import { joined } from './testing/messages.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln';

function setup(options: { reconnectTimeoutMs?: number; room?: string } = {}) {
  const factory = fakeWebSocketFactory();
  const client = new SignalClient({
    url: 'ws://127.0.0.1:7880/rtc',
    token: TOKEN,
    // No jitter: delays are exactly 100, 200, 400… ms.
    backoff: { initialDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 },
    createWebSocket: factory.create,
    ...options,
  });
  const states: SignalState[] = [];
  client.on('state', (state) => states.push(state));
  return { client, sockets: factory.sockets, states };
}

/** Connects and completes the first join. */
async function joinedClient(options: { reconnectTimeoutMs?: number } = {}) {
  const context = setup(options);
  const connecting = context.client.connect();
  context.sockets[0].open();
  context.sockets[0].receive(joined('PA_7Hq0sLwE3nVa'));
  await connecting;
  return context;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SignalClient', () => {
  it('names the room it means in join when told, so that a token for another is refused', async () => {
    const { client, sockets } = setup({ room: 'standup' });
    void client.connect().catch(() => {});
    sockets[0].open();
    expect(sockets[0].sent).toEqual([{ type: 'join', v: 1, token: TOKEN, room: 'standup' }]);
  });

  it('sends join with the protocol version and token once the socket opens', async () => {
    const { client, sockets } = setup();
    const connecting = client.connect();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://127.0.0.1:7880/rtc');
    sockets[0].open();
    expect(sockets[0].sent).toEqual([{ type: 'join', v: 1, token: TOKEN }]);
    sockets[0].receive(joined('PA_7Hq0sLwE3nVa'));
    await expect(connecting).resolves.toMatchObject({
      type: 'joined',
      sessionId: 'SE_bF3kq9ZxW2mPLs8TnV4yQa',
    });
    expect(client.state).toBe('connected');
  });

  it('rejects connect with the server error when the join is refused, and does not retry', async () => {
    const { client, sockets } = setup();
    const connecting = client.connect();
    sockets[0].open();
    sockets[0].receive({ type: 'error', code: 'invalid_token', message: 'bad signature' });
    sockets[0].drop(4001);
    await expect(connecting).rejects.toThrow('invalid_token: bad signature');
    expect(client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
  });

  it('rejects connect when the server cannot be reached', async () => {
    const { client, sockets } = setup();
    const connecting = client.connect();
    sockets[0].drop(1006);
    await expect(connecting).rejects.toThrow('close 1006');
  });

  it('pings every pingIntervalMs and measures the round trip from pong', async () => {
    const { client, sockets } = await joinedClient();
    await vi.advanceTimersByTimeAsync(10_000);
    const pings = sockets[0].sentOfType('ping');
    expect(pings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30);
    sockets[0].receive({ type: 'pong', t: pings[0].t, serverTime: Date.now() });
    expect(client.roundTripMs).toBe(30);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets[0].sentOfType('ping')).toHaveLength(2);
  });

  it('treats a connection silent for two ping intervals as dead and reconnects', async () => {
    const { sockets, states } = await joinedClient();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sockets[0].closedWith?.code).toBe(4000);
    expect(states).toContain('reconnecting');
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(2);
  });

  it('reconnects with backoff after a drop and resumes the session', async () => {
    const { client, sockets, states } = await joinedClient();
    sockets[0].drop(1006);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
    // This attempt fails too: the next waits twice as long.
    sockets[1].drop(1006);
    await vi.advanceTimersByTimeAsync(199);
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);
    sockets[2].open();
    expect(sockets[2].sent).toEqual([
      { type: 'join', v: 1, token: TOKEN, resume: 'SE_bF3kq9ZxW2mPLs8TnV4yQa' },
    ]);
    sockets[2].receive(joined('PA_7Hq0sLwE3nVa', [], { resumed: true }));
    expect(client.state).toBe('connected');
    expect(states).toEqual(['connected', 'reconnecting', 'connected']);
    // A later drop starts again from the first delay.
    sockets[2].drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    expect(sockets).toHaveLength(4);
  });

  it('queues messages while reconnecting and sends them after the resume', async () => {
    const { client, sockets } = await joinedClient();
    sockets[0].drop(1006);
    client.send({ type: 'data', topic: 'chat', payload: { text: 'while away' } });
    await vi.advanceTimersByTimeAsync(100);
    sockets[1].open();
    expect(sockets[1].sentOfType('data')).toEqual([]);
    sockets[1].receive(joined('PA_7Hq0sLwE3nVa', [], { resumed: true }));
    expect(sockets[1].sentOfType('data')).toEqual([
      { type: 'data', topic: 'chat', payload: { text: 'while away' } },
    ]);
  });

  it('joins afresh (no resume) once the grace period is over, dropping the queued messages', async () => {
    const { client, sockets } = await joinedClient();
    sockets[0].drop(1006);
    client.send({ type: 'offer', to: 'PA_4k2Jx9QmZt1B', sdp: 'v=0' });
    await vi.advanceTimersByTimeAsync(100);
    // Attempts keep failing until the 15 s grace is over.
    const droppedAt = Date.now() - 100;
    while (Date.now() - droppedAt < 15_000) {
      sockets[sockets.length - 1].drop(1006);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    sockets[sockets.length - 1].drop(1006);
    await vi.advanceTimersByTimeAsync(1_000);
    const last = sockets[sockets.length - 1];
    expect(last.readyState).toBe(0);
    last.open();
    expect(last.sent).toEqual([{ type: 'join', v: 1, token: TOKEN }]);
    last.receive(joined('PA_0000freshId0', [], { sessionId: 'SE_new', resumed: false }));
    expect(last.sentOfType('offer')).toEqual([]);
  });

  it('joins afresh at once when the server refuses the resume', async () => {
    const { client, sockets } = await joinedClient();
    sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(100);
    sockets[1].open();
    expect(sockets[1].sent[0]).toMatchObject({ resume: 'SE_bF3kq9ZxW2mPLs8TnV4yQa' });
    sockets[1].receive({ type: 'error', code: 'session_not_found', message: 'no such session' });
    sockets[1].drop(4001);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets).toHaveLength(3);
    sockets[2].open();
    expect(sockets[2].sent).toEqual([{ type: 'join', v: 1, token: TOKEN }]);
  });

  it('stops for good on a final close code (removed) and reports why', async () => {
    const { client, sockets } = await joinedClient();
    const closed = vi.fn();
    client.on('closed', closed);
    sockets[0].receive({ type: 'left', reason: 'removed' });
    sockets[0].drop(4010, 'removed');
    expect(client.state).toBe('closed');
    expect(closed).toHaveBeenCalledWith({ code: 4010, reason: 'removed' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(client.send({ type: 'leave' })).toBe(false);
  });

  it('gives up after reconnectTimeoutMs', async () => {
    const { client, sockets } = await joinedClient({ reconnectTimeoutMs: 2_000 });
    const closed = vi.fn();
    client.on('closed', closed);
    sockets[0].drop(1006);
    for (let i = 0; i < 20 && client.state !== 'closed'; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      sockets[sockets.length - 1].drop(1006);
    }
    expect(client.state).toBe('closed');
    expect(closed).toHaveBeenCalledWith({ code: 0, reason: 'gave up reconnecting' });
  });

  it('close() is idempotent and closes the socket with the given code', async () => {
    const { client, sockets } = await joinedClient();
    const closed = vi.fn();
    client.on('closed', closed);
    client.close(1000, 'bye');
    client.close(1000, 'bye');
    expect(sockets[0].closedWith).toEqual({ code: 1000, reason: 'bye' });
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('ignores frames that are not JSON objects with a type', async () => {
    const { client, sockets } = await joinedClient();
    const messages = vi.fn();
    client.on('message', messages);
    for (const data of ['nope', '[]', '42', '{"no":"type"}', new ArrayBuffer(4)])
      sockets[0].onmessage?.({ data });
    expect(messages).not.toHaveBeenCalled();
    expect(client.state).toBe('connected');
  });

  it('builds only messages the server accepts (src/signaling/protocol.ts)', async () => {
    const { client, sockets } = await joinedClient();
    client.send({ type: 'offer', to: 'PA_4k2Jx9QmZt1B', sdp: 'v=0\r\n' });
    client.send({ type: 'answer', to: 'PA_4k2Jx9QmZt1B', sdp: 'v=0\r\n' });
    client.send({
      type: 'candidate',
      to: 'PA_4k2Jx9QmZt1B',
      candidate: {
        candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host',
        sdpMid: '0',
        sdpMLineIndex: 0,
      },
    });
    client.send({ type: 'candidate', to: 'PA_4k2Jx9QmZt1B', candidate: null });
    client.send({ type: 'mute', kind: 'audio', muted: true });
    client.send({ type: 'update', name: 'Ada' });
    client.send({ type: 'data', topic: 'chat', payload: { text: 'hi' } });
    client.send({
      type: 'publish',
      sdp: 'v=0\r\n',
      tracks: [
        { mid: '0', source: 'microphone' },
        { mid: '1', source: 'screen' },
      ],
      rid: 'publish-1',
    });
    client.send({ type: 'subscribe_answer', sdp: 'v=0\r\n' });
    client.send({ type: 'leave' });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets[0].sent.length).toBeGreaterThanOrEqual(12);
    for (const message of sockets[0].sent) {
      const result = clientMessageSchema.safeParse(message);
      expect(result.success, `${JSON.stringify(message)}: ${result.error?.message}`).toBe(true);
    }
  });
});
