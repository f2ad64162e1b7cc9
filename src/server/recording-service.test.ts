import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { vp8InterFrame, vp8KeyFrame } from '../../test/fixtures/recording/codec-vectors.js';
import type { MediaWorker } from '../media/worker.js';
import type { RecorderSummaryResult } from '../media/worker-protocol.js';
import { MemorySink } from '../recording/sink.js';
import { readWebm } from '../recording/webm-reader.js';
import { WebmWriter, type WrittenCluster } from '../recording/webm-writer.js';
import { Participant } from '../signaling/room.js';
import { RoomManager } from '../signaling/rooms.js';
import { silentLog } from '../util/log.js';
import { ServerEventBus } from './events.js';
import { groupProducers, type RecordingManifest, RecordingService } from './recording-service.js';
import type { ObservableSfuRoom, ProducerRecord, SfuRoomObserver, WorkerSfuService } from './sfu-service.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-recordings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const producer = (
  producerId: string,
  kind: 'audio' | 'video',
  source: ProducerRecord['source'],
): ProducerRecord => ({ producerId, participantId: 'PA_1', kind, source, paused: false });

/** A service over a fake SFU with no rooms, and rooms in sfu mode. */
function service(recordingsDir: string): { recordings: RecordingService; events: ServerEventBus } {
  const sfu = {
    mediaRoom: (): ObservableSfuRoom | undefined => undefined,
    onRoom: () => () => {},
  } as unknown as WorkerSfuService;
  const rooms = new RoomManager({ mode: 'sfu', maxParticipants: 10, emptyTimeoutMs: 60_000 }, silentLog);
  const events = new ServerEventBus();
  return {
    recordings: new RecordingService({ dir: recordingsDir, sfu, rooms, events, log: silentLog }),
    events,
  };
}

describe('groupProducers', () => {
  it('puts the microphone with the camera and every other track alone', () => {
    const mic = producer('a', 'audio', 'microphone');
    const camera = producer('v', 'video', 'camera');
    const screen = producer('s', 'video', 'screen');
    const screenAudio = producer('sa', 'audio', 'screen_audio');
    expect(groupProducers([screen, screenAudio, camera, mic])).toEqual([
      [mic, camera],
      [screen],
      [screenAudio],
    ]);
  });

  it('pairs unknown sources, never a screen share with the microphone', () => {
    const audio = producer('a', 'audio', 'unknown');
    const video = producer('v', 'video', 'unknown');
    expect(groupProducers([video, audio])).toEqual([[audio, video]]);
    const mic = producer('m', 'audio', 'microphone');
    const screen = producer('s', 'video', 'screen');
    expect(groupProducers([mic, screen])).toEqual([[mic], [screen]]);
    expect(groupProducers([])).toEqual([]);
  });
});

describe('RecordingService', () => {
  it('refuses a room that does not exist', async () => {
    const { recordings } = service(join(dir, 'refusals'));
    await expect(recordings.startRecording('nowhere', { startedBy: null })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(recordings.list()).toEqual([]);
  });

  it('fails a recording whose directory cannot be created, says why, and emits recording.failed', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    const sfu = {
      mediaRoom: (): ObservableSfuRoom | undefined => undefined,
      onRoom: () => () => {},
    } as unknown as WorkerSfuService;
    const rooms = new RoomManager({ mode: 'sfu', maxParticipants: 10, emptyTimeoutMs: 60_000 }, silentLog);
    rooms.create('r1');
    rooms.create('p1', { mode: 'p2p' });
    const events = new ServerEventBus();
    const failed: unknown[] = [];
    events.on('recording.failed', (event) => failed.push(event));
    const recordings = new RecordingService({
      dir: join(file, 'recordings'),
      sfu,
      rooms,
      events,
      log: silentLog,
    });
    await expect(recordings.startRecording('p1', { startedBy: null })).rejects.toMatchObject({
      code: 'wrong_mode',
    });
    const error = await recordings
      .startRecording('r1', { startedBy: null })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'failed' });
    expect((error as Error).message).toMatch(/ENOTDIR|not a directory/i);
    expect(failed).toHaveLength(1);
    const [listed] = recordings.list();
    expect(listed).toMatchObject({ room: 'r1', status: 'failed', error: { code: 'write_failed' } });
    expect(recordings.state('r1')).toBeNull();
  });

  it('finishes the files of a recording a crash interrupted, and lists it as failed: interrupted', async () => {
    const base = join(dir, 'recover');
    const id = 'RE_20261129T100000_000000000001';
    const recordingDir = join(base, id);
    mkdirSync(recordingDir, { recursive: true });
    // A writer that never closed, cut in the middle of its last cluster.
    const sink = new MemorySink();
    const clusters: WrittenCluster[] = [];
    const writer = new WebmWriter(sink, {
      video: { codec: 'vp8', width: 320, height: 240 },
      audio: { codec: 'opus', channels: 1 },
      onClusterWritten: (cluster) => clusters.push(cluster),
    });
    for (let i = 0; i < 150; i++) {
      const ms = Math.round((i * 1000) / 30);
      writer.writeFrame('audio', ms, Uint8Array.of(0xf8, 0xff, 0xfe));
      writer.writeFrame('video', ms, i % 30 === 0 ? vp8KeyFrame() : vp8InterFrame(), i % 30 === 0);
    }
    await writer.flush();
    const last = clusters[clusters.length - 1];
    const path = join(recordingDir, 'alice-1.webm');
    const cut = sink.bytes().subarray(0, last.offset + Math.floor(last.size / 2));
    writeFileSync(path, cut);
    // A file the recorder renamed to .mkv (H.264) while the manifest still says .webm.
    writeFileSync(join(recordingDir, 'bob-1.mkv'), cut);
    const manifest: RecordingManifest = {
      version: 1,
      id,
      room: 'r1',
      status: 'recording',
      startedAt: '2026-11-29T10:00:00.000Z',
      stoppedAt: null,
      startedBy: null,
      audioOnly: false,
      participants: null,
      directory: recordingDir,
      manifest: join(recordingDir, 'manifest.json'),
      durationMs: 0,
      bytes: 0,
      error: null,
      files: [
        {
          participantId: 'PA_1',
          identity: 'alice',
          path,
          name: 'alice-1.webm',
          audio: null,
          video: null,
          startOffsetMs: 120,
          endOffsetMs: null,
          bytes: 0,
          durationMs: 0,
          status: 'recording',
        },
        {
          participantId: 'PA_2',
          identity: 'bob',
          path: join(recordingDir, 'bob-1.webm'),
          name: 'bob-1.webm',
          audio: null,
          video: null,
          startOffsetMs: 0,
          endOffsetMs: null,
          bytes: 0,
          durationMs: 0,
          status: 'recording',
        },
      ],
      timeline: [],
    };
    writeFileSync(join(recordingDir, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(base, 'stray-file'), 'ignored');
    mkdirSync(join(base, 'no-manifest'));

    const { recordings } = service(base);
    await recordings.recover();
    const rewritten = JSON.parse(
      readFileSync(join(recordingDir, 'manifest.json'), 'utf8'),
    ) as RecordingManifest;
    expect(rewritten.status).toBe('failed');
    expect(rewritten.error?.code).toBe('interrupted');
    expect(rewritten.stoppedAt).not.toBeNull();
    const [file, renamed] = rewritten.files;
    expect(renamed).toMatchObject({
      name: 'bob-1.mkv',
      path: join(recordingDir, 'bob-1.mkv'),
      status: 'done',
    });
    expect(rewritten.bytes).toBe(file.bytes + renamed.bytes);
    expect(file.status).toBe('done');
    expect(file.durationMs).toBeGreaterThan(3000);
    expect(file.endOffsetMs).toBe(120 + file.durationMs);
    const structure = readWebm(new Uint8Array(readFileSync(path)));
    expect(structure.truncatedAt).toBeUndefined();
    expect(structure.cuesOffset).toBeDefined();
    expect(file.bytes).toBe(readFileSync(path).length);
    expect(recordings.get(id)).toMatchObject({ id, status: 'failed', error: { code: 'interrupted' } });
    expect(recordings.list().map((recording) => recording.id)).toEqual([id]);
    // A second start finds it finished and leaves it alone.
    const again = service(base).recordings;
    await again.recover();
    expect(again.get(id)?.files[0].bytes).toBe(file.bytes);
  });
});

/** A room's media with no engine: producers and members changed by the test, recorders counted. */
class FakeMedia implements ObservableSfuRoom {
  readonly name: string;
  readonly producers = new Map<string, ProducerRecord>();
  readonly members = new Map<string, unknown>();
  readonly observers = new Set<SfuRoomObserver>();
  readonly started: { recorderId: string; path: string; audio?: string; video?: string }[] = [];
  readonly stopped: string[] = [];
  closed = false;
  readonly worker = {
    startRecorder: async (
      _routerId: string,
      options: { path: string; audioProducerId?: string; videoProducerId?: string },
    ) => {
      const recorderId = `rec-${this.started.length + 1}`;
      this.started.push({
        recorderId,
        path: options.path,
        ...(options.audioProducerId ? { audio: options.audioProducerId } : {}),
        ...(options.videoProducerId ? { video: options.videoProducerId } : {}),
      });
      return recorderId;
    },
    stopRecorder: async (recorderId: string): Promise<RecorderSummaryResult> => {
      this.stopped.push(recorderId);
      const started = this.started.find((entry) => entry.recorderId === recorderId)!;
      return {
        recorderId,
        state: 'closed',
        path: started.path,
        bytes: 1000,
        durationMs: 500,
        startedAtMs: null,
        audio: started.audio ? { codec: 'opus', channels: 1 } : null,
        video: started.video ? { codec: 'vp8', width: 320, height: 240 } : null,
        finalized: true,
        stats: {
          audioFrames: 0,
          videoFrames: 0,
          incompleteFrames: 0,
          keyframeRequests: 0,
          senderReports: 0,
          framesBeforeStart: 0,
        },
      };
    },
  } as unknown as MediaWorker;
  readonly ready = Promise.resolve({ worker: this.worker, routerId: 'router-1' });

  constructor(name: string) {
    this.name = name;
  }

  observe(observer: SfuRoomObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  publish(record: ProducerRecord): void {
    this.producers.set(record.producerId, record);
    for (const observer of this.observers) observer.producerAdded?.(record);
  }

  pause(producerId: string, paused: boolean): void {
    const record = this.producers.get(producerId)!;
    record.paused = paused;
    for (const observer of this.observers) observer.producerPaused?.(record);
  }
}

describe('RecordingService files', () => {
  it('records a camera muted at the start as audio, then audio and video in a new file once unmuted', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const media = new FakeMedia('files');
      const sfu = {
        mediaRoom: () => media,
        onRoom: () => () => {},
      } as unknown as WorkerSfuService;
      const rooms = new RoomManager({ mode: 'sfu', maxParticipants: 10, emptyTimeoutMs: 60_000 }, silentLog);
      const room = rooms.create('files')!;
      const grants = { join: true, publish: true, subscribe: true, data: true, admin: false, record: false };
      const alice = new Participant({
        identity: 'alice/1',
        name: 'Alice',
        metadata: null,
        grants,
        joinedAt: 0,
      });
      rooms.add(room, alice);
      media.members.set(alice.id, {});
      media.producers.set('mic', {
        producerId: 'mic',
        participantId: alice.id,
        kind: 'audio',
        source: 'microphone',
        paused: false,
      });
      media.producers.set('cam', {
        producerId: 'cam',
        participantId: alice.id,
        kind: 'video',
        source: 'camera',
        paused: true,
      });
      const events = new ServerEventBus();
      const recordings = new RecordingService({
        dir: join(dir, 'files'),
        sfu,
        rooms,
        events,
        log: silentLog,
      });
      const { info } = await recordings.startRecording('files', { startedBy: null });
      await vi.advanceTimersByTimeAsync(10);
      expect(media.started).toEqual([
        { recorderId: 'rec-1', path: join(info.directory, 'alice_1-1-audio.webm'), audio: 'mic' },
      ]);
      // Unmuted: the audio-only file ends and both go into the next one.
      media.pause('cam', false);
      await vi.advanceTimersByTimeAsync(400);
      expect(media.stopped).toEqual(['rec-1']);
      expect(media.started[1]).toMatchObject({ recorderId: 'rec-2', audio: 'mic', video: 'cam' });
      // Muted again mid-file: the file goes on with a gap.
      media.pause('cam', true);
      await vi.advanceTimersByTimeAsync(400);
      expect(media.started).toHaveLength(2);
      // A screen share gets a file of its own; the camera file goes on.
      media.publish({
        producerId: 'screen',
        participantId: alice.id,
        kind: 'video',
        source: 'screen',
        paused: false,
      });
      await vi.advanceTimersByTimeAsync(400);
      expect(media.started[2]).toMatchObject({ recorderId: 'rec-3', video: 'screen' });
      expect(media.stopped).toEqual(['rec-1']);
      const stopped = await recordings.stopRecording(info.id);
      expect(stopped.status).toBe('stopped');
      expect(media.stopped.sort()).toEqual(['rec-1', 'rec-2', 'rec-3']);
      expect(stopped.files.map((file) => [file.name, file.status, file.video?.codec ?? null])).toEqual([
        ['alice_1-1-audio.webm', 'done', null],
        ['alice_1-2.webm', 'done', 'vp8'],
        ['alice_1-3.webm', 'done', 'vp8'],
      ]);
      const manifest = JSON.parse(readFileSync(stopped.manifest, 'utf8')) as RecordingManifest;
      expect(manifest.files).toHaveLength(3);
      expect(manifest.timeline).toEqual([
        { participantId: alice.id, identity: 'alice/1', joinedOffsetMs: 0, leftOffsetMs: expect.any(Number) },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
