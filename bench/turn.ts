/**
 * TURN relay benchmark: our server against coturn's `turnserver`, in one run,
 * under the same load.
 *
 *   npm run bench:turn -- [--pairs 32] [--window 8] [--duration 5] [--warmup 2]
 *                         [--rounds 3] [--size 160] [--procs N] [--no-coturn]
 *
 * Load: `pairs` pairs of UDP allocations bounce ChannelData through the
 * server's relays with `window` datagrams in flight per pair (see
 * bench/turn-load-worker.ts), spread over `procs` load processes so that the
 * load generator is not the bottleneck — its CPU is measured and printed to
 * check that. Each round measures both servers, one after the other, the
 * order alternating between rounds; each measurement gets a freshly started
 * server, new allocations, a warm-up, then `duration` measured seconds.
 * Figures are medians over the rounds.
 *
 * "Relayed packets/s" counts the ChannelData datagrams the server delivered
 * to the load clients per second. Each one crossed the server twice: in from
 * the sending client, out of its allocation to the peer's relayed address,
 * in on that allocation, out to the receiving client as ChannelData. A round
 * trip is two of them.
 *
 * The last line of the output is `key=value` figures for scripts.
 * Environment: BENCH_PAIRS, BENCH_WINDOW, BENCH_DURATION, BENCH_WARMUP,
 * BENCH_ROUNDS, BENCH_SIZE, BENCH_PROCS (flags win); BENCH_OURS_ENTRY (our
 * server's main.js, default dist/cli/main.js); BENCH_OURS_ARGS and
 * BENCH_COTURN_ARGS (extra server flags, split on spaces, appended last);
 * BENCH_TURNSERVER (coturn's binary, default `turnserver` on PATH).
 */
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
import { findExecutable } from './executables.js';
import { LoadProcess } from './load-process.js';
import { RttHistogram } from './rtt-histogram.js';
import { freePort, type RunningServer, startServer } from './server-process.js';
import {
  type ParentMessage,
  PROBE_HEADER_SIZE,
  type ResultReport,
  type WorkerMessage,
} from './turn-load-protocol.js';

/** The two servers compared. */
type ServerName = 'ours' | 'coturn';

/** An inclusive range of relay ports. */
interface PortRange {
  min: number;
  max: number;
}

/** Settings of a benchmark run. */
interface BenchOptions {
  pairs: number;
  window: number;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  payloadSize: number;
  procs: number;
  lossTimeoutMs: number;
  oursEntry: string;
  oursExtraArgs: string[];
  oursRelayPorts: PortRange;
  coturnExtraArgs: string[];
  coturnRelayPorts: PortRange;
  /** Path of turnserver, or undefined when it is not installed or not wanted. */
  turnserver: string | undefined;
  /** Why coturn is not measured, when it is not. */
  coturnAbsence: string | undefined;
}

/** Figures of one server in one round. */
interface Measurement {
  server: ServerName;
  round: number;
  /** Relayed (delivered) datagrams per second, all load processes together. */
  packetsPerSecond: number;
  roundTripsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  lost: number;
  late: number;
  socketErrors: number;
  /** Server CPU in the measured window, % of one core (all threads and children). */
  serverCpuPercent: number;
  /** CPU of each load process in the window, % of one core. */
  loadCpuPercents: number[];
  /** Busy share of all the machine's cores in the window, %. */
  machineBusyPercent: number;
  /**
   * CPU used by everything else (other programs, kernel threads), % of one
   * core: the machine's busy time minus the server's and the load's. Well
   * above a few % means the measurement was disturbed.
   */
  othersCpuPercent: number;
  /** Server CPU per relayed datagram, µs: its efficiency, whether or not it was saturated. */
  serverMicrosPerPacket: number;
  /** Load-generator CPU per relayed datagram, µs (all load processes). */
  loadMicrosPerPacket: number;
  setupMs: number;
}

const USERNAME = 'bench';
const PASSWORD = 'bench';
const REALM = 'bench';
/** Allocations and channels are never refreshed, so a measurement must end well within a permission's 300 s. */
const MAX_MEASUREMENT_SECONDS = 240;
/** A load process above this share of one core is treated as the bottleneck. */
const LOAD_CPU_LIMIT_PERCENT = 90;
/** CPU of other processes, % of one core, above which a measurement is called disturbed. */
const OTHERS_CPU_LIMIT_PERCENT = 15;
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER_FILE = fileURLToPath(new URL('./turn-load-worker.js', import.meta.url));

const USAGE = `Usage: npm run bench:turn -- [flags]

  --pairs N              client pairs, two allocations each (default 32; BENCH_PAIRS)
  --window N             datagrams in flight per pair (default 8; BENCH_WINDOW)
  --duration S           measured seconds per server and round (default 5; BENCH_DURATION)
  --warmup S             unmeasured seconds before each measurement (default 2; BENCH_WARMUP)
  --rounds N             rounds, each measuring both servers (default 3; BENCH_ROUNDS)
  --size BYTES           ChannelData payload bytes (default 160, min ${PROBE_HEADER_SIZE}; BENCH_SIZE)
  --procs N              load processes (default: CPU count, at most 4; BENCH_PROCS)
  --loss-timeout MS      a datagram not back after this is counted lost and replaced (default 1000)
  --ours-entry FILE      our server's main.js (default dist/cli/main.js; BENCH_OURS_ENTRY)
  --ours-relay-ports A-B relay ports of our server (default 26000-27999)
  --coturn-relay-ports A-B relay ports of coturn (default 28000-29999)
  --no-coturn            measure our server only
  -h, --help             this text

Extra server flags: BENCH_OURS_ARGS, BENCH_COTURN_ARGS (split on spaces, appended).
coturn's binary: BENCH_TURNSERVER (default turnserver on PATH).
`;

function portRange(text: string, name: string): PortRange {
  const match = /^(\d+)-(\d+)$/.exec(text);
  const min = match ? Number(match[1]) : Number.NaN;
  const max = match ? Number(match[2]) : Number.NaN;
  if (!(min >= 1024 && max <= 65535 && min <= max)) {
    throw new UsageError(`--${name} must be MIN-MAX within 1024-65535, not "${text}"`);
  }
  return { min, max };
}

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      pairs: { type: 'string' },
      window: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      size: { type: 'string' },
      procs: { type: 'string' },
      'loss-timeout': { type: 'string' },
      'ours-entry': { type: 'string' },
      'ours-relay-ports': { type: 'string' },
      'coturn-relay-ports': { type: 'string' },
      'no-coturn': { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  const defaultProcs = String(Math.max(1, Math.min(4, availableParallelism())));
  const oursRelayPorts = portRange(values['ours-relay-ports'] ?? '26000-27999', 'ours-relay-ports');
  const coturnRelayPorts = portRange(values['coturn-relay-ports'] ?? '28000-29999', 'coturn-relay-ports');
  const pairs = integer(pick(values.pairs, 'BENCH_PAIRS', '32'), 'pairs', 1, 10_000);
  for (const [name, range] of [
    ['ours', oursRelayPorts],
    ['coturn', coturnRelayPorts],
  ] as const) {
    if (range.max - range.min + 1 < 2 * pairs) {
      throw new UsageError(
        `${name}'s relay port range ${range.min}-${range.max} is too small for ${pairs} pairs`,
      );
    }
  }
  const durationSeconds = seconds(
    pick(values.duration, 'BENCH_DURATION', '5'),
    'duration',
    0.1,
    MAX_MEASUREMENT_SECONDS,
  );
  const warmupSeconds = seconds(
    pick(values.warmup, 'BENCH_WARMUP', '2'),
    'warmup',
    0,
    MAX_MEASUREMENT_SECONDS,
  );
  if (durationSeconds + warmupSeconds > MAX_MEASUREMENT_SECONDS) {
    throw new UsageError(`--warmup plus --duration must stay within ${MAX_MEASUREMENT_SECONDS} s`);
  }
  const oursEntry = pick(values['ours-entry'], 'BENCH_OURS_ENTRY', join(REPO_ROOT, 'dist/cli/main.js'));
  if (!existsSync(oursEntry)) {
    throw new UsageError(`our server is not built: ${oursEntry} is missing (run npm run build)`);
  }
  let turnserver: string | undefined;
  let coturnAbsence: string | undefined;
  if (values['no-coturn']) {
    coturnAbsence = '--no-coturn given';
  } else {
    const wanted = env['BENCH_TURNSERVER'] || 'turnserver';
    turnserver = findExecutable(wanted);
    if (!turnserver) coturnAbsence = `${wanted} not found (Debian: apt-get install -y coturn)`;
  }
  return {
    pairs,
    window: integer(pick(values.window, 'BENCH_WINDOW', '8'), 'window', 1, 1024),
    durationSeconds,
    warmupSeconds,
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '3'), 'rounds', 1, 100),
    payloadSize: integer(pick(values.size, 'BENCH_SIZE', '160'), 'size', PROBE_HEADER_SIZE, 1400),
    procs: Math.min(pairs, integer(pick(values.procs, 'BENCH_PROCS', defaultProcs), 'procs', 1, 64)),
    lossTimeoutMs: integer(values['loss-timeout'] ?? '1000', 'loss-timeout', 10, 60_000),
    oursEntry,
    oursExtraArgs: words(env['BENCH_OURS_ARGS']),
    oursRelayPorts,
    coturnExtraArgs: words(env['BENCH_COTURN_ARGS']),
    coturnRelayPorts,
    turnserver,
    coturnAbsence,
  };
}

/** A started server plus its own clean-up. */
interface ServerUnderTest {
  server: RunningServer;
  stop(): Promise<void>;
}

/** Our server: the built CLI's `turn` command, then BENCH_OURS_ARGS; `port` may be a placeholder for display. */
function oursArgs(options: BenchOptions, port: number | string): string[] {
  return [
    options.oursEntry,
    'turn',
    '--listen',
    `127.0.0.1:${port}`,
    '--realm',
    REALM,
    '--user',
    `${USERNAME}:${PASSWORD}`,
    '--allow-loopback-peers',
    '--min-port',
    String(options.oursRelayPorts.min),
    '--max-port',
    String(options.oursRelayPorts.max),
    '--log-level',
    'warn',
    ...options.oursExtraArgs,
  ];
}

/**
 * coturn with long-term credentials and no per-session or total bandwidth
 * limit (`--max-bps=0 --bps-capacity=0`, its defaults, made explicit). Its
 * relay threads are left at the default, one per CPU. `--pidfile` and `--db`
 * point into a private folder (the defaults live under /var and are shared).
 */
function coturnArgs(options: BenchOptions, port: number | string, workDir: string): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--relay-ip=127.0.0.1',
    `--min-port=${options.coturnRelayPorts.min}`,
    `--max-port=${options.coturnRelayPorts.max}`,
    '--allow-loopback-peers',
    '--lt-cred-mech',
    `--user=${USERNAME}:${PASSWORD}`,
    `--realm=${REALM}`,
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--max-bps=0',
    '--bps-capacity=0',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(workDir, 'turnserver.pid')}`,
    `--db=${join(workDir, 'turndb')}`,
    ...options.coturnExtraArgs,
  ];
}

/** coturn's working folders still present, removed on any exit. */
const workDirs = new Set<string>();
process.on('exit', () => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts one server on a free port, retrying on another port if the first was taken meanwhile. */
async function startUnderTest(name: ServerName, options: BenchOptions): Promise<ServerUnderTest> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (name === 'ours') {
      const port = await freePort(false);
      try {
        const server = await startServer(process.execPath, oursArgs(options, port), '127.0.0.1', port);
        return { server, stop: () => server.stop() };
      } catch (error) {
        lastError = error;
      }
    } else {
      const workDir = await mkdtemp(join(tmpdir(), 'switchboard-bench-coturn-'));
      workDirs.add(workDir);
      const removeWorkDir = async () => {
        await rm(workDir, { recursive: true, force: true });
        workDirs.delete(workDir);
      };
      const port = await freePort(true);
      try {
        const server = await startServer(
          options.turnserver!,
          coturnArgs(options, port, workDir),
          '127.0.0.1',
          port,
        );
        return {
          server,
          stop: async () => {
            await server.stop();
            await removeWorkDir();
          },
        };
      } catch (error) {
        lastError = error;
        await removeWorkDir();
      }
    }
  }
  throw lastError;
}

/** Pairs handled by load process `index`: as even a split as possible. */
function pairsOf(index: number, options: BenchOptions): number {
  return Math.floor(options.pairs / options.procs) + (index < options.pairs % options.procs ? 1 : 0);
}

/** Starts a server, loads it, and measures it once. */
async function measure(name: ServerName, round: number, options: BenchOptions): Promise<Measurement> {
  const underTest = await startUnderTest(name, options);
  const { server } = underTest;
  const workers = Array.from(
    { length: options.procs },
    (_, index) => new LoadProcess<ParentMessage, WorkerMessage>(index, WORKER_FILE),
  );
  let failed = true;
  try {
    for (const [index, worker] of workers.entries()) {
      worker.send({
        type: 'setup',
        server: { host: server.host, port: server.port },
        username: USERNAME,
        password: PASSWORD,
        pairs: pairsOf(index, options),
        window: options.window,
        payloadSize: options.payloadSize,
        lossTimeoutMs: options.lossTimeoutMs,
      });
    }
    const setupTimeoutMs = 30_000 + 200 * options.pairs;
    const ready = await Promise.all(workers.map((worker) => worker.next('ready', setupTimeoutMs)));
    const warmupMs = options.warmupSeconds * 1000;
    const durationMs = options.durationSeconds * 1000;
    for (const worker of workers) worker.send({ type: 'run', warmupMs, durationMs });
    const results = Promise.all(
      workers.map((worker) => worker.next('result', warmupMs + durationMs + 30_000)),
    );
    // Sample the server and the machine over the same window the load processes measure.
    await sleep(warmupMs);
    const serverBefore = processTreeCpuSeconds(server.pid);
    const machineBefore = machineCpuSample();
    const startedAt = performance.now();
    await sleep(durationMs);
    const serverAfter = processTreeCpuSeconds(server.pid);
    const machineAfter = machineCpuSample();
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const reports = await results;
    if (server.exited)
      throw new Error(`${name} server exited during the run:\n${server.output().slice(-4000)}`);
    failed = false;
    return summarize(name, round, reports, {
      serverCpuPercent:
        serverBefore !== undefined && serverAfter !== undefined
          ? ((serverAfter - serverBefore) / elapsedSeconds) * 100
          : Number.NaN,
      machineBusyPercent: machineBusyFraction(machineBefore, machineAfter) * 100,
      setupMs: Math.max(...ready.map((report) => report.setupMs)),
    });
  } catch (error) {
    throw roundFailure(name, error, server.output());
  } finally {
    await endRound(workers, failed, () => underTest.stop());
  }
}

function summarize(
  server: ServerName,
  round: number,
  reports: ResultReport[],
  sampled: { serverCpuPercent: number; machineBusyPercent: number; setupMs: number },
): Measurement {
  const rtt = new RttHistogram();
  let packetsPerSecond = 0;
  let roundTripsPerSecond = 0;
  for (const report of reports) {
    rtt.addSparse(report.rtt);
    packetsPerSecond += report.delivered / (report.measuredMs / 1000);
    roundTripsPerSecond += report.roundTrips / (report.measuredMs / 1000);
  }
  const sum = (key: 'lost' | 'late' | 'socketErrors') =>
    reports.reduce((total, report) => total + report[key], 0);
  const loadCpuPercents = reports.map(
    (report) => ((report.cpuUserMicros + report.cpuSystemMicros) / 1000 / report.measuredMs) * 100,
  );
  const delivered = reports.reduce((total, report) => total + report.delivered, 0);
  const loadCpuMicros = reports.reduce((total, r) => total + r.cpuUserMicros + r.cpuSystemMicros, 0);
  return {
    server,
    round,
    packetsPerSecond,
    roundTripsPerSecond,
    p50Ms: rtt.percentile(50),
    p99Ms: rtt.percentile(99),
    lost: sum('lost'),
    late: sum('late'),
    socketErrors: sum('socketErrors'),
    serverCpuPercent: sampled.serverCpuPercent,
    loadCpuPercents,
    machineBusyPercent: sampled.machineBusyPercent,
    othersCpuPercent:
      sampled.machineBusyPercent * availableParallelism() -
      sampled.serverCpuPercent -
      loadCpuPercents.reduce((total, value) => total + value, 0),
    serverMicrosPerPacket: (sampled.serverCpuPercent / 100 / packetsPerSecond) * 1e6,
    loadMicrosPerPacket: delivered > 0 ? loadCpuMicros / delivered : Number.NaN,
    setupMs: sampled.setupMs,
  };
}

function describeMeasurement(m: Measurement): string {
  return [
    `round ${m.round} ${m.server.padEnd(6)}`,
    `${Math.round(m.packetsPerSecond).toLocaleString('en-US').padStart(9)} relayed pkt/s`,
    `(${Math.round(m.roundTripsPerSecond).toLocaleString('en-US')} round trips/s)`,
    `rtt p50 ${fixed(m.p50Ms, 3)} ms p99 ${fixed(m.p99Ms, 3)} ms`,
    `lost ${m.lost} late ${m.late}${m.socketErrors ? ` socket errors ${m.socketErrors}` : ''}`,
    `| server cpu ${percent(m.serverCpuPercent)} (${fixed(m.serverMicrosPerPacket, 1)} µs/pkt)`,
    `load cpu ${m.loadCpuPercents.map(percent).join('+')} (${fixed(m.loadMicrosPerPacket, 1)} µs/pkt)`,
    `machine busy ${percent(m.machineBusyPercent)} of ${availableParallelism()} cores`,
    `others ${percent(m.othersCpuPercent)}`,
  ].join('  ');
}

/** Medians of one server over the rounds. */
interface Summary {
  packetsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPercent: number;
  /** Median over rounds of the busiest load process. */
  loadCpuMaxPercent: number;
  machineBusyPercent: number;
  othersCpuPercent: number;
  serverMicrosPerPacket: number;
  loadMicrosPerPacket: number;
  lost: number;
}

function summaryOf(measurements: Measurement[]): Summary | undefined {
  if (measurements.length === 0) return undefined;
  return {
    packetsPerSecond: median(measurements.map((m) => m.packetsPerSecond)),
    p50Ms: median(measurements.map((m) => m.p50Ms)),
    p99Ms: median(measurements.map((m) => m.p99Ms)),
    serverCpuPercent: median(measurements.map((m) => m.serverCpuPercent)),
    loadCpuMaxPercent: median(measurements.map((m) => Math.max(...m.loadCpuPercents))),
    machineBusyPercent: median(measurements.map((m) => m.machineBusyPercent)),
    othersCpuPercent: median(measurements.map((m) => m.othersCpuPercent)),
    serverMicrosPerPacket: median(measurements.map((m) => m.serverMicrosPerPacket)),
    loadMicrosPerPacket: median(measurements.map((m) => m.loadMicrosPerPacket)),
    lost: measurements.reduce((total, m) => total + m.lost, 0),
  };
}

/** Warnings a reader needs to judge the figures. */
function caveats(name: ServerName, summary: Summary): string[] {
  const lines: string[] = [];
  if (summary.loadCpuMaxPercent >= LOAD_CPU_LIMIT_PERCENT) {
    lines.push(
      `${name}: a load process used ${percent(summary.loadCpuMaxPercent)} of a core: the load generator ` +
        'may be the bottleneck, so this figure is a lower bound of the server’s capacity.',
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
  if (summary.lost > 0)
    lines.push(`${name}: ${summary.lost} datagrams lost (replaced after the loss timeout).`);
  return lines;
}

async function run(options: BenchOptions): Promise<void> {
  const servers: ServerName[] = options.turnserver ? ['ours', 'coturn'] : ['ours'];
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  console.log(
    `TURN relay benchmark: ${options.pairs} pairs × window ${options.window}, ${options.payloadSize}-byte payloads, ` +
      `${options.procs} load processes, ${options.rounds} rounds × (${options.warmupSeconds} s warm-up + ` +
      `${options.durationSeconds} s measured) per server`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs (${cpuModel}), Node ${process.version}, ${process.platform}`,
  );
  console.log(`ours:   node ${oursArgs(options, 'PORT').join(' ')}`);
  if (options.turnserver) {
    console.log(
      `coturn: ${options.turnserver} ${coturnArgs(options, 'PORT', 'TMP').join(' ')}` +
        ` (relay threads: ${options.coturnExtraArgs.some((arg) => /^(-m|--relay-threads)/.test(arg)) ? 'as given' : `default, one per CPU = ${availableParallelism()}`})`,
    );
  } else {
    console.warn(
      `\n${'#'.repeat(78)}\n# coturn NOT MEASURED: ${options.coturnAbsence}\n# coturn_pps and ratio are NA.\n${'#'.repeat(78)}\n`,
    );
  }
  console.log(
    'relayed pkt/s = ChannelData datagrams the server delivered to the load clients per second ' +
      '(each crossed the server twice: client → relay → peer relay → client; a round trip is two).',
  );

  const measurements: Measurement[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate which server goes first, so a drift of the machine does not favour one of them.
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const name of order) {
      const measurement = await measure(name, round, options);
      measurements.push(measurement);
      console.log(describeMeasurement(measurement));
    }
  }

  const ours = summaryOf(measurements.filter((m) => m.server === 'ours'))!;
  const coturn = summaryOf(measurements.filter((m) => m.server === 'coturn'));
  console.log(`\nmedians over ${options.rounds} round(s):`);
  for (const [name, summary] of [
    ['ours', ours],
    ['coturn', coturn],
  ] as const) {
    if (!summary) {
      console.log(`  coturn  NA (${options.coturnAbsence})`);
      continue;
    }
    console.log(
      `  ${name.padEnd(6)}  ${Math.round(summary.packetsPerSecond).toLocaleString('en-US').padStart(9)} relayed pkt/s` +
        `  rtt p50 ${fixed(summary.p50Ms, 3)} ms  p99 ${fixed(summary.p99Ms, 3)} ms` +
        `  server cpu ${percent(summary.serverCpuPercent)} (${fixed(summary.serverMicrosPerPacket, 1)} µs/pkt)` +
        `  busiest load process ${percent(summary.loadCpuMaxPercent)}` +
        `  machine busy ${percent(summary.machineBusyPercent)}  others ${percent(summary.othersCpuPercent)}`,
    );
  }
  const ratio = coturn ? ours.packetsPerSecond / coturn.packetsPerSecond : Number.NaN;
  const cpuRatio = coturn ? ours.serverMicrosPerPacket / coturn.serverMicrosPerPacket : Number.NaN;
  if (coturn) {
    console.log(`  ratio ours/coturn (relayed pkt/s): ${fixed(ratio, 3)}`);
    console.log(
      `  server CPU per relayed packet, ours/coturn: ${fixed(cpuRatio, 3)} (above 1: ours costs more)`,
    );
  }
  const warnings = [...caveats('ours', ours), ...(coturn ? caveats('coturn', coturn) : [])];
  for (const line of warnings) console.warn(`WARNING: ${line}`);
  if (!coturn) console.warn(`WARNING: coturn not measured: ${options.coturnAbsence}`);

  const figures = [
    keyValue('ours_pps', ours.packetsPerSecond, 0),
    keyValue('coturn_pps', coturn?.packetsPerSecond ?? Number.NaN, 0),
    keyValue('ratio', ratio, 3),
    keyValue('ours_p50_ms', ours.p50Ms, 3),
    keyValue('ours_p99_ms', ours.p99Ms, 3),
    keyValue('coturn_p50_ms', coturn?.p50Ms ?? Number.NaN, 3),
    keyValue('coturn_p99_ms', coturn?.p99Ms ?? Number.NaN, 3),
    keyValue('ours_server_cpu_pct', ours.serverCpuPercent, 0),
    keyValue('coturn_server_cpu_pct', coturn?.serverCpuPercent ?? Number.NaN, 0),
    keyValue('ours_load_cpu_max_pct', ours.loadCpuMaxPercent, 0),
    keyValue('coturn_load_cpu_max_pct', coturn?.loadCpuMaxPercent ?? Number.NaN, 0),
    keyValue('ours_machine_busy_pct', ours.machineBusyPercent, 0),
    keyValue('coturn_machine_busy_pct', coturn?.machineBusyPercent ?? Number.NaN, 0),
    keyValue('ours_others_cpu_pct', ours.othersCpuPercent, 0),
    keyValue('coturn_others_cpu_pct', coturn?.othersCpuPercent ?? Number.NaN, 0),
    keyValue('ours_cpu_us_per_pkt', ours.serverMicrosPerPacket, 2),
    keyValue('coturn_cpu_us_per_pkt', coturn?.serverMicrosPerPacket ?? Number.NaN, 2),
    keyValue('cpu_ratio', cpuRatio, 3),
    `pairs=${options.pairs}`,
    `window=${options.window}`,
    `procs=${options.procs}`,
    `size=${options.payloadSize}`,
    `duration_s=${options.durationSeconds}`,
    `rounds=${options.rounds}`,
  ];
  // Stdout, last: the line scripts read.
  console.log(figures.join(' '));
}

runBenchmark('bench:turn', USAGE, parseOptions, run);
