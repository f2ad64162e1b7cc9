/**
 * A bare UDP socket for tests that need to send bytes the TURN client would
 * never produce (malformed datagrams, requests without credentials, legacy
 * RFC 3489 Binding requests) and read the raw answers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { decodeMessage, type StunMessage } from '../../src/stun/index.js';

/** A UDP socket on 127.0.0.1 that collects what it receives. */
export class RawUdp {
  readonly socket: Socket;
  private readonly received: Buffer[] = [];
  private waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.received.push(data);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens a socket bound to an ephemeral loopback port. */
  static async open(host = '127.0.0.1'): Promise<RawUdp> {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, resolve));
    return new RawUdp(socket);
  }

  /** The bound port. */
  get port(): number {
    return this.socket.address().port;
  }

  /** Sends bytes to host:port. */
  send(data: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(data, port, host);
  }

  /** Waits for the next datagram, or rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.shift()!;
  }

  /** Waits for the next datagram and decodes it as STUN (throws when it is not). */
  async nextStun(timeoutMs = 2000): Promise<StunMessage> {
    const result = decodeMessage(await this.next(timeoutMs));
    if (!result.ok) throw result.error;
    return result.message;
  }

  /** Resolves true when nothing arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
