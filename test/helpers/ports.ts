/**
 * Free loopback ports for test servers. Tests run in parallel (one process
 * per file), so nothing may use a fixed port such as 3478.
 *
 * A "free" port is one the kernel handed out for port 0 and that we closed
 * again: another process could take it before the server binds it, so
 * servers that can bind port 0 themselves (ours) should do that instead, and
 * the helpers here are for external programs (coturn) that need a number.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Ports this process has handed out, never handed out twice. */
const handedOut = new Set<number>();

/** Binds UDP port `port` (0 = any) on `host`, returns the bound port, and closes the socket. */
function bindUdp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

/** Listens on TCP port `port` (0 = any) on `host`, returns the bound port, and closes the listener. */
function bindTcp(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ host, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

async function pick(host: string, needUdp: boolean, needTcp: boolean): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = needUdp ? await bindUdp(host, 0) : await bindTcp(host, 0);
    if (port === undefined || handedOut.has(port)) continue;
    // The kernel picked it for one protocol; check the other one is free too.
    if (needUdp && needTcp && (await bindTcp(host, port)) === undefined) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found on ${host} after 50 attempts`);
}

/** A UDP port that is free on `host` (default 127.0.0.1) right now. */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return pick(host, true, false);
}

/** A TCP port that is free on `host` (default 127.0.0.1) right now. */
export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return pick(host, false, true);
}

/** A port free for both UDP and TCP on `host`: coturn listens on both at the same number. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return pick(host, true, true);
}

/** An inclusive range of relay ports. */
export interface PortRange {
  min: number;
  max: number;
}

/**
 * Relay port ranges, one per test server that relays, so that files running
 * in parallel never compete for relay ports. They sit below Linux's ephemeral
 * range (32768–60999), where `freePort()` and clients' sockets come from.
 * Add a line here for each new relaying server in the tests.
 */
export const RELAY_PORT_RANGES = {
  /** test/interop/coturn-clients.test.ts: our TurnServer under coturn's client tools. */
  ourServerUnderCoturnClients: { min: 20000, max: 20399 },
  /** test/interop/coturn-server.test.ts: coturn with long-term credentials. */
  coturnLongTerm: { min: 20400, max: 20599 },
  /** test/interop/coturn-server.test.ts: coturn with REST credentials. */
  coturnRest: { min: 20600, max: 20799 },
  /** test/interop/coturn-harness.test.ts: coturn under its own tools, long-term credentials. */
  harnessLongTerm: { min: 20800, max: 20999 },
  /** test/interop/coturn-harness.test.ts: coturn under its own tools, REST credentials. */
  harnessRest: { min: 21000, max: 21199 },
  /** test/bench/turn-bench.test.ts: our server under the relay benchmark (kept apart from the interop block). */
  benchOurs: { min: 23000, max: 23099 },
  /** test/bench/turn-bench.test.ts: coturn under the relay benchmark. */
  benchCoturn: { min: 23100, max: 23199 },
} as const satisfies Record<string, PortRange>;
