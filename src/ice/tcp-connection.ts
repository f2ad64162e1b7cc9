/**
 * One passive ICE-TCP connection (RFC 6544): RFC 4571 framing both ways, and
 * the tuple an agent sees for it. The mux decides what its frames mean.
 */
import type { Socket } from 'node:net';
import { canonicalIp, type TransportAddress } from '../util/ip.js';
import { FRAME_HEADER_SIZE, MAX_FRAME_PAYLOAD, Rfc4571Framer } from './framing.js';
import type { IceMux, IceMuxListener, IceTuple } from './tuple.js';

/** Why a packet was not written. */
export type TcpSendRefusal = 'closed' | 'too-large' | 'backpressure';

/** What the connection reports to its mux. */
export interface IceTcpConnectionHandlers {
  onFrame(connection: IceTcpConnection, frame: Buffer): void;
  onClose(connection: IceTcpConnection): void;
  onSent(connection: IceTcpConnection, bytes: number): void;
  onRefused(connection: IceTcpConnection, reason: TcpSendRefusal): void;
}

/** A passive ICE-TCP connection, and the tuple it is to an agent. */
export class IceTcpConnection implements IceTuple {
  readonly protocol = 'tcp' as const;
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  readonly key: string;
  readonly mux: IceMux;
  /** The agent that validated a check on it; undefined while unauthenticated. */
  listener: IceMuxListener | undefined;
  /** Closes the connection when no valid check arrives in time; cleared once bound. */
  checkTimer: NodeJS.Timeout | undefined;
  private readonly socket: Socket;
  private readonly framer: Rfc4571Framer;
  private readonly handlers: IceTcpConnectionHandlers;
  private readonly maxWriteBufferBytes: number;
  private closed = false;

  constructor(
    mux: IceMux,
    socket: Socket,
    id: number,
    handlers: IceTcpConnectionHandlers,
    maxWriteBufferBytes: number,
  ) {
    this.mux = mux;
    this.socket = socket;
    this.handlers = handlers;
    this.maxWriteBufferBytes = maxWriteBufferBytes;
    this.local = mux.localAddress;
    const family = socket.remoteFamily === 'IPv6' ? 6 : 4;
    const address = socket.remoteAddress ?? '';
    this.remote = { family, address: canonicalIp(address) ?? address, port: socket.remotePort ?? 0 };
    this.key = `tcp#${id} ${this.remote.address}:${this.remote.port}`;
    this.framer = new Rfc4571Framer((frame) => handlers.onFrame(this, frame));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.framer.stop();
      if (this.checkTimer) clearTimeout(this.checkTimer);
      handlers.onClose(this);
    });
  }

  /** True once the socket closed or `close` was called. */
  get isClosed(): boolean {
    return this.closed || this.socket.destroyed;
  }

  /**
   * Writes one packet with its RFC 4571 length prefix. Refused (false) when
   * closed, over 65535 bytes, or while more than the write-buffer limit is
   * queued: a peer that does not read loses packets, as on a full UDP buffer.
   */
  send(data: Buffer): boolean {
    if (this.isClosed || !this.socket.writable) {
      this.handlers.onRefused(this, 'closed');
      return false;
    }
    if (data.length > MAX_FRAME_PAYLOAD) {
      this.handlers.onRefused(this, 'too-large');
      return false;
    }
    if (this.socket.writableLength > this.maxWriteBufferBytes) {
      this.handlers.onRefused(this, 'backpressure');
      return false;
    }
    const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
    header.writeUInt16BE(data.length, 0);
    // Two writes corked into one writev: the packet itself is not copied.
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(data);
    this.socket.uncork();
    this.handlers.onSent(this, data.length);
    return true;
  }

  /** Stops reading and destroys the socket at once. Idempotent. */
  close(): void {
    this.framer.stop();
    this.socket.destroy();
  }
}
