/**
 * SFU benchmark: how many subscribers one publisher's camera and microphone
 * can be forwarded to, by our SFU and by Janus's VideoRoom in the same run.
 *
 *   npm run bench:sfu -- [--max-subscribers 320] [--duration 3] [--rounds 1]
 *                        [--start 5] [--budget 70] [--no-janus]
 *
 * One synthetic publisher (bench/sfu-media.ts) sends VP8 at 30 frames/s and
 * about 1.5 Mbit/s plus Opus every 20 ms into a room; N subscribers receive
 * both tracks. Publisher and subscribers are lightweight endpoints on the
 * project's own ICE, DTLS and SRTP (bench/webrtc-client.ts), all in this
 * process — the load generator — while the server runs in a process of its
 * own: ours is bench/sfu-server.ts (a Router on one IceUdpMux, the engine
 * in-process, one thread), Janus is `janus` with a generated config.
 *
 * libnice, Janus's ICE agent, never gathers loopback candidates. So when
 * Janus is to be measured the whole benchmark re-runs itself (with
 * --in-netns) inside a network namespace it makes with `unshare -n`, where
 * Janus and its clients use 10.99.0.1 on an interface that exists only
 * there, and our server stays on 127.0.0.1. Where no namespace can be made
 * (not root, no unshare or ip), Janus is skipped with a warning and its
 * figures are NA: it is never run on an address of the host.
 *
 * For each server N goes 5, 10, 20, 40, … (doubling) until a step fails or
 * --max-subscribers or the time budget is reached, then the gap between the
 * last pass and the first failure is halved twice. The first step's
 * subscribers get 3 s of unmeasured warm-up; a failing step is measured
 * once more and fails only when both windows fail. A step adds or removes
 * subscribers, lets them settle for a second, then measures --duration
 * seconds: it passes when subscribers lost < 1 % of what was sent in the
 * window (each packet counted once per subscriber) and the 99th percentile
 * of added latency (receive time − send time, same clock) is < 50 ms.
 *
 * Figures, at the largest passing N: forwarded packets/s (received by all
 * subscribers), and the server's CPU per forwarded Mbit (µs of CPU, all
 * threads, read from /proc, per Mbit of RTP delivered), which stays
 * comparable when neither server is saturated. `subscribers_per_core` is
 * N divided by the cores the server used at that N.
 *
 * The last line of the output is `key=value` figures for scripts.
 * Environment: BENCH_MAX_SUBSCRIBERS, BENCH_DURATION, BENCH_ROUNDS,
 * BENCH_START, BENCH_BUDGET (flags win); BENCH_JANUS (janus's binary,
 * default `janus` on PATH); BENCH_JANUS_LIB (the folder with Janus's
 * plugins/ and transports/, default Debian's).
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
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
  UsageError,
} from './cli.js';
import { machineBusyFraction, machineCpuSample, processTreeCpuSeconds } from './cpu.js';
import { findExecutable } from './executables.js';
import {
  JanusServer,
  NAMESPACE_ADDRESS,
  NAMESPACE_INTERFACE,
  namespaceMismatch,
  namespacePrefix,
  namespaceProblem,
} from './janus.js';
import { freePort, trackChild } from './server-process.js';
import { MeasurementWindow, SyntheticPublisher } from './sfu-media.js';
import { parseDescription, publisherOffer, remoteEndpointOf, subscriberAnswer } from './sfu-sdp.js';
import { OurSfuServer } from './sfu-server-client.js';
import { WebRtcClient } from './webrtc-client.js';

/** The two servers compared. */
type ServerName = 'ours' | 'janus';

/** Settings of a benchmark run. */
interface BenchOptions {
  maxSubscribers: number;
  startSubscribers: number;
  durationSeconds: number;
  rounds: number;
  /** Seconds each server's search may take before it stops doubling. */
  budgetSeconds: number;
  janus: string | undefined;
  janusAbsence: string | undefined;
  janusLibrary: string | undefined;
  janusRtpPorts: { min: number; max: number };
  /**
   * True when this process must re-run itself inside a network namespace of
   * its own (bench/janus.ts) and only wait for that run.
   */
  reexecInNamespace: boolean;
}

/** Set on the re-run inside the namespace, so that it does not re-run itself again. */
const IN_NAMESPACE_FLAG = '--in-netns';

/** Pass criteria (the issue's). */
const MAX_LOSS = 0.01;
const MAX_P99_MS = 50;
/** Unmeasured time before the first step, with its subscribers. */
const WARMUP_MS = 3000;
/** Unmeasured seconds after subscribers were added or removed. */
const SETTLE_MS = 1000;
/** Packets of the window still in flight are waited for this long. */
const GRACE_MS = 300;
/** Subscribers being set up at once. */
const SETUP_CONCURRENCY = 8;
/** A load generator above this share of one core may itself cause loss and latency. */
const LOAD_CPU_LIMIT_PERCENT = 85;
/** CPU of other processes, % of one core, above which the figures are called disturbed. */
const OTHERS_CPU_LIMIT_PERCENT = 15;

const USAGE = `Usage: npm run bench:sfu -- [flags]

  --max-subscribers N  largest N tried (default 320; BENCH_MAX_SUBSCRIBERS)
  --start N            first N tried, then doubled (default 5; BENCH_START)
  --duration S         measured seconds per step (default 3; BENCH_DURATION)
  --rounds N           searches per server; figures are medians (default 1; BENCH_ROUNDS)
  --budget S           seconds per server and round after which N stops growing (default 70; BENCH_BUDGET)
  --janus-rtp-ports A-B  Janus's RTP port range (default 24000-25999)
  --no-janus           measure our server only
  -h, --help           this text

Janus's binary: BENCH_JANUS (default janus on PATH); its plugins/ and
transports/ folder: BENCH_JANUS_LIB (default Debian's). With Janus, the
benchmark re-runs itself inside a network namespace of its own (needs root,
unshare and ip), where Janus and the clients use ${NAMESPACE_ADDRESS} on ${NAMESPACE_INTERFACE};
without one, Janus is not measured (janus_*=NA ratio=NA).
`;

function portRange(text: string): { min: number; max: number } {
  const match = /^(\d+)-(\d+)$/.exec(text);
  const min = match ? Number(match[1]) : Number.NaN;
  const max = match ? Number(match[2]) : Number.NaN;
  if (!(min >= 1024 && max <= 65535 && min < max)) {
    throw new UsageError(`--janus-rtp-ports must be MIN-MAX within 1024-65535, not "${text}"`);
  }
  return { min, max };
}

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      'max-subscribers': { type: 'string' },
      start: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      budget: { type: 'string' },
      'janus-rtp-ports': { type: 'string' },
      'no-janus': { type: 'boolean' },
      'in-netns': { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  const maxSubscribers = integer(
    pick(values['max-subscribers'], 'BENCH_MAX_SUBSCRIBERS', '320'),
    'max-subscribers',
    1,
    2000,
  );
  const startSubscribers = Math.min(
    maxSubscribers,
    integer(pick(values.start, 'BENCH_START', '5'), 'start', 1, 2000),
  );
  let janus: string | undefined;
  let janusAbsence: string | undefined;
  if (values['no-janus']) {
    janusAbsence = '--no-janus given';
  } else {
    const wanted = env['BENCH_JANUS'] || 'janus';
    janus = findExecutable(wanted);
    if (!janus) janusAbsence = `${wanted} not found (Debian: apt-get install -y janus)`;
  }
  const inNamespace = values['in-netns'] === true;
  if (inNamespace) {
    // Never measure Janus on addresses that are not the namespace's own.
    const mismatch = namespaceMismatch();
    if (mismatch)
      throw new Error(`${IN_NAMESPACE_FLAG} given, but this is not the benchmark's namespace: ${mismatch}`);
  }
  let reexecInNamespace = false;
  if (janus && !inNamespace) {
    const problem = namespaceProblem();
    if (problem) {
      janus = undefined;
      janusAbsence =
        `cannot make the network namespace Janus runs in (${problem}); ` +
        "Janus is never run on this machine's own addresses";
    } else {
      reexecInNamespace = true;
    }
  }
  const janusRtpPorts = portRange(values['janus-rtp-ports'] ?? '24000-25999');
  if (janusRtpPorts.max - janusRtpPorts.min < maxSubscribers + 8) {
    throw new UsageError('--janus-rtp-ports must hold a port per subscriber and a few more');
  }
  return {
    maxSubscribers,
    startSubscribers,
    durationSeconds: seconds(pick(values.duration, 'BENCH_DURATION', '3'), 'duration', 0.2, 120),
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '1'), 'rounds', 1, 20),
    budgetSeconds: seconds(pick(values.budget, 'BENCH_BUDGET', '70'), 'budget', 1, 3600),
    janus,
    janusAbsence,
    janusLibrary: env['BENCH_JANUS_LIB'] || undefined,
    janusRtpPorts,
    reexecInNamespace,
  };
}

/**
 * Runs this benchmark again, with the same arguments and IN_NAMESPACE_FLAG,
 * inside a fresh network namespace (bench/janus.ts), and waits for it: all
 * its output is that run's.
 */
async function runInNamespace(): Promise<void> {
  const [command, ...prefix] = namespacePrefix();
  const child = spawn(
    command!,
    [
      ...prefix,
      process.execPath,
      ...process.execArgv,
      process.argv[1]!,
      ...process.argv.slice(2),
      IN_NAMESPACE_FLAG,
    ],
    { stdio: 'inherit' },
  );
  trackChild(child);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (code !== 0) {
    throw new Error(`the run inside the network namespace ended with ${signal ?? `exit code ${code}`}`);
  }
}

/** What the benchmark needs of a server: negotiation and a process to measure. */
interface SfuUnderTest {
  name: ServerName;
  pid: number;
  /** The local address the clients bind to, to reach the server's candidates. */
  clientAddress: string;
  publish(offer: string): Promise<string>;
  subscribe(): Promise<{ subscriber: string; sdp: string }>;
  answer(subscriber: string, sdp: string): Promise<void>;
  unsubscribe(subscriber: string): Promise<void>;
  readonly exited: boolean;
  output(): string;
  stop(): Promise<void>;
}

/** Janus behind the same interface. */
async function startJanus(options: BenchOptions): Promise<SfuUnderTest> {
  // Janus and the clients use the namespace's address only, never one of the host's.
  const mismatch = namespaceMismatch();
  if (mismatch) throw new Error(`Janus runs only inside the benchmark's network namespace: ${mismatch}`);
  const janus = await JanusServer.start({
    iceAddress: NAMESPACE_ADDRESS,
    binary: options.janus!,
    libraryFolder: options.janusLibrary,
    httpPort: await freePort(false),
    rtpPorts: options.janusRtpPorts,
  });
  return {
    name: 'janus',
    pid: janus.pid,
    clientAddress: NAMESPACE_ADDRESS,
    publish: (offer) => janus.publish(offer),
    subscribe: () => janus.subscribe(),
    answer: (subscriber, sdp) => janus.answer(subscriber, sdp),
    unsubscribe: (subscriber) => janus.unsubscribe(subscriber),
    get exited() {
      return janus.exited;
    },
    output: () => janus.output(),
    stop: () => janus.stop(),
  };
}

/** One subscriber of the load generator. */
interface LoadSubscriber {
  id: string;
  client: WebRtcClient;
  /** Probes seen in the current window, per stream (see MeasurementWindow.record). */
  seen: [Uint8Array, Uint8Array];
  videoPackets: number;
}

/** Figures of one step of the search. */
interface Step {
  subscribers: number;
  loss: number;
  p50Ms: number;
  p99Ms: number;
  /** Packets received by all subscribers per second. */
  forwardedPps: number;
  forwardedMbps: number;
  /** Server CPU in the window, % of one core. */
  serverCpuPercent: number;
  loadCpuPercent: number;
  machineBusyPercent: number;
  /** CPU of everything else (other programs, the kernel), % of one core. */
  othersCpuPercent: number;
  cpuMicrosPerMbit: number;
  passed: boolean;
}

/** Resolves once `condition` holds, polling; rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The publisher, the subscribers and the measurements against one server. */
class LoadGenerator {
  readonly server: SfuUnderTest;
  readonly #certificate: SelfSignedCertificate;
  readonly subscribers: LoadSubscriber[] = [];
  #publisherClient: WebRtcClient | undefined;
  publisher: SyntheticPublisher | undefined;
  #window: MeasurementWindow | undefined;

  constructor(server: SfuUnderTest, certificate: SelfSignedCertificate) {
    this.server = server;
    this.#certificate = certificate;
  }

  /** Connects the publisher and starts its media. */
  async startPublisher(): Promise<void> {
    const client = await WebRtcClient.open(this.#certificate, this.server.clientAddress);
    this.#publisherClient = client;
    const answer = await this.server.publish(publisherOffer(client));
    client.connect(
      remoteEndpointOf(parseDescription(answer, `${this.server.name}'s publish answer`), 'actpass'),
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the publisher did not connect within 10 s')), 10_000);
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('failed', (reason) => reject(new Error(`publisher: ${reason}`)));
    });
    const publisher = new SyntheticPublisher((packet) => client.sendRtp(packet));
    client.on('rtcp', (packet) => publisher.receiveRtcp(packet));
    this.publisher = publisher;
    publisher.start();
  }

  /** Adds or removes subscribers until there are `count`, each receiving video. */
  async resize(count: number): Promise<void> {
    while (this.subscribers.length > count) {
      const subscriber = this.subscribers.pop()!;
      subscriber.client.close();
      await this.server.unsubscribe(subscriber.id);
    }
    const missing = count - this.subscribers.length;
    for (let done = 0; done < missing; done += SETUP_CONCURRENCY) {
      const batch = Math.min(SETUP_CONCURRENCY, missing - done);
      const added = await Promise.all(Array.from({ length: batch }, () => this.#addSubscriber()));
      this.subscribers.push(...added);
    }
    await until(
      () => this.subscribers.every((subscriber) => subscriber.videoPackets > 0),
      15_000,
      `${count} subscribers to receive video from ${this.server.name}`,
    );
  }

  async #addSubscriber(): Promise<LoadSubscriber> {
    const client = await WebRtcClient.open(this.#certificate, this.server.clientAddress);
    const { subscriber: id, sdp } = await this.server.subscribe();
    const answer = subscriberAnswer(client, sdp);
    await this.server.answer(id, answer.sdp);
    const subscriber: LoadSubscriber = {
      id,
      client,
      seen: [new Uint8Array(0x10000), new Uint8Array(0x10000)],
      videoPackets: 0,
    };
    client.on('rtp', (packet) => {
      if (packet.length > 400) subscriber.videoPackets++;
      this.#window?.record(packet, subscriber.seen, performance.now());
    });
    client.connect(answer.remote);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`subscriber ${id} did not connect within 10 s`)),
        10_000,
      );
      client.once('connected', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('failed', (reason) => reject(new Error(`subscriber ${id}: ${reason}`)));
    });
    return subscriber;
  }

  /** Measures one window of `durationMs` with the current subscribers. */
  async measure(durationMs: number): Promise<Step> {
    const publisher = this.publisher!;
    const count = this.subscribers.length;
    for (const subscriber of this.subscribers) {
      subscriber.seen[0].fill(0);
      subscriber.seen[1].fill(0);
    }
    const window = new MeasurementWindow(publisher.nextCounter);
    this.#window = window;
    const serverBefore = processTreeCpuSeconds(this.server.pid);
    const loadBefore = process.cpuUsage();
    const machineBefore = machineCpuSample();
    const startedAt = performance.now();
    await sleep(durationMs);
    window.end = [...publisher.nextCounter];
    const serverAfter = processTreeCpuSeconds(this.server.pid);
    const load = process.cpuUsage(loadBefore);
    const machineAfter = machineCpuSample();
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    await sleep(GRACE_MS);
    window.close();
    this.#window = undefined;
    if (this.server.exited)
      throw new Error(`${this.server.name} exited:\n${this.server.output().slice(-4000)}`);
    const expected = window.expected(count);
    const loss = expected > 0 ? Math.max(0, 1 - window.received / expected) : 1;
    const p99Ms = window.latency.percentile(99);
    const serverCpuSeconds =
      serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : Number.NaN;
    const forwardedMbit = (window.bytes * 8) / 1e6;
    const serverCpuPercent = (serverCpuSeconds / elapsedSeconds) * 100;
    const loadCpuPercent = ((load.user + load.system) / 1e6 / elapsedSeconds) * 100;
    const machineBusyPercent = machineBusyFraction(machineBefore, machineAfter) * 100;
    return {
      subscribers: count,
      loss,
      p50Ms: window.latency.percentile(50),
      p99Ms,
      forwardedPps: window.received / elapsedSeconds,
      forwardedMbps: forwardedMbit / elapsedSeconds,
      serverCpuPercent,
      loadCpuPercent,
      machineBusyPercent,
      othersCpuPercent: machineBusyPercent * availableParallelism() - serverCpuPercent - loadCpuPercent,
      cpuMicrosPerMbit: forwardedMbit > 0 ? (serverCpuSeconds * 1e6) / forwardedMbit : Number.NaN,
      passed: loss < MAX_LOSS && p99Ms < MAX_P99_MS,
    };
  }

  /** Closes every client (the server is stopped by the caller). */
  close(): void {
    this.publisher?.stop();
    this.#publisherClient?.close();
    for (const subscriber of this.subscribers) subscriber.client.close();
    this.subscribers.length = 0;
  }
}

function describeStep(name: ServerName, step: Step): string {
  return [
    `${name.padEnd(5)} N=${String(step.subscribers).padStart(4)}`,
    `${step.passed ? 'pass' : 'FAIL'}`,
    `loss ${fixed(step.loss * 100, 2)}%`,
    `latency p50 ${fixed(step.p50Ms, 2)} ms p99 ${fixed(step.p99Ms, 2)} ms`,
    `${Math.round(step.forwardedPps).toLocaleString('en-US')} pkt/s forwarded (${fixed(step.forwardedMbps, 1)} Mbit/s)`,
    `| server cpu ${percent(step.serverCpuPercent)} (${fixed(step.cpuMicrosPerMbit, 0)} µs/Mbit)`,
    `load cpu ${percent(step.loadCpuPercent)}`,
    `machine busy ${percent(step.machineBusyPercent)} of ${availableParallelism()} cores`,
    `others ${percent(step.othersCpuPercent)}`,
  ].join('  ');
}

/** Result of one search: the largest passing step, and every step. */
interface Search {
  best: Step | undefined;
  steps: Step[];
  /** Why the search stopped growing N. */
  stoppedBy: string;
}

/** Starts a server, connects the publisher, and searches for the largest passing N. */
async function search(
  name: ServerName,
  options: BenchOptions,
  certificate: SelfSignedCertificate,
): Promise<Search> {
  const server = name === 'ours' ? await OurSfuServer.start() : await startJanus(options);
  const load = new LoadGenerator(server, certificate);
  const steps: Step[] = [];
  const startedAt = Date.now();
  const durationMs = options.durationSeconds * 1000;
  let best: Step | undefined;
  let firstFailure: number | undefined;
  let stoppedBy = `--max-subscribers ${options.maxSubscribers}`;
  const run = async (count: number): Promise<Step> => {
    await load.resize(count);
    await sleep(SETTLE_MS);
    let step = await load.measure(durationMs);
    console.log(describeStep(name, step));
    if (!step.passed) {
      // Another program's burst can cost one window its p99: a step fails only when it fails twice.
      step = await load.measure(durationMs);
      console.log(`${describeStep(name, step)}  (again)`);
    }
    steps.push(step);
    if (step.passed && (!best || step.subscribers > best.subscribers)) best = step;
    if (!step.passed && (firstFailure === undefined || count < firstFailure)) firstFailure = count;
    return step;
  };
  try {
    await load.startPublisher();
    let count = options.startSubscribers;
    // Unmeasured warm-up: the first seconds of a fresh process (JIT, buffers) would be charged to the first step.
    await load.resize(count);
    await sleep(WARMUP_MS);
    for (;;) {
      let step: Step;
      try {
        step = await run(count);
      } catch (error) {
        // Subscribers that cannot even be set up count as a failure at this N.
        console.warn(`${name} N=${count}: ${error instanceof Error ? error.message : String(error)}`);
        firstFailure = count;
        stoppedBy = `set-up failure at N=${count}`;
        break;
      }
      if (!step.passed) {
        stoppedBy = `failure at N=${count}`;
        break;
      }
      if (count >= options.maxSubscribers) break;
      if ((Date.now() - startedAt) / 1000 > options.budgetSeconds) {
        stoppedBy = `time budget (${options.budgetSeconds} s)`;
        break;
      }
      count = Math.min(options.maxSubscribers, count * 2);
    }
    // Halve the gap between the last pass and the first failure, twice.
    for (let refinement = 0; refinement < 2 && firstFailure !== undefined; refinement++) {
      const low = best?.subscribers ?? 0;
      if (firstFailure - low <= Math.max(1, Math.ceil(low * 0.1))) break;
      const middle = Math.max(1, Math.round((low + firstFailure) / 2));
      if (middle === low || middle === firstFailure) break;
      try {
        await run(middle);
      } catch (error) {
        console.warn(`${name} N=${middle}: ${error instanceof Error ? error.message : String(error)}`);
        firstFailure = middle;
      }
    }
  } catch (error) {
    const tail = server.output().split('\n').slice(-30).join('\n');
    throw new Error(
      `${name}: ${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${tail}`,
    );
  } finally {
    load.close();
    await server.stop();
  }
  return { best, steps, stoppedBy };
}

/** Medians over the rounds of one server's best steps. */
interface Summary {
  maxSubscribers: number;
  forwardedPps: number;
  cpuMicrosPerMbit: number;
  serverCpuPercent: number;
  p99Ms: number;
  loss: number;
  subscribersPerCore: number;
  loadCpuPercent: number;
  othersCpuPercent: number;
}

function summaryOf(searches: Search[]): Summary | undefined {
  if (searches.length === 0) return undefined;
  const bests = searches.map((s) => s.best);
  const of = (pick: (step: Step) => number) => median(bests.map((step) => (step ? pick(step) : Number.NaN)));
  return {
    maxSubscribers: median(bests.map((step) => step?.subscribers ?? 0)),
    forwardedPps: of((step) => step.forwardedPps),
    cpuMicrosPerMbit: of((step) => step.cpuMicrosPerMbit),
    serverCpuPercent: of((step) => step.serverCpuPercent),
    p99Ms: of((step) => step.p99Ms),
    loss: of((step) => step.loss),
    subscribersPerCore: of((step) => step.subscribers / (step.serverCpuPercent / 100)),
    loadCpuPercent: median(searches.flatMap((s) => s.steps.map((step) => step.loadCpuPercent))),
    othersCpuPercent: median(searches.flatMap((s) => s.steps.map((step) => step.othersCpuPercent))),
  };
}

async function run(options: BenchOptions): Promise<void> {
  if (options.reexecInNamespace) {
    await runInNamespace();
    return;
  }
  const servers: ServerName[] = options.janus ? ['ours', 'janus'] : ['ours'];
  console.log(
    `SFU benchmark: 1 publisher (VP8 30 fps ~1.5 Mbit/s + Opus 20 ms), N subscribers from ${options.startSubscribers} ` +
      `doubling to at most ${options.maxSubscribers}, ${options.durationSeconds} s per step, ${options.rounds} round(s); ` +
      `pass = loss < ${MAX_LOSS * 100}% and p99 added latency < ${MAX_P99_MS} ms`,
  );
  console.log(
    `machine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${process.platform}`,
  );
  console.log('ours:  bench/sfu-server.ts (Router on one IceUdpMux, one process)');
  if (options.janus) {
    console.log(
      `janus: ${options.janus} (VideoRoom + HTTP transport, generated config, ICE on ${NAMESPACE_ADDRESS} of ${NAMESPACE_INTERFACE} ` +
        "in the benchmark's own network namespace)",
    );
  } else {
    console.warn(
      `\n${'#'.repeat(78)}\n# JANUS NOT MEASURED: ${options.janusAbsence}\n# janus_* figures and ratio are NA.\n${'#'.repeat(78)}\n`,
    );
  }
  const certificate = generateSelfSignedCertificate({ commonName: 'switchboard-bench-client' });
  const searches: Record<ServerName, Search[]> = { ours: [], janus: [] };
  for (let round = 1; round <= options.rounds; round++) {
    const order = round % 2 === 1 ? servers : [...servers].reverse();
    for (const name of order) {
      const result = await search(name, options, certificate);
      searches[name].push(result);
      console.log(
        `round ${round} ${name}: largest passing N = ${result.best?.subscribers ?? 0} (stopped by ${result.stoppedBy})`,
      );
    }
  }

  const ours = summaryOf(searches.ours)!;
  const janus = summaryOf(searches.janus);
  console.log(`\nmedians over ${options.rounds} round(s), at the largest passing N:`);
  for (const [name, summary] of [
    ['ours', ours],
    ['janus', janus],
  ] as const) {
    if (!summary) {
      console.log(`  janus  NA (${options.janusAbsence})`);
      continue;
    }
    console.log(
      `  ${name.padEnd(5)}  N=${summary.maxSubscribers}  ${Math.round(summary.forwardedPps).toLocaleString('en-US')} pkt/s forwarded` +
        `  server cpu ${percent(summary.serverCpuPercent)} (${fixed(summary.cpuMicrosPerMbit, 0)} µs/Mbit,` +
        ` ${fixed(summary.subscribersPerCore, 0)} subscribers per core)  p99 ${fixed(summary.p99Ms, 2)} ms` +
        `  loss ${fixed(summary.loss * 100, 2)}%`,
    );
  }
  const ratio = janus ? ours.maxSubscribers / janus.maxSubscribers : Number.NaN;
  const perCoreRatio = janus ? ours.subscribersPerCore / janus.subscribersPerCore : Number.NaN;
  if (janus) {
    console.log(`  ratio ours/janus (largest N): ${fixed(ratio, 3)}`);
    console.log(`  subscribers per core, ours/janus: ${fixed(perCoreRatio, 3)}`);
  }
  for (const [name, summary] of [
    ['ours', ours],
    ['janus', janus],
  ] as const) {
    if (summary && summary.othersCpuPercent >= OTHERS_CPU_LIMIT_PERCENT) {
      console.warn(
        `WARNING: ${name}: other processes used ${percent(summary.othersCpuPercent)} of a core (median step): ` +
          'the machine was not quiet, and their bursts count as added latency.',
      );
    }
    if (summary && summary.loadCpuPercent >= LOAD_CPU_LIMIT_PERCENT) {
      console.warn(
        `WARNING: ${name}: the load generator used ${percent(summary.loadCpuPercent)} of a core (median step): ` +
          'its own delays count as added latency, so the largest N is a lower bound.',
      );
    }
  }
  if (!janus) console.warn(`WARNING: janus not measured: ${options.janusAbsence}`);

  console.log(
    [
      `max_subscribers=${ours.maxSubscribers}`,
      `janus_max_subscribers=${janus ? janus.maxSubscribers : 'NA'}`,
      keyValue('ratio', ratio, 3),
      keyValue('forwarded_pps', ours.forwardedPps, 0),
      keyValue('janus_forwarded_pps', janus?.forwardedPps ?? Number.NaN, 0),
      keyValue('cpu_us_per_mbit', ours.cpuMicrosPerMbit, 0),
      keyValue('janus_cpu_us_per_mbit', janus?.cpuMicrosPerMbit ?? Number.NaN, 0),
      keyValue('subscribers_per_core', ours.subscribersPerCore, 1),
      keyValue('janus_subscribers_per_core', janus?.subscribersPerCore ?? Number.NaN, 1),
      keyValue('per_core_ratio', perCoreRatio, 3),
      keyValue('p99_ms', ours.p99Ms, 2),
      keyValue('janus_p99_ms', janus?.p99Ms ?? Number.NaN, 2),
      keyValue('others_cpu_pct', ours.othersCpuPercent, 0),
      `rounds=${options.rounds}`,
      `duration=${options.durationSeconds}`,
    ].join(' '),
  );
}

runBenchmark('bench:sfu', USAGE, parseOptions, run);
