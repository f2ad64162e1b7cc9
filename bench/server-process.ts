/**
 * Starting and stopping the servers under test as child processes: a free
 * port, readiness by a probe (a STUN Binding for TURN servers), bounded
 * output, an optional higher open-file limit, and a kill of every child when
 * the benchmark exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
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

/**
 * The command and arguments that run `command args` with the open-file limit
 * raised to `limit` first, when it is lower: `sh -c 'ulimit -n LIMIT; exec
 * "$0" "$@"'`. Raising the hard limit needs CAP_SYS_RESOURCE (root usually
 * has it, a container's root may not); without it the shell keeps the current
 * limit, and Node itself raises its soft limit to the hard one. Check the
 * outcome with `openFileLimit(pid)`. `exec` keeps the process id, so CPU and
 * memory read by pid are the program's own.
 */
export function withFileDescriptorLimit(
  command: string,
  args: readonly string[],
  limit: number,
): [string, string[]] {
  if (process.platform === 'win32') return [command, [...args]];
  const wanted = Math.floor(limit);
  // Only ever raise: `ulimit -n` sets the hard limit too, and would lower a higher one.
  const script =
    `current=$(ulimit -n); if [ "$current" != unlimited ] && [ "$current" -lt ${wanted} ]; then ` +
    `ulimit -n ${wanted} 2>/dev/null; fi; exec "$0" "$@"`;
  return ['/bin/sh', ['-c', script, command, ...args]];
}

/** The soft open-file limit of a running process, from /proc/PID/limits; undefined when unreadable. */
export function openFileLimit(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
    return soft === undefined ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** How to start a server and tell when it is ready. */
export interface ServerProcessOptions {
  command: string;
  args: readonly string[];
  host: string;
  port: number;
  /** Resolves true once the server answers; polled until it does or the time is up. */
  ready: () => Promise<boolean>;
  /** Default 15,000 ms. */
  readyTimeoutMs?: number;
  /** Raise the open-file limit to this before the program starts (see withFileDescriptorLimit). */
  fileDescriptorLimit?: number;
  env?: NodeJS.ProcessEnv;
}

/** Starts `command args` and resolves once it answers STUN on host:port; rejects (after killing it) otherwise. */
export function startServer(
  command: string,
  args: readonly string[],
  host: string,
  port: number,
  readyTimeoutMs = 15_000,
): Promise<RunningServer> {
  return startServerProcess({
    command,
    args,
    host,
    port,
    ready: () => answersStun(host, port),
    readyTimeoutMs,
  });
}

/** Starts a server and resolves once `ready` says so; rejects (after killing it) when it exits or times out. */
export async function startServerProcess(options: ServerProcessOptions): Promise<RunningServer> {
  const { host, port } = options;
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const commandLine = [options.command, ...options.args].join(' ');
  const [command, args] =
    options.fileDescriptorLimit === undefined
      ? [options.command, [...options.args]]
      : withFileDescriptorLimit(options.command, options.args, options.fileDescriptorLimit);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
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
    const ready = await Promise.race([options.ready().catch(() => false), spawnFailure]);
    if (ready instanceof Error) throw new Error(`cannot start ${commandLine}: ${ready.message}`);
    if (ready) return server;
    const tail = () => output.split('\n').slice(-30).join('\n');
    if (exited) throw new Error(`exited before it was ready: ${commandLine}\n${tail()}`);
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`not ready after ${readyTimeoutMs} ms: ${commandLine}\n${tail()}`);
    }
    // A refused connection answers at once: do not spin.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
