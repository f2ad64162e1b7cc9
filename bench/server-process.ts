/**
 * Starting and stopping the TURN servers under test as child processes:
 * a free port, readiness by STUN Binding, bounded output, and a kill of every
 * child when the benchmark exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { TurnClient } from '../src/turn/client.js';

/** Output kept per server: enough for the tail of an error, never unbounded. */
const MAX_OUTPUT_CHARS = 256 * 1024;

/** Every child still running; killed when this process exits. */
const liveChildren = new Set<ChildProcess>();

/** Remembers a child so that it is killed on exit. */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Kills every tracked child at once (SIGKILL): for exits and interrupts. */
export function killAllChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
  liveChildren.clear();
}

process.on('exit', killAllChildren);

/** Binds UDP (and, with `tcpToo`, TCP) on 127.0.0.1:port to check it is free; resolves the port or undefined. */
async function tryPort(port: number, tcpToo: boolean): Promise<number | undefined> {
  const udp = await new Promise<number | undefined>((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, '127.0.0.1', () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
  if (udp === undefined || !tcpToo) return udp;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port: udp, exclusive: true }, () => server.close(() => resolve(udp)));
  });
}

/**
 * A loopback port free right now for UDP (and TCP with `tcpToo`: coturn
 * listens on both). Another process could take it before the server binds
 * it; `startServer` callers retry on another port when that happens.
 */
export async function freePort(tcpToo: boolean): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tryPort(0, tcpToo);
    if (port !== undefined) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

/** True when a STUN Binding request to host:port gets an answer. */
async function answersStun(host: string, port: number): Promise<boolean> {
  const client = new TurnClient({
    server: { host, port },
    username: '',
    password: '',
    localAddress: host,
    transactions: { rtoMs: 100, maxRequests: 2, lastWaitFactor: 2 },
  });
  client.on('error', () => {});
  try {
    await client.binding();
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

/** A server under test, running. */
export interface RunningServer {
  host: string;
  port: number;
  pid: number;
  /** Command line, for the report. */
  commandLine: string;
  /** What it printed so far (bounded). */
  output(): string;
  /** True once it has exited. */
  readonly exited: boolean;
  /** SIGTERM, SIGKILL after a grace period; resolves once gone. Idempotent. */
  stop(): Promise<void>;
}

/** Starts `command args` and resolves once it answers STUN on host:port; rejects (after killing it) otherwise. */
export async function startServer(
  command: string,
  args: readonly string[],
  host: string,
  port: number,
  readyTimeoutMs = 15_000,
): Promise<RunningServer> {
  const commandLine = [command, ...args].join(' ');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  const append = (chunk: string) => {
    output += chunk;
    if (output.length > MAX_OUTPUT_CHARS) output = output.slice(-MAX_OUTPUT_CHARS / 2);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    child.once('close', () => {
      exited = true;
      resolve();
    });
  });
  const spawnFailure = new Promise<Error>((resolve) => child.once('error', resolve));
  let stopping: Promise<void> | undefined;
  const server: RunningServer = {
    host,
    port,
    pid: child.pid ?? -1,
    commandLine,
    output: () => output,
    get exited() {
      return exited;
    },
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const ready = await Promise.race([answersStun(host, port), spawnFailure]);
    if (ready instanceof Error) throw new Error(`cannot start ${commandLine}: ${ready.message}`);
    if (ready) return server;
    const tail = () => output.split('\n').slice(-30).join('\n');
    if (exited) throw new Error(`exited before it was ready: ${commandLine}\n${tail()}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`not answering STUN after ${readyTimeoutMs} ms: ${commandLine}\n${tail()}`);
    }
  }
}
