/**
 * Room recordings end to end (docs/protocol.md, "Recording"): the server
 * runs in this process as `switchboard start` builds it (App.start: one
 * threaded media worker, the admin API, the event bus), and libwebrtc
 * participants (each in its own process, test/interop/peers/wrtc-sfu-peer.cjs)
 * join an sfu room through WebSocket signaling and publish audio and video
 * from the audio/video sync source: a picture that flashes while the sound
 * beeps, once a second (the two publishers half a second apart).
 *
 * - The admin API starts a recording; everyone in the room hears of it; a
 *   participant who joins meanwhile learns it in `joined`, publishes and
 *   leaves before the end (a file of its own, and its offsets in the
 *   timeline); while it records the API tells bytes and duration so far;
 *   after ~10 s the API stops it. Every file is checked with FFmpeg (codecs against the
 *   manifest and what the publisher really sends, size, duration against
 *   the time recorded, a clean decode, audio and video starting and ending
 *   together), and each file for lip sync. The manifest, the API
 *   listings and the event bus say the same.
 * - Signaling control: the `record` grant starts and stops; without it,
 *   `permission_denied`; a second start, `recording_active` (409 over the
 *   API); p2p rooms and unknown rooms are refused; `audioOnly` records Opus
 *   alone.
 * - A recordings directory that cannot be written fails the start with a
 *   problem+json 500 naming the cause, a `recording.failed` event and a
 *   `failed` recording, while the room's media goes on.
 * - A server killed with SIGKILL mid-recording (a child process running the
 *   bundled CLI) leaves files that decode; started again on the same
 *   directory, it finishes them and marks the recording failed, interrupted.
 *
 * A @roamhq/wrtc that does not load, or a missing ffmpeg, skips loudly and
 * fails under CI=true.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { App } from '../../src/server/app.js';
import { loadConfig, parseCommandLine } from '../../src/server/config.js';
import type { ServerEventName } from '../../src/server/events.js';
import type { RecordingInfo, RecordingManifest } from '../../src/server/recording-service.js';
import { type ApiKey, createAccessToken, type Grants } from '../../src/signaling/tokens.js';
import { memoryLog } from '../helpers/memory-log.js';
import { describeWithNpmPackage, npmPackageAvailable } from '../helpers/npm-packages.js';
import { type StartedProcess, startProcess } from '../helpers/process.js';
import { requireTools, toolAvailable } from '../helpers/tools.js';
import { type Received, SignalingTestClient } from '../helpers/ws-client.js';
import { AV_SYNC_DEFAULTS } from './av-sync-source.js';
import { StdioPeer } from './peers/stdio-peer.js';
import { checkRecordedFile, type FileFigures } from './recording-file-checks.js';
import { decodeErrors, measureAvSync, probeRecording } from './recording-probe.js';
import { relaySubscribeNegotiation } from './sfu-signaling-harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const WRTC = npmPackageAvailable('@roamhq/wrtc');
const FFMPEG = toolAvailable(['ffmpeg', 'ffprobe'], 'ffmpeg');
const KEY: ApiKey = { key: 'recordingkey', secret: 'a-recording-test-secret-long-enough-for-hs256' };
/** How long the main recording runs, ms. */
const RECORD_MS = 10_000;
const { width: WIDTH, height: HEIGHT } = AV_SYNC_DEFAULTS;

const workDir = mkdtempSync(join(tmpdir(), 'switchboard-recording-room-'));
const recordingsDir = join(workDir, 'recordings');
const log = memoryLog();
let app: App;
let httpBase: string;
let wsUrl: string;
let adminToken: string;
/** Every event of the bus, in order. */
const events: { name: ServerEventName; recording: RecordingInfo }[] = [];
const participants: Participant[] = [];
const clients: SignalingTestClient[] = [];
/** Figures measured along the way, printed at the end. */
const figures: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 50 ms until it returns a truthy value; throws after `timeoutMs`. */
async function until<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The server's command line, as `switchboard start` takes it. */
function serverFlags(dir: string): string[] {
  return [
    ...['--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
    ...['--api-key', `${KEY.key}:${KEY.secret}`, '--room-mode', 'sfu'],
    ...[
      '--media-workers',
      '1',
      '--media-address',
      '127.0.0.1',
      '--media-udp-port',
      '0',
      '--media-tcp-port',
      '0',
    ],
    ...['--recordings-dir', dir],
  ];
}

interface ApiAnswer {
  status: number;
  contentType: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes.
  body: any;
}

/** One call of the admin API of the server at `base`. */
async function api(method: string, path: string, body?: unknown, base = httpBase): Promise<ApiAnswer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : null,
  };
}

/** Joins a room over signaling only (no media). */
async function joinClient(
  url: string,
  room: string,
  identity: string,
  grants: Partial<Grants> = {},
): Promise<{ client: SignalingTestClient; joined: Received; id: string }> {
  const client = await SignalingTestClient.connect(url);
  clients.push(client);
  const token = await createAccessToken(KEY, { room, identity, ttlSeconds: 600, grants });
  const joined = await client.join(token);
  return { client, joined, id: (joined.participant as { id: string }).id };
}

/** The `recording` messages a client received so far. */
function recordingMessages(client: SignalingTestClient): Received[] {
  return client.all('recording');
}

/** Waits for a client's `recording` message about `id` with this `active`. */
function heard(client: SignalingTestClient, id: string, active: boolean): Promise<Received> {
  return until(
    () =>
      recordingMessages(client).find((message) => {
        const state = message.recording as { id: string; active: boolean };
        return state.id === id && state.active === active;
      }),
    5000,
    `a recording message (${id}, active ${active})`,
  );
}

/** A libwebrtc participant: a signaling client wired to a peer process that publishes and subscribes. */
class Participant {
  readonly identity: string;
  readonly client: SignalingTestClient;
  readonly peer: StdioPeer;
  readonly id: string;
  readonly joined: Received;
  readonly #stopRelay: () => void;

  private constructor(
    identity: string,
    client: SignalingTestClient,
    peer: StdioPeer,
    joined: Received,
    stopRelay: () => void,
  ) {
    this.identity = identity;
    this.client = client;
    this.peer = peer;
    this.joined = joined;
    this.id = (joined.participant as { id: string }).id;
    this.#stopRelay = stopRelay;
  }

  /** Joins `room` at `url` and publishes audio and video (`peer` options of wrtc-sfu-peer.cjs). */
  static async join(
    url: string,
    room: string,
    identity: string,
    peerOptions: Record<string, unknown>,
    grants: Partial<Grants> = {},
  ): Promise<Participant> {
    const client = await SignalingTestClient.connect(url);
    const peer = new StdioPeer('wrtc-sfu-peer.cjs', {
      width: WIDTH,
      height: HEIGHT,
      seconds: 120,
      ...peerOptions,
    });
    const stopRelay = relaySubscribeNegotiation(client, peer);
    const token = await createAccessToken(KEY, { room, identity, ttlSeconds: 600, grants });
    const joined = await client.join(token);
    const participant = new Participant(identity, client, peer, joined, stopRelay);
    participants.push(participant);
    const offer = await peer.waitFor((m) => m.type === 'publish-offer', 10_000, `${identity}'s offer`);
    client.send({
      type: 'publish',
      sdp: offer.sdp,
      tracks: [
        { mid: '0', source: 'camera' },
        { mid: '1', source: 'microphone' },
      ],
      rid: 'publish-1',
    });
    const answer = await client.next(['publish_answer', 'error'], 10_000);
    if (answer.type !== 'publish_answer')
      throw new Error(`${identity} could not publish: ${JSON.stringify(answer)}`);
    peer.send({ type: 'publish-answer', sdp: answer.sdp });
    return participant;
  }

  /** Video frames decoded so far from `other`'s camera (its stream id is its participant id). */
  framesFrom(other: Participant): number {
    const stats = this.peer.last.get('stats') as
      | { tracks: Record<string, { kind: string; frames: number }> }
      | undefined;
    return stats?.tracks[`${other.id} video`]?.frames ?? 0;
  }

  /** Waits until this participant decodes `count` more video frames of `other`. */
  async receives(other: Participant, count: number, timeoutMs = 20_000): Promise<void> {
    const from = this.framesFrom(other);
    await until(
      () => this.framesFrom(other) >= from + count,
      timeoutMs,
      `${this.identity} to see ${other.identity}`,
    );
  }

  /** What libwebrtc says it sends: codec (lower-case name) and frame size per kind. */
  async sending(): Promise<{ video: string; audio: string; width: number; height: number }> {
    const id = `stats-${Math.random()}`;
    this.peer.send({ type: 'get-stats', id });
    const report = await this.peer.waitFor((m) => m.type === 'rtc-stats' && m.id === id, 10_000, 'rtc-stats');
    const outbound = report.outbound as {
      kind: string;
      mimeType?: string;
      frameWidth?: number;
      frameHeight?: number;
    }[];
    const name = (kind: string) =>
      (outbound.find((entry) => entry.kind === kind)?.mimeType ?? '').replace(/^\w+\//, '').toLowerCase();
    const video = outbound.find((entry) => entry.kind === 'video');
    return {
      video: name('video'),
      audio: name('audio'),
      width: video?.frameWidth ?? 0,
      height: video?.frameHeight ?? 0,
    };
  }

  /** Leaves the room (`leave`), then ends the peer. */
  async leave(): Promise<void> {
    this.client.send({ type: 'leave' });
    await this.client.closed;
    await this.stop();
  }

  async stop(): Promise<void> {
    this.#stopRelay();
    await this.peer.stop();
    this.client.close();
  }
}

/** The recording's manifest.json, read from disk. */
async function readManifest(info: RecordingInfo): Promise<RecordingManifest> {
  return JSON.parse(await readFile(info.manifest, 'utf8')) as RecordingManifest;
}

beforeAll(async () => {
  if (!WRTC.present || !FFMPEG.present) return;
  const { config } = loadConfig({ commandLine: parseCommandLine(serverFlags(recordingsDir)) });
  app = await App.start(config, log, { signaling: true, dev: false });
  for (const name of ['recording.started', 'recording.stopped', 'recording.failed'] as const)
    app.events.on(name, ({ recording }) => events.push({ name, recording }));
  const port = app.http?.addresses[0]?.port;
  httpBase = `http://127.0.0.1:${port}`;
  wsUrl = `ws://127.0.0.1:${port}/rtc`;
  adminToken = await createAccessToken(KEY, { identity: 'admin', ttlSeconds: 600, grants: { admin: true } });
}, 30_000);

afterAll(async () => {
  await Promise.all(participants.map((participant) => participant.stop()));
  for (const client of clients) client.close();
  await app?.close();
  console.log(`recording figures: ${JSON.stringify(figures, null, 2)}`);
  rmSync(workDir, { recursive: true, force: true });
}, 30_000);

requireTools(FFMPEG);

describeWithNpmPackage(
  'recording an sfu room (libwebrtc participants, ffmpeg checks)',
  { ...WRTC, present: WRTC.present && FFMPEG.present },
  () => {
    const ROOM = 'rec-main';
    let ana: Participant;
    let ben: Participant;

    it('records two publishers through the admin API: every file decodes, lasts what was recorded, and plays in lip sync', async () => {
      ana = await Participant.join(wsUrl, ROOM, 'ana', { avSync: true });
      // ben's source flashes and beeps half a period after ana's: the files cannot be mistaken for each other.
      ben = await Participant.join(wsUrl, ROOM, 'ben', { avSync: { phaseMs: 500 } });
      // Media flows both ways before the recording starts.
      await Promise.all([ana.receives(ben, 15), ben.receives(ana, 15)]);
      const sent: Record<string, { video: string; audio: string; width: number; height: number }> = {
        ana: await ana.sending(),
        ben: await ben.sending(),
      };
      for (const who of ['ana', 'ben'])
        expect([sent[who]?.width, sent[who]?.height], `what ${who} sends`).toEqual([WIDTH, HEIGHT]);
      expect(ana.joined.recording, 'joined.recording before any recording').toBeNull();
      // A participant with the record grant but no media, to try starting a second recording.
      const cy = await joinClient(wsUrl, ROOM, 'cy', { record: true, publish: false, subscribe: false });

      const started = await api('POST', `/api/rooms/${ROOM}/recordings`, {});
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const info = started.body.recording as RecordingInfo;
      expect(info).toMatchObject({
        room: ROOM,
        status: 'recording',
        startedBy: null,
        audioOnly: false,
        participants: null,
        stoppedAt: null,
        error: null,
      });
      const startedAtMs = Date.parse(info.startedAt);
      for (const client of [ana.client, ben.client, cy.client]) {
        const message = await heard(client, info.id, true);
        expect(message.recording).toEqual({
          id: info.id,
          active: true,
          startedAt: startedAtMs,
          startedBy: null,
        });
      }
      expect(events.filter((event) => event.recording.id === info.id).map((event) => event.name)).toEqual([
        'recording.started',
      ]);

      // One recording per room: over the API (409) and over signaling (recording_active).
      const again = await api('POST', `/api/rooms/${ROOM}/recordings`, {});
      expect(again.status).toBe(409);
      expect(again.contentType).toContain('application/problem+json');
      cy.client.send({ type: 'recording_start', rid: 'second' });
      expect(await cy.client.next('error', 3000)).toMatchObject({ code: 'recording_active', rid: 'second' });

      // cleo joins mid-way (and learns of the recording in `joined`), publishes, and leaves before the end:
      // her file starts at her first key frame and ends when her tracks do.
      await sleep(2000 - (Date.now() - startedAtMs));
      const cleoJoinedMs = Date.now() - startedAtMs;
      const cleo = await Participant.join(wsUrl, ROOM, 'cleo', { avSync: { phaseMs: 300 } });
      expect(cleo.joined.recording).toEqual({
        id: info.id,
        active: true,
        startedAt: startedAtMs,
        startedBy: null,
      });
      await sleep(7000 - (Date.now() - startedAtMs));
      const cleoLeftAtMs = Date.now();
      await cleo.leave();

      // While it records, the API says how much so far.
      const running = (await api('GET', `/api/recordings/${info.id}`)).body.recording as RecordingInfo;
      expect(running.status).toBe('recording');
      expect(running.files.map((file) => `${file.identity}:${file.status}`).sort()).toEqual([
        'ana:recording',
        'ben:recording',
        'cleo:done',
      ]);
      for (const file of running.files) {
        expect(file.bytes, `${file.name} bytes so far`).toBeGreaterThan(10_000);
        expect(file.durationMs, `${file.name} duration so far`).toBeGreaterThan(3000);
      }
      expect(running.durationMs).toBeGreaterThanOrEqual(Date.now() - startedAtMs - 1000);
      expect(running.bytes).toBe(running.files.reduce((sum, file) => sum + file.bytes, 0));

      await sleep(RECORD_MS - (Date.now() - startedAtMs));
      const stopAtMs = Date.now();
      const stopped = await api('POST', `/api/rooms/${ROOM}/recordings/${info.id}/stop`);
      expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
      const done = stopped.body.recording as RecordingInfo;
      expect(done.status).toBe('stopped');
      expect(done.error).toBeNull();
      expect(Date.parse(done.stoppedAt ?? '')).toBeGreaterThanOrEqual(stopAtMs - 5);
      for (const client of [ana.client, ben.client, cy.client]) {
        const message = await heard(client, info.id, false);
        expect(message.recording).toEqual({
          id: info.id,
          active: false,
          startedAt: startedAtMs,
          startedBy: null,
        });
      }
      expect(events.filter((event) => event.recording.id === info.id).map((event) => event.name)).toEqual([
        'recording.started',
        'recording.stopped',
      ]);
      expect(events.find((event) => event.name === 'recording.stopped')?.recording).toEqual(done);

      // The listings know it.
      const list = await api('GET', '/api/recordings');
      expect(list.status).toBe(200);
      expect((list.body.recordings as RecordingInfo[])[0]).toEqual(done);
      expect((await api('GET', `/api/recordings/${info.id}`)).body.recording).toEqual(done);
      expect((await api('GET', `/api/rooms/${ROOM}/recordings`)).body.recordings).toEqual([done]);
      expect((await api('GET', '/api/recordings/RE_nothing')).status).toBe(404);

      // One file per publisher, named after the identity, and the manifest says what the API says.
      expect(done.files.map((file) => file.name).sort()).toEqual(['ana-1.webm', 'ben-1.webm', 'cleo-1.webm']);
      expect(done.directory).toBe(join(recordingsDir, info.id));
      expect(done.bytes).toBe(done.files.reduce((sum, file) => sum + file.bytes, 0));
      const manifest = await readManifest(done);
      const { version, timeline, ...manifestInfo } = manifest;
      expect(version).toBe(1);
      expect(manifestInfo).toEqual(done);
      const stopOffsetMs = Date.parse(done.stoppedAt ?? '') - startedAtMs;
      const byIdentity = new Map(timeline.map((entry) => [entry.identity, entry]));
      expect([...byIdentity.keys()].sort()).toEqual(['ana', 'ben', 'cleo', 'cy']);
      for (const [name, participant] of [
        ['ana', ana],
        ['ben', ben],
        ['cy', cy],
      ] as const) {
        // Present from the start to the stop.
        expect(byIdentity.get(name)).toEqual({
          participantId: participant.id,
          identity: name,
          joinedOffsetMs: 0,
          leftOffsetMs: stopOffsetMs,
        });
      }
      const cleoEntry = byIdentity.get('cleo');
      expect(cleoEntry?.participantId).toBe(cleo.id);
      expect(cleoEntry?.joinedOffsetMs).toBeGreaterThanOrEqual(cleoJoinedMs);
      expect(cleoEntry?.joinedOffsetMs).toBeLessThan(cleoJoinedMs + 1000);
      expect(Math.abs((cleoEntry?.leftOffsetMs ?? 0) - (cleoLeftAtMs - startedAtMs))).toBeLessThan(500);

      const measured: FileFigures[] = [];
      for (const participant of [ana, ben, cleo]) {
        const who = participant.identity;
        const file = done.files.find((entry) => entry.identity === who);
        if (!file) throw new Error(`no file of ${who}`);
        expect(file.participantId).toBe(participant.id);
        expect(file.path).toBe(join(done.directory, file.name));
        expect((await stat(file.path)).size).toBe(file.bytes);
        expect(file.video?.codec.toLowerCase()).toBe(sent[who]?.video ?? 'vp8');
        expect(file.audio?.codec).toBe(sent[who]?.audio ?? 'opus');
        // The file starts at the publisher's first key frame after the start, or after it published.
        const publishedMs = who === 'cleo' ? (cleoEntry?.joinedOffsetMs ?? 0) : 0;
        expect(file.startOffsetMs).toBeGreaterThanOrEqual(publishedMs - 50);
        expect(file.startOffsetMs).toBeLessThan(publishedMs + 2000);
        // What was recorded: from the file's first frame (startOffsetMs after the recording's start) to
        // the moment the stop was asked for (cleo: the moment she left); the recorders finish a few ms
        // later, which the tolerance covers.
        const endAtMs = who === 'cleo' ? cleoLeftAtMs : stopAtMs;
        measured.push(
          await checkRecordedFile(file, {
            recordedMs: endAtMs - startedAtMs - file.startOffsetMs,
            videoCodec: sent[who]?.video ?? 'vp8',
            width: WIDTH,
            height: HEIGHT,
          }),
        );
      }
      figures.main = measured;

      // Lip sync: flashes and beeps left each source together; in the files they play together.
      const syncs: Record<string, unknown> = {};
      figures.avSync = syncs;
      for (const file of done.files) {
        const sync = await measureAvSync(file.path);
        syncs[file.name] = {
          pairs: sync.pairs,
          medianOffsetMs: Math.round(sync.medianOffsetMs),
          maxAbsOffsetMs: Math.round(sync.maxAbsOffsetMs),
          offsetsMs: sync.offsetsMs.map(Math.round),
        };
        const what = `${file.name}: flashes ${sync.flashesMs} beeps ${sync.beepsMs}`;
        // cleo's file is about 4.5 s long.
        expect(sync.pairs, what).toBeGreaterThanOrEqual(file.identity === 'cleo' ? 3 : 6);
        expect(sync.maxAbsOffsetMs, what).toBeLessThan(80);
      }
    }, 60_000);

    it('starts and stops over signaling with the record grant, and refuses without it', async () => {
      const eve = await joinClient(wsUrl, ROOM, 'eve', { record: true, publish: false, subscribe: false });
      const fay = await joinClient(wsUrl, ROOM, 'fay', { publish: false, subscribe: false });
      fay.client.send({ type: 'recording_start', rid: 'nope' });
      expect(await fay.client.next('error', 3000)).toMatchObject({ code: 'permission_denied', rid: 'nope' });
      fay.client.send({ type: 'recording_stop', rid: 'nope-2' });
      expect(await fay.client.next('error', 3000)).toMatchObject({
        code: 'permission_denied',
        rid: 'nope-2',
      });
      eve.client.send({ type: 'recording_stop', rid: 'early' });
      expect(await eve.client.next('error', 3000)).toMatchObject({
        code: 'recording_inactive',
        rid: 'early',
      });

      eve.client.send({ type: 'recording_start', rid: 'start' });
      const answer = await until(
        () => eve.client.all('recording').find((message) => message.rid === 'start'),
        5000,
        "eve's recording answer",
      );
      const state = answer.recording as { id: string; active: boolean; startedBy: string | null };
      expect(state).toMatchObject({ active: true, startedBy: eve.id });
      // Everyone else hears it without a rid; the requester gets only its answer.
      for (const client of [fay.client, ana.client, ben.client]) {
        const message = await heard(client, state.id, true);
        expect(message.rid).toBeUndefined();
        expect(message.recording).toEqual(answer.recording);
      }
      expect(
        eve.client
          .all('recording')
          .filter((message) => (message.recording as { id: string }).id === state.id),
      ).toHaveLength(1);
      const startedAtMs = (answer.recording as { startedAt: number }).startedAt;
      expect((await api('GET', `/api/recordings/${state.id}`)).body.recording).toMatchObject({
        status: 'recording',
        startedBy: eve.id,
      });

      await sleep(3000);
      const stopAtMs = Date.now();
      eve.client.send({ type: 'recording_stop', rid: 'stop' });
      const stopAnswer = await until(
        () => eve.client.all('recording').find((message) => message.rid === 'stop'),
        10_000,
        "eve's stop answer",
      );
      expect(stopAnswer.recording).toMatchObject({ id: state.id, active: false, startedBy: eve.id });
      for (const client of [fay.client, ana.client, ben.client]) await heard(client, state.id, false);
      const info = (await api('GET', `/api/recordings/${state.id}`)).body.recording as RecordingInfo;
      expect(info).toMatchObject({ status: 'stopped', startedBy: eve.id, error: null });
      expect(info.files.map((file) => file.name).sort()).toEqual(['ana-1.webm', 'ben-1.webm']);
      const measured: FileFigures[] = [];
      for (const file of info.files) {
        measured.push(
          await checkRecordedFile(file, {
            recordedMs: stopAtMs - startedAtMs - file.startOffsetMs,
            videoCodec: 'vp8',
            width: WIDTH,
            height: HEIGHT,
          }),
        );
      }
      figures.signaling = measured;
      expect(events.filter((event) => event.recording.id === state.id).map((event) => event.name)).toEqual([
        'recording.started',
        'recording.stopped',
      ]);
    }, 30_000);

    it('refuses p2p and unknown rooms, and records audio alone with audioOnly', async () => {
      const created = await api('POST', '/api/rooms', { name: 'rec-p2p', mode: 'p2p' });
      expect(created.status).toBe(201);
      // A bare POST (no body: every field is optional).
      const p2p = await api('POST', '/api/rooms/rec-p2p/recordings');
      expect(p2p.status).toBe(409);
      expect(p2p.contentType).toContain('application/problem+json');
      expect(p2p.body).toMatchObject({ status: 409, title: 'Conflict' });
      expect(p2p.body.detail).toContain('p2p');
      const unknown = await api('POST', '/api/rooms/no-such-room/recordings');
      expect(unknown.status).toBe(404);
      expect(unknown.contentType).toContain('application/problem+json');

      const started = await api('POST', `/api/rooms/${ROOM}/recordings`, { audioOnly: true });
      expect(started.status).toBe(201);
      const info = started.body.recording as RecordingInfo;
      expect(info.audioOnly).toBe(true);
      const startedAtMs = Date.parse(info.startedAt);
      await sleep(3000);
      const stopAtMs = Date.now();
      const stopped = await api('DELETE', `/api/rooms/${ROOM}/recordings/${info.id}`);
      expect(stopped.status).toBe(200);
      const done = stopped.body.recording as RecordingInfo;
      expect(done.status).toBe('stopped');
      expect(done.files.map((file) => file.name).sort()).toEqual(['ana-1-audio.webm', 'ben-1-audio.webm']);
      const measured: FileFigures[] = [];
      for (const file of done.files) {
        expect(file.video).toBeNull();
        measured.push(
          await checkRecordedFile(file, {
            recordedMs: stopAtMs - startedAtMs - file.startOffsetMs,
            videoCodec: null,
          }),
        );
      }
      figures.audioOnly = measured;
    }, 30_000);

    it('fails the start when the recordings directory cannot be written, and the room goes on', async () => {
      // The recordings directory becomes a regular file: nothing can be created under it.
      const saved = `${recordingsDir}.saved`;
      renameSync(recordingsDir, saved);
      writeFileSync(recordingsDir, 'not a directory\n');
      try {
        const framesBefore = ben.framesFrom(ana);
        const started = await api('POST', `/api/rooms/${ROOM}/recordings`, {});
        expect(started.status).toBe(500);
        expect(started.contentType).toContain('application/problem+json');
        expect(started.body).toMatchObject({ status: 500 });
        expect(started.body.detail).toContain('ENOTDIR');
        const failed = started.body.recording as RecordingInfo;
        expect(failed).toMatchObject({ status: 'failed', error: { code: 'write_failed' } });
        expect(failed.error?.message).toContain(failed.directory);
        const event = events.find((entry) => entry.recording.id === failed.id);
        expect(event?.name).toBe('recording.failed');
        expect(event?.recording.error?.message).toContain('ENOTDIR');
        const listed = await api('GET', `/api/recordings/${failed.id}`);
        expect(listed.status).toBe(200);
        expect(listed.body.recording).toMatchObject({ status: 'failed', error: { code: 'write_failed' } });
        // None is active, and the room was not told of a recording that never started.
        expect(
          ((await api('GET', `/api/rooms/${ROOM}/recordings`)).body.recordings as RecordingInfo[]).filter(
            (recording) => recording.status === 'recording',
          ),
        ).toEqual([]);
        expect(
          ana.client
            .all('recording')
            .some((message) => (message.recording as { id: string }).id === failed.id),
        ).toBe(false);
        // The media goes on.
        await ben.receives(ana, 30);
        await ana.receives(ben, 30);
        expect(ben.framesFrom(ana)).toBeGreaterThan(framesBefore + 30);
      } finally {
        rmSync(recordingsDir, { force: true });
        renameSync(saved, recordingsDir);
      }
    }, 30_000);

    it('logged no warning or error but the start that could not write', () => {
      const problems = log.lines().filter((line) => /^(warn|error) /.test(line));
      expect(problems.map((line) => line.split(' {')[0])).toEqual(['error a recording could not start']);
      expect(problems[0]).toContain('ENOTDIR');
    });

    it('leaves decodable files when killed with SIGKILL, and finishes them at the next start', async () => {
      const crashDir = join(workDir, 'crash-recordings');
      const main = await bundleCli();
      const first = await startServer(main, crashDir);
      const base = `http://127.0.0.1:${first.port}`;
      let info: RecordingInfo;
      let gus: Participant | undefined;
      try {
        gus = await Participant.join(`ws://127.0.0.1:${first.port}/rtc`, 'rec-crash', 'gus', {
          avSync: true,
        });
        await until(
          async () =>
            ((await api('GET', '/api/rooms/rec-crash', undefined, base)).body?.participants?.[0]?.tracks
              ?.length ?? 0) >= 2,
          10_000,
          "gus's tracks",
        );
        const started = await api('POST', '/api/rooms/rec-crash/recordings', {}, base);
        expect(started.status).toBe(201);
        info = started.body.recording;
        await sleep(5000);
        process.kill(first.process.pid, 'SIGKILL');
        await until(() => first.process.exited, 5000, 'the server to die');
      } finally {
        await gus?.stop();
        participants.splice(participants.indexOf(gus as Participant), 1);
        await first.process.stop();
      }
      // What the crash left: the manifest still says recording, and the file plays up to its last cluster.
      const left = JSON.parse(readFileSync(info.manifest, 'utf8')) as RecordingManifest;
      expect(left.status).toBe('recording');
      expect(left.files.map((file) => file.name)).toEqual(['gus-1.webm']);
      const path = join(crashDir, info.id, 'gus-1.webm');
      const crashed = await probeRecording(path);
      const crashedErrors = await decodeErrors(path);
      figures.crash = {
        bytes: (await stat(path)).size,
        duration: crashed.duration,
        lastFrameEnds: crashed.streams.map((stream) => stream.lastFrameEnd),
        decodeErrors: crashedErrors,
      };
      // Clusters are written whole: what is on disk decodes without an error.
      expect(crashedErrors).toBe('');
      const played = Math.min(...crashed.streams.map((stream) => stream.lastFrameEnd ?? 0));
      expect(played).toBeGreaterThanOrEqual(2);
      expect(crashed.streams.map((stream) => stream.codec).sort()).toEqual(['opus', 'vp8']);

      const second = await startServer(main, crashDir);
      try {
        const base2 = `http://127.0.0.1:${second.port}`;
        const manifest = JSON.parse(readFileSync(info.manifest, 'utf8')) as RecordingManifest;
        expect(manifest.status).toBe('failed');
        expect(manifest.error?.code).toBe('interrupted');
        expect(manifest.files).toHaveLength(1);
        expect(manifest.files[0]).toMatchObject({ status: 'done', name: 'gus-1.webm' });
        const repaired = await probeRecording(path);
        figures.repaired = { duration: repaired.duration, manifestDurationMs: manifest.files[0]?.durationMs };
        expect(repaired.duration).not.toBeNull();
        expect(repaired.duration ?? 0).toBeGreaterThanOrEqual(2);
        expect(Math.abs((repaired.duration ?? 0) * 1000 - (manifest.files[0]?.durationMs ?? 0))).toBeLessThan(
          100,
        );
        expect(await decodeErrors(path)).toBe('');
        const listed = await api('GET', '/api/recordings', undefined, base2);
        expect(listed.status).toBe(200);
        const found = (listed.body.recordings as RecordingInfo[]).find((entry) => entry.id === info.id);
        expect(found).toMatchObject({ status: 'failed', error: { code: 'interrupted' } });
        // Its totals are those of the finished files.
        expect(found?.bytes).toBe(manifest.files[0]?.bytes);
        expect(found?.bytes).toBe((await stat(path)).size);
        expect(found?.durationMs).toBeGreaterThanOrEqual(manifest.files[0]?.endOffsetMs ?? Number.NaN);
        expect((await api('GET', `/api/recordings/${info.id}`, undefined, base2)).body.recording).toEqual(
          found,
        );
      } finally {
        await second.process.stop();
      }
    }, 60_000);
  },
);

/**
 * The CLI bundled with esbuild (its media and TURN thread entries beside it,
 * where the workers look for them) into a folder of node_modules/.cache, so that a child
 * process runs `switchboard start` without a build of dist/; packages stay
 * imports resolved from the project's node_modules.
 */
async function bundleCli(): Promise<string> {
  const outdir = join(root, 'node_modules', '.cache', 'switchboard-recording-room');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  // Node looks for "type": "module" no further up than node_modules/.
  writeFileSync(join(outdir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  await build({
    entryPoints: [
      { in: join(root, 'src/cli/main.ts'), out: 'main' },
      { in: join(root, 'src/media/media-worker-thread.ts'), out: 'media-worker-thread' },
      // TURN relays run on threads of their own where the runtime allows it (Node ≥ 22.12).
      { in: join(root, 'src/server/turn-thread-worker.ts'), out: 'turn-thread-worker' },
    ],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return join(outdir, 'main.js');
}

/** `switchboard start` in a child process; resolves once its HTTP port is known. */
async function startServer(main: string, dir: string): Promise<{ process: StartedProcess; port: number }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('SWITCHBOARD_')),
  );
  const child = await startProcess(process.execPath, [main, 'start', ...serverFlags(dir)], {
    readyLine: /HTTP service started/,
    readyTimeoutMs: 20_000,
    env,
    cwd: root,
  });
  const line = child
    .output()
    .split('\n')
    .find((entry) => entry.includes('HTTP service started'));
  const port = Number(/"127\.0\.0\.1:(\d+)"/.exec(line ?? '')?.[1]);
  if (!Number.isInteger(port)) throw new Error(`no HTTP port in the server's output:\n${child.output()}`);
  return { process: child, port };
}
