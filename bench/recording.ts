/**
 * Recording benchmark: what recording a room costs our SFU in CPU beyond
 * forwarding it, with forwarding alone as the reference, in the same run
 * and on the same traffic.
 *
 *   npm run bench:recording -- [--publishers 10] [--subscribers 1] [--duration 5]
 *                              [--rounds 3] [--dir /tmp]
 *
 * A synthetic room: P publishers (default 10), each sending VP8 at 30
 * frames/s and about 1.5 Mbit/s plus Opus every 20 ms (bench/sfu-media.ts),
 * with a sender report per stream every second as a browser's RTCP would;
 * 2P tracks (default 20). Every subscriber (default 1) receives every track,
 * so each track is really forwarded. Publishers and subscribers are
 * lightweight endpoints on the project's own ICE, DTLS and SRTP
 * (bench/webrtc-client.ts), all in this process — the load generator. The
 * server is bench/sfu-server.ts in a process of its own (a Router on one
 * IceUdpMux, one thread), and its CPU is all that is measured: user +
 * system time of all its threads (process.cpuUsage, which includes libuv's
 * pool threads doing the file writes), read at the start and end of each
 * window; and from /proc/PID/task, where there is one, the same time split
 * into the main thread, the other threads (V8's helpers, libuv's pool) and
 * kernel time.
 *
 * Two phases, alternating in each round (A then B in odd rounds, B then A
 * in even ones), each measured over a window of --duration seconds:
 *
 *   A  forwarding only — the reference;
 *   B  forwarding and recording: one Recorder per publisher (its audio and
 *      video into one WebM file, as the media engine's `recorder.start`
 *      opens it), so all 2P tracks are recorded. The window starts once
 *      every recorder writes its file (both tracks' sender reports and a key
 *      frame are in) and a second has passed; the recorders are stopped,
 *      and their files finished, after it.
 *
 * Before the rounds, 3 s of forwarding and one 5 s recording are run
 * unmeasured, so that neither phase pays for the first JIT compilation.
 * Files go to a fresh folder under --dir (default the OS's temporary
 * folder), deleted at the end. Each recorder's summary must show a clean
 * finish with audio and video frames, and after the rounds every file is
 * read back with src/recording/webm-reader.ts (tracks, frame counts equal to
 * the summary's, duration, cues) and one of them with `ffprobe` when it is
 * on PATH; an empty or unreadable recording fails the run instead of
 * printing figures.
 *
 * Figures (medians over the rounds): cpu_forward_cores (A) and
 * cpu_record_cores (B), in cores; recording_extra_cores, the median of each
 * round's B − A (adjacent windows, same machine state); extra_core_pct_per_track,
 * that divided by the tracks, in % of one core; ratio, the median of B / A;
 * target_met, whether the extra stays under 0.5 % of a core per track (the
 * issue's 10 % of a core for 20 tracks); extra_main_thread_cores,
 * extra_other_threads_cores and extra_system_cores, the same B − A split;
 * written_bytes_per_s, the bytes of all the files of a round per second of
 * recording; and the check of one file (frames, duration).
 *
 * The last line of the output is `key=value` figures for scripts.
 * Environment: BENCH_PUBLISHERS, BENCH_SUBSCRIBERS, BENCH_DURATION,
 * BENCH_ROUNDS, BENCH_RECORDING_DIR (flags win); BENCH_FFPROBE (ffprobe's
 * binary, default `ffprobe` on PATH).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readWebm } from '../src/recording/webm-reader.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../src/util/certificate.js';
import {
  fixed,
  integer,
  keyValue,
  median,
  percent,
  readBenchFlags,
  runBenchmark,
  seconds,
  sleep,
} from './cli.js';
import { machineBusyFraction, machineCpuSample, type ThreadCpuSeconds, threadCpuSeconds } from './cpu.js';
import { findExecutable } from './executables.js';
import { SyntheticPublisher } from './sfu-media.js';
import type { RecordingSummary, ServerStats } from './sfu-protocol.js';
import { parseDescription, publisherOffer, remoteEndpointOf, subscriberAnswer } from './sfu-sdp.js';
import { OurSfuServer } from './sfu-server-client.js';
import { WebRtcClient } from './webrtc-client.js';

/** Settings of a benchmark run. */
interface BenchOptions {
  publishers: number;
  subscribers: number;
  durationSeconds: number;
  rounds: number;
  /** The folder the run's own temporary folder is made in. */
  parentDirectory: string;
  ffprobe: string | undefined;
}

/** The issue's budget: 10 % of a core for 20 recorded tracks. */
const TARGET_CORES_PER_TRACK = 0.1 / 20;
/** Unmeasured forwarding before the rounds. */
const WARMUP_MS = 3000;
/** Unmeasured recording before the rounds. */
const WARMUP_RECORDING_MS = 5000;
/** Unmeasured time before each window. */
const SETTLE_MS = 1000;
/** How often publishers send their sender reports. */
const SENDER_REPORT_INTERVAL_MS = 1000;
/** Longest wait for every recorder to write (a recorder starts without reports after 5 s). */
const RECORDING_START_TIMEOUT_MS = 10_000;
/** Below this share of the packets sent, the forwarding did not keep up and the run warns. */
const MIN_DELIVERY = 0.99;
/** CPU of other processes, % of one core, above which the figures are called disturbed. */
const OTHERS_CPU_LIMIT_PERCENT = 15;
/** The synthetic publisher's key frames: 640×360. */
const VIDEO_SIZE = { width: 640, height: 360 };

const USAGE = `Usage: npm run bench:recording -- [flags]

  --publishers N   publishers, each VP8 + Opus: 2N tracks (default 10; BENCH_PUBLISHERS)
  --subscribers N  subscribers, each receiving every track (default 1; BENCH_SUBSCRIBERS)
  --duration S     measured seconds per phase and round (default 5; BENCH_DURATION)
  --rounds N       rounds of both phases; figures are medians (default 3; BENCH_ROUNDS)
  --dir PATH       folder for the run's temporary recordings folder (default the OS's; BENCH_RECORDING_DIR)
  -h, --help       this text

BENCH_FFPROBE names ffprobe's binary (default ffprobe on PATH); without it
the files are read back with src/recording/webm-reader.ts only
(ffprobe_* figures print NA).
`;

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      publishers: { type: 'string' },
      subscribers: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      dir: { type: 'string' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  return {
    publishers: integer(pick(values.publishers, 'BENCH_PUBLISHERS', '10'), 'publishers', 1, 50),
    subscribers: integer(pick(values.subscribers, 'BENCH_SUBSCRIBERS', '1'), 'subscribers', 1, 20),
    durationSeconds: seconds(pick(values.duration, 'BENCH_DURATION', '5'), 'duration', 0.5, 120),
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '3'), 'rounds', 1, 20),
    parentDirectory: resolve(pick(values.dir, 'BENCH_RECORDING_DIR', tmpdir())),
    ffprobe: findExecutable(env['BENCH_FFPROBE'] || 'ffprobe'),
  };
}

/** Resolves once `condition` holds, polling; rejects after `timeoutMs`. */
async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Resolves when the client's SRTP keys are in place. */
function connected(client: WebRtcClient, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not connect within 10 s`)), 10_000);
    client.once('connected', () => {
      clearTimeout(timer);
      resolve();
    });
    client.once('failed', (reason) => reject(new Error(`${what}: ${reason}`)));
  });
}

/** One subscriber of the load generator: packets received, in all and per SSRC. */
interface LoadSubscriber {
  client: WebRtcClient;
  packets: number;
  /** Packets per SSRC: one SSRC per forwarded track. */
  streams: Map<number, number>;
}

/** What one phase's window measured. */
interface Window {
  elapsedSeconds: number;
  /** Server CPU, cores (CPU seconds per second). */
  serverCores: number;
  /** Of which, from /proc (NaN elsewhere): the main thread, the other threads, and kernel time. */
  mainThreadCores: number;
  otherThreadsCores: number;
  systemCores: number;
  loadCpuPercent: number;
  /** CPU of everything else (other programs, the kernel), % of one core. */
  othersCpuPercent: number;
  /** RTP packets the subscribers received per second. */
  forwardedPps: number;
  /** Share of the packets sent (once per subscriber) that the subscribers received. */
  delivery: number;
}

/** The publishers and subscribers, and the measurements against the server. */
class Room {
  readonly server: OurSfuServer;
  readonly publishers: { client: WebRtcClient; media: SyntheticPublisher }[] = [];
  readonly subscribers: LoadSubscriber[] = [];
  readonly #certificate: SelfSignedCertificate;
  #reportTimer: NodeJS.Timeout | undefined;

  constructor(server: OurSfuServer, certificate: SelfSignedCertificate) {
    this.server = server;
    this.#certificate = certificate;
  }

  /** Connects the publishers and starts their media and sender reports. */
  async addPublishers(count: number): Promise<void> {
    for (let index = 1; index <= count; index++) {
      const client = await WebRtcClient.open(this.#certificate, this.server.clientAddress);
      const media = new SyntheticPublisher((packet) => client.sendRtp(packet));
      this.publishers.push({ client, media });
      const answer = await this.server.publish(publisherOffer(client));
      client.connect(remoteEndpointOf(parseDescription(answer, 'the publish answer'), 'actpass'));
      await connected(client, `publisher ${index}`);
      client.on('rtcp', (packet) => media.receiveRtcp(packet));
      media.start();
    }
    this.#reportTimer = setInterval(() => {
      for (const { client, media } of this.publishers)
        for (const report of media.senderReports()) client.sendRtcp(report);
    }, SENDER_REPORT_INTERVAL_MS);
  }

  /** Connects the subscribers and waits until each receives every track. */
  async addSubscribers(count: number): Promise<void> {
    const tracks = this.publishers.length * 2;
    for (let index = 1; index <= count; index++) {
      const client = await WebRtcClient.open(this.#certificate, this.server.clientAddress);
      const subscriber: LoadSubscriber = { client, packets: 0, streams: new Map() };
      this.subscribers.push(subscriber);
      const { subscriber: id, sdp } = await this.server.subscribe();
      const answer = subscriberAnswer(client, sdp);
      await this.server.answer(id, answer.sdp);
      client.on('rtp', (packet) => {
        subscriber.packets++;
        const ssrc = packet.readUInt32BE(8);
        subscriber.streams.set(ssrc, (subscriber.streams.get(ssrc) ?? 0) + 1);
      });
      client.connect(answer.remote);
      await connected(client, `subscriber ${index}`);
    }
    // A consumer of video starts at a key frame: wait for every track at every subscriber.
    await until(
      () => this.subscribers.every((subscriber) => subscriber.streams.size >= tracks),
      15_000,
      `every subscriber to receive all ${tracks} tracks`,
    );
  }

  #sent(): number {
    let packets = 0;
    for (const { media } of this.publishers) packets += media.stats.packetsSent;
    return packets;
  }

  #received(): number {
    let packets = 0;
    for (const subscriber of this.subscribers) packets += subscriber.packets;
    return packets;
  }

  /** Measures one window of `durationMs` as it is (forwarding, and recording if started). */
  async measure(durationMs: number): Promise<Window> {
    const sentBefore = this.#sent();
    const receivedBefore = this.#received();
    const serverBefore = await this.server.stats();
    const threadsBefore = threadCpuSeconds(this.server.pid);
    const loadBefore = process.cpuUsage();
    const machineBefore = machineCpuSample();
    const startedAt = performance.now();
    await sleep(durationMs);
    const serverAfter = await this.server.stats();
    const threadsAfter = threadCpuSeconds(this.server.pid);
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const load = process.cpuUsage(loadBefore);
    const machineAfter = machineCpuSample();
    const sent = this.#sent() - sentBefore;
    const received = this.#received() - receivedBefore;
    if (this.server.exited) throw new Error(`the server exited:\n${this.server.output().slice(-4000)}`);
    const serverCores = (serverAfter.cpuMicros - serverBefore.cpuMicros) / 1e6 / elapsedSeconds;
    const loadCpuPercent = ((load.user + load.system) / 1e6 / elapsedSeconds) * 100;
    const machineBusyPercent = machineBusyFraction(machineBefore, machineAfter) * 100;
    const threads = (pick: (reading: ThreadCpuSeconds) => number) =>
      threadsBefore && threadsAfter
        ? (pick(threadsAfter) - pick(threadsBefore)) / elapsedSeconds
        : Number.NaN;
    return {
      elapsedSeconds,
      serverCores,
      mainThreadCores: threads((reading) => reading.main),
      otherThreadsCores: threads((reading) => reading.others),
      systemCores: threads((reading) => reading.system),
      loadCpuPercent,
      othersCpuPercent: machineBusyPercent * availableParallelism() - serverCores * 100 - loadCpuPercent,
      forwardedPps: received / elapsedSeconds,
      delivery: sent > 0 ? received / (sent * this.subscribers.length) : 0,
    };
  }

  /** Starts one recorder per publisher into `directory` and waits until every one writes its file. */
  async startRecording(directory: string): Promise<void> {
    const count = await this.server.startRecording(directory);
    if (count !== this.publishers.length)
      throw new Error(`${count} recorders started for ${this.publishers.length} publishers`);
    let last: ServerStats | undefined;
    try {
      await until(
        async () => {
          last = await this.server.stats();
          return last.recordersWriting === count;
        },
        RECORDING_START_TIMEOUT_MS,
        'every recorder to start writing',
      );
    } catch (error) {
      // What the recorders saw, to tell a missing key frame from missing sender reports.
      const summaries = await this.server.stopRecording().catch(() => []);
      throw new Error(
        [
          `${error instanceof Error ? error.message : String(error)} (${last?.recordersWriting ?? 0} of ${count} writing)`,
          ...summaries.map((summary) => `  ${basename(summary.path)}: ${describeSummary(summary)}`),
        ].join('\n'),
      );
    }
  }

  /** Closes every client (the server is stopped by the caller). */
  close(): void {
    clearInterval(this.#reportTimer);
    for (const { client, media } of this.publishers) {
      media.stop();
      client.close();
    }
    for (const subscriber of this.subscribers) subscriber.client.close();
  }
}

/** A recorder's summary in a few words, for error messages. */
function describeSummary(summary: RecordingSummary): string {
  return (
    `${summary.state}${summary.error ? ` (${summary.error})` : ''}, ${summary.bytes} bytes, ` +
    `${summary.videoFrames} video + ${summary.audioFrames} audio frames written, ` +
    `${summary.framesBeforeStart} dropped before the start, ${summary.incompleteFrames} incomplete, ` +
    `${summary.keyframeRequests} key frame requests, ${summary.senderReports} sender reports`
  );
}

/** Refuses a recorder's summary that is not a clean, non-empty recording of both tracks. */
function checkSummary(summary: RecordingSummary): void {
  const name = basename(summary.path);
  const problems: string[] = [];
  if (summary.state !== 'closed')
    problems.push(`state ${summary.state}${summary.error ? ` (${summary.error})` : ''}`);
  if (!summary.finalized) problems.push('not finalized');
  if (summary.bytes <= 0) problems.push('no bytes');
  if (summary.videoFrames <= 0) problems.push('no video frames');
  if (summary.audioFrames <= 0) problems.push('no audio frames');
  if (problems.length > 0)
    throw new Error(`recording ${name} is not valid: ${problems.join(', ')} (${describeSummary(summary)})`);
}

/** What reading one file back found. */
interface FileCheck {
  path: string;
  bytes: number;
  videoFrames: number;
  audioFrames: number;
  durationSeconds: number;
}

/**
 * Reads a recording back with readWebm and checks it against its summary:
 * WebM with a VP8 track of the publisher's size and an Opus track, every
 * cluster whole, as many frames per track as the recorder wrote, a
 * duration, and cues. Throws with every problem found.
 */
async function checkFile(summary: RecordingSummary): Promise<FileCheck> {
  const bytes = await readFile(summary.path);
  const webm = readWebm(bytes);
  const problems: string[] = [];
  if (webm.docType !== 'webm') problems.push(`doc type ${webm.docType ?? 'missing'}`);
  if (webm.truncatedAt !== undefined) problems.push(`cut at byte ${webm.truncatedAt}`);
  if (webm.invalidAt !== undefined) problems.push(`invalid data at byte ${webm.invalidAt}`);
  const video = webm.tracks.find((track) => track.codecId === 'V_VP8');
  const audio = webm.tracks.find((track) => track.codecId === 'A_OPUS');
  if (!video) problems.push('no VP8 track');
  else if (video.width !== VIDEO_SIZE.width || video.height !== VIDEO_SIZE.height)
    problems.push(`video ${video.width}×${video.height}, not ${VIDEO_SIZE.width}×${VIDEO_SIZE.height}`);
  if (!audio) problems.push('no Opus track');
  let videoFrames = 0;
  let audioFrames = 0;
  for (const cluster of webm.clusters) {
    if (!cluster.complete) problems.push(`cluster at ${cluster.offset} incomplete`);
    for (const block of cluster.blocks) {
      if (block.track === video?.number) videoFrames++;
      else if (block.track === audio?.number) audioFrames++;
    }
  }
  if (videoFrames !== summary.videoFrames)
    problems.push(`${videoFrames} video frames, the recorder wrote ${summary.videoFrames}`);
  if (audioFrames !== summary.audioFrames)
    problems.push(`${audioFrames} audio frames, the recorder wrote ${summary.audioFrames}`);
  const durationSeconds = ((webm.duration ?? 0) * (webm.timestampScale ?? 1_000_000)) / 1e9;
  if (!(durationSeconds > 0)) problems.push('no duration');
  if (webm.cues.length === 0) problems.push('no cues');
  if (problems.length > 0)
    throw new Error(`recording ${basename(summary.path)} does not read back: ${problems.join('; ')}`);
  return { path: summary.path, bytes: bytes.length, videoFrames, audioFrames, durationSeconds };
}

/** What ffprobe read of one file: packets per stream (demuxed, not decoded) and the duration. */
interface ProbeCheck {
  videoPackets: number;
  audioPackets: number;
  durationSeconds: number;
}

/**
 * Demuxes a file with ffprobe (the synthetic VP8 payload is not decodable,
 * so packets are counted, not frames). Throws when ffprobe fails or finds
 * no VP8 and Opus streams with packets.
 */
function probeFile(ffprobe: string, path: string): ProbeCheck {
  const result = spawnSync(
    ffprobe,
    [
      ...['-v', 'error', '-count_packets'],
      ...['-show_entries', 'stream=codec_name,nb_read_packets:format=duration'],
      ...['-of', 'json', path],
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (result.status !== 0)
    throw new Error(
      `ffprobe cannot read ${basename(path)}: ${result.error?.message ?? result.stderr.trim()}`,
    );
  const parsed = JSON.parse(result.stdout) as {
    streams?: { codec_name?: string; nb_read_packets?: string }[];
    format?: { duration?: string };
  };
  const packets = (codec: string) =>
    Number(parsed.streams?.find((stream) => stream.codec_name === codec)?.nb_read_packets ?? 0);
  const check = {
    videoPackets: packets('vp8'),
    audioPackets: packets('opus'),
    durationSeconds: Number(parsed.format?.duration ?? Number.NaN),
  };
  if (!(check.videoPackets > 0 && check.audioPackets > 0 && check.durationSeconds > 0))
    throw new Error(`ffprobe finds no VP8 and Opus packets in ${basename(path)}: ${result.stdout.trim()}`);
  return check;
}

/** Both phases of one round. */
interface Round {
  forward: Window;
  record: Window;
  /** What the round's files hold per second of recording, all files together, bytes. */
  writtenBytesPerSecond: number;
}

function describeWindow(
  round: number,
  phase: 'forward' | 'record',
  window: Window,
  written?: number,
): string {
  return [
    `round ${round} ${phase === 'forward' ? 'A forward       ' : 'B forward+record'}`,
    `server cpu ${fixed(window.serverCores * 100, 1)}% of a core (main thread ${fixed(window.mainThreadCores * 100, 1)}, ` +
      `other threads ${fixed(window.otherThreadsCores * 100, 1)}; kernel ${fixed(window.systemCores * 100, 1)})`,
    `${Math.round(window.forwardedPps).toLocaleString('en-US')} pkt/s forwarded (${fixed(window.delivery * 100, 2)}% delivered)`,
    written === undefined ? '' : `files ${fixed(written / 1e6, 2)} MB/s`,
    `| load cpu ${percent(window.loadCpuPercent)}`,
    `others ${percent(window.othersCpuPercent)}`,
  ]
    .filter((part) => part !== '')
    .join('  ');
}

/** The filesystem type of a folder, from findmnt when available. */
function filesystemOf(path: string): string {
  const result = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', path], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown filesystem';
}

async function run(options: BenchOptions): Promise<void> {
  const tracks = options.publishers * 2;
  const durationMs = options.durationSeconds * 1000;
  mkdirSync(options.parentDirectory, { recursive: true });
  const directory = mkdtempSync(join(options.parentDirectory, 'switchboard-bench-recording-'));
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  // However the run ends (failure, SIGINT), the recordings go.
  process.on('exit', removeDirectory);

  console.log(
    `Recording benchmark: ${options.publishers} publishers × (VP8 30 fps ~1.5 Mbit/s + Opus 20 ms) = ${tracks} tracks, ` +
      `${options.subscribers} subscriber(s) receiving every track; ${options.rounds} round(s) of ` +
      `A (forwarding) and B (forwarding + recording every track), ${options.durationSeconds} s each`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${process.platform}`,
  );
  console.log(
    'server: bench/sfu-server.ts (Router on one IceUdpMux, one process), one Recorder per publisher',
  );
  console.log(`recordings: ${directory} (${filesystemOf(directory)}), deleted at the end`);

  const certificate = generateSelfSignedCertificate({ commonName: 'switchboard-bench-client' });
  const server = await OurSfuServer.start();
  const room = new Room(server, certificate);
  const rounds: Round[] = [];
  const recordings: RecordingSummary[] = [];
  try {
    await room.addPublishers(options.publishers);
    await room.addSubscribers(options.subscribers);
    await sleep(WARMUP_MS);
    await room.startRecording(join(directory, 'warm-up'));
    await sleep(WARMUP_RECORDING_MS);
    for (const summary of await server.stopRecording()) checkSummary(summary);

    const forward = async (): Promise<Window> => {
      await sleep(SETTLE_MS);
      return room.measure(durationMs);
    };
    const record = async (round: number): Promise<{ window: Window; written: number }> => {
      await room.startRecording(join(directory, `round-${round}`));
      await sleep(SETTLE_MS);
      const window = await room.measure(durationMs);
      const summaries = await server.stopRecording();
      for (const summary of summaries) checkSummary(summary);
      recordings.push(...summaries);
      let written = 0;
      for (const summary of summaries) written += summary.bytes / (summary.durationMs / 1000);
      return { window, written };
    };
    for (let round = 1; round <= options.rounds; round++) {
      const recordFirst = round % 2 === 0;
      let recorded: { window: Window; written: number } | undefined;
      if (recordFirst) {
        recorded = await record(round);
        console.log(describeWindow(round, 'record', recorded.window, recorded.written));
      }
      const forwardWindow = await forward();
      console.log(describeWindow(round, 'forward', forwardWindow));
      if (!recorded) {
        recorded = await record(round);
        console.log(describeWindow(round, 'record', recorded.window, recorded.written));
      }
      rounds.push({
        forward: forwardWindow,
        record: recorded.window,
        writtenBytesPerSecond: recorded.written,
      });
    }
  } catch (error) {
    const tail = server.output().split('\n').slice(-30).join('\n');
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${tail}`,
    );
  } finally {
    room.close();
    await server.stop();
  }

  // Every file reads back; one of them is reported (and probed with ffprobe when there is one).
  const checks: FileCheck[] = [];
  for (const summary of recordings) checks.push(await checkFile(summary));
  const sample = checks[checks.length - 1];
  const probe = options.ffprobe ? probeFile(options.ffprobe, sample.path) : undefined;
  removeDirectory();

  const cpuForward = median(rounds.map((round) => round.forward.serverCores));
  const cpuRecord = median(rounds.map((round) => round.record.serverCores));
  const extra = median(rounds.map((round) => round.record.serverCores - round.forward.serverCores));
  const ratio = median(rounds.map((round) => round.record.serverCores / round.forward.serverCores));
  const extraOf = (pick: (window: Window) => number) =>
    median(rounds.map((round) => pick(round.record) - pick(round.forward)));
  const extraMain = extraOf((window) => window.mainThreadCores);
  const extraOthers = extraOf((window) => window.otherThreadsCores);
  const extraSystem = extraOf((window) => window.systemCores);
  const extraPercentPerTrack = (extra / tracks) * 100;
  const targetCores = TARGET_CORES_PER_TRACK * tracks;
  const targetMet = extra < targetCores;
  const written = median(rounds.map((round) => round.writtenBytesPerSecond));
  const windows = rounds.flatMap((round) => [round.forward, round.record]);
  const forwardedPps = median(windows.map((window) => window.forwardedPps));
  const delivery = Math.min(...windows.map((window) => window.delivery));
  const loadCpu = median(windows.map((window) => window.loadCpuPercent));
  const othersCpu = median(windows.map((window) => window.othersCpuPercent));

  console.log(`\nmedians over ${options.rounds} round(s):`);
  console.log(`  A forwarding only:        server cpu ${fixed(cpuForward * 100, 1)}% of a core`);
  console.log(`  B forwarding + recording: server cpu ${fixed(cpuRecord * 100, 1)}% of a core`);
  console.log(
    `  recording ${tracks} tracks costs ${fixed(extra * 100, 1)}% of a core beyond forwarding ` +
      `(B − A per round), ${fixed(extraPercentPerTrack, 2)}% per track; ratio B/A ${fixed(ratio, 3)}; ` +
      `target < ${fixed(targetCores * 100, 1)}%: ${targetMet ? 'met' : 'NOT MET'}`,
  );
  console.log(
    `  of the extra: main thread ${fixed(extraMain * 100, 1)}%, other threads ${fixed(extraOthers * 100, 1)}% ` +
      `(of a core; kernel time, all threads: ${fixed(extraSystem * 100, 1)}%)`,
  );
  console.log(
    `  written ${fixed(written / 1e6, 2)} MB/s to the files (${fixed((written * 8) / 1e6 / options.publishers, 2)} Mbit/s per file)`,
  );
  console.log(
    `  files: ${checks.length} of ${checks.length} read back whole; ${basename(sample.path)}: ` +
      `${sample.videoFrames} video + ${sample.audioFrames} audio frames, ${fixed(sample.durationSeconds, 2)} s, ` +
      `${fixed(sample.videoFrames / sample.durationSeconds, 1)} frames/s, ${sample.bytes.toLocaleString('en-US')} bytes`,
  );
  console.log(
    probe
      ? `  ffprobe: ${probe.videoPackets} vp8 + ${probe.audioPackets} opus packets, ${fixed(probe.durationSeconds, 2)} s`
      : '  ffprobe: not on PATH, not checked',
  );
  if (delivery < MIN_DELIVERY) {
    console.warn(
      `WARNING: a window delivered only ${fixed(delivery * 100, 2)}% of the packets sent: ` +
        'the server or the load generator did not keep up, and its CPU is not that of the full room.',
    );
  }
  if (othersCpu >= OTHERS_CPU_LIMIT_PERCENT) {
    console.warn(
      `WARNING: other processes used ${percent(othersCpu)} of a core (median window): ` +
        'the machine was not quiet; rerun with more --rounds.',
    );
  }

  console.log(
    [
      keyValue('cpu_forward_cores', cpuForward, 3),
      keyValue('cpu_record_cores', cpuRecord, 3),
      keyValue('recording_extra_cores', extra, 3),
      keyValue('extra_core_pct_per_track', extraPercentPerTrack, 3),
      keyValue('ratio', ratio, 3),
      keyValue('extra_main_thread_cores', extraMain, 3),
      keyValue('extra_other_threads_cores', extraOthers, 3),
      keyValue('extra_system_cores', extraSystem, 3),
      `target_met=${targetMet ? 'yes' : 'no'}`,
      keyValue('written_bytes_per_s', written, 0),
      keyValue('forwarded_pps', forwardedPps, 0),
      `files_valid=${checks.length}`,
      `file_video_frames=${sample.videoFrames}`,
      `file_audio_frames=${sample.audioFrames}`,
      keyValue('file_duration_s', sample.durationSeconds, 2),
      probe ? `ffprobe_video_packets=${probe.videoPackets}` : 'ffprobe_video_packets=NA',
      probe ? `ffprobe_audio_packets=${probe.audioPackets}` : 'ffprobe_audio_packets=NA',
      keyValue('load_cpu_pct', loadCpu, 0),
      keyValue('others_cpu_pct', othersCpu, 0),
      `tracks=${tracks}`,
      `subscribers=${options.subscribers}`,
      `rounds=${options.rounds}`,
      `duration=${options.durationSeconds}`,
    ].join(' '),
  );
}

runBenchmark('bench:recording', USAGE, parseOptions, run);
