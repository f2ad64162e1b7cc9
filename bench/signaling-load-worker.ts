/**
 * One load process of the signaling benchmark (started by bench/signaling.ts).
 *
 * It owns a block of whole rooms. Each client is one WebSocket connection and
 * one participant, `bench-INDEX` in room `PREFIX-(INDEX ÷ roomSize)`.
 *
 * - **Join.** Clients connect at a fixed rate (this process's share of the
 *   total), with a bound on how many are connecting or joining at once. Each
 *   sends `join` as soon as it is open. Three times are kept: connect (TCP
 *   and WebSocket upgrade), join (`join` sent → `joined` received) and both
 *   together. The echo server sends the join frame back instead: the same
 *   exchange without the work of a join.
 * - **Messages.** The participants of a room form a ring: each one sends
 *   `data` to the next one by id (`to: [id]`, learned from `joined` and
 *   `participant_joined`), so one send is one delivery. Each client starts
 *   `window` messages, and forwards every message it receives to its own
 *   next participant, so the number in flight stays fixed. The echo server
 *   sends each frame back to its sender; this process then plays the router
 *   and has the sender's next participant send it on, on its own
 *   connection. Messages so go around the same rings for both servers, and
 *   bunch up the same way (several frames read or written at once), which
 *   changes the cost of a message. A message carries its send time: each
 *   delivery is timed (one hop through the server; both ends are in this
 *   process, on one clock).
 * - **Rate cap.** The server closes a connection that sends more than 50
 *   messages/s on average, with bursts of 100 (4008). Each client therefore
 *   sends through a token bucket of its own, `maxSendRatePerClient` per
 *   second with bursts of SEND_BURST: a message to forward when the bucket is
 *   empty waits for a token (counted as `paced`).
 *
 * Client frames are masked with a zero key (`generateMask`), which lets `ws`
 * skip masking: the key protects proxies from browser-made frames, and
 * neither server checks it. Received text is not checked for valid UTF-8
 * either (`skipUTF8Validation`): both servers send what they produced or
 * received as valid text. Both take work off the load generator, which
 * shares the machine with the servers.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createAccessToken } from '../src/signaling/tokens.js';
import { RttHistogram } from './rtt-histogram.js';
import {
  BENCH_TOPIC,
  type JoinCommand,
  type ParentMessage,
  type RunCommand,
  type SetupCommand,
  type WorkerMessage,
} from './signaling-load-protocol.js';

/** Burst of a client's send bucket: well inside the server's 100, so a late-arriving batch still fits. */
const SEND_BURST = 10;
/** How often messages held back by the rate cap are looked at, ms. */
const PACER_INTERVAL_MS = 5;

/** Where a client is in its life. */
type ClientState = 'idle' | 'connecting' | 'joining' | 'joined' | 'failed';

/** One participant: a WebSocket connection and what it knows. */
interface Client {
  /** Global index: names its identity and its room. */
  readonly index: number;
  readonly identity: string;
  /** Identity of the next participant in the ring of its room. */
  readonly nextIdentity: string;
  /** The next participant's client (in this process: rooms never span two). */
  next: Client | undefined;
  joinFrame: string;
  ws: WebSocket | undefined;
  state: ClientState;
  connectStartedAt: number;
  joinSentAt: number;
  /** The start of every `data` frame it sends (up to the send time); set once the next id is known. */
  framePrefix: string | undefined;
  /** Tokens of its send bucket, and when they were counted. */
  tokens: number;
  tokensAt: number;
  /** Messages received and waiting for the rate cap before they go on. */
  pending: number;
}

/** A received frame, as far as this process reads it. */
interface Incoming {
  type?: string;
  payload?: unknown;
  code?: string;
  participant?: { id?: string; identity?: string };
  participants?: { id?: string; identity?: string }[];
}

/** Frame suffix after the send time: the padding and the closing brackets. */
let frameSuffix = '"]}';
let setup: SetupCommand | undefined;
const clients: Client[] = [];
/** Clients connecting or joining. */
const pendingJoins = new Set<Client>();
/** Clients with messages held back by the rate cap. */
const deferred = new Set<Client>();
/** Tokens a client's send bucket gains per ms. */
let tokensPerMs = 0;
let lastJoinedAt = 0;

const connectTimes = new RttHistogram();
const joinTimes = new RttHistogram();
const totalTimes = new RttHistogram();
const hopTimes = new RttHistogram();
const failures: Record<string, number> = {};
const closes: Record<string, number> = {};
const errors: Record<string, number> = {};
/** Counters of the measured window; reset when it starts. */
const counters = { delivered: 0, sent: 0, paced: 0 };
/** True while clients forward what they receive. */
let sending = false;
/** True in the measured window: only then are messages counted and timed. */
let measuring = false;
/** True once the connections are being dropped on purpose. */
let shuttingDown = false;

function report(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

function count(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A stable, short reason for a failed connection. */
function reasonOf(error: Error): string {
  const status = /Unexpected server response: (\d+)/.exec(error.message);
  if (status) return `http_${status[1]}`;
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.message.slice(0, 40).replace(/\s+/g, '_');
}

/** Zero masking key: `ws` then skips masking (see the header). */
function zeroMask(mask: Uint8Array): void {
  mask.fill(0);
}

/** The frame prefix toward participant `id`; the send time and the suffix follow. */
function framePrefixTo(id: string): string {
  return `{"type":"data","to":["${id}"],"topic":"${BENCH_TOPIC}","payload":[`;
}

/** A participant id (`PA_` and 12 base-36 digits) for the echo server, where nobody assigns one. */
function echoPeerId(index: number): string {
  return `PA_${index.toString(36).padStart(12, '0')}`;
}

/** Global index of the next participant in the ring of client `index`'s room. */
function nextIndexOf(index: number, command: SetupCommand): number {
  const roomStart = index - (index % command.roomSize);
  return roomStart + ((index + 1) % command.roomSize);
}

async function onSetup(command: SetupCommand): Promise<void> {
  setup = command;
  const started = performance.now();
  tokensPerMs = command.maxSendRatePerClient / 1000;
  // The sent frame: prefix (fixed length, ids are 15 characters) + time ("12345.678") + ',"' + padding + '"]}'.
  const bareLength = framePrefixTo(echoPeerId(0)).length + 9 + 5;
  frameSuffix = `,"${'x'.repeat(Math.max(0, command.frameBytes - bareLength))}"]}`;
  for (let offset = 0; offset < command.clients; offset++) {
    const index = command.firstIndex + offset;
    const room = Math.floor(index / command.roomSize);
    const next = nextIndexOf(index, command);
    const identity = `bench-${index}`;
    const token = await createAccessToken(command.apiKey, {
      identity,
      room: `${command.roomPrefix}-${room}`,
      ttlSeconds: 3600,
    });
    clients.push({
      index,
      identity,
      nextIdentity: `bench-${next}`,
      next: undefined,
      joinFrame: JSON.stringify({ type: 'join', v: 1, token }),
      ws: undefined,
      state: 'idle',
      connectStartedAt: 0,
      joinSentAt: 0,
      framePrefix: command.kind === 'echo' ? framePrefixTo(echoPeerId(next)) : undefined,
      tokens: SEND_BURST,
      tokensAt: 0,
      pending: 0,
    });
  }
  for (const client of clients)
    client.next = clients[nextIndexOf(client.index, command) - command.firstIndex];
  await report({ type: 'ready', setupMs: performance.now() - started });
}

function fail(client: Client, reason: string): void {
  if (client.state !== 'connecting' && client.state !== 'joining') return;
  client.state = 'failed';
  pendingJoins.delete(client);
  count(failures, reason);
  client.ws?.terminate();
}

function connect(client: Client, command: SetupCommand): void {
  client.state = 'connecting';
  pendingJoins.add(client);
  client.connectStartedAt = performance.now();
  const localAddress =
    command.localAddresses.length > 0
      ? command.localAddresses[client.index % command.localAddresses.length]
      : undefined;
  const ws = new WebSocket(command.url, {
    perMessageDeflate: false,
    skipUTF8Validation: true,
    generateMask: zeroMask,
    handshakeTimeout: command.joinTimeoutMs,
    ...(localAddress !== undefined ? { localAddress } : {}),
  });
  client.ws = ws;
  ws.on('open', () => {
    const now = performance.now();
    connectTimes.record(now - client.connectStartedAt);
    client.state = 'joining';
    client.joinSentAt = now;
    ws.send(client.joinFrame);
  });
  ws.on('message', (data) => onFrame(client, data as Buffer));
  ws.on('error', (error) => {
    if (client.state === 'connecting' || client.state === 'joining') fail(client, reasonOf(error));
    else if (client.state === 'joined' && !shuttingDown) count(errors, reasonOf(error));
  });
  ws.on('close', (code) => {
    if (client.state === 'connecting' || client.state === 'joining') fail(client, `close_${code}`);
    else if (client.state === 'joined' && !shuttingDown) count(closes, String(code));
  });
}

function joinedNow(client: Client, now: number): void {
  client.state = 'joined';
  pendingJoins.delete(client);
  joinTimes.record(now - client.joinSentAt);
  totalTimes.record(now - client.connectStartedAt);
  lastJoinedAt = now;
}

/** Remembers the next participant's id when `info` is it. */
function learnPeer(client: Client, info: { id?: string; identity?: string } | undefined): void {
  if (info?.identity === client.nextIdentity && typeof info.id === 'string') {
    client.framePrefix = framePrefixTo(info.id);
  }
}

function onFrame(client: Client, data: Buffer): void {
  const now = performance.now();
  let message: Incoming;
  try {
    message = JSON.parse(data.toString()) as Incoming;
  } catch {
    count(errors, 'unparsable_frame');
    return;
  }
  switch (message.type) {
    case 'data':
      onData(client, message.payload, now);
      return;
    case 'joined':
      if (client.state !== 'joining') return;
      for (const participant of message.participants ?? []) learnPeer(client, participant);
      joinedNow(client, now);
      return;
    case 'join':
      // The echo server's answer to the join frame.
      if (client.state === 'joining') joinedNow(client, now);
      return;
    case 'participant_joined':
      learnPeer(client, message.participant);
      return;
    case 'error':
      count(errors, String(message.code));
      if (client.state === 'joining') fail(client, String(message.code));
      return;
    default:
      return;
  }
}

function onData(client: Client, payload: unknown, now: number): void {
  if (measuring) {
    counters.delivered++;
    const sentAt = Array.isArray(payload) ? Number(payload[0]) : Number.NaN;
    if (Number.isFinite(sentAt)) hopTimes.record(now - sentAt);
  }
  if (!sending) return;
  // Ours delivered it to the next participant, who sends it on; the echo server returned it to its sender.
  const sender = setup?.kind === 'echo' ? client.next : client;
  if (sender) forward(sender, now);
}

/** Refills a client's send bucket up to now; true when it holds a token. */
function hasToken(client: Client, now: number): boolean {
  client.tokens = Math.min(SEND_BURST, client.tokens + (now - client.tokensAt) * tokensPerMs);
  client.tokensAt = now;
  return client.tokens >= 1;
}

/** Sends one message on, now or when the rate cap allows. */
function forward(client: Client, now: number): void {
  if (client.pending === 0 && hasToken(client, now)) {
    sendData(client, now);
    return;
  }
  client.pending++;
  deferred.add(client);
  if (measuring) counters.paced++;
}

/** Sends a `data` frame; false when the connection is gone (the message ends there). */
function sendData(client: Client, now: number): boolean {
  const ws = client.ws;
  if (!ws || ws.readyState !== WebSocket.OPEN || client.framePrefix === undefined) return false;
  client.tokens -= 1;
  ws.send(client.framePrefix + now.toFixed(3) + frameSuffix);
  if (measuring) counters.sent++;
  return true;
}

/** Sends the messages held back by the rate cap whose turn has come. */
function releaseDeferred(): void {
  const now = performance.now();
  for (const client of deferred) {
    while (client.pending > 0 && hasToken(client, now)) {
      client.pending = sendData(client, now) ? client.pending - 1 : 0;
    }
    if (client.pending === 0) deferred.delete(client);
  }
}

async function onJoin(_command: JoinCommand): Promise<void> {
  const config = setup;
  if (!config) throw new Error('join before setup');
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  let launched = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.min(
        clients.length,
        Math.floor(((now - started) * config.joinRatePerSecond) / 1000) + 1,
      );
      while (launched < due && pendingJoins.size < config.maxPendingJoins)
        connect(clients[launched++], config);
      for (const client of pendingJoins) {
        if (now - client.connectStartedAt > config.joinTimeoutMs) fail(client, 'timeout');
      }
      if (launched === clients.length && pendingJoins.size === 0) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  const cpu = process.cpuUsage(cpuStart);
  await report({
    type: 'joined',
    joined: clients.filter((client) => client.state === 'joined').length,
    failures,
    durationMs: Math.max(0, lastJoinedAt - started),
    connect: connectTimes.toSparse(),
    join: joinTimes.toSparse(),
    total: totalTimes.toSparse(),
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
  });
}

async function onRun(command: RunCommand): Promise<void> {
  const config = setup;
  if (!config) throw new Error('run before join');
  const joined = clients.filter((client) => client.state === 'joined');
  const withoutPeer = joined.filter((client) => client.framePrefix === undefined).length;
  sending = true;
  const pacer = setInterval(releaseDeferred, PACER_INTERVAL_MS);
  const now = performance.now();
  for (const client of joined) {
    if (client.framePrefix === undefined) continue;
    for (let slot = 0; slot < config.window; slot++) forward(client, now);
  }
  await sleep(command.warmupMs);

  for (const key of Object.keys(counters) as (keyof typeof counters)[]) counters[key] = 0;
  hopTimes.clear();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  measuring = true;
  await sleep(command.durationMs);
  measuring = false;
  const measuredMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const open = clients.filter((client) => client.ws?.readyState === WebSocket.OPEN).length;
  sending = false;
  clearInterval(pacer);

  await report({
    type: 'result',
    ...counters,
    open,
    withoutPeer,
    closes,
    errors,
    measuredMs,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    hop: hopTimes.toSparse(),
  });
  shutDown();
}

function shutDown(): void {
  shuttingDown = true;
  sending = false;
  for (const client of clients) client.ws?.terminate();
  process.disconnect?.();
}

async function abort(error: unknown): Promise<void> {
  const message = error instanceof Error ? error.message : String(error);
  await report({ type: 'error', message });
  process.exit(1);
}

process.on('message', (message: ParentMessage) => {
  const work =
    message.type === 'setup' ? onSetup(message) : message.type === 'join' ? onJoin(message) : onRun(message);
  work.catch(abort);
});
// The parent went away: nothing to report to.
process.on('disconnect', () => process.exit(0));
