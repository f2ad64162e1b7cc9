/**
 * Relay port selection within the configured range. Ports are picked at
 * random (RFC 8656 §7.2 recommends unpredictable relay ports) and the bind
 * itself decides: a port another process holds fails with EADDRINUSE and the
 * next candidate is tried.
 */
import { randomInt } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { createLiteralSocket } from '../util/udp.js';
import { TurnError } from './errors.js';

/** Random candidates tried before a sequential scan of the range. */
const RANDOM_ATTEMPTS = 64;

/** A bound relay socket and its port. */
export interface BoundSocket {
  socket: Socket;
  port: number;
}

/** A listening TCP relay (RFC 6062 TCP allocation) and its port. */
export interface BoundServer {
  server: Server;
  port: number;
}

function bindUdp(host: string, port: number, family: 4 | 6): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createLiteralSocket(family, { ipv6Only: family === 6 });
    const onError = () => {
      socket.close();
      resolve(undefined);
    };
    socket.once('error', onError);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function listenTcp(host: string, port: number, family: 4 | 6): Promise<Server | undefined> {
  return new Promise((resolve) => {
    // Connections are taken in the server's 'connection' handler; pause them until it runs.
    const server = createServer({ pauseOnConnect: true });
    const onError = () => {
      server.close();
      resolve(undefined);
    };
    server.once('error', onError);
    server.listen({ host, port, exclusive: true, ipv6Only: family === 6, backlog: 64 }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Hands out relay ports from [minPort, maxPort]; UDP and TCP relays share the range. */
export class PortPool {
  private readonly minPort: number;
  private readonly maxPort: number;
  /** "host|port" → the socket or server holding it; undefined while its bind is in flight. */
  private readonly inUse = new Map<string, Socket | Server | undefined>();

  constructor(minPort: number, maxPort: number) {
    if (
      !(
        Number.isInteger(minPort) &&
        Number.isInteger(maxPort) &&
        minPort >= 1 &&
        minPort <= maxPort &&
        maxPort <= 65535
      )
    ) {
      throw new TurnError('ERR_TURN_INVALID_OPTION', `bad relay port range ${minPort}-${maxPort}`);
    }
    this.minPort = minPort;
    this.maxPort = maxPort;
  }

  /** Ports currently held by this pool. */
  get size(): number {
    return this.inUse.size;
  }

  private key(host: string, port: number): string {
    return `${host}|${port}`;
  }

  /**
   * Binds a UDP socket on a free port of the range. With `even`, only even
   * ports; with `reserveNext`, also binds port+1 and returns it separately so
   * that it can be held for a later EVEN-PORT reservation.
   */
  async bind(
    host: string,
    family: 4 | 6,
    options: { even?: boolean; reserveNext?: boolean } = {},
  ): Promise<{ primary: BoundSocket; reserved?: BoundSocket }> {
    for (let port of this.candidates()) {
      if (options.even && port % 2 === 1) port = port < this.maxPort ? port + 1 : port - 1;
      // A range of one odd port has no even port: port - 1 fell below it.
      if (options.even && port < this.minPort) continue;
      if (options.reserveNext && port + 1 > this.maxPort) continue;
      if (this.inUse.has(this.key(host, port))) continue;
      if (options.reserveNext && this.inUse.has(this.key(host, port + 1))) continue;
      const socket = await this.tryBind(host, port, family);
      if (!socket) continue;
      if (!options.reserveNext) return { primary: socket };
      const next = await this.tryBind(host, port + 1, family);
      if (next) return { primary: socket, reserved: next };
      this.release(host, socket);
    }
    throw new TurnError('ERR_TURN_NO_RELAY_PORT', `no free relay port in ${this.minPort}-${this.maxPort}`);
  }

  /**
   * Binds one given UDP port, inside the range or not (a reservation handed
   * over by another thread); undefined when it is taken.
   */
  async bindExact(host: string, port: number, family: 4 | 6): Promise<BoundSocket | undefined> {
    if (this.inUse.has(this.key(host, port))) return undefined;
    return this.tryBind(host, port, family);
  }

  /** Listens on a free TCP port of the range for an RFC 6062 TCP allocation. */
  async bindTcp(host: string, family: 4 | 6): Promise<BoundServer> {
    for (const port of this.candidates()) {
      const key = this.key(host, port);
      if (this.inUse.has(key)) continue;
      this.inUse.set(key, undefined);
      const server = await listenTcp(host, port, family);
      if (!server) {
        this.inUse.delete(key);
        continue;
      }
      this.inUse.set(key, server);
      return { server, port };
    }
    throw new TurnError('ERR_TURN_NO_RELAY_PORT', `no free relay port in ${this.minPort}-${this.maxPort}`);
  }

  /**
   * Random candidates first (unpredictable ports, and fast while the range is
   * mostly free), then every port once from a random start, so that a nearly
   * full range still finds its last free ports.
   */
  private *candidates(): Generator<number> {
    const span = this.maxPort - this.minPort + 1;
    for (let attempt = 0; attempt < RANDOM_ATTEMPTS; attempt++) yield this.minPort + randomInt(span);
    const start = randomInt(span);
    for (let i = 0; i < span; i++) yield this.minPort + ((start + i) % span);
  }

  private async tryBind(host: string, port: number, family: 4 | 6): Promise<BoundSocket | undefined> {
    const key = this.key(host, port);
    this.inUse.set(key, undefined);
    const socket = await bindUdp(host, port, family);
    if (!socket) {
      this.inUse.delete(key);
      return undefined;
    }
    this.inUse.set(key, socket);
    return { socket, port };
  }

  /**
   * Closes the socket and returns its port to the pool. Idempotent: a second
   * release of the same socket leaves alone the port if it was handed out again.
   */
  release(host: string, bound: BoundSocket | BoundServer): void {
    const key = this.key(host, bound.port);
    const handle = 'socket' in bound ? bound.socket : bound.server;
    if (this.inUse.get(key) === handle) this.inUse.delete(key);
    try {
      handle.close();
    } catch {
      // Already closed.
    }
  }
}
