/**
 * Data channel benchmark: MB/s of one bulk transfer over one reliable,
 * ordered data channel, from libwebrtc to our stack, against the same
 * transfer between two libwebrtc peers in the same run.
 *
 *   npm run bench:datachannel -- [--megabytes 50] [--message-size 65536]
 *                                [--rounds 3] [--warmup 5] [--no-reverse]
 *
 * - ours: a libwebrtc peer (npm @roamhq/wrtc, bench/datachannel-peer.ts, a
 *   forked process) offers a data channel; this process answers with a
 *   WebRtcTransport (ICE-lite on an IceUdpMux at 127.0.0.1, DTLS client,
 *   SCTP and DCEP from src/sctp) and receives.
 * - ref: two libwebrtc peers, each in a forked process of its own (so each
 *   has its own network thread, as ours and its peer do), the offerer
 *   sending. They connect over their host candidates, which are this
 *   machine's own addresses: the kernel carries the traffic over the
 *   loopback device all the same.
 * - ours_send (unless --no-reverse): the same as ours the other way, our
 *   transport sending on the channel the peer opened; reported apart.
 *
 * A transfer is --megabytes × 10^6 bytes in binary messages of
 * --message-size bytes (bench/datachannel-payload.ts). Senders keep
 * bufferedAmount under 1 MiB and resume once it is down to 256 KiB: ours at
 * the channel's 'bufferedamountlow', libwebrtc's by polling bufferedAmount
 * every millisecond (@roamhq/wrtc has no 'bufferedamountlow').
 * The receiver hashes what arrives (SHA-256) and checks every message's
 * index and length; a transfer whose digest, size or order is wrong fails
 * the benchmark rather than reporting a rate.
 *
 * Before the rounds, one unmeasured transfer of --warmup MB each way goes
 * through our stack, so that the JIT has compiled it, as in a server that has
 * been running; libwebrtc is native code and needs no warm-up.
 *
 * The rate is bytes ÷ (the receiver's last message − the sender's first
 * send()), both read from process.hrtime (CLOCK_MONOTONIC, the same clock in
 * every process of the machine). CPU per MB is the CPU time (user + system)
 * of our process — or, for ref, the receiving libwebrtc process — over the
 * transfer, ÷ MB. MB = 10^6 bytes. Figures are medians over the rounds.
 *
 * The last line of the output is `key=value` figures for scripts:
 * ours_mbps, ref_mbps, ratio = ours_mbps / ref_mbps, ours_send_mbps,
 * send_ratio, ours_cpu_ms_per_mb, ref_cpu_ms_per_mb, ours_send_cpu_ms_per_mb,
 * others_cpu_pct (the most CPU other programs took during any transfer, % of
 * one core: above 15 the run warns that its figures are disturbed), and the
 * settings. Environment: BENCH_MEGABYTES, BENCH_MESSAGE_SIZE,
 * BENCH_ROUNDS, BENCH_WARMUP, BENCH_TIMEOUT (flags win).
 */
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IceUdpMux } from '../src/ice/index.js';
import { WebRtcTransport } from '../src/media/webrtc-transport.js';
import type { DataChannel } from '../src/sctp/index.js';
import {
  createAnswer,
  fingerprintFromDescription,
  iceParametersFromDescription,
  parseSdp,
  writeSdp,
} from '../src/sdp/index.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../src/util/certificate.js';
import { fixed, integer, keyValue, median, percent, readBenchFlags, runBenchmark, seconds } from './cli.js';
import { machineBusyFraction, machineCpuSample, processTreeCpuSeconds } from './cpu.js';
import {
  expectedDigest,
  messageCount,
  messageInto,
  PayloadVerifier,
  payloadBlock,
  type ReceiveSummary,
  type TransferShape,
  transferProblems,
} from './datachannel-payload.js';
import type { PeerCommand, PeerReport, PeerRole } from './datachannel-protocol.js';
import { LoadProcess } from './load-process.js';

/** Settings of a benchmark run. */
interface BenchOptions {
  megabytes: number;
  /** MB of one unmeasured transfer each way through our stack before the rounds, so the JIT has compiled it. */
  warmupMegabytes: number;
  messageSize: number;
  rounds: number;
  reverse: boolean;
  timeoutSeconds: number;
}

/** The three transfers measured. */
type TransferName = 'ours' | 'ref' | 'ours_send';

/** One measured transfer. */
interface TransferResult {
  mbps: number;
  seconds: number;
  /** CPU ms per MB of the measured process (ours, or the libwebrtc receiver for ref). */
  cpuMsPerMb: number;
  /** CPU of processes other than this one and its peers over the transfer, % of one core. */
  othersPct: number;
  /** One line of detail (SCTP counters of our side). */
  detail: string;
}

/** CPU of everything but the benchmark's own process tree over a window, to flag disturbed runs. */
class OthersCpu {
  readonly #machine = machineCpuSample();
  readonly #tree = processTreeCpuSeconds(process.pid);
  readonly #startNs = process.hrtime.bigint();

  /** % of one core that other processes used since construction; NaN when unknown. */
  percent(): number {
    const busy = machineBusyFraction(this.#machine, machineCpuSample());
    const tree = processTreeCpuSeconds(process.pid);
    if (this.#tree === undefined || tree === undefined) return Number.NaN;
    const wallSeconds = Number(process.hrtime.bigint() - this.#startNs) / 1e9;
    const machineCoreSeconds = busy * cpus().length * wallSeconds;
    return (100 * Math.max(0, machineCoreSeconds - (tree - this.#tree))) / wallSeconds;
  }
}

/** Other processes above this share of one core make a round's figures disturbed. */
const OTHERS_CPU_LIMIT_PERCENT = 15;

const PEER_FILE = fileURLToPath(new URL('./datachannel-peer.js', import.meta.url));
/** Senders stop at this bufferedAmount… */
const HIGH_WATER_BYTES = 1024 * 1024;
/** …and go on at 'bufferedamountlow' below this. */
const LOW_WATER_BYTES = 256 * 1024;
/** Set-up steps (offer, answer, open) must not take longer. */
const SETUP_TIMEOUT_MS = 20_000;
const MB = 1_000_000;

const USAGE = `Usage: npm run bench:datachannel -- [flags]

  --megabytes N      MB (10^6 bytes) per transfer (default 50; BENCH_MEGABYTES)
  --message-size B   bytes per message (default 65536; BENCH_MESSAGE_SIZE)
  --warmup N         MB of an unmeasured transfer each way through our stack first, 0 for none (default 5; BENCH_WARMUP)
  --rounds N         rounds; figures are medians (default 3; BENCH_ROUNDS)
  --timeout S        seconds a transfer may take before the run fails (default 300; BENCH_TIMEOUT)
  --no-reverse       skip the transfer from our stack to libwebrtc (ours_send_*=NA)
  -h, --help         this text

Rates are MB/s (10^6 bytes per second): *_mbps keys are MB/s, not Mbit/s.
`;

/** Reads flags (which win) and BENCH_* variables. */
function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const flags = readBenchFlags(
    argv,
    env,
    {
      megabytes: { type: 'string' },
      'message-size': { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      timeout: { type: 'string' },
      'no-reverse': { type: 'boolean' },
    },
    USAGE,
  );
  if (!flags) return undefined;
  const { values, pick } = flags;
  return {
    megabytes: integer(pick(values.megabytes, 'BENCH_MEGABYTES', '50'), 'megabytes', 1, 10_000),
    warmupMegabytes: integer(pick(values.warmup, 'BENCH_WARMUP', '5'), 'warmup', 0, 10_000),
    // libwebrtc and our association both accept messages up to 256 KiB.
    messageSize: integer(
      pick(values['message-size'], 'BENCH_MESSAGE_SIZE', '65536'),
      'message-size',
      16,
      256 * 1024,
    ),
    rounds: integer(pick(values.rounds, 'BENCH_ROUNDS', '3'), 'rounds', 1, 100),
    timeoutSeconds: seconds(pick(values.timeout, 'BENCH_TIMEOUT', '300'), 'timeout', 1, 3600),
    reverse: values['no-reverse'] !== true,
  };
}

/** Rejects after `ms` unless the promise settled first. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Throws unless the receiver got exactly the transfer, in order. */
function checkTransfer(name: string, shape: TransferShape, digest: string, summary: ReceiveSummary): void {
  const problems = transferProblems(shape, digest, summary);
  if (problems.length > 0) throw new Error(`${name}: broken transfer: ${problems.join(', ')}`);
}

/** MB/s from the sender's first send() to the receiver's last message. */
function rate(bytes: number, startNs: string, lastNs: string): { mbps: number; seconds: number } {
  const elapsed = Number(BigInt(lastNs) - BigInt(startNs)) / 1e9;
  return { mbps: bytes / MB / elapsed, seconds: elapsed };
}

/** A forked libwebrtc peer. */
function startPeer(index: number): LoadProcess<PeerCommand, PeerReport> {
  return new LoadProcess<PeerCommand, PeerReport>(index, PEER_FILE);
}

/** Asks a peer to stop and waits for it to exit (killed after a grace period). */
async function stopPeer(peer: LoadProcess<PeerCommand, PeerReport>, failed: boolean): Promise<void> {
  if (failed) peer.kill();
  else {
    try {
      peer.send({ type: 'stop' });
    } catch {
      // Already gone.
    }
  }
  await peer.finish();
}

/** Our end of a data-channel offer: a transport with SCTP, and the SDP answer. */
function answerOffer(
  offerSdp: string,
  mux: IceUdpMux,
  certificate: SelfSignedCertificate,
): { transport: WebRtcTransport; answerSdp: string } {
  const parsed = parseSdp(offerSdp);
  if (!parsed.ok) throw parsed.error;
  const offer = parsed.value;
  const remoteIce = iceParametersFromDescription(offer);
  const remoteFingerprint = fingerprintFromDescription(offer);
  if (!remoteIce || !remoteFingerprint) throw new Error('offer without ICE credentials or fingerprint');
  const application = offer.media.find((section) => section.kind === 'application');
  if (!application) throw new Error('offer without m=application');
  const transport = new WebRtcTransport({
    udp: [mux],
    certificate,
    dataChannels: {
      remotePort: application.sctpPort ?? 5000,
      remoteMaxMessageSize: application.maxMessageSize,
    },
  });
  const answer = createAnswer(offer, {
    iceParameters: transport.iceParameters,
    candidates: transport.iceCandidateLines,
    fingerprint: { algorithm: 'sha-256', value: certificate.fingerprintSha256 },
    // As browsers answer: the answerer is the DTLS client.
    setup: 'active',
    sendSsrcs: {},
  });
  if (!answer.ok) throw answer.error;
  transport.connect({
    ice: { usernameFragment: remoteIce.usernameFragment, password: remoteIce.password },
    dtls: { role: 'client', fingerprints: [remoteFingerprint] },
  });
  return { transport, answerSdp: writeSdp(answer.value.description) };
}

/** Resolves with the channel the peer opens on the transport; rejects if the transport closes first. */
function remoteChannel(transport: WebRtcTransport): Promise<DataChannel> {
  return new Promise((resolve, reject) => {
    transport.once('datachannel', resolve);
    transport.once('close', (reason) => reject(new Error(`our transport closed: ${reason.message}`)));
  });
}

/** SCTP counters of our side, for the round's line. */
function sctpDetail(transport: WebRtcTransport): string {
  const stats = transport.sctpAssociation?.stats;
  if (!stats) return '';
  return (
    `sctp: ${stats.packetsReceived} pkts in, ${stats.packetsSent} out, ` +
    `${stats.retransmissions} retransmitted (${stats.fastRetransmissions} fast, ${stats.t3Expirations} T3), ` +
    `${stats.duplicateTsnsReceived} duplicate TSNs, ${stats.chunksDropped} chunks dropped`
  );
}

/** The three transfers, with what they share. */
class DataChannelBench {
  readonly #options: BenchOptions;
  readonly #shape: TransferShape;
  readonly #digest: string;
  readonly #mux: IceUdpMux;
  readonly #certificate: SelfSignedCertificate;
  readonly #role: PeerRole = { highWaterBytes: HIGH_WATER_BYTES, lowWaterBytes: LOW_WATER_BYTES };

  constructor(options: BenchOptions, mux: IceUdpMux, certificate: SelfSignedCertificate) {
    this.#options = options;
    this.#shape = { bytes: options.megabytes * MB, messageSize: options.messageSize };
    this.#digest = expectedDigest(this.#shape);
    this.#mux = mux;
    this.#certificate = certificate;
  }

  get #timeoutMs(): number {
    return this.#options.timeoutSeconds * 1000;
  }

  /** libwebrtc sends, we receive. */
  async ours(shape = this.#shape, digest = this.#digest): Promise<TransferResult> {
    const peer = startPeer(1);
    let transport: WebRtcTransport | undefined;
    let failed = true;
    try {
      peer.send({ type: 'offer', ...this.#role, send: shape });
      const offer = await peer.next('offer', SETUP_TIMEOUT_MS);
      const session = answerOffer(offer.sdp, this.#mux, this.#certificate);
      transport = session.transport;
      const opened = remoteChannel(transport);
      peer.send({ type: 'answer', sdp: session.answerSdp });
      await peer.next('open', SETUP_TIMEOUT_MS);
      const channel = await withTimeout(opened, SETUP_TIMEOUT_MS, 'our data channel');
      const verifier = new PayloadVerifier(shape);
      const received = new Promise<ReceiveSummary>((resolve, reject) => {
        channel.on('message', (data) => {
          verifier.add(typeof data === 'string' ? Buffer.from(data) : data);
          if (verifier.done) resolve(verifier.summary());
        });
        channel.once('close', () => reject(new Error('our data channel closed during the transfer')));
      });
      const others = new OthersCpu();
      const cpuBefore = process.cpuUsage();
      peer.send({ type: 'go' });
      const [sent, summary] = await Promise.all([
        peer.next('sent', this.#timeoutMs),
        withTimeout(received, this.#timeoutMs, 'the transfer to us'),
      ]);
      const cpu = process.cpuUsage(cpuBefore);
      const othersPct = others.percent();
      checkTransfer('ours', shape, digest, summary);
      failed = false;
      return {
        ...rate(shape.bytes, sent.startNs, summary.lastNs),
        cpuMsPerMb: (cpu.user + cpu.system) / 1000 / (shape.bytes / MB),
        othersPct,
        detail: sctpDetail(transport),
      };
    } finally {
      transport?.close();
      await stopPeer(peer, failed);
    }
  }

  /** libwebrtc sends to libwebrtc, each in a process of its own. */
  async ref(): Promise<TransferResult> {
    const shape = this.#shape;
    const sender = startPeer(2);
    const receiver = startPeer(3);
    let failed = true;
    try {
      sender.send({ type: 'offer', ...this.#role, send: shape });
      const offer = await sender.next('offer', SETUP_TIMEOUT_MS);
      receiver.send({ type: 'accept', ...this.#role, receive: shape, sdp: offer.sdp });
      const answer = await receiver.next('answer', SETUP_TIMEOUT_MS);
      sender.send({ type: 'answer', sdp: answer.sdp });
      await Promise.all([sender.next('open', SETUP_TIMEOUT_MS), receiver.next('open', SETUP_TIMEOUT_MS)]);
      const others = new OthersCpu();
      const cpuBefore = processTreeCpuSeconds(receiver.pid);
      sender.send({ type: 'go' });
      const [sent, summary] = await Promise.all([
        sender.next('sent', this.#timeoutMs),
        receiver.next('received', this.#timeoutMs),
      ]);
      const cpuAfter = processTreeCpuSeconds(receiver.pid);
      const othersPct = others.percent();
      checkTransfer('ref', shape, this.#digest, summary);
      failed = false;
      const cpuSeconds =
        cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : cpuAfter - cpuBefore;
      return {
        ...rate(shape.bytes, sent.startNs, summary.lastNs),
        cpuMsPerMb: (cpuSeconds * 1000) / (shape.bytes / MB),
        othersPct,
        detail: 'receiver: libwebrtc',
      };
    } finally {
      await Promise.all([stopPeer(sender, failed), stopPeer(receiver, failed)]);
    }
  }

  /** We send on the channel libwebrtc opened, with bufferedAmount backpressure. */
  async oursSend(shape = this.#shape, digest = this.#digest): Promise<TransferResult> {
    const peer = startPeer(4);
    let transport: WebRtcTransport | undefined;
    let failed = true;
    try {
      peer.send({ type: 'offer', ...this.#role, receive: shape });
      const offer = await peer.next('offer', SETUP_TIMEOUT_MS);
      const session = answerOffer(offer.sdp, this.#mux, this.#certificate);
      transport = session.transport;
      const opened = remoteChannel(transport);
      peer.send({ type: 'answer', sdp: session.answerSdp });
      await peer.next('open', SETUP_TIMEOUT_MS);
      const channel = await withTimeout(opened, SETUP_TIMEOUT_MS, 'our data channel');
      const others = new OthersCpu();
      const cpuBefore = process.cpuUsage();
      const startNs = process.hrtime.bigint();
      const sending = sendWithBackpressure(channel, shape);
      const [summary] = await Promise.all([
        peer.next('received', this.#timeoutMs),
        withTimeout(sending, this.#timeoutMs, 'our sends'),
      ]);
      const cpu = process.cpuUsage(cpuBefore);
      const othersPct = others.percent();
      checkTransfer('ours_send', shape, digest, summary);
      failed = false;
      return {
        ...rate(shape.bytes, String(startNs), summary.lastNs),
        cpuMsPerMb: (cpu.user + cpu.system) / 1000 / (shape.bytes / MB),
        othersPct,
        detail: sctpDetail(transport),
      };
    } finally {
      transport?.close();
      await stopPeer(peer, failed);
    }
  }
}

/** The installed @roamhq/wrtc version, for the report. */
function wrtcVersion(): string {
  try {
    const manifest = createRequire(import.meta.url)('@roamhq/wrtc/package.json') as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'not found';
  }
}

/** Sends the transfer on our channel while bufferedAmount is under the high-water mark. */
function sendWithBackpressure(channel: DataChannel, shape: TransferShape): Promise<void> {
  const block = payloadBlock(shape.messageSize);
  const count = messageCount(shape);
  let next = 0;
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  return new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      try {
        while (next < count && channel.bufferedAmount < HIGH_WATER_BYTES)
          channel.send(messageInto(block, shape, next++));
        if (next === count) {
          channel.off('bufferedamountlow', pump);
          resolve();
        }
      } catch (error) {
        reject(error);
      }
    };
    channel.on('bufferedamountlow', pump);
    channel.once('close', () => reject(new Error('our data channel closed while sending')));
    pump();
  });
}

async function run(options: BenchOptions): Promise<void> {
  const { megabytes, messageSize, rounds } = options;
  console.log(
    `Data channel benchmark: ${megabytes} MB per transfer in ${messageSize}-byte messages, one reliable ordered channel, ` +
      `${rounds} round(s); Node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown CPU'})`,
  );
  console.log(`libwebrtc: @roamhq/wrtc ${wrtcVersion()}`);
  console.log(
    'ours:      libwebrtc (@roamhq/wrtc, own process) → our WebRtcTransport in this process (127.0.0.1)',
  );
  console.log(
    'ref:       libwebrtc → libwebrtc, one process each (host candidates, over the loopback device)',
  );
  if (options.reverse)
    console.log('ours_send: our WebRtcTransport in this process → libwebrtc (own process)');
  const mux = await IceUdpMux.listen({ address: '127.0.0.1', port: 0 });
  const certificate = generateSelfSignedCertificate({ commonName: 'switchboard-bench-datachannel' });
  const bench = new DataChannelBench(options, mux, certificate);
  const results: Record<TransferName, TransferResult[]> = { ours: [], ref: [], ours_send: [] };
  const disturbed = new Set<string>();
  try {
    if (options.warmupMegabytes > 0) {
      // Our stack is JIT-compiled JavaScript: a long-running server has it compiled, a fresh
      // process does not. libwebrtc is native code and needs no such start.
      const shape = { bytes: options.warmupMegabytes * MB, messageSize };
      const digest = expectedDigest(shape);
      const warm = [await bench.ours(shape, digest)];
      if (options.reverse) warm.push(await bench.oursSend(shape, digest));
      console.log(
        `warm-up   ${warm.map((result) => `${fixed(result.mbps, 2)} MB/s`).join(', ')}: ` +
          `${options.warmupMegabytes} MB each way through our stack, not counted`,
      );
    }
    for (let round = 1; round <= rounds; round++) {
      // Alternate the order, so neither side always runs on a machine warmed by the other.
      const order: TransferName[] = round % 2 === 1 ? ['ours', 'ref'] : ['ref', 'ours'];
      if (options.reverse) order.push('ours_send');
      for (const name of order) {
        const result =
          name === 'ours' ? await bench.ours() : name === 'ref' ? await bench.ref() : await bench.oursSend();
        results[name].push(result);
        console.log(
          `round ${round} ${name.padEnd(9)} ${fixed(result.mbps, 2).padStart(8)} MB/s  ` +
            `${fixed(result.seconds, 3)} s  cpu ${fixed(result.cpuMsPerMb, 2)} ms/MB  ` +
            `others ${percent(result.othersPct)}  ${result.detail}`,
        );
        if (result.othersPct > OTHERS_CPU_LIMIT_PERCENT) disturbed.add(`round ${round} ${name}`);
      }
    }
  } finally {
    await mux.close();
  }

  const medianOf = (name: TransferName, key: 'mbps' | 'seconds' | 'cpuMsPerMb'): number =>
    median(results[name].map((result) => result[key]));
  const ours = medianOf('ours', 'mbps');
  const ref = medianOf('ref', 'mbps');
  const oursSend = medianOf('ours_send', 'mbps');
  console.log('');
  console.log(`medians over ${rounds} round(s)      MB/s   seconds   CPU ms/MB (process measured)`);
  const row = (label: string, name: TransferName, whose: string): void =>
    console.log(
      `${label.padEnd(28)} ${fixed(medianOf(name, 'mbps'), 2).padStart(8)} ${fixed(medianOf(name, 'seconds'), 3).padStart(9)} ` +
        `${fixed(medianOf(name, 'cpuMsPerMb'), 2).padStart(11)} (${whose})`,
    );
  row('libwebrtc → ours', 'ours', 'ours');
  row('libwebrtc → libwebrtc', 'ref', 'libwebrtc receiver');
  if (options.reverse) row('ours → libwebrtc', 'ours_send', 'ours');
  console.log(`ratio ours / libwebrtc-to-libwebrtc: ${fixed(ours / ref, 3)} (target ≥ 0.5)`);
  if (options.reverse) console.log(`ratio ours_send / libwebrtc-to-libwebrtc: ${fixed(oursSend / ref, 3)}`);
  if (disturbed.size > 0)
    console.log(
      `WARNING: other processes used more than ${OTHERS_CPU_LIMIT_PERCENT}% of a core during ${[...disturbed].join(', ')}: ` +
        'the machine was not quiet and those figures are disturbed.',
    );
  console.log('');
  console.log(
    [
      keyValue('ours_mbps', ours, 2),
      keyValue('ref_mbps', ref, 2),
      keyValue('ratio', ours / ref, 3),
      keyValue('ours_send_mbps', oursSend, 2),
      keyValue('send_ratio', oursSend / ref, 3),
      keyValue('ours_cpu_ms_per_mb', medianOf('ours', 'cpuMsPerMb'), 2),
      keyValue('ref_cpu_ms_per_mb', medianOf('ref', 'cpuMsPerMb'), 2),
      keyValue('ours_send_cpu_ms_per_mb', medianOf('ours_send', 'cpuMsPerMb'), 2),
      keyValue(
        'others_cpu_pct',
        Math.max(
          ...Object.values(results)
            .flat()
            .map((r) => r.othersPct),
        ),
        0,
      ),
      `megabytes=${megabytes}`,
      `message_size=${messageSize}`,
      `rounds=${rounds}`,
    ].join(' '),
  );
}

runBenchmark('bench:datachannel', USAGE, parseOptions, run);
