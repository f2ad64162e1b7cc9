/**
 * Signaling benchmark: our WebSocket signaling server against a bare `ws`
 * echo server, in one run, under the same load.
 *
 *   npm run bench:signaling -- [--connections 10000] [--room-size 10] [--join-rate 1000]
 *                              [--window 1] [--duration 5] [--warmup 2] [--rounds 3]
 *                              [--procs N] [--no-echo]
 *
 * Load: `connections` WebSocket clients, spread over `procs` load processes
 * (bench/signaling-load-worker.ts), each holding whole rooms of `room-size`
 * participants. The clients connect and join at `join-rate` per second in
 * all, which gives the join latency (`join` sent → `joined` received) and
 * the number of connections the server holds. Then, with every client still
 * connected, the participants of each room pass messages around a ring, each
 * sending `data` to the next one by id, `window` messages in flight per
 * client, for `warmup` + `duration` seconds. Each client sends at most
 * `max-rate` messages per second, below the server's limit of 50.
 *
 * The echo server (bench/signaling-echo-server.ts) gets the same clients and
 * the same frames: the join frame comes back as the answer to the join, and
 * each `data` frame comes back to its sender, whose next participant then
 * sends it on, so messages go around the same rings. It is the ceiling: the
 * cost of a WebSocket message in Node on this machine, without any protocol
 * work.
 *
 * "Relayed messages/s" counts the `data` frames the load clients received per
 * second in the measured window. For our server each is one delivery of one
 * send (one named recipient); for the echo server, one echoed frame. Both
 * cross the server once: in from one client, out to one client.
 *
 * Each round measures both servers, one after the other, the order
 * alternating between rounds; each measurement gets a freshly started server
 * and new connections. Figures are medians over the rounds.
 *
 * The last line of the output is `key=value` figures for scripts.
 * Environment: BENCH_CONNECTIONS, BENCH_ROOM_SIZE, BENCH_JOIN_RATE,
 * BENCH_WINDOW, BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_PROCS (flags
 * win); BENCH_OURS_ENTRY (our server's main.js, default dist/cli/main.js);
 * BENCH_OURS_ARGS (extra server flags, split on spaces, appended last);
 * BENCH_OURS_NODE_ARGS (Node flags of our server alone, before its script:
 * a profile).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { DEV_API_KEY, DEV_API_SECRET } from '../src/server/dev.js';
import {
  endRound,
  fixed,
  integer,
  keyValue,
  median,
  percent,
  readBenchFlags,
  roundFailure,
  runBenchmark,
  seconds,
  sleep,
  UsageError,
  words,
} from './cli.js';
import { machineBusyFraction, machineCpuSample, processTreeCpuSeconds } from './cpu.js';
import { LoadProcess } from './load-process.js';
import { RttHistogram } from './rtt-histogram.js';
import { freePort, openFileLimit, type RunningServer, startServerProcess } from './server-process.js';
import type {
  JoinedReport,
  ParentMessage,
  ResultReport,
  ServerKind,
  WorkerMessage,
} from './signaling-load-protocol.js';

/** Settings of a benchmark run. */
interface BenchOptions {
  connections: number;
  roomSize: number;
  /** Clients per second, all load processes together. */
  joinRate: number;
  /** Clients connecting or joining at once, all load processes together. */
  maxPendingJoins: number;
  joinTimeoutMs: number;
  window: number;
  maxSendRate: number;
  frameBytes: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  procs: number;
  oursEntry: string;
  oursExtraArgs: string[];
  /** Node flags for our server alone, before its script (a profile: --cpu-prof --cpu-prof-dir=DIR). */
  oursNodeArgs: string[];
  echo: boolean;
  /** 127.0.0.x addresses client sockets are spread over; empty when one is enough. */
  localAddresses: string[];
}

/** Figures of one server in one round. */
interface Measurement {
  server: ServerKind;
  round: number;
  joined: number;
  /** Clients still connected at the end of the message phase. */
  held: number;
  joinFailures: Record<string, number>;
  /** Connections closed after joining, by close code. */
  closes: Record<string, number>;
  /** `error` messages received, by code. */
  errors: Record<string, number>;
  withoutPeer: number;
  /** Joins per second achieved: joined clients over the join phase. */
  joinRatePerSecond: number;
  connectP50Ms: number;
  connectP99Ms: number;
  joinP50Ms: number;
  joinP99Ms: number;
  /** Connect started → joined, the whole wait of a participant. */
  connectJoinP99Ms: number;
  /** Server CPU in the join phase, % of one core. */
  joinServerCpuPercent: number;
  /** Server CPU per join (connect, upgrade, join), µs. */
  serverMicrosPerJoin: number;
  /** Busiest load process in the join phase, % of one core. */
  joinLoadCpuMaxPercent: number;
  /** Relayed (delivered) messages per second, all load processes together. */
  messagesPerSecond: number;
  hopP50Ms: number;
  hopP99Ms: number;
  /** Share of sends held back by the per-client rate cap. */
  pacedFraction: number;
  /** Server CPU in the measured window, % of one core. */
  serverCpuPercent: number;
  /** Server CPU per relayed message, µs. */
  serverMicrosPerMessage: number;
  /** CPU of each load process in the window, % of one core. */
  loadCpuPercents: number[];
  /** Load-generator CPU per relayed message, µs (all load processes). */
  loadMicrosPerMessage: number;
  /** Busy share of all the machine's cores in the window, %. */
  machineBusyPercent: number;
  /**
   * CPU of everything else in the window, % of one core: the machine's busy
   * time minus the server's and the load's. Well above a few % means the
   * measurement was disturbed.
   */
  othersCpuPercent: number;
  /** Server resident memory with every client joined, MB. */
  serverRssMb: number;
  /** Growth of the server's resident memory per joined client, KB. */
  serverKbPerConnection: number;
}

/** The targets for this benchmark. */
const TARGET = { participants: 10_000, joinP99Ms: 100, ratio: 0.5 } as const;
/** The server closes a connection above this many messages/s on average (docs/protocol.md). */
const SERVER_MESSAGE_RATE_LIMIT = 50;
/** A load process above this share of one core is treated as the bottleneck. */
const LOAD_CPU_LIMIT_PERCENT = 90;
/** CPU of other processes, % of one core, above which a measurement is called disturbed. */
const OTHERS_CPU_LIMIT_PERCENT = 15;
/** Clients sending above this share of their cap on average mean the cap, not the server, may set the rate. */
const CAP_SHARE_LIMIT = 0.5;
/** Connections per local address before the clients spread over more (ephemeral ports: 32768–60999). */
const CONNECTIONS_PER_ADDRESS = 20_000;
/** Open files each process needs beyond its sockets. */
const SPARE_FILE_DESCRIPTORS = 1024;
const MAX_SECONDS = 600;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER_FILE = fileURLToPath(new URL('./signaling-load-worker.js', import.meta.url));
const ECHO_SERVER_FILE = fileURLToPath(new URL('./signaling-echo-server.js', import.meta.url));

const USAGE = `Usage: npm run bench:signaling -- [flags]

  --connections N        WebSocket clients, one participant each (default 10000; BENCH_CONNECTIONS)
  --room-size N          participants per room; must divide --connections (default 10; BENCH_ROOM_SIZE)
  --join-rate N          clients connecting and joining per second, in all (default 1000; BENCH_JOIN_RATE)
  --max-pending N        clients connecting or joining at once, in all (default 256)
  --join-timeout MS      a client without joined after this counts as failed (default 10000)
  --window N             messages in flight per client (default 1; BENCH_WINDOW)
  --max-rate N           messages per second one client sends at most (default 40, below the server's 50)
  --size BYTES           bytes of each data frame sent, about (default 128)
  --duration S           measured seconds of the message phase (default 5; BENCH_DURATION)
  --warmup S             unmeasured seconds before it (default 2; BENCH_WARMUP)
  --rounds N             rounds, each measuring both servers (default 3; BENCH_ROUNDS)
  --procs N              load processes (default: CPU count, from 2 to 4; BENCH_PROCS)
  --ours-entry FILE      our server's main.js (default dist/cli/main.js; BENCH_OURS_ENTRY)
  --no-echo              measure our server only
  -h, --help             this text

Extra flags for our server: BENCH_OURS_ARGS (split on spaces, appended).
Node flags for our server alone: BENCH_OURS_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
`;

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      connections: { type: 'string' },
      'room-size': { type: 'string' },
      'join-rate': { type: 'string' },
      'max-pending': { type: 'string' },
      'join-timeout': { type: 'string' },
      window: { type: 'string' },
      'max-rate': { type: 'string' },
      size: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      procs: { type: 'string' },
      'ours-entry': { type: 'string' },
      'no-echo': { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  const connections = integer(
    pick(values.connections, 'BENCH_CONNECTIONS', '10000'),
    'connections',
    2,
    60_000,
  );
  const roomSize = integer(pick(values['room-size'], 'BENCH_ROOM_SIZE', '10'), 'room-size', 2, 1000);
  if (connections % roomSize !== 0) {
    throw new UsageError(`--room-size ${roomSize} must divide --connections ${connections} (whole rooms)`);
  }
  const rooms = connections / roomSize;
  const defaultProcs = String(Math.max(2, Math.min(4, availableParallelism())));
  const procs = Math.min(rooms, integer(pick(values.procs, 'BENCH_PROCS', defaultProcs), 'procs', 1, 64));
  const oursEntry = pick(values['ours-entry'], 'BENCH_OURS_ENTRY', join(REPO_ROOT, 'dist/cli/main.js'));
  if (!existsSync(oursEntry)) {
    throw new UsageError(`our server is not built: ${oursEntry} is missing (run npm run build)`);
  }
  const addressCount = Math.ceil(connections / CONNECTIONS_PER_ADDRESS);
  return {
    connections,
    roomSize,
    joinRate: integer(pick(values['join-rate'], 'BENCH_JOIN_RATE', '1000'), 'join-rate', 1, 100_000),
    maxPendingJoins: integer(values['max-pending'] ?? '256', 'max-pending', 1, 100_000),
    joinTimeoutMs: integer(values['join-timeout'] ?? '10000', 'join-timeout', 100, 120_000),
    window: integer(pick(values.window, 'BENCH_WINDOW', '1'), 'window', 1, 64),
    maxSendRate: integer(
      values['max-rate'] ?? '40',
      'max-rate',
      1,
      // The server's bucket refills at 50/s and holds 100; a client bucket slower than 50/s, holding
      // 10 (bench/signaling-load-worker.ts), never empties it.
      SERVER_MESSAGE_RATE_LIMIT - 1,
    ),
    frameBytes: integer(values.size ?? '128', 'size', 64, 60_000),
    durationSeconds: seconds(pick(values.duration, 'BENCH_DURATION', '5'), 'duration', 0.1, MAX_SECONDS),
    warmupSeconds: seconds(pick(values.warmup, 'BENCH_WARMUP', '2'), 'warmup', 0, MAX_SECONDS),
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '3'), 'rounds', 1, 100),
    procs,
    oursEntry,
    oursExtraArgs: words(env['BENCH_OURS_ARGS']),
    oursNodeArgs: words(env['BENCH_OURS_NODE_ARGS']),
    echo: !values['no-echo'],
    localAddresses:
      addressCount > 1 ? Array.from({ length: addressCount }, (_, index) => `127.0.0.${index + 1}`) : [],
  };
}

/** Our server: `start --dev` on loopback, with room for every client; `port` may be a placeholder for display. */
function oursArgs(options: BenchOptions, port: number | string): string[] {
  return [
    ...options.oursNodeArgs,
    options.oursEntry,
    'start',
    '--dev',
    '--listen',
    '127.0.0.1:0',
    '--tls-listen',
    '127.0.0.1:0',
    '--http-listen',
    `127.0.0.1:${port}`,
    '--log-level',
    'warn',
    '--max-connections',
    String(Math.max(20_000, options.connections + 1000)),
    '--max-participants',
    String(Math.max(100, options.roomSize)),
    ...options.oursExtraArgs,
  ];
}

function echoArgs(port: number | string): string[] {
  return [ECHO_SERVER_FILE, '--host', '127.0.0.1', '--port', String(port)];
}

/** True when a WebSocket upgrade at `url` succeeds (the connection is closed at once). */
function acceptsWebSocket(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 2000 });
    ws.on('open', () => {
      ws.terminate();
      resolve(true);
    });
    ws.on('error', () => {
      ws.terminate();
      resolve(false);
    });
  });
}

/** Folders our server's `--dev` certificate went to; removed on any exit. */
const workDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** A started server, its URL, and its clean-up. */
interface ServerUnderTest {
  server: RunningServer;
  url: string;
  stop(): Promise<void>;
}

/** Starts one server on a free port, retrying on another port if the first was taken meanwhile. */
async function startUnderTest(kind: ServerKind, options: BenchOptions): Promise<ServerUnderTest> {
  const fileDescriptorLimit = options.connections + SPARE_FILE_DESCRIPTORS;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(true);
    const url = `ws://127.0.0.1:${port}/rtc`;
    // `--dev` writes a certificate under TMPDIR: give it a folder of its own, removed afterwards.
    const workDir = await mkdtemp(join(tmpdir(), 'switchboard-bench-signaling-'));
    workDirs.add(workDir);
    const removeWorkDir = () => {
      rmSync(workDir, { recursive: true, force: true });
      workDirs.delete(workDir);
    };
    try {
      const server = await startServerProcess({
        command: process.execPath,
        args: kind === 'ours' ? oursArgs(options, port) : echoArgs(port),
        host: '127.0.0.1',
        port,
        ready: () => acceptsWebSocket(url),
        fileDescriptorLimit,
        env: { ...process.env, TMPDIR: workDir },
      });
      return {
        server,
        url,
        stop: async () => {
          await server.stop();
          removeWorkDir();
        },
      };
    } catch (error) {
      lastError = error;
      removeWorkDir();
    }
  }
  throw lastError;
}

/** Resident memory of a process, bytes, from /proc/PID/status; NaN when unreadable. */
function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Rooms handled by load process `index`: as even a split as possible. */
function roomsOf(index: number, options: BenchOptions): number {
  const rooms = options.connections / options.roomSize;
  return Math.floor(rooms / options.procs) + (index < rooms % options.procs ? 1 : 0);
}

/** CPU a report says its process used, % of one core over `ms`. */
function cpuPercent(report: { cpuUserMicros: number; cpuSystemMicros: number }, ms: number): number {
  return ((report.cpuUserMicros + report.cpuSystemMicros) / 1000 / ms) * 100;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, value] of Object.entries(from)) into[key] = (into[key] ?? 0) + value;
}

/** Tells when a process could not raise its open-file limit high enough for its sockets. */
function checkFileLimit(what: string, pid: number, needed: number): void {
  const limit = openFileLimit(pid);
  if (limit !== undefined && limit < needed) {
    console.warn(
      `WARNING: ${what} may open only ${limit} files, but needs about ${needed}: ` +
        'raise the hard limit first (ulimit -Hn; needs root with CAP_SYS_RESOURCE).',
    );
  }
}

/** Reads a process tree's CPU seconds and the machine's busy time at one moment. */
function sampleCpu(pid: number) {
  return { server: processTreeCpuSeconds(pid), machine: machineCpuSample(), at: performance.now() };
}

/** Server CPU between two samples, % of one core. */
function serverPercent(before: ReturnType<typeof sampleCpu>, after: ReturnType<typeof sampleCpu>): number {
  if (before.server === undefined || after.server === undefined) return Number.NaN;
  return ((after.server - before.server) / ((after.at - before.at) / 1000)) * 100;
}

/** Starts a server, connects and joins every client, runs the message phase, and measures it once. */
async function measure(kind: ServerKind, round: number, options: BenchOptions): Promise<Measurement> {
  const underTest = await startUnderTest(kind, options);
  const { server } = underTest;
  checkFileLimit(`the ${kind} server`, server.pid, options.connections + SPARE_FILE_DESCRIPTORS);
  const perProcess = Math.ceil(options.connections / options.procs);
  const workers = Array.from(
    { length: options.procs },
    (_, index) =>
      new LoadProcess<ParentMessage, WorkerMessage>(index, WORKER_FILE, {
        fileDescriptorLimit: perProcess + SPARE_FILE_DESCRIPTORS,
      }),
  );
  let failed = true;
  try {
    let firstRoom = 0;
    for (const [index, worker] of workers.entries()) {
      const rooms = roomsOf(index, options);
      worker.send({
        type: 'setup',
        kind,
        url: underTest.url,
        firstIndex: firstRoom * options.roomSize,
        clients: rooms * options.roomSize,
        roomSize: options.roomSize,
        roomPrefix: `bench-${kind}-${round}`,
        apiKey: { key: DEV_API_KEY, secret: DEV_API_SECRET },
        joinRatePerSecond: options.joinRate / options.procs,
        maxPendingJoins: Math.max(1, Math.floor(options.maxPendingJoins / options.procs)),
        joinTimeoutMs: options.joinTimeoutMs,
        window: options.window,
        maxSendRatePerClient: options.maxSendRate,
        frameBytes: options.frameBytes,
        localAddresses: options.localAddresses,
      });
      firstRoom += rooms;
    }
    await Promise.all(workers.map((worker) => worker.next('ready', 60_000 + 10 * perProcess)));
    for (const worker of workers) checkFileLimit(`load process ${worker.index}`, worker.pid, perProcess);

    // Join phase.
    const rssBefore = residentBytes(server.pid);
    const joinStart = sampleCpu(server.pid);
    for (const worker of workers) worker.send({ type: 'join' });
    const joinTimeoutMs =
      (perProcess / (options.joinRate / options.procs)) * 1000 + options.joinTimeoutMs + 60_000;
    const joinedReports = await Promise.all(workers.map((worker) => worker.next('joined', joinTimeoutMs)));
    const joinEnd = sampleCpu(server.pid);
    const rssJoined = residentBytes(server.pid);

    // Message phase: sample the server and the machine over the window the load processes measure.
    const warmupMs = options.warmupSeconds * 1000;
    const durationMs = options.durationSeconds * 1000;
    for (const worker of workers) worker.send({ type: 'run', warmupMs, durationMs });
    const results = Promise.all(
      workers.map((worker) => worker.next('result', warmupMs + durationMs + 30_000)),
    );
    await sleep(warmupMs);
    const runStart = sampleCpu(server.pid);
    await sleep(durationMs);
    const runEnd = sampleCpu(server.pid);
    const reports = await results;
    if (server.exited)
      throw new Error(`${kind} server exited during the run:\n${server.output().slice(-4000)}`);
    failed = false;
    return summarize(kind, round, joinedReports, reports, {
      joinServerCpuPercent: serverPercent(joinStart, joinEnd),
      joinElapsedMs: joinEnd.at - joinStart.at,
      serverCpuPercent: serverPercent(runStart, runEnd),
      machineBusyPercent: machineBusyFraction(runStart.machine, runEnd.machine) * 100,
      rssBefore,
      rssJoined,
    });
  } catch (error) {
    throw roundFailure(kind, error, server.output());
  } finally {
    await endRound(workers, failed, () => underTest.stop());
  }
}

function summarize(
  server: ServerKind,
  round: number,
  joinedReports: JoinedReport[],
  reports: ResultReport[],
  sampled: {
    joinServerCpuPercent: number;
    joinElapsedMs: number;
    serverCpuPercent: number;
    machineBusyPercent: number;
    rssBefore: number;
    rssJoined: number;
  },
): Measurement {
  const connect = new RttHistogram();
  const joinTimes = new RttHistogram();
  const totalTimes = new RttHistogram();
  const joinFailures: Record<string, number> = {};
  let joined = 0;
  let joinDurationMs = 0;
  for (const report of joinedReports) {
    connect.addSparse(report.connect);
    joinTimes.addSparse(report.join);
    totalTimes.addSparse(report.total);
    addCounts(joinFailures, report.failures);
    joined += report.joined;
    joinDurationMs = Math.max(joinDurationMs, report.durationMs);
  }
  const hop = new RttHistogram();
  const closes: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let messagesPerSecond = 0;
  let delivered = 0;
  let sent = 0;
  let paced = 0;
  let held = 0;
  let withoutPeer = 0;
  for (const report of reports) {
    hop.addSparse(report.hop);
    addCounts(closes, report.closes);
    addCounts(errors, report.errors);
    messagesPerSecond += report.delivered / (report.measuredMs / 1000);
    delivered += report.delivered;
    sent += report.sent;
    paced += report.paced;
    held += report.open;
    withoutPeer += report.withoutPeer;
  }
  const loadCpuPercents = reports.map((report) => cpuPercent(report, report.measuredMs));
  const loadCpuMicros = reports.reduce((total, r) => total + r.cpuUserMicros + r.cpuSystemMicros, 0);
  return {
    server,
    round,
    joined,
    held,
    joinFailures,
    closes,
    errors,
    withoutPeer,
    joinRatePerSecond: joinDurationMs > 0 ? joined / (joinDurationMs / 1000) : Number.NaN,
    connectP50Ms: connect.percentile(50),
    connectP99Ms: connect.percentile(99),
    joinP50Ms: joinTimes.percentile(50),
    joinP99Ms: joinTimes.percentile(99),
    connectJoinP99Ms: totalTimes.percentile(99),
    joinServerCpuPercent: sampled.joinServerCpuPercent,
    serverMicrosPerJoin:
      joined > 0
        ? ((sampled.joinServerCpuPercent / 100) * sampled.joinElapsedMs * 1000) / joined
        : Number.NaN,
    joinLoadCpuMaxPercent: Math.max(
      ...joinedReports.map((report) => cpuPercent(report, sampled.joinElapsedMs)),
    ),
    messagesPerSecond,
    hopP50Ms: hop.percentile(50),
    hopP99Ms: hop.percentile(99),
    pacedFraction: sent + paced > 0 ? paced / (sent + paced) : 0,
    serverCpuPercent: sampled.serverCpuPercent,
    serverMicrosPerMessage: (sampled.serverCpuPercent / 100 / messagesPerSecond) * 1e6,
    loadCpuPercents,
    loadMicrosPerMessage: delivered > 0 ? loadCpuMicros / delivered : Number.NaN,
    machineBusyPercent: sampled.machineBusyPercent,
    othersCpuPercent:
      sampled.machineBusyPercent * availableParallelism() -
      sampled.serverCpuPercent -
      loadCpuPercents.reduce((total, value) => total + value, 0),
    serverRssMb: sampled.rssJoined / 1e6,
    serverKbPerConnection: joined > 0 ? (sampled.rssJoined - sampled.rssBefore) / 1000 / joined : Number.NaN,
  };
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'NA';
}

/** `{a: 1, b: 2}` as "a×1 b×2", or "none". */
function tally(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([key, value]) => `${key}×${value}`).join(' ');
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, value) => sum + value, 0);
}

function describeMeasurement(m: Measurement, options: BenchOptions): string {
  return [
    `round ${m.round} ${m.server.padEnd(4)}`,
    `held ${thousands(m.held)}/${thousands(options.connections)}`,
    `join p50 ${fixed(m.joinP50Ms, 2)} ms p99 ${fixed(m.joinP99Ms, 2)} ms (connect p50 ${fixed(m.connectP50Ms, 2)} ms p99 ${fixed(m.connectP99Ms, 2)} ms, connect+join p99 ${fixed(m.connectJoinP99Ms, 2)} ms, ${thousands(m.joinRatePerSecond)} joins/s, server cpu ${percent(m.joinServerCpuPercent)}, ${fixed(m.serverMicrosPerJoin, 0)} µs/join, load cpu max ${percent(m.joinLoadCpuMaxPercent)})`,
    `| ${thousands(m.messagesPerSecond).padStart(7)} relayed msg/s`,
    `hop p50 ${fixed(m.hopP50Ms, 2)} ms p99 ${fixed(m.hopP99Ms, 2)} ms  paced ${fixed(m.pacedFraction * 100, 1)}%`,
    `server cpu ${percent(m.serverCpuPercent)} (${fixed(m.serverMicrosPerMessage, 1)} µs/msg)`,
    `load cpu ${m.loadCpuPercents.map(percent).join('+')} (${fixed(m.loadMicrosPerMessage, 1)} µs/msg)`,
    `machine busy ${percent(m.machineBusyPercent)}  others ${percent(m.othersCpuPercent)}`,
    `| rss ${fixed(m.serverRssMb, 0)} MB (${fixed(m.serverKbPerConnection, 1)} KB/conn)`,
    `join failures ${tally(m.joinFailures)}  closed ${tally(m.closes)}  errors ${tally(m.errors)}`,
  ].join('  ');
}

/** Medians of one server over the rounds (connections held: the least; counts of trouble: summed). */
interface Summary {
  held: number;
  joinP50Ms: number;
  joinP99Ms: number;
  connectP99Ms: number;
  connectJoinP99Ms: number;
  joinRatePerSecond: number;
  joinServerCpuPercent: number;
  serverMicrosPerJoin: number;
  joinLoadCpuMaxPercent: number;
  messagesPerSecond: number;
  hopP50Ms: number;
  hopP99Ms: number;
  pacedFraction: number;
  serverCpuPercent: number;
  serverMicrosPerMessage: number;
  loadCpuMaxPercent: number;
  loadMicrosPerMessage: number;
  machineBusyPercent: number;
  othersCpuPercent: number;
  serverRssMb: number;
  serverKbPerConnection: number;
  joinFailures: number;
  closed: number;
  errors: number;
  withoutPeer: number;
}

function summaryOf(measurements: Measurement[]): Summary | undefined {
  if (measurements.length === 0) return undefined;
  const med = (pick: (m: Measurement) => number) => median(measurements.map(pick));
  const sum = (pick: (m: Measurement) => number) => measurements.reduce((all, m) => all + pick(m), 0);
  return {
    held: Math.min(...measurements.map((m) => m.held)),
    joinP50Ms: med((m) => m.joinP50Ms),
    joinP99Ms: med((m) => m.joinP99Ms),
    connectP99Ms: med((m) => m.connectP99Ms),
    connectJoinP99Ms: med((m) => m.connectJoinP99Ms),
    joinRatePerSecond: med((m) => m.joinRatePerSecond),
    joinServerCpuPercent: med((m) => m.joinServerCpuPercent),
    serverMicrosPerJoin: med((m) => m.serverMicrosPerJoin),
    joinLoadCpuMaxPercent: med((m) => m.joinLoadCpuMaxPercent),
    messagesPerSecond: med((m) => m.messagesPerSecond),
    hopP50Ms: med((m) => m.hopP50Ms),
    hopP99Ms: med((m) => m.hopP99Ms),
    pacedFraction: med((m) => m.pacedFraction),
    serverCpuPercent: med((m) => m.serverCpuPercent),
    serverMicrosPerMessage: med((m) => m.serverMicrosPerMessage),
    loadCpuMaxPercent: med((m) => Math.max(...m.loadCpuPercents)),
    loadMicrosPerMessage: med((m) => m.loadMicrosPerMessage),
    machineBusyPercent: med((m) => m.machineBusyPercent),
    othersCpuPercent: med((m) => m.othersCpuPercent),
    serverRssMb: med((m) => m.serverRssMb),
    serverKbPerConnection: med((m) => m.serverKbPerConnection),
    joinFailures: sum((m) => total(m.joinFailures)),
    closed: sum((m) => total(m.closes)),
    errors: sum((m) => total(m.errors)),
    withoutPeer: sum((m) => m.withoutPeer),
  };
}

/** Warnings a reader needs to judge the figures. */
function caveats(name: ServerKind, summary: Summary, options: BenchOptions): string[] {
  const lines: string[] = [];
  if (summary.loadCpuMaxPercent >= LOAD_CPU_LIMIT_PERCENT) {
    lines.push(
      `${name}: a load process used ${percent(summary.loadCpuMaxPercent)} of a core in the message phase: ` +
        'the load generator may be the bottleneck, so msg/s is a lower bound of the server’s capacity.',
    );
  }
  if (summary.joinLoadCpuMaxPercent >= LOAD_CPU_LIMIT_PERCENT) {
    lines.push(
      `${name}: a load process used ${percent(summary.joinLoadCpuMaxPercent)} of a core while joining: ` +
        'its own delays are part of the join latency.',
    );
  }
  if (summary.machineBusyPercent >= 90) {
    lines.push(
      `${name}: the machine's cores were ${percent(summary.machineBusyPercent)} busy: the server and ` +
        'the load generator competed for CPU.',
    );
  }
  if (summary.othersCpuPercent >= OTHERS_CPU_LIMIT_PERCENT) {
    lines.push(
      `${name}: other processes used ${percent(summary.othersCpuPercent)} of a core during the ` +
        'measurements: the machine was not quiet and the figures are disturbed.',
    );
  }
  const perClient = summary.messagesPerSecond / Math.max(1, summary.held);
  if (perClient >= CAP_SHARE_LIMIT * options.maxSendRate) {
    lines.push(
      `${name}: each client sent ${fixed(perClient, 1)} msg/s on average, near its cap of ${options.maxSendRate} ` +
        `(${fixed(summary.pacedFraction * 100, 1)} % of sends waited): the cap, not the server, may set the ` +
        'rate; use more connections.',
    );
  }
  if (summary.joinFailures > 0) lines.push(`${name}: ${summary.joinFailures} clients failed to join.`);
  if (summary.closed > 0) lines.push(`${name}: ${summary.closed} joined connections were closed.`);
  if (summary.errors > 0) lines.push(`${name}: ${summary.errors} error messages or socket errors.`);
  if (summary.withoutPeer > 0) {
    lines.push(`${name}: ${summary.withoutPeer} clients never learned their peer's id and sent nothing.`);
  }
  return lines;
}

async function run(options: BenchOptions): Promise<void> {
  const servers: ServerKind[] = options.echo ? ['ours', 'echo'] : ['ours'];
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  console.log(
    `Signaling benchmark: ${thousands(options.connections)} clients in rooms of ${options.roomSize}, joining at ` +
      `${thousands(options.joinRate)}/s (at most ${options.maxPendingJoins} pending), then ` +
      `window ${options.window} per client (at most ${options.maxSendRate} msg/s each), ${options.frameBytes}-byte frames, ` +
      `${options.procs} load processes, ${options.rounds} round(s) × (${options.warmupSeconds} s warm-up + ` +
      `${options.durationSeconds} s measured) per server`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs (${cpuModel}), Node ${process.version}, ${process.platform}`,
  );
  console.log(`ours: node ${oursArgs(options, 'PORT').join(' ')}`);
  if (options.echo) console.log(`echo: node ${echoArgs('PORT').join(' ')}`);
  else console.warn('WARNING: the echo server is not measured (--no-echo): echo figures and ratio are NA.');
  console.log(
    'relayed msg/s = data frames the load clients received per second; ours: each sent to one named peer ' +
      '(to: [id], the next in its room), so one send is one delivery; echo: each frame back to its sender. ' +
      'Both cross the server once. join = join sent → joined received (echo: → the join frame back); ' +
      'connect = TCP connect + WebSocket upgrade; connect+join = both, the whole wait; hop = data sent → delivered.',
  );
  if (options.localAddresses.length > 0) {
    console.log(`client sockets spread over ${options.localAddresses.join(', ')}`);
  }

  const measurements: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate which server goes first, so a drift of the machine does not favour one of them.
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const name of order) {
      const measurement = await measure(name, round, options);
      measurements.push(measurement);
      console.log(describeMeasurement(measurement, options));
    }
  }

  const ours = summaryOf(measurements.filter((m) => m.server === 'ours'))!;
  const echo = summaryOf(measurements.filter((m) => m.server === 'echo'));
  console.log(`\nmedians over ${options.rounds} round(s):`);
  for (const [name, summary] of [
    ['ours', ours],
    ['echo', echo],
  ] as const) {
    if (!summary) {
      console.log('  echo  NA (--no-echo)');
      continue;
    }
    console.log(
      `  ${name.padEnd(4)}  held ${thousands(summary.held)}  join p50 ${fixed(summary.joinP50Ms, 2)} ms` +
        `  p99 ${fixed(summary.joinP99Ms, 2)} ms  connect+join p99 ${fixed(summary.connectJoinP99Ms, 2)} ms` +
        `  ${thousands(summary.messagesPerSecond).padStart(7)} relayed msg/s` +
        `  hop p99 ${fixed(summary.hopP99Ms, 2)} ms  server cpu ${percent(summary.serverCpuPercent)}` +
        ` (${fixed(summary.serverMicrosPerMessage, 1)} µs/msg)  busiest load process ${percent(summary.loadCpuMaxPercent)}` +
        `  machine busy ${percent(summary.machineBusyPercent)}` +
        `  others ${percent(summary.othersCpuPercent)}  rss ${fixed(summary.serverRssMb, 0)} MB`,
    );
  }
  const ratio = echo ? ours.messagesPerSecond / echo.messagesPerSecond : Number.NaN;
  const cpuRatio = echo ? ours.serverMicrosPerMessage / echo.serverMicrosPerMessage : Number.NaN;
  if (echo) {
    console.log(`  ratio ours/echo (relayed msg/s): ${fixed(ratio, 3)}`);
    console.log(
      `  server CPU per relayed message, ours/echo: ${fixed(cpuRatio, 3)} (above 1: ours costs more)`,
    );
  }
  const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
  console.log(
    `targets: ${thousands(TARGET.participants)} participants held: ${verdict(ours.held >= TARGET.participants)}` +
      ` (${thousands(ours.held)}); join p99 < ${TARGET.joinP99Ms} ms: ${verdict(ours.joinP99Ms < TARGET.joinP99Ms)}` +
      ` (${fixed(ours.joinP99Ms, 2)} ms); relayed msg/s ≥ ${TARGET.ratio} × echo: ` +
      `${echo ? verdict(ratio >= TARGET.ratio) : 'NA'} (${fixed(ratio, 3)})`,
  );
  const warnings = [...caveats('ours', ours, options), ...(echo ? caveats('echo', echo, options) : [])];
  for (const line of warnings) console.warn(`WARNING: ${line}`);

  const figures = [
    keyValue('ours_connections', ours.held, 0),
    keyValue('echo_connections', echo?.held ?? Number.NaN, 0),
    keyValue('ours_join_p50_ms', ours.joinP50Ms, 3),
    keyValue('ours_join_p99_ms', ours.joinP99Ms, 3),
    keyValue('echo_join_p50_ms', echo?.joinP50Ms ?? Number.NaN, 3),
    keyValue('echo_join_p99_ms', echo?.joinP99Ms ?? Number.NaN, 3),
    keyValue('ours_connect_p99_ms', ours.connectP99Ms, 3),
    keyValue('echo_connect_p99_ms', echo?.connectP99Ms ?? Number.NaN, 3),
    keyValue('ours_connect_join_p99_ms', ours.connectJoinP99Ms, 3),
    keyValue('echo_connect_join_p99_ms', echo?.connectJoinP99Ms ?? Number.NaN, 3),
    keyValue('ours_msgs_per_s', ours.messagesPerSecond, 0),
    keyValue('echo_msgs_per_s', echo?.messagesPerSecond ?? Number.NaN, 0),
    keyValue('ratio', ratio, 3),
    keyValue('ours_hop_p50_ms', ours.hopP50Ms, 3),
    keyValue('ours_hop_p99_ms', ours.hopP99Ms, 3),
    keyValue('echo_hop_p50_ms', echo?.hopP50Ms ?? Number.NaN, 3),
    keyValue('echo_hop_p99_ms', echo?.hopP99Ms ?? Number.NaN, 3),
    keyValue('ours_server_cpu_pct', ours.serverCpuPercent, 0),
    keyValue('echo_server_cpu_pct', echo?.serverCpuPercent ?? Number.NaN, 0),
    keyValue('ours_cpu_us_per_msg', ours.serverMicrosPerMessage, 2),
    keyValue('echo_cpu_us_per_msg', echo?.serverMicrosPerMessage ?? Number.NaN, 2),
    keyValue('cpu_ratio', cpuRatio, 3),
    keyValue('ours_join_server_cpu_pct', ours.joinServerCpuPercent, 0),
    keyValue('ours_cpu_us_per_join', ours.serverMicrosPerJoin, 0),
    keyValue('ours_server_rss_mb', ours.serverRssMb, 0),
    keyValue('echo_server_rss_mb', echo?.serverRssMb ?? Number.NaN, 0),
    keyValue('ours_load_cpu_max_pct', ours.loadCpuMaxPercent, 0),
    keyValue('echo_load_cpu_max_pct', echo?.loadCpuMaxPercent ?? Number.NaN, 0),
    keyValue('ours_machine_busy_pct', ours.machineBusyPercent, 0),
    keyValue('echo_machine_busy_pct', echo?.machineBusyPercent ?? Number.NaN, 0),
    keyValue('ours_others_cpu_pct', ours.othersCpuPercent, 0),
    keyValue('echo_others_cpu_pct', echo?.othersCpuPercent ?? Number.NaN, 0),
    `ours_join_failures=${ours.joinFailures}`,
    `ours_closed=${ours.closed}`,
    `echo_join_failures=${echo ? echo.joinFailures : 'NA'}`,
    `echo_closed=${echo ? echo.closed : 'NA'}`,
    `connections=${options.connections}`,
    `room_size=${options.roomSize}`,
    `join_rate=${options.joinRate}`,
    `window=${options.window}`,
    `procs=${options.procs}`,
    `size=${options.frameBytes}`,
    `duration_s=${options.durationSeconds}`,
    `rounds=${options.rounds}`,
  ];
  // Stdout, last: the line scripts read.
  console.log(figures.join(' '));
}

runBenchmark('bench:signaling', USAGE, parseOptions, run);
