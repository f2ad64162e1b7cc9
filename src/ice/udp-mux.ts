/**
 * One UDP socket shared by every ICE-lite agent of a worker (ARCHITECTURE.md,
 * "the media path"): datagrams are demultiplexed by first byte (RFC 7983),
 * STUN Binding requests routed by the ufrag in USERNAME, everything else by
 * the remote address an agent has validated. Anything else is counted and
 * dropped; no datagram and no socket error ends the process.
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import { AttributeType, decodeMessage, MessageClass, Method } from '../stun/index.js';
import { canonicalIp, ipFamily, type TransportAddress } from '../util/ip.js';
import { type Log, silentLog } from '../util/log.js';
import { createLiteralSocket } from '../util/udp.js';
import { classifyPacket, isMediaPacketKind } from './demux.js';
import { IceError } from './errors.js';
import { type IceMux, type IceMuxListener, type IceTuple, localUfragOf, remoteKey } from './tuple.js';

/** Options of a UDP mux. */
export interface IceUdpMuxOptions {
  /** IP literal to bind; a wildcard (0.0.0.0, ::) needs `announcedAddress`. */
  address: string;
  /** Port to bind; 0 for any. */
  port: number;
  /** The public IP advertised in candidates, for a server behind 1:1 NAT. */
  announcedAddress?: string;
  /** Kernel receive buffer, bytes (default 4 MiB). */
  recvBufferSize?: number;
  /** Kernel send buffer, bytes (default 4 MiB). */
  sendBufferSize?: number;
  /** SO_REUSEPORT, for several workers on one port. */
  reusePort?: boolean;
  log?: Log;
}

/** Counters of a UDP mux: plain numbers, so the hot path only increments. */
export class IceUdpMuxStats {
  packetsIn = 0;
  bytesIn = 0;
  packetsOut = 0;
  bytesOut = 0;
  /** Binding requests whose USERNAME names no registered ufrag (or that have no USERNAME). */
  droppedUnknownUfrag = 0;
  /** Non-STUN datagrams from an address no agent has validated. */
  droppedUnknownAddress = 0;
  /** STUN-looking datagrams that do not decode (bad length, bad FINGERPRINT, …). */
  droppedMalformed = 0;
  /** ZRTP, TURN ChannelData and unclassifiable datagrams from a validated address. */
  droppedUnsupported = 0;
  /** STUN indications (keepalives) and responses, which a lite agent does not act on. */
  ignoredStun = 0;
  /** Sends refused by the socket (closed, unreachable, buffer full). */
  sendErrors = 0;
  /** Exceptions caught at the socket boundary (a bug if ever non-zero). */
  internalErrors = 0;
}

/** A route: the agent a validated remote address belongs to, and its tuple. */
interface Route {
  listener: IceMuxListener;
  tuple: IceTuple;
}

/** A UDP tuple: the mux's socket and one remote address. */
class UdpTuple implements IceTuple {
  readonly protocol = 'udp' as const;
  readonly local: TransportAddress;
  readonly remote: TransportAddress;
  readonly key: string;
  readonly mux: IceUdpMux;

  constructor(mux: IceUdpMux, remote: TransportAddress) {
    this.mux = mux;
    this.local = mux.localAddress;
    this.remote = remote;
    this.key = `udp ${mux.localAddress.address}:${mux.localAddress.port} ${remoteKey(remote.address, remote.port)}`;
  }

  send(data: Buffer): boolean {
    return this.mux.sendTo(data, this.remote);
  }
}

const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/** One shared UDP socket for ICE-lite agents. */
export class IceUdpMux implements IceMux {
  readonly protocol = 'udp' as const;
  /** Counters for metrics and tests. */
  readonly stats = new IceUdpMuxStats();
  readonly localAddress: TransportAddress;
  readonly announcedAddress: string;
  private readonly socket: Socket;
  private readonly log: Log;
  private readonly listeners = new Map<string, IceMuxListener>();
  private readonly routes = new Map<string, Route>();
  private closing: Promise<void> | undefined;
  /** One completion callback for every send: no closure per datagram. */
  private readonly afterSend = (error: Error | null): void => {
    if (error) this.stats.sendErrors++;
  };

  private constructor(socket: Socket, localAddress: TransportAddress, announcedAddress: string, log: Log) {
    this.socket = socket;
    this.localAddress = localAddress;
    this.announcedAddress = announcedAddress;
    this.log = log;
    socket.on('message', (data, rinfo) => {
      try {
        this.onDatagram(data, rinfo);
      } catch (error) {
        this.stats.internalErrors++;
        this.log.error({ err: error, client: rinfo.address }, 'error handling an ICE datagram');
      }
    });
    socket.on('error', (error) => this.log.warn({ err: error }, 'ICE UDP socket error'));
  }

  /**
   * Binds a socket and returns the mux. Rejects with ERR_ICE_INVALID_OPTION
   * for a bad address, ERR_ICE_LISTEN_FAILED when the bind fails.
   */
  static listen(options: IceUdpMuxOptions): Promise<IceUdpMux> {
    const family = ipFamily(options.address);
    if (family === 0) {
      return Promise.reject(
        new IceError('ERR_ICE_INVALID_OPTION', `UDP address "${options.address}" is not an IP literal`),
      );
    }
    const announced = announcedAddressOf(options.address, options.announcedAddress);
    if (announced instanceof IceError) return Promise.reject(announced);
    const log = options.log ?? silentLog;
    return new Promise((resolve, reject) => {
      const socket = createLiteralSocket(family, {
        // A separate IPv6 mux may share the port number with the IPv4 one.
        ipv6Only: family === 6,
        ...(options.reusePort ? { reusePort: true } : {}),
        recvBufferSize: options.recvBufferSize ?? 4 * 1024 * 1024,
        sendBufferSize: options.sendBufferSize ?? 4 * 1024 * 1024,
      });
      socket.once('error', (error) => {
        socket.close();
        reject(
          new IceError('ERR_ICE_LISTEN_FAILED', `cannot bind UDP ${options.address}:${options.port}`, {
            cause: error,
          }),
        );
      });
      socket.bind({ address: options.address, port: options.port, exclusive: !options.reusePort }, () => {
        socket.removeAllListeners('error');
        const bound = socket.address();
        const local: TransportAddress = {
          family,
          address: canonicalIp(bound.address) ?? bound.address,
          port: bound.port,
        };
        resolve(new IceUdpMux(socket, local, announced, log));
      });
    });
  }

  /** True once `close` was called. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Registered ufrags (for tests and metrics). */
  get usernameFragmentCount(): number {
    return this.listeners.size;
  }

  /** Validated remote addresses (for tests and metrics). */
  get routeCount(): number {
    return this.routes.size;
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

  /**
   * Routes the tuple's remote address to the listener. An address validated
   * by another agent before (a client port reused by a new session) moves to
   * this one, and the other agent is told its tuple is gone.
   */
  bind(tuple: IceTuple, listener: IceMuxListener): void {
    if (this.closing || tuple.mux !== this) return;
    const key = remoteKey(tuple.remote.address, tuple.remote.port);
    const existing = this.routes.get(key);
    if (existing && existing.listener === listener && existing.tuple === tuple) return;
    this.routes.set(key, { listener, tuple });
    if (existing && existing.tuple !== tuple) existing.listener.onTupleClosed(existing.tuple);
  }

  /** Stops routing the tuple's remote address, if it is the listener's. */
  unbind(tuple: IceTuple, listener: IceMuxListener): void {
    const key = remoteKey(tuple.remote.address, tuple.remote.port);
    const existing = this.routes.get(key);
    if (existing && existing.listener === listener && existing.tuple === tuple) this.routes.delete(key);
  }

  /** Sends a datagram; false when the socket is closed or refuses it at once. */
  sendTo(data: Buffer, remote: TransportAddress): boolean {
    if (this.closing) return false;
    try {
      this.socket.send(data, remote.port, remote.address, this.afterSend);
    } catch {
      this.stats.sendErrors++;
      return false;
    }
    this.stats.packetsOut++;
    this.stats.bytesOut += data.length;
    return true;
  }

  /** Closes the socket; every agent is told its tuples on this mux are gone. Idempotent. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    const routes = [...this.routes.values()];
    this.routes.clear();
    this.listeners.clear();
    this.closing = new Promise((resolve) => this.socket.close(() => resolve()));
    for (const route of routes) {
      try {
        route.listener.onTupleClosed(route.tuple);
      } catch (error) {
        this.stats.internalErrors++;
        this.log.error({ err: error }, 'error closing an ICE tuple');
      }
    }
    return this.closing;
  }

  private onDatagram(data: Buffer, rinfo: RemoteInfo): void {
    this.stats.packetsIn++;
    this.stats.bytesIn += data.length;
    const kind = classifyPacket(data);
    if (kind === 'stun') {
      this.onStun(data, rinfo);
      return;
    }
    const route = this.routes.get(remoteKey(rinfo.address, rinfo.port));
    if (!route) {
      this.stats.droppedUnknownAddress++;
      return;
    }
    if (!isMediaPacketKind(kind)) {
      this.stats.droppedUnsupported++;
      return;
    }
    route.listener.onPacket(data, kind, route.tuple);
  }

  private onStun(data: Buffer, rinfo: RemoteInfo): void {
    const decoded = decodeMessage(data);
    if (!decoded.ok) {
      this.stats.droppedMalformed++;
      return;
    }
    const message = decoded.message;
    if (message.method !== Method.Binding || message.messageClass !== MessageClass.Request) {
      this.stats.ignoredStun++;
      return;
    }
    const route = this.routes.get(remoteKey(rinfo.address, rinfo.port));
    const username = message.get(AttributeType.Username);
    // RFC 8445 §7.3: the ufrag picks the agent; a request without USERNAME from a
    // validated address still goes to its agent, which answers 400.
    const listener = username ? this.listeners.get(localUfragOf(username)) : route?.listener;
    if (!listener) {
      this.stats.droppedUnknownUfrag++;
      return;
    }
    const tuple =
      route && route.listener === listener
        ? route.tuple
        : new UdpTuple(this, {
            family: rinfo.family === 'IPv6' ? 6 : 4,
            address: rinfo.address,
            port: rinfo.port,
          });
    listener.onBindingRequest(message, tuple);
  }
}

/** The address to announce, or an error when there is none usable. */
export function announcedAddressOf(
  bindAddress: string,
  announcedAddress: string | undefined,
): string | IceError {
  if (announcedAddress !== undefined) {
    const canonical = canonicalIp(announcedAddress);
    if (!canonical) {
      return new IceError(
        'ERR_ICE_INVALID_OPTION',
        `announced address "${announcedAddress}" is not an IP literal`,
      );
    }
    return canonical;
  }
  const canonical = canonicalIp(bindAddress) ?? bindAddress;
  if (WILDCARDS.has(canonical)) {
    return new IceError('ERR_ICE_INVALID_OPTION', `binding ${bindAddress} needs an announced address`);
  }
  return canonical;
}
