/**
 * Room recordings: which participants' tracks go into which files, the
 * manifest that ties them to the room's time line, and the control surface
 * the admin API and signaling use (docs/protocol.md, "Recording").
 *
 * A recording of a room writes, in `<recording.dir>/<id>/`, one file per
 * participant and publication: the participant's microphone and camera
 * together in one WebM (Matroska when the video is H.264), any other track
 * (a screen share) in a file of its own. A participant who publishes again
 * (a new track) gets a new file; the manifest lists every file with its
 * offsets against the recording's start, and each participant's joins and
 * leaves, so that a time line can be rebuilt. The files themselves are
 * written by recorders on the media workers (src/media/recorder.ts).
 *
 * A file that cannot be written (disk full, the directory gone) fails the
 * recording: every file is finished where it is, the status is `failed`
 * with the cause, a `recording.failed` event goes out and the room hears the
 * recording ended. The room itself goes on.
 *
 * manifest.json is rewritten (to a temporary file, then renamed) at every
 * change, so after a crash it still says which files existed; on the next
 * start the service finishes those files (repairWebm) and marks the
 * recording as interrupted.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MediaWorker } from '../media/worker.js';
import { MediaWorkerError } from '../media/worker-errors.js';
import type { RecorderSummaryResult } from '../media/worker-protocol.js';
import { repairWebm } from '../recording/webm-repair.js';
import { type RecordingControl, RecordingControlError, type RecordingState } from '../signaling/recording.js';
import type { RoomManager } from '../signaling/rooms.js';
import type { Log } from '../util/log.js';
import type { ServerEventBus } from './events.js';
import type { ObservableSfuRoom, ProducerRecord, RecorderEvent, WorkerSfuService } from './sfu-service.js';

/** A file of a recording, as the API and the manifest describe it. */
export interface RecordingFileInfo {
  participantId: string;
  identity: string;
  /** Absolute path. */
  path: string;
  /** File name in the recording's directory. */
  name: string;
  audio: { codec: 'opus'; channels: number } | null;
  video: { codec: string; width: number; height: number } | null;
  /** From the recording's start to the file's first frame, ms. */
  startOffsetMs: number;
  /** From the recording's start to the file's end, ms; null while it records. */
  endOffsetMs: number | null;
  bytes: number;
  durationMs: number;
  status: 'recording' | 'done' | 'failed';
}

/** A participant's presence during a recording. */
export interface RecordingParticipantInfo {
  participantId: string;
  identity: string;
  /** From the recording's start, ms (0 when present at the start). */
  joinedOffsetMs: number;
  /** From the recording's start, ms; null while present. */
  leftOffsetMs: number | null;
}

/** A recording, as the admin API, the events and the manifest describe it. */
export interface RecordingInfo {
  id: string;
  room: string;
  status: 'recording' | 'stopping' | 'stopped' | 'failed';
  startedAt: string;
  stoppedAt: string | null;
  /** The participant who started it, or null for the admin API. */
  startedBy: string | null;
  audioOnly: boolean;
  /** The identities recorded, or null for everyone. */
  participants: string[] | null;
  directory: string;
  manifest: string;
  durationMs: number;
  bytes: number;
  error: { code: string; message: string } | null;
  files: RecordingFileInfo[];
}

/** The manifest adds the participants' time line to the info. */
export interface RecordingManifest extends RecordingInfo {
  version: 1;
  timeline: RecordingParticipantInfo[];
}

/** Why a request was refused. */
export type RecordingServiceErrorCode = 'not_found' | 'active' | 'inactive' | 'wrong_mode' | 'failed';

/** A refused or failed request; `code` maps to an HTTP status and a signaling error. */
export class RecordingServiceError extends Error {
  readonly code: RecordingServiceErrorCode;
  /** The recording that failed to start, when there is one. */
  readonly recording: RecordingInfo | undefined;

  constructor(code: RecordingServiceErrorCode, message: string, recording?: RecordingInfo) {
    super(message);
    this.name = 'RecordingServiceError';
    this.code = code;
    this.recording = recording;
  }
}

/** What the service needs. */
export interface RecordingServiceOptions {
  /** The directory recordings go to (created when needed). */
  dir: string;
  sfu: WorkerSfuService;
  rooms: RoomManager;
  events: ServerEventBus;
  log: Log;
  now?: () => number;
}

/** How to start a recording. */
export interface StartRecordingOptions {
  /** The participant who asked, or null for the admin API. */
  startedBy: string | null;
  audioOnly?: boolean;
  /** Identities to record; everyone when absent. */
  participants?: string[];
}

/** New tracks of a participant within this long go into one file, ms. */
const PUBLISH_SETTLE_MS = 300;
/** Recordings kept in the list (the oldest finished ones are forgotten). */
const MAX_LISTED = 1000;
const MANIFEST = 'manifest.json';

/** A file name part from an identity: letters, digits, _ . - kept, the rest as _. */
function fileSafe(identity: string): string {
  const safe = identity.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return safe.slice(0, 64) || 'participant';
}

/** One file being written or written. */
interface FileRecord extends RecordingFileInfo {
  worker: MediaWorker;
  recorderId: string | undefined;
  producerIds: string[];
}

/** One recording. */
class Recording {
  readonly id: string;
  readonly room: string;
  readonly startedAtMs: number;
  readonly startedBy: string | null;
  readonly audioOnly: boolean;
  readonly only: ReadonlySet<string> | null;
  readonly directory: string;
  status: RecordingInfo['status'] = 'recording';
  stoppedAtMs: number | undefined;
  error: { code: string; message: string } | null = null;
  readonly files: FileRecord[] = [];
  readonly timeline = new Map<string, RecordingParticipantInfo>();
  readonly counters = new Map<string, number>();
  readonly settleTimers = new Map<string, NodeJS.Timeout>();
  /** Participants whose files are being changed, so changes run one at a time per participant. */
  readonly updating = new Map<string, Promise<void>>();
  media: ObservableSfuRoom | undefined;
  detach: (() => void) | undefined;
  stopping: Promise<void> | undefined;
  manifestWrite: Promise<void> = Promise.resolve();
  readonly #now: () => number;

  constructor(
    id: string,
    room: string,
    directory: string,
    startedAtMs: number,
    options: StartRecordingOptions,
    now: () => number,
  ) {
    this.#now = now;
    this.id = id;
    this.room = room;
    this.directory = directory;
    this.startedAtMs = startedAtMs;
    this.startedBy = options.startedBy;
    this.audioOnly = options.audioOnly ?? false;
    this.only = options.participants ? new Set(options.participants) : null;
  }

  get active(): boolean {
    return this.status === 'recording';
  }

  state(): RecordingState {
    return { id: this.id, active: this.active, startedAt: this.startedAtMs, startedBy: this.startedBy };
  }

  info(): RecordingInfo {
    const files = this.files.map(({ worker: _w, recorderId: _r, producerIds: _p, ...file }) => ({ ...file }));
    return {
      id: this.id,
      room: this.room,
      status: this.status,
      startedAt: new Date(this.startedAtMs).toISOString(),
      stoppedAt: this.stoppedAtMs === undefined ? null : new Date(this.stoppedAtMs).toISOString(),
      startedBy: this.startedBy,
      audioOnly: this.audioOnly,
      participants: this.only ? [...this.only] : null,
      directory: this.directory,
      manifest: join(this.directory, MANIFEST),
      durationMs: Math.max(
        0,
        ...files.map((file) => file.endOffsetMs ?? file.startOffsetMs + file.durationMs),
        // So far, while it records.
        (this.stoppedAtMs ?? this.#now()) - this.startedAtMs,
      ),
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
      error: this.error,
      files,
    };
  }

  manifest(): RecordingManifest {
    return {
      version: 1,
      ...this.info(),
      timeline: [...this.timeline.values()].map((entry) => ({ ...entry })),
    };
  }
}

/** Starts, stops and lists recordings; signaling's RecordingControl. */
export class RecordingService implements RecordingControl {
  readonly dir: string;
  readonly #options: RecordingServiceOptions;
  readonly #now: () => number;
  readonly #recordings = new Map<string, Recording>();
  /** Finished recordings found on disk at start, by id. */
  readonly #past = new Map<string, RecordingInfo>();
  readonly #activeByRoom = new Map<string, Recording>();
  readonly #stopRoomListener: () => void;
  #closing: Promise<void> | undefined;

  constructor(options: RecordingServiceOptions) {
    this.#options = options;
    this.dir = resolve(options.dir);
    this.#now = options.now ?? Date.now;
    this.#stopRoomListener = options.sfu.onRoom((media) => {
      const recording = this.#activeByRoom.get(media.name);
      if (recording && !recording.media) this.#attach(recording, media, false);
    });
  }

  /**
   * Looks for recordings of an earlier run: their manifests are listed, and
   * those that were still recording (the process ended without stopping
   * them) get their files finished and are marked failed, "interrupted".
   */
  async recover(): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(this.dir);
    } catch {
      return;
    }
    for (const entry of entries.sort().slice(-MAX_LISTED)) {
      const path = join(this.dir, entry, MANIFEST);
      let manifest: RecordingManifest;
      try {
        manifest = JSON.parse(await readFile(path, 'utf8')) as RecordingManifest;
      } catch {
        continue;
      }
      if (typeof manifest?.id !== 'string' || !Array.isArray(manifest.files)) continue;
      if (manifest.status === 'recording' || manifest.status === 'stopping') {
        for (const file of manifest.files) {
          if (file.status !== 'recording') continue;
          try {
            // A file whose video turned out to be H.264 was renamed to .mkv once it started.
            const matroska = file.path.replace(/\.webm$/, '.mkv');
            if (matroska !== file.path && (await stat(file.path).catch(() => undefined)) === undefined) {
              file.path = matroska;
              file.name = file.name.replace(/\.webm$/, '.mkv');
            }
            const repaired = await repairWebm(file.path);
            file.bytes = repaired.size;
            file.durationMs = repaired.duration;
            file.endOffsetMs = file.startOffsetMs + repaired.duration;
            file.status = 'done';
          } catch (error) {
            file.status = 'failed';
            this.#options.log.warn(
              { err: error, file: file.path },
              'an interrupted recording file could not be repaired',
            );
          }
        }
        // The totals were written while the files grew (bytes 0 until a file ends): take the finished ones'.
        manifest.bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
        manifest.durationMs = Math.max(
          manifest.durationMs,
          ...manifest.files.map((file) => file.endOffsetMs ?? file.startOffsetMs + file.durationMs),
        );
        manifest.status = 'failed';
        manifest.error = {
          code: 'interrupted',
          message: 'the server stopped while recording; files were finished on restart',
        };
        manifest.stoppedAt ??= (await stat(path).catch(() => undefined))?.mtime.toISOString() ?? null;
        await writeManifest(join(this.dir, entry), manifest).catch(() => {});
        this.#options.log.warn(
          { recording: manifest.id, room: manifest.room },
          'an interrupted recording was finished',
        );
      }
      const { timeline: _timeline, version: _version, ...info } = manifest;
      this.#past.set(manifest.id, info);
    }
  }

  state(room: string): RecordingState | null {
    return this.#activeByRoom.get(room)?.state() ?? null;
  }

  /** Every recording known, newest first. */
  list(): RecordingInfo[] {
    const live = [...this.#recordings.values()].map((recording) => recording.info());
    const past = [...this.#past.values()].filter((info) => !this.#recordings.has(info.id));
    return [...live, ...past].sort((a, b) =>
      a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0,
    );
  }

  get(id: string): RecordingInfo | undefined {
    return this.#recordings.get(id)?.info() ?? this.#past.get(id);
  }

  /**
   * Brings the bytes and duration of the files being written up to date,
   * from their recorders (the summaries only come when a file ends), so
   * that what the API answers is "so far".
   */
  async refresh(): Promise<void> {
    const running = [...this.#activeByRoom.values()].flatMap((recording) =>
      recording.files.filter((file) => file.status === 'recording' && file.recorderId !== undefined),
    );
    await Promise.all(
      running.map(async (file) => {
        const recorderId = file.recorderId as string;
        try {
          const stats = await file.worker.getRecorderStats(recorderId);
          if (file.recorderId !== recorderId || file.status !== 'recording') return;
          file.bytes = stats.bytes;
          file.durationMs = stats.durationMs;
        } catch {
          // It ended meanwhile: its summary has the final figures.
        }
      }),
    );
  }

  /** The active recording of a room, if any. */
  activeIn(room: string): RecordingInfo | undefined {
    return this.#activeByRoom.get(room)?.info();
  }

  /** Number of recordings running, for metrics. */
  get activeCount(): number {
    return this.#activeByRoom.size;
  }

  /** RecordingControl.start, for signaling. */
  async start(room: string, options: { startedBy: string; audioOnly?: boolean }): Promise<RecordingState>;
  async start(room: string, options: StartRecordingOptions): Promise<RecordingState>;
  async start(room: string, options: StartRecordingOptions): Promise<RecordingState> {
    try {
      return (await this.startRecording(room, options)).state;
    } catch (error) {
      throw controlError(error);
    }
  }

  /** RecordingControl.stop, for signaling. */
  async stop(room: string, options: { stoppedBy: string }): Promise<RecordingState> {
    const recording = this.#activeByRoom.get(room);
    if (!recording)
      throw new RecordingControlError('recording_inactive', `room ${room} is not being recorded`);
    await this.#stop(recording, options.stoppedBy);
    return recording.state();
  }

  /**
   * Starts recording a room. Rejects with RecordingServiceError: not_found
   * (no such room), wrong_mode (a p2p room), active (one runs already),
   * failed (the directory cannot be created: the recording is listed as
   * failed).
   */
  async startRecording(
    roomName: string,
    options: StartRecordingOptions,
  ): Promise<{ info: RecordingInfo; state: RecordingState }> {
    if (this.#closing) throw new RecordingServiceError('failed', 'the server is shutting down');
    const room = this.#options.rooms.get(roomName);
    if (!room) throw new RecordingServiceError('not_found', `no room ${roomName}`);
    if (room.settings.mode !== 'sfu')
      throw new RecordingServiceError('wrong_mode', `room ${roomName} is p2p: only sfu rooms are recorded`);
    if (this.#activeByRoom.has(roomName))
      throw new RecordingServiceError('active', `room ${roomName} is being recorded already`);
    const now = this.#now();
    const id = `RE_${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}_${randomBytes(6).toString('hex')}`;
    const recording = new Recording(id, roomName, join(this.dir, id), now, options, this.#now);
    this.#recordings.set(id, recording);
    this.#trimList();
    this.#activeByRoom.set(roomName, recording);
    try {
      await mkdir(recording.directory, { recursive: true });
      await writeManifest(recording.directory, recording.manifest());
    } catch (error) {
      this.#activeByRoom.delete(roomName);
      recording.status = 'failed';
      recording.stoppedAtMs = this.#now();
      recording.error = {
        code: 'write_failed',
        message: `cannot write ${recording.directory}: ${(error as Error).message}`,
      };
      this.#options.log.error({ err: error, recording: id, room: roomName }, 'a recording could not start');
      this.#options.events.emit('recording.failed', { recording: recording.info() });
      throw new RecordingServiceError('failed', recording.error.message, recording.info());
    }
    this.#options.log.info(
      { recording: id, room: roomName, startedBy: options.startedBy },
      'recording started',
    );
    const media = this.#options.sfu.mediaRoom(roomName);
    if (media) this.#attach(recording, media, true);
    const except = options.startedBy === null ? undefined : room.participants.get(options.startedBy);
    room.broadcast({ type: 'recording', recording: recording.state() }, except);
    this.#options.events.emit('recording.started', { recording: recording.info() });
    return { info: recording.info(), state: recording.state() };
  }

  /** Stops a recording by id and finishes its files. Rejects with not_found. */
  async stopRecording(id: string, room?: string): Promise<RecordingInfo> {
    const recording = this.#recordings.get(id);
    if (!recording || (room !== undefined && recording.room !== room)) {
      const past = this.#past.get(id);
      if (past && (room === undefined || past.room === room)) return past;
      throw new RecordingServiceError(
        'not_found',
        `no recording ${id}${room === undefined ? '' : ` in room ${room}`}`,
      );
    }
    await this.#stop(recording, null);
    return recording.info();
  }

  /** Stops every recording (files finished) and stops listening. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopRoomListener();
      await Promise.all([...this.#activeByRoom.values()].map((recording) => this.#stop(recording, null)));
    })();
    return this.#closing;
  }

  #trimList(): void {
    if (this.#recordings.size <= MAX_LISTED) return;
    for (const [id, recording] of this.#recordings) {
      if (this.#recordings.size <= MAX_LISTED) break;
      if (!recording.active && !recording.stopping) this.#recordings.delete(id);
    }
  }

  /**
   * Follows the room's media. `atStart`: attached as the recording starts, so its members were there
   * from the start (joinedOffsetMs 0, though the directory and first manifest took a few ms).
   */
  #attach(recording: Recording, media: ObservableSfuRoom, atStart: boolean): void {
    recording.media = media;
    recording.detach = media.observe({
      producerAdded: (producer) => this.#onProducer(recording, producer.participantId),
      producerPaused: (producer) => this.#onProducer(recording, producer.participantId),
      memberJoined: (participantId) => this.#joined(recording, participantId),
      memberLeft: (participantId) => {
        const entry = recording.timeline.get(participantId);
        if (entry && entry.leftOffsetMs === null) entry.leftOffsetMs = this.#now() - recording.startedAtMs;
        this.#saveManifest(recording);
      },
      recorderEvent: (event) => this.#onRecorderEvent(recording, event),
      closed: () => {
        void this.#stop(recording, null);
      },
    });
    for (const participantId of media.members.keys()) this.#joined(recording, participantId, atStart);
    const publishers = new Set([...media.producers.values()].map((producer) => producer.participantId));
    for (const participantId of publishers) this.#update(recording, participantId);
  }

  #joined(recording: Recording, participantId: string, atStart = false): void {
    const identity = this.#identity(recording.room, participantId);
    if (recording.only && !recording.only.has(identity)) return;
    recording.timeline.set(participantId, {
      participantId,
      identity,
      joinedOffsetMs: atStart ? 0 : Math.max(0, this.#now() - recording.startedAtMs),
      leftOffsetMs: null,
    });
    this.#saveManifest(recording);
  }

  #identity(room: string, participantId: string): string {
    return this.#options.rooms.get(room)?.participants.get(participantId)?.identity ?? participantId;
  }

  /** A participant published: its files follow once its tracks settle (audio and video come together). */
  #onProducer(recording: Recording, participantId: string): void {
    if (!recording.active) return;
    clearTimeout(recording.settleTimers.get(participantId));
    const timer = setTimeout(() => {
      recording.settleTimers.delete(participantId);
      this.#update(recording, participantId);
    }, PUBLISH_SETTLE_MS);
    timer.unref();
    recording.settleTimers.set(participantId, timer);
  }

  /** Brings a participant's files in line with what it publishes now, one change at a time. */
  #update(recording: Recording, participantId: string): void {
    const previous = recording.updating.get(participantId) ?? Promise.resolve();
    const next = previous
      .then(() => this.#updateFiles(recording, participantId))
      .catch((error: unknown) =>
        this.#options.log.error({ err: error, recording: recording.id }, 'recording update failed'),
      );
    recording.updating.set(participantId, next);
  }

  async #updateFiles(recording: Recording, participantId: string): Promise<void> {
    const media = recording.media;
    if (!recording.active || !media || media.closed) return;
    const identity = this.#identity(recording.room, participantId);
    if (recording.only && !recording.only.has(identity)) return;
    const current = recording.files.filter(
      (file) => file.participantId === participantId && file.status === 'recording',
    );
    const inFiles = new Set(current.flatMap((file) => file.producerIds));
    // A file starts on a video key frame, so a camera muted at the start would hold its audio back:
    // the audio is recorded alone, and the camera joins it in a new file once unmuted. A camera
    // muted later leaves a gap in its file.
    const groups = groupProducers(
      [...media.producers.values()].filter(
        (producer) =>
          producer.participantId === participantId &&
          (!recording.audioOnly || producer.kind === 'audio') &&
          (producer.kind === 'audio' || !producer.paused || inFiles.has(producer.producerId)),
      ),
    );
    const key = (ids: string[]) => [...ids].sort().join(',');
    const wanted = new Set(groups.map((group) => key(group.map((producer) => producer.producerId))));
    const have = new Set(current.map((file) => key(file.producerIds)));
    if (wanted.size === have.size && [...wanted].every((group) => have.has(group))) return;
    // Files whose tracks changed are finished; the new set starts in new files.
    await Promise.all(
      current
        .filter((file) => !wanted.has(key(file.producerIds)))
        .map((file) => this.#finishFile(recording, file)),
    );
    const { worker, routerId } = await media.ready;
    for (const group of groups) {
      if (!recording.active) return;
      const ids = group.map((producer) => producer.producerId);
      if (have.has(key(ids))) continue;
      const n = (recording.counters.get(identity) ?? 0) + 1;
      recording.counters.set(identity, n);
      const hasVideo = group.some((producer) => producer.kind === 'video');
      const name = `${fileSafe(identity)}-${n}${hasVideo ? '' : '-audio'}.webm`;
      const file: FileRecord = {
        participantId,
        identity,
        path: join(recording.directory, name),
        name,
        audio: null,
        video: null,
        startOffsetMs: this.#now() - recording.startedAtMs,
        endOffsetMs: null,
        bytes: 0,
        durationMs: 0,
        status: 'recording',
        worker,
        recorderId: undefined,
        producerIds: ids,
      };
      recording.files.push(file);
      const audio = group.find((producer) => producer.kind === 'audio');
      const video = group.find((producer) => producer.kind === 'video');
      try {
        file.recorderId = await worker.startRecorder(routerId, {
          path: file.path,
          ...(audio ? { audioProducerId: audio.producerId } : {}),
          ...(video ? { videoProducerId: video.producerId } : {}),
        });
      } catch (error) {
        if (error instanceof MediaWorkerError && error.code === 'ERR_MEDIA_NOT_FOUND') {
          // The track went away meanwhile: nothing to record.
          recording.files.splice(recording.files.indexOf(file), 1);
          continue;
        }
        file.status = 'failed';
        this.#fail(recording, {
          code:
            error instanceof MediaWorkerError && error.code === 'ERR_MEDIA_WRITE_FAILED'
              ? 'write_failed'
              : 'start_failed',
          message: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      if (!recording.active) await this.#finishFile(recording, file);
    }
    this.#saveManifest(recording);
  }

  #onRecorderEvent(recording: Recording, event: RecorderEvent): void {
    const file = recording.files.find((candidate) => candidate.recorderId === event.recorderId);
    if (!file) return;
    if (event.type === 'recorder.failed') {
      file.status = 'failed';
      this.#fail(recording, { code: 'write_failed', message: event.error.message });
      return;
    }
    this.#applySummary(recording, file, event.summary);
    this.#saveManifest(recording);
  }

  #applySummary(recording: Recording, file: FileRecord, summary: RecorderSummaryResult): void {
    if (file.status === 'recording') file.status = summary.state === 'failed' ? 'failed' : 'done';
    file.recorderId = undefined;
    file.path = summary.path;
    file.name = summary.path.slice(summary.path.lastIndexOf('/') + 1);
    file.bytes = summary.bytes;
    file.durationMs = summary.durationMs;
    file.audio = summary.audio;
    file.video = summary.video;
    if (summary.startedAtMs !== null) file.startOffsetMs = summary.startedAtMs - recording.startedAtMs;
    file.endOffsetMs = file.startOffsetMs + summary.durationMs;
  }

  async #finishFile(recording: Recording, file: FileRecord): Promise<void> {
    const recorderId = file.recorderId;
    if (recorderId === undefined) return;
    try {
      this.#applySummary(recording, file, await file.worker.stopRecorder(recorderId));
    } catch (error) {
      // Already closed (its producers went): its close event brought the summary.
      if (!(error instanceof MediaWorkerError && error.code === 'ERR_MEDIA_NOT_FOUND')) {
        file.status = 'failed';
        this.#options.log.warn({ err: error, file: file.path }, 'a recording file could not be finished');
      }
      file.recorderId = undefined;
    }
  }

  #fail(recording: Recording, error: { code: string; message: string }): void {
    if (recording.error === null) recording.error = error;
    this.#options.log.error({ recording: recording.id, room: recording.room, error }, 'recording failed');
    void this.#stop(recording, null, true);
  }

  #stop(recording: Recording, stoppedBy: string | null, failed = false): Promise<void> {
    recording.stopping ??= (async () => {
      recording.status = 'stopping';
      for (const timer of recording.settleTimers.values()) clearTimeout(timer);
      recording.settleTimers.clear();
      await Promise.all([...recording.updating.values()]);
      await Promise.all(recording.files.map((file) => this.#finishFile(recording, file)));
      recording.detach?.();
      recording.stoppedAtMs = this.#now();
      for (const entry of recording.timeline.values())
        entry.leftOffsetMs ??= recording.stoppedAtMs - recording.startedAtMs;
      recording.status = failed || recording.error ? 'failed' : 'stopped';
      if (this.#activeByRoom.get(recording.room) === recording) this.#activeByRoom.delete(recording.room);
      this.#saveManifest(recording);
      await recording.manifestWrite;
      const room = this.#options.rooms.get(recording.room);
      const except = stoppedBy === null ? undefined : room?.participants.get(stoppedBy);
      room?.broadcast({ type: 'recording', recording: recording.state() }, except);
      const info = recording.info();
      this.#options.log.info(
        {
          recording: recording.id,
          room: recording.room,
          status: info.status,
          files: info.files.length,
          bytes: info.bytes,
        },
        'recording stopped',
      );
      this.#options.events.emit(info.status === 'failed' ? 'recording.failed' : 'recording.stopped', {
        recording: info,
      });
    })();
    return recording.stopping;
  }

  #saveManifest(recording: Recording): void {
    const manifest = recording.manifest();
    recording.manifestWrite = recording.manifestWrite
      .then(() => writeManifest(recording.directory, manifest))
      .catch((error: unknown) => {
        this.#options.log.warn(
          { err: error, recording: recording.id },
          'the recording manifest could not be written',
        );
      });
  }
}

/** Writes manifest.json whole: to a temporary file, then renamed over the old one. */
async function writeManifest(directory: string, manifest: RecordingManifest): Promise<void> {
  const path = join(directory, MANIFEST);
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(temporary, path);
}

/**
 * A participant's tracks in files: its microphone with its camera (or the
 * first audio with the first video that is not a screen share), and every
 * other track alone.
 */
export function groupProducers(producers: readonly ProducerRecord[]): ProducerRecord[][] {
  const audios = producers.filter((producer) => producer.kind === 'audio');
  const videos = producers.filter((producer) => producer.kind === 'video');
  const audio = audios.find((producer) => producer.source === 'microphone') ?? audios[0];
  const video =
    videos.find((producer) => producer.source === 'camera') ??
    videos.find((producer) => producer.source !== 'screen');
  const main = [audio, video].filter((producer): producer is ProducerRecord => producer !== undefined);
  const groups = main.length > 0 ? [main] : [];
  for (const producer of producers) if (!main.includes(producer)) groups.push([producer]);
  return groups;
}

/** A service error as signaling's error. */
function controlError(error: unknown): unknown {
  if (!(error instanceof RecordingServiceError)) return error;
  switch (error.code) {
    case 'active':
      return new RecordingControlError('recording_active', error.message);
    case 'inactive':
      return new RecordingControlError('recording_inactive', error.message);
    case 'wrong_mode':
      return new RecordingControlError('wrong_mode', error.message);
    default:
      return new RecordingControlError('recording_failed', error.message);
  }
}
