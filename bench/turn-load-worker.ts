/**
 * One load process of the TURN relay benchmark (forked by bench/turn.ts).
 *
 * It owns some client pairs. Each pair is two UDP allocations on the server
 * under test, A and B, each with a channel bound to the other's relayed
 * address (ChannelBind also installs the permission, RFC 8656 §12). A sends
 * ChannelData on its channel; the server relays it from A's relayed address
 * to B's, and delivers it to B as ChannelData; B sends the very same datagram
 * back (its channel number is the one B bound to A's relayed address), and
 * the server delivers it to A the same way. A keeps `window` datagrams in
 * flight per pair: each one back is timed and replaced at once.
 *
 * Set-up uses `TurnClient` (credentials, retransmissions). The load does not:
 * once the channels are bound, each client's socket is closed and a plain
 * socket is bound to the same local port, connected to the server, so the
 * 5-tuple, and with it the allocation, stays the same, while the hot path is
 * a bare `send` of the received buffer — no encoding, no lookups, no events
 * beyond the socket's own.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { CHANNEL_DATA_HEADER_SIZE, encodeChannelData } from '../src/turn/channel-data.js';
import { TurnClient } from '../src/turn/client.js';
import { RttHistogram } from './rtt-histogram.js';
import {
  type ParentMessage,
  PROBE_HEADER_SIZE,
  ProbeOffset,
  type RunCommand,
  type SetupCommand,
  type WorkerMessage,
} from './turn-load-protocol.js';

const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Pairs set up at once: keeps the burst of unauthenticated Allocates under servers' rate limits. */
const SETUP_CONCURRENCY = 8;
const SLOT_OFFSET = CHANNEL_DATA_HEADER_SIZE + ProbeOffset.slot;
const SEQUENCE_OFFSET = CHANNEL_DATA_HEADER_SIZE + ProbeOffset.sequence;
const SENT_AT_OFFSET = CHANNEL_DATA_HEADER_SIZE + ProbeOffset.sentAt;

/** One client pair, ready for load. */
interface Pair {
  /** A's socket: sends probes, receives them back. */
  sender: Socket;
  /** B's socket: echoes what it receives. */
  echoer: Socket;
  /** A's channel number, to build new probes. */
  channel: number;
  /** Current sequence number of each window slot. */
  sequences: Uint32Array;
  /** When each slot's current probe was sent, performance.now() ms. */
  sentAt: Float64Array;
}

/** Counters of the load; reset when the measured window starts. */
const counters = { delivered: 0, roundTrips: 0, lost: 0, late: 0, socketErrors: 0 };
const histogram = new RttHistogram();
const pairs: Pair[] = [];
/** True while A replaces the probes that come back. */
let sending = false;
/** True in the measured window: only then are counters and times recorded. */
let measuring = false;
let setup: SetupCommand | undefined;

function report(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** Binds a socket to 127.0.0.1:port and connects it to the server. */
function bindConnected(port: number, server: { host: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: 'udp4',
      recvBufferSize: SOCKET_BUFFER_BYTES,
      sendBufferSize: SOCKET_BUFFER_BYTES,
    });
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => {
      socket.connect(server.port, server.host, () => {
        socket.off('error', reject);
        socket.on('error', () => counters.socketErrors++);
        resolve(socket);
      });
    });
  });
}

/** Allocates A and B, binds their channels to each other, and moves both to plain sockets. */
async function setUpPair(command: SetupCommand): Promise<Pair> {
  const clientOptions = {
    server: command.server,
    username: command.username,
    password: command.password,
    localAddress: '127.0.0.1',
  };
  const a = new TurnClient(clientOptions);
  const b = new TurnClient(clientOptions);
  try {
    const [allocationA, allocationB] = await Promise.all([a.allocate(), b.allocate()]);
    const [channelA] = await Promise.all([
      a.channelBind(allocationB.relayed),
      b.channelBind(allocationA.relayed),
    ]);
    const [localA, localB] = await Promise.all([a.localAddress(), b.localAddress()]);
    // Closing without Refresh(0) keeps the allocations; the port is free
    // again at once (UDP has no TIME_WAIT), and nothing is in flight yet.
    await Promise.all([a.close(), b.close()]);
    const [sender, echoer] = await Promise.all([
      bindConnected(localA.port, command.server),
      bindConnected(localB.port, command.server),
    ]);
    return {
      sender,
      echoer,
      channel: channelA,
      sequences: new Uint32Array(command.window),
      sentAt: new Float64Array(command.window),
    };
  } catch (error) {
    await Promise.all([a.close(), b.close()]);
    throw error;
  }
}

/** Sends a fresh probe in a slot (start of the run, or replacing a lost one). */
function sendNewProbe(pair: Pair, slot: number, payloadSize: number): void {
  const payload = Buffer.alloc(payloadSize);
  payload.writeUInt16BE(slot, ProbeOffset.slot);
  const datagram = encodeChannelData(pair.channel, payload);
  const now = performance.now();
  pair.sequences[slot] = (pair.sequences[slot] + 1) >>> 0;
  pair.sentAt[slot] = now;
  datagram.writeUInt32BE(pair.sequences[slot], SEQUENCE_OFFSET);
  datagram.writeDoubleBE(now, SENT_AT_OFFSET);
  pair.sender.send(datagram);
}

/** Installs the hot-path handlers of a pair. */
function attachLoad(pair: Pair, window: number): void {
  const minimumLength = CHANNEL_DATA_HEADER_SIZE + PROBE_HEADER_SIZE;
  pair.echoer.on('message', (datagram) => {
    if (measuring) counters.delivered++;
    pair.echoer.send(datagram);
  });
  pair.sender.on('message', (datagram) => {
    const now = performance.now();
    if (datagram.length < minimumLength) {
      counters.late++;
      return;
    }
    const slot = datagram.readUInt16BE(SLOT_OFFSET);
    const sequence = datagram.readUInt32BE(SEQUENCE_OFFSET);
    if (slot >= window || pair.sequences[slot] !== sequence) {
      if (measuring) counters.late++;
      return;
    }
    if (measuring) {
      counters.delivered++;
      counters.roundTrips++;
      histogram.record(now - datagram.readDoubleBE(SENT_AT_OFFSET));
    }
    if (!sending) return;
    // The received buffer is ours: reuse it as the next probe of the slot.
    const next = (sequence + 1) >>> 0;
    pair.sequences[slot] = next;
    pair.sentAt[slot] = now;
    datagram.writeUInt32BE(next, SEQUENCE_OFFSET);
    datagram.writeDoubleBE(now, SENT_AT_OFFSET);
    pair.sender.send(datagram);
  });
}

async function onSetup(command: SetupCommand): Promise<void> {
  setup = command;
  const started = performance.now();
  let next = 0;
  const lanes = Array.from({ length: Math.min(SETUP_CONCURRENCY, command.pairs) }, async () => {
    while (next < command.pairs) {
      next++;
      pairs.push(await setUpPair(command));
    }
  });
  await Promise.all(lanes);
  for (const pair of pairs) attachLoad(pair, command.window);
  await report({ type: 'ready', setupMs: performance.now() - started });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function onRun(command: RunCommand): Promise<void> {
  const config = setup;
  if (!config) throw new Error('run before setup');
  sending = true;
  for (const pair of pairs) {
    for (let slot = 0; slot < config.window; slot++) sendNewProbe(pair, slot, config.payloadSize);
  }
  // Probes lost on the way would shrink the window for good: replace them.
  const sweeper = setInterval(
    () => {
      const now = performance.now();
      for (const pair of pairs) {
        for (let slot = 0; slot < config.window; slot++) {
          if (now - pair.sentAt[slot] <= config.lossTimeoutMs) continue;
          if (measuring) counters.lost++;
          sendNewProbe(pair, slot, config.payloadSize);
        }
      }
    },
    Math.max(10, Math.min(200, config.lossTimeoutMs / 4)),
  );
  await sleep(command.warmupMs);

  for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] = 0;
  histogram.clear();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  measuring = true;
  await sleep(command.durationMs);
  measuring = false;
  const measuredMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  sending = false;
  clearInterval(sweeper);

  await report({
    type: 'result',
    ...counters,
    measuredMs,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    rtt: histogram.toSparse(),
  });
  await shutDown();
}

async function shutDown(): Promise<void> {
  sending = false;
  const sockets = pairs.flatMap((pair) => [pair.sender, pair.echoer]);
  await Promise.all(sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  process.disconnect?.();
}

async function fail(error: unknown): Promise<void> {
  const message = error instanceof Error ? `${error.message}` : String(error);
  await report({ type: 'error', message });
  process.exit(1);
}

process.on('message', (message: ParentMessage) => {
  const work = message.type === 'setup' ? onSetup(message) : onRun(message);
  work.catch(fail);
});
// The parent went away: nothing to report to.
process.on('disconnect', () => process.exit(0));
