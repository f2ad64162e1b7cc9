/**
 * TURN over TCP and TLS (RFC 8656 §3.1): listeners that accept stream
 * connections and frame them into STUN and ChannelData messages.
 *
 * A listener runs in one of three modes: plain TCP, TLS, or `auto`, which
 * tells the two apart by the first byte a client sends (a TLS handshake
 * record starts with 22, a STUN message with 0–3, ChannelData with 64–127),
 * so that one port serves both. The TLS credentials come from a callback read
 * at each handshake, so a reloaded certificate applies to new connections and
 * leaves existing ones alone.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import type { Log } from '../util/log.js';
import type { Allocation, AllocationTable, ClientPath } from './allocation.js';
import { StreamFramer } from './stream-framer.js';

/** First byte of a TLS handshake record (RFC 8446 §5.1, content type 22). */
const TLS_HANDSHAKE = 0x16;
/** A connection must finish its TLS handshake (or send its first byte) within this time. */
export const STREAM_HANDSHAKE_TIMEOUT_MS = 10_000;
/** A connection without an allocation or a bound peer is closed after this long without traffic. */
export const STREAM_IDLE_TIMEOUT_MS = 60_000;
/**
 * Bytes allowed to queue toward a slow client before relayed messages to it
 * are dropped, as a full UDP socket buffer would; control messages always go.
 */
export const STREAM_MAX_QUEUED_BYTES = 512 * 1024;

/** How a listener treats the bytes of a new connection. */
export type StreamMode = 'tcp' | 'tls' | 'auto';

/** Options of a stream listener. */
export interface StreamListenerOptions {
  host: string;
  port: number;
  family: 4 | 6;
  mode: StreamMode;
  /** TLS credentials in force; undefined when none is configured (then `auto` serves plain TCP only). */
  secureContext: () => SecureContext | undefined;
  /** Called once a connection is ready for TURN (after its TLS handshake, if any). */
  onConnection: (connection: StreamConnection) => void;
  /** Open connections allowed on this listener; more are refused at accept. */
  maxConnections: number;
  log: Log;
  /** Counts a connection dropped before it became ready (bad first byte, failed handshake, timeout). */
  onRejected: (reason: 'handshake' | 'protocol' | 'capacity') => void;
}

/** One client connection over TCP or TLS: its framing, its client path and its allocation table. */
export class StreamConnection implements AllocationTable {
  readonly allocations = new Map<string, Allocation>();
  readonly pending = new Map<string, string>();
  readonly path: ClientPath;
  readonly socket: Socket;
  /** Each framed message; set by the server before data flows. */
  onFrame: (frame: Buffer) => void = () => {};
  /** Called once when the connection closes for any reason. */
  onClose: () => void = () => {};
  /** Called when the bytes cannot be framed; the connection is then closed. */
  onProtocolError: () => void = () => {};
  /**
   * After an RFC 6062 ConnectionBind the connection stops being framed and its
   * bytes go to this sink unchanged.
   */
  private rawSink: ((chunk: Buffer) => void) | undefined;
  private readonly framer: StreamFramer;
  private closed = false;

  constructor(socket: Socket, protocol: 'tcp' | 'tls', id: number) {
    this.socket = socket;
    const address = socket.remoteAddress ?? '';
    const port = socket.remotePort ?? 0;
    this.path = {
      protocol,
      address,
      port,
      key: `${protocol}#${id}`,
      // A client opens RFC 6062 data connections from new ports: its nonce holds for its address.
      nonceKey: `${protocol}|${address}`,
      stream: true,
      send: (data) => this.send(data),
    };
    this.framer = new StreamFramer((frame) => this.onFrame(frame));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.onClose();
    });
    socket.setTimeout(STREAM_IDLE_TIMEOUT_MS, () => {
      if (this.allocations.size === 0 && !this.rawSink) socket.destroy();
    });
  }

  /** True once the connection is closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** True after an RFC 6062 ConnectionBind turned it into a data connection. */
  get isDataConnection(): boolean {
    return this.rawSink !== undefined;
  }

  private onData(chunk: Buffer): void {
    if (this.rawSink) {
      this.rawSink(chunk);
      return;
    }
    const error = this.framer.push(chunk);
    if (error) {
      this.onProtocolError();
      this.socket.destroy();
    }
  }

  /**
   * Writes one message. Relayed data is dropped (false) while the client
   * reads too slowly; `control` messages are always queued.
   */
  send(data: Buffer, control = false): boolean {
    if (this.closed || this.socket.destroyed) return false;
    if (!control && this.socket.writableLength > STREAM_MAX_QUEUED_BYTES) return false;
    this.socket.write(data);
    return true;
  }

  /**
   * Turns the connection into an RFC 6062 client data connection: later bytes
   * go to `sink` unchanged. Bytes that followed the ConnectionBind in the same
   * read were framed already; a client waits for the response before sending
   * data, so there are none in practice.
   */
  startRaw(sink: (chunk: Buffer) => void): void {
    this.rawSink = sink;
    this.socket.setTimeout(0);
  }

  /** Closes the connection (with a FIN after queued data). Idempotent. */
  close(): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A client that never reads would hold the socket open: destroy it after a grace period.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Closes at once, dropping queued data. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** A listening TCP socket that serves TURN over TCP, TLS or both. */
export class StreamListener {
  readonly host: string;
  readonly family: 4 | 6;
  readonly mode: StreamMode;
  port = 0;
  private readonly server: Server;
  private readonly options: StreamListenerOptions;
  private nextId = 1;
  private readonly sockets = new Set<Socket>();

  constructor(options: StreamListenerOptions) {
    this.options = options;
    this.host = options.host;
    this.family = options.family;
    this.mode = options.mode;
    this.server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
    this.server.maxConnections = options.maxConnections;
    this.server.on('drop', () => options.onRejected('capacity'));
  }

  /** Binds; rejects with the socket error (EADDRINUSE, EADDRNOTAVAIL …). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(
        { host: this.host, port: this.options.port, exclusive: true, ipv6Only: false, backlog: 511 },
        () => {
          this.server.off('error', reject);
          this.server.on('error', (error) => this.options.log.warn({ err: error }, 'stream listener error'));
          const address = this.server.address();
          this.port = typeof address === 'object' && address ? address.port : 0;
          resolve();
        },
      );
    });
  }

  /** Open connections, ready or still handshaking. */
  connectionCount(): Promise<number> {
    return new Promise((resolve) => this.server.getConnections((_error, count) => resolve(count ?? 0)));
  }

  private onSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let tlsStarted = false;
    socket.setTimeout(STREAM_HANDSHAKE_TIMEOUT_MS, () => {
      // A stalled TLS handshake is counted when its TLS socket closes.
      if (!tlsStarted) this.options.onRejected('handshake');
      socket.destroy();
    });
    if (this.mode === 'tcp') {
      this.ready(socket, 'tcp');
      return;
    }
    if (this.mode === 'tls') {
      tlsStarted = true;
      this.startTls(socket);
      return;
    }
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      tlsStarted = first[0] === TLS_HANDSHAKE;
      if (tlsStarted) {
        // The TLS socket takes the bytes held in the readable buffer as its first input.
        this.startTls(socket);
      } else if (first[0] < 0x80) {
        this.ready(socket, 'tcp');
        socket.resume();
      } else {
        this.options.onRejected('protocol');
        socket.destroy();
      }
    });
  }

  private startTls(socket: Socket): void {
    const secureContext = this.options.secureContext();
    if (!secureContext) {
      this.options.onRejected('protocol');
      socket.destroy();
      return;
    }
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext,
      // RFC 7443: "stun.turn" when the client offers ALPN; no protocol when it offers others.
      ALPNCallback: ({ protocols }) => (protocols.includes('stun.turn') ? 'stun.turn' : undefined),
    });
    let secured = false;
    tlsSocket.on('error', () => {
      tlsSocket.destroy();
      socket.destroy();
    });
    // A handshake that ends in an alert, an error or a plain close counts once, here.
    tlsSocket.once('close', () => {
      if (!secured) this.options.onRejected('handshake');
    });
    tlsSocket.once('secure', () => {
      secured = true;
      this.ready(tlsSocket, 'tls');
    });
  }

  private ready(socket: Socket, protocol: 'tcp' | 'tls'): void {
    socket.setTimeout(0);
    const connection = new StreamConnection(socket, protocol, this.nextId++);
    this.options.onConnection(connection);
  }

  /** Stops accepting and destroys every open connection. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }
}
