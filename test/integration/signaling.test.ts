/**
 * The signaling server on loopback with `ws` clients: joining, relaying,
 * resuming, and every refusal of the protocol (bad tokens, grants, malformed
 * and oversized messages, floods), and the admin API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminApiHandler } from '../../src/server/admin-api.js';
import { HttpServer } from '../../src/server/http-server.js';
import { RoomManager } from '../../src/signaling/rooms.js';
import { SignalingServer } from '../../src/signaling/server.js';
import {
  type ApiKey,
  createAccessToken,
  type TokenClaims,
  TokenVerifier,
} from '../../src/signaling/tokens.js';
import { silentLog } from '../../src/util/log.js';
import { RateLimiter } from '../../src/util/rate-limiter.js';
import { type Received, SignalingTestClient } from '../helpers/ws-client.js';

const KEY: ApiKey = { key: 'testkey', secret: 'a-test-secret-that-is-long-enough-for-hs256' };
const OTHER_KEY: ApiKey = { key: 'testkey', secret: 'another-secret-that-is-long-enough-for-hs256' };

let http: HttpServer;
let rooms: RoomManager;
let signaling: SignalingServer;
let base: string;
const clients: SignalingTestClient[] = [];

beforeAll(async () => {
  rooms = new RoomManager({ mode: 'p2p', maxParticipants: 3, emptyTimeoutMs: 300 }, silentLog);
  const verifier = new TokenVerifier([KEY]);
  signaling = new SignalingServer({
    rooms,
    verifier,
    iceServers: (participant) => [
      { urls: ['turn:127.0.0.1:3478'], username: participant.identity, credential: 'x' },
    ],
    log: silentLog,
    resumeGraceMs: 400,
    joinTimeoutMs: 400,
    messagesPerSecond: 50,
    messageBurst: 100,
  });
  http = await HttpServer.start({
    listen: [{ host: '127.0.0.1', port: 0 }],
    handlers: [
      adminApiHandler({ rooms, verifier, limiter: new RateLimiter({ perSecond: 1000, burst: 1000 }) }),
    ],
    onUpgrade: (request, socket, head, url) => {
      if (url.pathname === '/rtc') signaling.handleUpgrade(request, socket, head);
      else socket.destroy();
    },
    log: silentLog,
  });
  base = `127.0.0.1:${http.addresses[0].port}`;
});

afterAll(async () => {
  for (const client of clients) client.close();
  await signaling.close();
  await http.close();
});

function token(claims: Partial<TokenClaims> & { identity: string }, key = KEY): Promise<string> {
  return createAccessToken(key, { room: 'main', ttlSeconds: 600, ...claims });
}

async function connect(): Promise<SignalingTestClient> {
  const client = await SignalingTestClient.connect(`ws://${base}/rtc`);
  clients.push(client);
  return client;
}

async function joined(identity: string, room = 'main', claims: Partial<TokenClaims> = {}) {
  const client = await connect();
  const reply = await client.join(await token({ identity, room, ...claims }));
  return { client, reply, id: (reply.participant as { id: string }).id };
}

/** Resolves with the close and the error sent before it. */
async function refusal(client: SignalingTestClient): Promise<{ code: string; close: number }> {
  const error = await client.next('error');
  const { code } = await client.closed;
  return { code: String(error.code), close: code };
}

describe('joining', () => {
  it('joins a room created on first join, and tells the others', async () => {
    const ada = await joined('ada', 'join-1', { name: 'Ada' });
    expect(ada.reply).toMatchObject({
      v: 1,
      room: { name: 'join-1', mode: 'p2p', maxParticipants: 3 },
      participant: { identity: 'ada', name: 'Ada', connected: true },
      participants: [],
      resumed: false,
    });
    expect(ada.id).toMatch(/^PA_[A-Za-z0-9]{12}$/);
    expect(ada.reply.sessionId).toMatch(/^SE_/);
    expect(ada.reply.iceServers).toEqual([
      { urls: ['turn:127.0.0.1:3478'], username: 'ada', credential: 'x' },
    ]);
    const grace = await joined('grace', 'join-1');
    expect((grace.reply.participants as { id: string }[]).map((p) => p.id)).toEqual([ada.id]);
    const seen = await ada.client.next('participant_joined');
    expect(seen.participant).toMatchObject({ id: grace.id, identity: 'grace' });
  });

  it('refuses a full room with room_full and close 4003', async () => {
    for (const identity of ['a', 'b', 'c']) await joined(identity, 'full');
    const late = await connect();
    late.send({ type: 'join', v: 1, token: await token({ identity: 'd', room: 'full' }) });
    expect(await refusal(late)).toEqual({ code: 'room_full', close: 4003 });
  });

  it('replaces a participant that joins again with the same identity', async () => {
    const first = await joined('same', 'replace');
    const watcher = await joined('watcher', 'replace');
    const second = await joined('same', 'replace');
    expect(await first.client.next('left')).toMatchObject({ reason: 'removed' });
    expect((await first.client.closed).code).toBe(4009);
    expect(await watcher.client.next('participant_left')).toMatchObject({ participantId: first.id });
    expect(second.id).not.toBe(first.id);
  });

  it('refuses tokens: bad signature, expired, no join grant, another room, none, and wrong version', async () => {
    const cases: [string, string, number][] = [
      [await token({ identity: 'x' }, OTHER_KEY), 'invalid_token', 4001],
      [
        await createAccessToken(KEY, { identity: 'x', room: 'main', ttlSeconds: 1 }, Date.now() - 60_000),
        'token_expired',
        4001,
      ],
      [await token({ identity: 'x', grants: { join: false } }), 'permission_denied', 4001],
      [
        await createAccessToken(KEY, { identity: 'x', grants: { admin: true }, ttlSeconds: 60 }),
        'permission_denied',
        4001,
      ],
      ['not.a.jwt', 'invalid_token', 4001],
    ];
    for (const [jwt, code, close] of cases) {
      const client = await connect();
      client.send({ type: 'join', v: 1, token: jwt });
      expect(await refusal(client), code).toEqual({ code, close });
    }
    const elsewhere = await connect();
    elsewhere.send({
      type: 'join',
      v: 1,
      token: await token({ identity: 'x', room: 'main' }),
      room: 'other',
    });
    expect(await refusal(elsewhere)).toEqual({ code: 'wrong_room', close: 4001 });
    const future = await connect();
    future.send({ type: 'join', v: 2, token: await token({ identity: 'x' }) });
    expect(await refusal(future)).toEqual({ code: 'unsupported_version', close: 1008 });
  });

  it('closes a connection that does not join in time', async () => {
    const idle = await connect();
    expect(await refusal(idle)).toEqual({ code: 'join_timeout', close: 4011 });
  });
});

describe('relaying', () => {
  it('relays offer, answer and candidate to the named participant, with from', async () => {
    const ada = await joined('ada', 'relay');
    const bob = await joined('bob', 'relay');
    const carol = await joined('carol', 'relay');
    bob.client.send({ type: 'offer', to: ada.id, sdp: 'v=0 offer' });
    expect(await ada.client.next('offer')).toEqual({ type: 'offer', from: bob.id, sdp: 'v=0 offer' });
    ada.client.send({ type: 'answer', to: bob.id, sdp: 'v=0 answer' });
    expect(await bob.client.next('answer')).toEqual({ type: 'answer', from: ada.id, sdp: 'v=0 answer' });
    const candidate = {
      candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
      sdpMid: '0',
      sdpMLineIndex: 0,
    };
    ada.client.send({ type: 'candidate', to: bob.id, candidate });
    expect(await bob.client.next('candidate')).toEqual({ type: 'candidate', from: ada.id, candidate });
    ada.client.send({ type: 'candidate', to: bob.id, candidate: null });
    expect((await bob.client.next('candidate')).candidate).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(carol.client.all('offer')).toEqual([]);
  });

  it('relays data to everyone else or to named participants, and enforces the data grant', async () => {
    const ada = await joined('ada', 'data');
    const bob = await joined('bob', 'data');
    const carol = await joined('carol', 'data', { grants: { data: false } });
    ada.client.send({ type: 'data', topic: 'chat', payload: { text: 'hello' } });
    for (const other of [bob, carol]) {
      expect(await other.client.next('data')).toEqual({
        type: 'data',
        from: ada.id,
        topic: 'chat',
        payload: { text: 'hello' },
      });
    }
    ada.client.send({ type: 'data', to: [carol.id], payload: 42 });
    expect((await carol.client.next('data')).payload).toBe(42);
    carol.client.send({ type: 'data', payload: 'nope', rid: 'r1' });
    expect(await carol.client.next('error')).toMatchObject({ code: 'permission_denied', rid: 'r1' });
    ada.client.send({ type: 'data', to: ['PA_000000000000'], payload: 1, rid: 'r2' });
    expect(await ada.client.next('error')).toMatchObject({ code: 'unknown_participant', rid: 'r2' });
  });

  it('broadcasts update and mute as participant_updated', async () => {
    const ada = await joined('ada', 'update');
    const bob = await joined('bob', 'update');
    ada.client.send({ type: 'update', name: 'Ada L.', metadata: { hand: true } });
    expect((await bob.client.next('participant_updated')).participant).toMatchObject({
      name: 'Ada L.',
      metadata: { hand: true },
    });
    ada.client.send({ type: 'mute', kind: 'video', muted: true });
    expect((await bob.client.next('participant_updated')).participant).toMatchObject({
      muted: { audio: false, video: true },
    });
  });

  it('answers ping with pong, and leave with left, close 1000 and participant_left', async () => {
    const ada = await joined('ada', 'leave');
    const bob = await joined('bob', 'leave');
    ada.client.send({ type: 'ping', t: 123 });
    expect(await ada.client.next('pong')).toMatchObject({ t: 123 });
    ada.client.send({ type: 'leave' });
    expect(await ada.client.next('left')).toMatchObject({ reason: 'left' });
    expect((await ada.client.closed).code).toBe(1000);
    expect(await bob.client.next('participant_left')).toMatchObject({
      participantId: ada.id,
      reason: 'left',
    });
  });
});

describe('recording requests', () => {
  it('needs the record grant and an sfu room, answers with the request id, and says no recording in joined', async () => {
    const ada = await joined('ada', 'recording-p2p', { grants: { record: true } });
    const bob = await joined('bob', 'recording-p2p');
    expect(ada.reply.recording).toBeNull();
    bob.client.send({ type: 'recording_start', rid: 'r1' });
    expect(await bob.client.next('error')).toMatchObject({ code: 'permission_denied', rid: 'r1' });
    bob.client.send({ type: 'recording_stop', rid: 'r2' });
    expect(await bob.client.next('error')).toMatchObject({ code: 'permission_denied', rid: 'r2' });
    ada.client.send({ type: 'recording_start', audioOnly: true, rid: 'r3' });
    expect(await ada.client.next('error')).toMatchObject({ code: 'wrong_mode', rid: 'r3' });
    ada.client.send({ type: 'recording_start', audioOnly: 'yes', rid: 'r4' });
    expect(await ada.client.next('error')).toMatchObject({ code: 'invalid_message', rid: 'r4' });
    // Still connected.
    ada.client.send({ type: 'ping', t: 7 });
    expect(await ada.client.next('pong')).toMatchObject({ t: 7 });
  });
});

describe('resuming', () => {
  it('resumes a dropped session without the others seeing a leave, and delivers what was kept', async () => {
    const ada = await joined('ada', 'resume');
    const bob = await joined('bob', 'resume');
    ada.client.ws.terminate();
    expect((await bob.client.next('participant_updated')).participant).toMatchObject({
      id: ada.id,
      connected: false,
    });
    bob.client.send({ type: 'data', to: [ada.id], payload: 'while you were away' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await connect();
    const reply = await again.join(await token({ identity: 'ada', room: 'resume' }), {
      resume: ada.reply.sessionId,
    });
    expect(reply).toMatchObject({ resumed: true, participant: { id: ada.id } });
    expect((await again.next('data')).payload).toBe('while you were away');
    expect((await bob.client.next('participant_updated')).participant).toMatchObject({
      id: ada.id,
      connected: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bob.client.all('participant_left')).toEqual([]);
  });

  it('lets the participant go after the grace period, and refuses a late or foreign resume', async () => {
    const ada = await joined('ada', 'grace');
    const bob = await joined('bob', 'grace');
    const foreign = await connect();
    foreign.send({
      type: 'join',
      v: 1,
      token: await token({ identity: 'mallory', room: 'grace' }),
      resume: ada.reply.sessionId,
    });
    expect(await refusal(foreign)).toEqual({ code: 'session_not_found', close: 4001 });
    ada.client.ws.terminate();
    expect(await bob.client.next('participant_left', 2000)).toMatchObject({
      participantId: ada.id,
      reason: 'timeout',
    });
    const late = await connect();
    late.send({
      type: 'join',
      v: 1,
      token: await token({ identity: 'ada', room: 'grace' }),
      resume: ada.reply.sessionId,
    });
    expect(await refusal(late)).toEqual({ code: 'session_not_found', close: 4001 });
  });
});

describe('bad input', () => {
  it('answers messages that match no schema with invalid_message and keeps the connection', async () => {
    const ada = await joined('ada', 'bad');
    const cases: unknown[] = [
      { type: 'offer', to: 'not-an-id', sdp: 'x', rid: 'a' },
      { type: 'nonsense' },
      { type: 'data', payload: 1, extra: true },
      [1, 2, 3],
      null,
      { type: 'mute', kind: 'screen', muted: true },
    ];
    for (const message of cases) {
      ada.client.send(message);
      const error = await ada.client.next('error');
      expect(error.code, JSON.stringify(message)).toBe('invalid_message');
    }
    expect(ada.client.all('error')[0]).toMatchObject({ rid: 'a', message: expect.stringContaining('to') });
    ada.client.send({ type: 'ping' });
    expect(await ada.client.next('pong')).toBeDefined();
  });

  it('refuses messages before join and a second join', async () => {
    const early = await connect();
    early.send({ type: 'data', payload: 1 });
    expect((await early.next('error')).code).toBe('not_joined');
    const ada = await joined('ada', 'twice');
    ada.client.send({ type: 'join', v: 1, token: await token({ identity: 'ada', room: 'twice' }) });
    expect((await ada.client.next('error')).code).toBe('already_joined');
  });

  it('closes with 1007 on text that is not JSON, and on binary frames', async () => {
    const ada = await joined('ada', 'json');
    ada.client.send('{not json');
    expect(await refusal(ada.client)).toEqual({ code: 'invalid_json', close: 1007 });
    const bob = await joined('bob', 'json');
    bob.client.ws.send(Buffer.from([1, 2, 3]));
    expect(await refusal(bob.client)).toEqual({ code: 'invalid_json', close: 1007 });
  });

  it('closes with 1009 on a frame over 64 KiB', async () => {
    const ada = await joined('ada', 'big');
    ada.client.send({ type: 'data', payload: 'x'.repeat(70 * 1024) });
    expect((await ada.client.closed).code).toBe(1009);
  });

  it('closes a flooding connection with rate_limited and 4008, and the room carries on', async () => {
    const ada = await joined('ada', 'flood');
    const bob = await joined('bob', 'flood');
    for (let i = 0; i < 300; i++) ada.client.send({ type: 'ping', t: i });
    const error = await ada.client.next('error');
    expect(error.code).toBe('rate_limited');
    expect((await ada.client.closed).code).toBe(4008);
    bob.client.send({ type: 'ping', t: 1 });
    expect(await bob.client.next('pong')).toBeDefined();
  });

  it('never crashes on random bytes and random JSON (fuzz)', async () => {
    const ada = await joined('ada', 'fuzz');
    for (let i = 0; i < 60; i++) {
      const shape = i % 3;
      const value =
        shape === 0
          ? {
              type: ['offer', 'data', 'candidate', 'update'][i % 4],
              to: 'PA_'.padEnd(15, String(i % 10)),
              payload: i,
              sdp: i,
            }
          : shape === 1
            ? { type: 'candidate', to: ada.id, candidate: { candidate: 'x'.repeat(i * 50) } }
            : JSON.stringify({ deep: Array.from({ length: i }, () => ({ a: [i] })) });
      ada.client.send(value);
    }
    ada.client.send({ type: 'ping', t: 7 });
    expect((await ada.client.next('pong')).t).toBe(7);
  });
});

describe('admin API', () => {
  async function api(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; raw?: string; type?: string } = {},
  ) {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined || options.raw !== undefined) {
      headers['content-type'] = options.type ?? 'application/json';
      body = options.raw ?? JSON.stringify(options.body);
    }
    const response = await fetch(`http://${base}${path}`, { method, headers, body });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: text ? (JSON.parse(text) as Received) : undefined,
    };
  }
  const admin = () => createAccessToken(KEY, { identity: 'ops', grants: { admin: true }, ttlSeconds: 60 });

  it('answers the recording routes with 503 on a server that does not record', async () => {
    const jwt = await admin();
    for (const [method, path] of [
      ['GET', '/api/recordings'],
      ['GET', '/api/recordings/RE_x'],
      ['POST', '/api/rooms/main/recordings'],
      ['DELETE', '/api/rooms/main/recordings/RE_x'],
    ]) {
      const answer = await api(method, path, { token: jwt, ...(method === 'POST' ? { body: {} } : {}) });
      expect(answer).toMatchObject({ status: 503, type: 'application/problem+json' });
    }
    expect((await api('GET', '/api/recordings')).status).toBe(401);
  });

  it('needs a bearer token with the admin grant', async () => {
    const none = await api('GET', '/api/rooms');
    expect(none).toMatchObject({ status: 401, type: 'application/problem+json' });
    expect((await api('GET', '/api/rooms', { token: 'garbage' })).status).toBe(401);
    const participant = await token({ identity: 'ada' });
    expect((await api('GET', '/api/rooms', { token: participant })).status).toBe(403);
    const foreign = await createAccessToken(OTHER_KEY, {
      identity: 'ops',
      grants: { admin: true },
      ttlSeconds: 60,
    });
    expect((await api('GET', '/api/rooms', { token: foreign })).status).toBe(401);
  });

  it('creates, lists, shows and deletes rooms; removes participants; sends data', async () => {
    const jwt = await admin();
    const created = await api('POST', '/api/rooms', {
      token: jwt,
      body: { name: 'board', maxParticipants: 5, metadata: { topic: 'q4' } },
    });
    expect(created).toMatchObject({
      status: 201,
      body: { room: { name: 'board', maxParticipants: 5, metadata: { topic: 'q4' } } },
    });
    expect((await api('POST', '/api/rooms', { token: jwt, body: { name: 'board' } })).status).toBe(409);
    const ada = await joined('ada', 'board');
    const bob = await joined('bob', 'board');
    const list = await api('GET', '/api/rooms', { token: jwt });
    expect(
      (list.body!.rooms as { name: string; participants: number }[]).find((room) => room.name === 'board'),
    ).toMatchObject({ participants: 2 });
    const shown = await api('GET', '/api/rooms/board', { token: jwt });
    expect((shown.body!.participants as { identity: string }[]).map((p) => p.identity).sort()).toEqual([
      'ada',
      'bob',
    ]);
    const sent = await api('POST', '/api/rooms/board/data', {
      token: jwt,
      body: { topic: 'notice', payload: 'maintenance at 5' },
    });
    expect(sent).toMatchObject({ status: 202, body: { delivered: 2 } });
    expect(await ada.client.next('data')).toEqual({
      type: 'data',
      from: null,
      topic: 'notice',
      payload: 'maintenance at 5',
    });
    expect((await api('DELETE', '/api/rooms/board/participants/bob', { token: jwt })).status).toBe(204);
    expect(await bob.client.next('left')).toMatchObject({ reason: 'removed' });
    expect((await bob.client.closed).code).toBe(4010);
    expect(await ada.client.next('participant_left')).toMatchObject({
      participantId: bob.id,
      reason: 'removed',
    });
    expect((await api('DELETE', '/api/rooms/board', { token: jwt })).status).toBe(204);
    expect(await ada.client.next('left')).toMatchObject({ reason: 'room_deleted' });
    expect((await api('GET', '/api/rooms/board', { token: jwt })).status).toBe(404);
  });

  it('refuses bad bodies with problem details: 400, 413, 415, 405', async () => {
    const jwt = await admin();
    expect((await api('POST', '/api/rooms', { token: jwt, body: { name: 'bad name!' } })).status).toBe(400);
    expect((await api('POST', '/api/rooms', { token: jwt, raw: '{oops' })).status).toBe(400);
    expect((await api('POST', '/api/rooms', { token: jwt, raw: 'x', type: 'text/plain' })).status).toBe(415);
    const big = await api('POST', '/api/rooms', {
      token: jwt,
      body: { name: 'big', metadata: 'x'.repeat(70_000) },
    });
    expect(big).toMatchObject({ status: 413, type: 'application/problem+json' });
    expect((await api('PUT', '/api/rooms', { token: jwt })).status).toBe(405);
  });
});
