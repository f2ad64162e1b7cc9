/**
 * Recording control in `Room`: the room's recording from `joined` and the
 * `recording` messages, and `startRecording` / `stopRecording`, settled by the
 * answer carrying their rid (or an `error` with it), a timeout, or the end of
 * the room.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientMessageSchema, ERROR_CODES } from '../../../src/signaling/protocol.js';
import { RequestCancelledError, RequestTimeoutError, ServerError } from './errors.js';
import { type RecordingState, SERVER_ERROR_CODES } from './protocol.js';
import { REQUEST_TIMEOUT_MS } from './requests.js';
import { type ConnectOptions, connect, type Room } from './room.js';
import { fakeConnectOptions } from './testing/connect-options.js';
import { FakePeerConnection } from './testing/fake-peer-connection.js';
import { type FakeWebSocket, fakeWebSocketFactory } from './testing/fake-web-socket.js';
import { ADA, GRACE, joined, SFU_ROOM } from './testing/messages.js';

const RECORDING: RecordingState = {
  id: 'RE_8fK2mQ9xLw3T',
  active: true,
  startedAt: 1764403260000,
  startedBy: ADA,
};

/** Grace joins an sfu room where Ada is; `recording` is what `joined` says of the room's recording. */
async function join(
  recording: RecordingState | null | undefined = null,
  options: Partial<ConnectOptions> = {},
) {
  const factory = fakeWebSocketFactory();
  const connecting = connect({
    ...fakeConnectOptions(factory),
    ...options,
  });
  const socket: FakeWebSocket = factory.sockets[0];
  socket.open();
  socket.receive(joined(GRACE, [ADA], { room: SFU_ROOM, ...(recording === undefined ? {} : { recording }) }));
  const room: Room = await connecting;
  const events: RecordingState[] = [];
  room.on('recording', (state) => events.push(state));
  const errors: { code: string; message: string }[] = [];
  room.on('error', (error) => errors.push(error));
  return { room, socket, factory, events, errors };
}

/** Whether a promise has settled yet (after pending callbacks ran). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

afterEach(() => {
  vi.useRealTimers();
  FakePeerConnection.created.length = 0;
});

describe('Room: the recording state', () => {
  it('takes the active recording from joined', async () => {
    const { room } = await join(RECORDING);
    expect(room.recording).toEqual(RECORDING);
  });

  it('is null when joined says none, or a server says nothing of recordings', async () => {
    expect((await join(null)).room.recording).toBeNull();
    expect((await join(undefined)).room.recording).toBeNull();
  });

  it('follows the recording messages, and still announces the end', async () => {
    const { room, socket, events } = await join();
    socket.receive({ type: 'recording', recording: RECORDING });
    expect(room.recording).toEqual(RECORDING);
    const ended = { ...RECORDING, active: false };
    socket.receive({ type: 'recording', recording: ended });
    expect(room.recording).toBeNull();
    expect(events).toEqual([RECORDING, ended]);
  });

  it('keeps the recording it knows when another one is said to end', async () => {
    const { room, socket, events } = await join(RECORDING);
    const other = { ...RECORDING, id: 'RE_000000000001', active: false };
    socket.receive({ type: 'recording', recording: other });
    expect(room.recording).toEqual(RECORDING);
    expect(events).toEqual([other]);
  });

  it('after a fresh join, announces what changed while it was away', async () => {
    vi.useFakeTimers();
    const { room, factory, events } = await join(RECORDING);
    factory.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(10);
    factory.sockets[1].open();
    factory.sockets[1].receive(
      joined('PA_000000000001', [ADA], { room: SFU_ROOM, sessionId: 'SE_other', recording: null }),
    );
    expect(room.recording).toBeNull();
    expect(events).toEqual([{ ...RECORDING, active: false }]);

    const next = { ...RECORDING, id: 'RE_000000000002', startedBy: null };
    factory.sockets[1].drop(1006);
    await vi.advanceTimersByTimeAsync(10);
    factory.sockets[2].open();
    factory.sockets[2].receive(
      joined('PA_000000000001', [ADA], {
        room: SFU_ROOM,
        sessionId: 'SE_other',
        resumed: true,
        recording: next,
      }),
    );
    expect(room.recording).toEqual(next);
    expect(events).toEqual([{ ...RECORDING, active: false }, next]);
  });

  it('announces nothing when a resume finds the same recording', async () => {
    vi.useFakeTimers();
    const { room, factory, events } = await join(RECORDING);
    factory.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(10);
    factory.sockets[1].open();
    factory.sockets[1].receive(joined(GRACE, [ADA], { room: SFU_ROOM, resumed: true, recording: RECORDING }));
    expect(room.recording).toEqual(RECORDING);
    expect(events).toEqual([]);
  });
});

describe('Room.startRecording and stopRecording', () => {
  it('start sends recording_start with a rid and resolves with the answer carrying it', async () => {
    const { room, socket, events } = await join();
    const starting = room.startRecording({ audioOnly: true });
    expect(socket.sentOfType('recording_start')).toEqual([
      { type: 'recording_start', audioOnly: true, rid: 'recording-1' },
    ]);
    // Another recording message (no rid, or another's) does not answer it.
    socket.receive({ type: 'recording', recording: { ...RECORDING, id: 'RE_000000000009', active: false } });
    socket.receive({ type: 'recording', recording: RECORDING, rid: 'publish-1' });
    expect(await settled(starting)).toBe(false);
    const mine = { ...RECORDING, startedBy: GRACE };
    socket.receive({ type: 'recording', recording: mine, rid: 'recording-1' });
    await expect(starting).resolves.toEqual(mine);
    expect(room.recording).toEqual(mine);
    expect(events.at(-1)).toEqual(mine);
  });

  it('start leaves audioOnly out unless asked; stop sends recording_stop and resolves with the ended recording', async () => {
    const { room, socket } = await join(RECORDING);
    void room.startRecording();
    const stopping = room.stopRecording();
    expect(socket.sent.slice(-2)).toEqual([
      { type: 'recording_start', rid: 'recording-1' },
      { type: 'recording_stop', rid: 'recording-2' },
    ]);
    const ended = { ...RECORDING, active: false };
    socket.receive({ type: 'recording', recording: ended, rid: 'recording-2' });
    await expect(stopping).resolves.toEqual(ended);
    expect(room.recording).toBeNull();
  });

  it('rejects with ServerError when the server refuses, without an error event', async () => {
    const { room, socket, errors } = await join(RECORDING);
    const starting = room.startRecording();
    const stopping = room.stopRecording();
    socket.receive({
      type: 'error',
      code: 'recording_active',
      message: 'a recording is active',
      rid: 'recording-1',
    });
    const refusal = await starting.catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ServerError);
    expect(refusal).toMatchObject({ code: 'recording_active', request: 'recording_start' });
    expect((refusal as Error).message).toBe('a recording is active');
    expect(errors).toEqual([]);
    expect(await settled(stopping)).toBe(false);
    // An error without that rid is the room's, and settles nothing.
    socket.receive({ type: 'error', code: 'internal', message: 'oops' });
    expect(errors).toEqual([{ code: 'internal', message: 'oops' }]);
    expect(await settled(stopping)).toBe(false);
    socket.receive({
      type: 'error',
      code: 'permission_denied',
      message: 'no record grant',
      rid: 'recording-2',
    });
    await expect(stopping).rejects.toMatchObject({ code: 'permission_denied', request: 'recording_stop' });
    expect(room.recording).toEqual(RECORDING);
  });

  it('rejects with RequestTimeoutError when no answer comes in time; a late answer still counts', async () => {
    vi.useFakeTimers();
    const { room, socket } = await join(null, { requestTimeoutMs: 1_000 });
    const starting = room.startRecording();
    const outcome = starting.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(await Promise.race([outcome, 'pending'])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({
      code: 'ERR_REQUEST_TIMEOUT',
      request: 'recording_start',
      timeoutMs: 1_000,
    });
    socket.receive({ type: 'recording', recording: RECORDING, rid: 'recording-1' });
    expect(room.recording).toEqual(RECORDING);
  });

  it('waits 15 s by default', async () => {
    vi.useFakeTimers();
    const { room } = await join();
    const outcome = room.stopRecording().catch((error: unknown) => error);
    expect(REQUEST_TIMEOUT_MS).toBe(15_000);
    await vi.advanceTimersByTimeAsync(REQUEST_TIMEOUT_MS - 1);
    expect(await Promise.race([outcome, 'pending'])).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBeInstanceOf(RequestTimeoutError);
  });

  it('a request made while reconnecting goes out after the resume and is answered', async () => {
    vi.useFakeTimers();
    const { room, factory } = await join();
    factory.sockets[0].drop(1006);
    const starting = room.startRecording();
    await vi.advanceTimersByTimeAsync(10);
    factory.sockets[1].open();
    factory.sockets[1].receive(joined(GRACE, [ADA], { room: SFU_ROOM, resumed: true, recording: null }));
    expect(factory.sockets[1].sentOfType('recording_start')).toEqual([
      { type: 'recording_start', rid: 'recording-1' },
    ]);
    factory.sockets[1].receive({ type: 'recording', recording: RECORDING, rid: 'recording-1' });
    await expect(starting).resolves.toEqual(RECORDING);
  });

  it('cancels the requests of a session that could not resume', async () => {
    vi.useFakeTimers();
    const { room, factory } = await join();
    const starting = room.startRecording();
    const outcome = starting.catch((error: unknown) => error);
    factory.sockets[0].drop(1006);
    await vi.advanceTimersByTimeAsync(10);
    factory.sockets[1].open();
    factory.sockets[1].receive(joined('PA_000000000001', [ADA], { room: SFU_ROOM, sessionId: 'SE_other' }));
    const error = await outcome;
    expect(error).toBeInstanceOf(RequestCancelledError);
    expect(error).toMatchObject({ code: 'ERR_REQUEST_CANCELLED', request: 'recording_start' });
  });

  it('cancels the requests in flight when the room ends, and refuses new ones at once', async () => {
    const { room, socket } = await join(RECORDING);
    const stopping = room.stopRecording();
    const leaving = room.leave();
    socket.receive({ type: 'left', reason: 'left' });
    socket.drop(1000);
    await leaving;
    await expect(stopping).rejects.toBeInstanceOf(RequestCancelledError);
    await expect(room.startRecording()).rejects.toMatchObject({
      code: 'ERR_REQUEST_CANCELLED',
      request: 'recording_start',
    });
  });
});

describe('recording in the protocol types', () => {
  it('the client knows every error code the server sends', () => {
    expect(SERVER_ERROR_CODES).toEqual(expect.arrayContaining([...ERROR_CODES]));
    expect(SERVER_ERROR_CODES).toEqual(
      expect.arrayContaining(['recording_active', 'recording_inactive', 'recording_failed']),
    );
  });

  it('builds recording messages the server accepts (src/signaling/protocol.ts)', async () => {
    const { room, socket } = await join();
    void room.startRecording({ audioOnly: true }).catch(() => {});
    void room.startRecording().catch(() => {});
    void room.stopRecording().catch(() => {});
    const sent = socket.sent.filter((message) => message.type.startsWith('recording_'));
    expect(sent).toHaveLength(3);
    for (const message of sent)
      expect(clientMessageSchema.safeParse(message)).toMatchObject({ success: true });
  });
});
