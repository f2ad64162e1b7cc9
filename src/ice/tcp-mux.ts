/**
 * Passive ICE-TCP (RFC 6544) on one shared TCP port. Each accepted
 * connection carries RFC 4571 frames. Until an agent has validated a check
 * on it, a connection is a stranger: each of its frames must be a STUN
 * Binding request naming a registered ufrag, or it is closed; it is closed
 * too when no valid check arrives within `checkTimeoutMs`; and only so many
 * strangers may be connected at once. After that, the connection's frames
 * go to its agent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { AttributeType, decodeMessage, MessageClass, Method, type StunMessage } from '../stun/index.js';
import { canonicalIp, ipFamily, type TransportAddress } from '../util/ip.js';
import { type Log, silentLog } from '../util/log.js';
import { classifyPacket, isMediaPacketKind } from './demux.js';
import { IceError } from './errors.js';
import { IceTcpConnection, type TcpSendRefusal } from './tcp-connection.js';
import { type IceMux, type IceMuxListener, type IceTuple, localUfragOf } from './tuple.js';
import { announcedAddressOf } from './udp-mux.js';

/** Default time a new connection has to send a valid check. */
export const ICE_TCP_CHECK_TIMEOUT_MS = 10_000;
/** Default cap on connections that have not yet sent a valid check. */
export const ICE_TCP_MAX_PENDING_CONNECTIONS = 1000;
/** Default bytes allowed to queue toward a slow peer before packets to it are dropped. */
export const ICE_TCP_MAX_WRITE_BUFFER_BYTES = 512 * 1024;

/** Options of a TCP mux. */
export interface IceTcpMuxOptions {
  /** IP literal to listen on; a wildcard (0.0.0.0, ::) needs `announcedAddress`. */
  address: string;
  /** Port to listen on; 0 for any. */
  port: number;
  /** The public IP advertised in candidates, for a server behind 1:1 NAT. */
  announcedAddress?: string;
  /** Time a connection has to send a valid check (default 10 s). */
  checkTimeoutMs?: number;
  /** Connections without a valid check allowed at once (default 1000); more are closed at accept. */
  maxPendingConnections?: number;
  /** Queued bytes per connection above which packets are dropped (default 512 KiB). */
  maxWriteBufferBytes?: number;
  log?: Log;
}

/** Counters of a TCP mux. */
export class IceTcpMuxStats {
  connectionsAccepted = 0;
  /** Closed at accept: too many connections without a valid check. */
  connectionsRejectedCapacity = 0;
  /** Closed because the first frames were not Binding requests for a known ufrag. */
  connectionsRejectedProtocol = 0;
  /** Closed because no valid check arrived in time. */
  connectionsTimedOut = 0;
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** STUN frames that do not decode, on an authenticated connection. */
  droppedMalformed = 0;
  /** Empty, ZRTP, ChannelData and unclassifiable frames on an authenticated connection. */
  droppedUnsupported = 0;
  /** STUN indications and responses, which a lite agent does not act on. */
  ignoredStun = 0;
  /** Packets not written because the peer's write buffer was over the limit. */
  droppedBackpressure = 0;
  /** Packets over the 65535 bytes a frame carries. */
  droppedTooLarge = 0;
  /** Packets for a connection already closed. */
  droppedClosed = 0;
  /** Exceptions caught at the socket boundary (a bug if ever non-zero). */
  internalErrors = 0;
}

/** A shared passive ICE-TCP port for ICE-lite agents. */
export class IceTcpMux implements IceMux {
  readonly protocol = 'tcp' as const;
  /** Counters for metrics and tests. */
  readonly stats = new IceTcpMuxStats();
  readonly localAddress: TransportAddress;
  readonly announcedAddress: string;
  private readonly server: Server;
  private readonly log: Log;
  private readonly checkTimeoutMs: number;
  private readonly maxPendingConnections: number;
  private readonly maxWriteBufferBytes: number;
  private readonly listeners = new Map<string, IceMuxListener>();
  private readonly connections = new Set<IceTcpConnection>();
  private pendingCount = 0;
  private nextId = 1;
  private closing: Promise<void> | undefined;
  private readonly handlers = {
    onFrame: (connection: IceTcpConnection, frame: Buffer) => this.onFrame(connection, frame),
    onClose: (connection: IceTcpConnection) => this.onConnectionClose(connection),
    onSent: (_connection: IceTcpConnection, bytes: number) => {
      this.stats.packetsOut++;
      this.stats.bytesOut += bytes;
    },
    onRefused: (_connection: IceTcpConnection, reason: TcpSendRefusal) => {
      if (reason === 'backpressure') this.stats.droppedBackpressure++;
      else if (reason === 'too-large') this.stats.droppedTooLarge++;
      else this.stats.droppedClosed++;
    },
  };

  private constructor(
    server: Server,
    localAddress: TransportAddress,
    announced: string,
    options: IceTcpMuxOptions,
  ) {
    this.server = server;
    this.localAddress = localAddress;
    this.announcedAddress = announced;
    this.log = options.log ?? silentLog;
    this.checkTimeoutMs = options.checkTimeoutMs ?? ICE_TCP_CHECK_TIMEOUT_MS;
    this.maxPendingConnections = options.maxPendingConnections ?? ICE_TCP_MAX_PENDING_CONNECTIONS;
    this.maxWriteBufferBytes = options.maxWriteBufferBytes ?? ICE_TCP_MAX_WRITE_BUFFER_BYTES;
    server.on('connection', (socket) => {
      try {
        this.onSocket(socket);
      } catch (error) {
        this.stats.internalErrors++;
        this.log.error({ err: error }, 'error accepting an ICE-TCP connection');
        socket.destroy();
      }
    });
    server.on('error', (error) => this.log.warn({ err: error }, 'ICE-TCP listener error'));
  }

  /**
   * Listens and returns the mux. Rejects with ERR_ICE_INVALID_OPTION for bad
   * options, ERR_ICE_LISTEN_FAILED when the listen fails.
   */
  static listen(options: IceTcpMuxOptions): Promise<IceTcpMux> {
    const family = ipFamily(options.address);
    if (family === 0) {
      return Promise.reject(
        new IceError('ERR_ICE_INVALID_OPTION', `TCP address "${options.address}" is not an IP literal`),
      );
    }
    for (const name of ['checkTimeoutMs', 'maxPendingConnections', 'maxWriteBufferBytes'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        return Promise.reject(new IceError('ERR_ICE_INVALID_OPTION', `${name} must be a positive integer`));
      }
    }
    const announced = announcedAddressOf(options.address, options.announcedAddress);
    if (announced instanceof IceError) return Promise.reject(announced);
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      server.once('error', (error) => {
        reject(
          new IceError('ERR_ICE_LISTEN_FAILED', `cannot listen on TCP ${options.address}:${options.port}`, {
            cause: error,
          }),
        );
      });
      server.listen(
        { host: options.address, port: options.port, exclusive: true, ipv6Only: family === 6, backlog: 511 },
        () => {
          server.removeAllListeners('error');
          const bound = server.address();
          const port = typeof bound === 'object' && bound ? bound.port : options.port;
          const local: TransportAddress = {
            family,
            address: canonicalIp(options.address) ?? options.address,
            port,
          };
          resolve(new IceTcpMux(server, local, announced, options));
        },
      );
    });
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Open connections, authenticated or not. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Open connections that have not sent a valid check yet. */
  get pendingConnectionCount(): number {
    return this.pendingCount;
  }

  /** Routes Binding requests for the ufrag to the listener. */
  registerUsernameFragment(usernameFragment: string, listener: IceMuxListener): void {
    const existing = this.listeners.get(usernameFragment);
    if (existing && existing !== listener) {
      throw new IceError('ERR_ICE_UFRAG_IN_USE', 'the ufrag is registered by another agent on this mux');
    }
    this.listeners.set(usernameFragment, listener);
  }

  /** Stops routing the ufrag, if it is the listener's. */
  unregisterUsernameFragment(usernameFragment: string, listener: IceMuxListener): void {
    if (this.listeners.get(usernameFragment) === listener) this.listeners.delete(usernameFragment);
  }

  /** Gives the connection to the listener: it is authenticated, and its frames go there. */
  bind(tuple: IceTuple, listener: IceMuxListener): void {
    const connection = tuple as IceTcpConnection;
    if (tuple.mux !== this || !this.connections.has(connection) || connection.listener === listener) return;
    const previous = connection.listener;
    if (previous === undefined) {
      this.pendingCount--;
      if (connection.checkTimer) clearTimeout(connection.checkTimer);
      connection.checkTimer = undefined;
    }
    connection.listener = listener;
    previous?.onTupleClosed(connection);
  }

  /** Takes the connection from the listener and closes it. */
  unbind(tuple: IceTuple, listener: IceMuxListener): void {
    const connection = tuple as IceTcpConnection;
    if (tuple.mux !== this || connection.listener !== listener) return;
    connection.listener = undefined;
    connection.close();
  }

  /** Stops listening and closes every connection; agents are told their tuples are gone. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.listeners.clear();
    this.closing = new Promise((resolve) => this.server.close(() => resolve()));
    for (const connection of [...this.connections]) connection.close();
    return this.closing;
  }

  private onSocket(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.pendingCount >= this.maxPendingConnections) {
      this.stats.connectionsRejectedCapacity++;
      socket.destroy();
      return;
    }
    this.stats.connectionsAccepted++;
    const connection = new IceTcpConnection(
      this,
      socket,
      this.nextId++,
      this.handlers,
      this.maxWriteBufferBytes,
    );
    this.connections.add(connection);
    this.pendingCount++;
    connection.checkTimer = setTimeout(() => {
      if (connection.listener || connection.isClosed) return;
      this.stats.connectionsTimedOut++;
      connection.close();
    }, this.checkTimeoutMs);
    connection.checkTimer.unref();
  }

  private onConnectionClose(connection: IceTcpConnection): void {
    if (!this.connections.delete(connection)) return;
    const listener = connection.listener;
    connection.listener = undefined;
    if (listener === undefined) {
      this.pendingCount--;
      return;
    }
    try {
      listener.onTupleClosed(connection);
    } catch (error) {
      this.stats.internalErrors++;
      this.log.error({ err: error }, 'error closing an ICE-TCP tuple');
    }
  }

  /** Every frame of every connection; the one last try/catch of the stream path. */
  private onFrame(connection: IceTcpConnection, frame: Buffer): void {
    try {
      this.stats.packetsIn++;
      this.stats.bytesIn += frame.length;
      if (connection.listener) this.onAuthenticatedFrame(connection, connection.listener, frame);
      else this.onStrangerFrame(connection, frame);
    } catch (error) {
      this.stats.internalErrors++;
      this.log.error({ err: error, client: connection.remote.address }, 'error handling an ICE-TCP frame');
    }
  }

  /** RFC 6544 §7.2: until a check succeeds, only Binding requests for a known ufrag are accepted. */
  private onStrangerFrame(connection: IceTcpConnection, frame: Buffer): void {
    const message = classifyPacket(frame) === 'stun' ? bindingRequestOf(frame) : undefined;
    const username = message?.get(AttributeType.Username);
    const listener = username && this.listeners.get(localUfragOf(username));
    if (!message || !listener) {
      this.stats.connectionsRejectedProtocol++;
      connection.close();
      return;
    }
    listener.onBindingRequest(message, connection);
  }

  private onAuthenticatedFrame(connection: IceTcpConnection, listener: IceMuxListener, frame: Buffer): void {
    const kind = classifyPacket(frame);
    if (kind === 'stun') {
      const decoded = decodeMessage(frame);
      if (!decoded.ok) {
        this.stats.droppedMalformed++;
        return;
      }
      const message = decoded.message;
      if (message.method === Method.Binding && message.messageClass === MessageClass.Request) {
        listener.onBindingRequest(message, connection);
      } else {
        this.stats.ignoredStun++;
      }
      return;
    }
    if (!isMediaPacketKind(kind)) {
      this.stats.droppedUnsupported++;
      return;
    }
    listener.onPacket(frame, kind, connection);
  }
}

/** The frame as a Binding request, or undefined. */
function bindingRequestOf(frame: Buffer): StunMessage | undefined {
  const decoded = decodeMessage(frame);
  if (!decoded.ok) return undefined;
  const message = decoded.message;
  return message.method === Method.Binding && message.messageClass === MessageClass.Request
    ? message
    : undefined;
}
