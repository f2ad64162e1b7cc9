/**
 * The STUN/TURN server: RFC 8489 Binding, RFC 8656 TURN over UDP, TCP and
 * TLS, and RFC 6062 TCP allocations.
 *
 * Every listener answers Binding requests without authentication and TURN
 * requests with long-term credentials. Authentication happens before any
 * resource is taken, so a request that fails it costs no allocation and no
 * port. Malformed datagrams are counted by reason and dropped; no input ends
 * the process.
 *
 * The request handling is the same on every transport: a request arrives with
 * its ClientPath (a UDP 5-tuple, or a TCP/TLS connection) and the table its
 * allocation lives in (the UDP listener's map, or the connection's).
 */

import { randomFillSync } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createSecureContext, type SecureContext } from 'node:tls';
import {
  AddressFamily,
  AttributeType,
  decodeMessage,
  decodePasswordAlgorithm,
  ErrorCode,
  encodePasswordAlgorithms,
  type IntegrityAlgorithm,
  isComprehensionRequired,
  MessageClass,
  Method,
  methodNames,
  NonceManager,
  PasswordAlgorithm,
  type StunMessage,
  StunMessageBuilder,
  TransportProtocol,
} from '../stun/index.js';
import { canonicalIp, ipFamily, type TransportAddress } from '../util/ip.js';
import { type Log, silentLog } from '../util/log.js';
import { RateLimiter } from '../util/rate-limiter.js';
import { createLiteralSocket } from '../util/udp.js';
import {
  Allocation,
  type AllocationTable,
  type ClientPath,
  type PeerConnection,
  type Relay,
  type TcpRelay,
} from './allocation.js';
import { type CredentialCandidate, TurnAuthenticator } from './auth.js';
import { ByteRateLimiter, takeAll } from './bandwidth.js';
import { decodeChannelData, encodeChannelData, isChannelData, isValidChannel } from './channel-data.js';
import { TurnError } from './errors.js';
import type { ListenAddress, TlsCredentials, TurnServerOptions } from './options.js';
import { PeerFilter } from './peer-filter.js';
import { type BoundSocket, PortPool } from './port-pool.js';
import { type AllocationQuota, LocalQuota } from './quota.js';
import { TurnStats } from './stats.js';
import { type StreamConnection, StreamListener, type StreamMode } from './stream-listener.js';

export { TurnStats } from './stats.js';

/** How long an EVEN-PORT reservation is held (RFC 8656 §7.2: "about 30 seconds"). */
const RESERVATION_LIFETIME_MS = 30_000;
/** RFC 6062 §5.2, §5.3: a peer connection not bound by the client within 30 s is closed. */
export const CONNECTION_BIND_TIMEOUT_MS = 30_000;
/** RFC 6062 §5.2: the server waits at least 30 s for a connection to a peer. */
export const PEER_CONNECT_TIMEOUT_MS = 30_000;
/** Peer data held for a connection not yet bound; past it the peer socket is paused (TCP flow control). */
const PEER_BUFFER_BYTES = 64 * 1024;
/** Peer connections one TCP allocation may hold, pending or bound. */
const MAX_PEER_CONNECTIONS = 128;

/** Attributes this server understands in requests; anything else below 0x8000 earns a 420. */
const KNOWN_ATTRIBUTES = new Set<number>(Object.values(AttributeType));

/** A bound UDP socket and the allocations made through it. */
interface UdpListener extends AllocationTable {
  socket: Socket;
  host: string;
  port: number;
  family: 4 | 6;
}

/** A request being processed. */
interface Request {
  path: ClientPath;
  table: AllocationTable;
  /** The TCP/TLS connection it came on, if any. */
  connection: StreamConnection | undefined;
  message: StunMessage;
  credential?: CredentialCandidate;
  integrity?: IntegrityAlgorithm;
}

/** Gauges of a server, counted when asked. */
export interface TurnGauges {
  allocations: number;
  permissions: number;
  channels: number;
  streamConnections: number;
  peerConnections: number;
}

/** A bound listening address as the server reports it. */
export interface BoundListenAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/** An EVEN-PORT reservation: the odd port held for a later Allocate with RESERVATION-TOKEN. */
interface Reservation {
  relay: Relay;
  expiresAt: number;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Unwraps "::ffff:1.2.3.4" as seen on a dual-stack socket. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** The client's transport address as XOR-MAPPED-ADDRESS reports it. */
function clientTransportAddress(path: { address: string; port: number }): TransportAddress {
  const address = unmapped(path.address);
  return { family: ipFamily(address) === 6 ? 6 : 4, address, port: path.port };
}

/** The ClientPath of a datagram on a UDP listener. */
function udpPath(listener: UdpListener, rinfo: RemoteInfo): ClientPath {
  const { address, port } = rinfo;
  const key = `${address}|${port}`;
  return {
    protocol: 'udp',
    address,
    port,
    key,
    nonceKey: key,
    stream: false,
    send: (data) => {
      listener.socket.send(data, port, address);
      return true;
    },
  };
}

function firstInterfaceAddress(family: 4 | 6): string | undefined {
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.internal || entry.family !== (family === 4 ? 'IPv4' : 'IPv6')) continue;
      if (family === 6 && (entry.scopeid ?? 0) !== 0) continue; // no link-local relays
      return entry.address;
    }
  }
  return undefined;
}

/**
 * The TLS context of TURN over TLS (TLS 1.2 and 1.3). Throws a TurnError
 * (ERR_TURN_INVALID_OPTION) when the certificate or key does not load.
 */
export function createTlsContext(credentials: TlsCredentials): SecureContext {
  try {
    return createSecureContext({ cert: credentials.cert, key: credentials.key, minVersion: 'TLSv1.2' });
  } catch (error) {
    throw new TurnError(
      'ERR_TURN_INVALID_OPTION',
      `TLS certificate or key does not load: ${(error as Error).message}`,
    );
  }
}

/** A STUN/TURN server over UDP, TCP and TLS. */
export class TurnServer {
  /** Counters for metrics and tests. */
  readonly stats = new TurnStats();
  private readonly options: TurnServerOptions;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly auth: TurnAuthenticator;
  private readonly nonces: NonceManager;
  private readonly peers: PeerFilter;
  private readonly ports: PortPool;
  private readonly unauthenticatedLimiter: RateLimiter;
  private readonly passwordAlgorithms: Buffer;
  private readonly maxLifetimeMs: number;
  private readonly defaultLifetimeMs: number;
  private readonly software: string;
  private readonly listeners: UdpListener[] = [];
  private readonly streamListeners: StreamListener[] = [];
  private readonly streamConnections = new Set<StreamConnection>();
  private readonly relayHosts = new Map<4 | 6, { host: string; advertisedHost: string }>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly quota: AllocationQuota;
  /** Every live allocation, whatever its table. */
  private readonly liveAllocations = new Set<Allocation>();
  /** RFC 6062 peer connections by CONNECTION-ID. */
  private readonly peerConnections = new Map<number, PeerConnection>();
  private nextConnectionId = 1;
  /** Per-user bandwidth buckets by quota key, while the user has allocations. */
  private readonly userLimiters = new Map<string, ByteRateLimiter>();
  private readonly serverLimiter: ByteRateLimiter | undefined;
  private secureContext: SecureContext | undefined;
  private allocationCount = 0;
  private draining = false;
  private accepting: boolean;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: TurnServerOptions) {
    this.options = options;
    this.log = options.log ?? silentLog;
    this.now = options.now ?? Date.now;
    if (!options.realm) throw new TurnError('ERR_TURN_INVALID_OPTION', 'realm must not be empty');
    this.auth = new TurnAuthenticator({
      realm: options.realm,
      users: options.users,
      authSecrets: options.authSecrets,
      now: this.now,
    });
    this.nonces = new NonceManager({
      lifetimeSeconds: options.nonceLifetimeSeconds ?? 600,
      now: this.now,
      ...(options.nonceKey ? { key: options.nonceKey } : {}),
    });
    this.peers = new PeerFilter({
      allowLoopback: options.allowLoopbackPeers,
      allow: options.allowPeers,
      deny: options.denyPeers,
    });
    this.ports = new PortPool(options.minPort ?? 49152, options.maxPort ?? 65535);
    this.quota = options.quota ?? new LocalQuota(options.userQuota ?? 0, options.totalQuota ?? 0);
    const rate = options.unauthenticatedRateLimit ?? 50;
    this.unauthenticatedLimiter = new RateLimiter({ perSecond: rate, burst: rate * 2, now: this.now });
    this.passwordAlgorithms = encodePasswordAlgorithms([PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256]);
    this.maxLifetimeMs = (options.maxLifetimeSeconds ?? 3600) * 1000;
    this.defaultLifetimeMs = Math.min((options.defaultLifetimeSeconds ?? 600) * 1000, this.maxLifetimeMs);
    this.software = options.software ?? 'Switchboard';
    this.accepting = options.startPaused !== true;
    if ((options.totalBandwidth ?? 0) > 0) {
      this.serverLimiter = new ByteRateLimiter(options.totalBandwidth!, this.now());
    }
    if (options.tls) this.secureContext = this.buildSecureContext(options.tls);
    if ((options.tlsListen?.length ?? 0) > 0 && !this.secureContext) {
      throw new TurnError('ERR_TURN_INVALID_OPTION', 'a TLS listener needs a certificate and a key');
    }
  }

  /** The bound `listen` addresses, each serving UDP and TCP (actual ports when 0 was asked for). */
  get addresses(): BoundListenAddress[] {
    return this.listeners.map(({ host, port, family }) => ({ host, port, family }));
  }

  /** The bound TLS-only listeners. */
  get tlsAddresses(): BoundListenAddress[] {
    return this.streamListeners
      .filter((listener) => listener.mode === 'tls')
      .map(({ host, port, family }) => ({ host, port, family }));
  }

  /** The relay addresses in use per family: bound host and advertised host. */
  get relayAddresses(): { family: 4 | 6; host: string; advertisedHost: string }[] {
    return [...this.relayHosts].map(([family, relay]) => ({ family, ...relay }));
  }

  /** Number of live allocations. */
  get allocations(): number {
    return this.allocationCount;
  }

  /** True while the server refuses new allocations (see `drain`). */
  get isDraining(): boolean {
    return this.draining;
  }

  /** Gauges for metrics, counted now: permissions, channels and connections of live allocations. */
  gauges(): TurnGauges {
    const now = this.now();
    let permissions = 0;
    let channels = 0;
    for (const allocation of this.liveAllocations) {
      for (const expiresAt of allocation.permissions.values()) if (expiresAt > now) permissions++;
      for (const channel of allocation.channelsByNumber.values()) if (channel.expiresAt > now) channels++;
    }
    return {
      allocations: this.allocationCount,
      permissions,
      channels,
      streamConnections: this.streamConnections.size,
      peerConnections: this.peerConnections.size,
    };
  }

  /** Stats and gauges as of now (the backend interface the service layer uses). */
  async snapshot(): Promise<{ stats: TurnStats; gauges: TurnGauges }> {
    return { stats: { ...this.stats }, gauges: this.gauges() };
  }

  /**
   * Drain mode: new allocations are refused (300 Try Alternate with
   * ALTERNATE-SERVER when one is configured, else 508) while existing ones
   * run until they expire or are deleted. Idempotent.
   */
  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.log.info(
      { allocations: this.allocationCount, alternateServer: this.options.alternateServer },
      'draining: new allocations are refused',
    );
  }

  /**
   * Replaces the TLS certificate and key. New TLS connections use them;
   * connections and allocations that exist are left alone. Throws (keeping
   * the old credentials) when they do not load.
   */
  setTlsCredentials(credentials: TlsCredentials): void {
    this.secureContext = this.buildSecureContext(credentials);
  }

  private buildSecureContext(credentials: TlsCredentials): SecureContext {
    return createTlsContext(credentials);
  }

  /** Binds every listener and starts the expiry sweep. */
  async start(): Promise<void> {
    if (this.options.listen.length === 0 && (this.options.tlsListen?.length ?? 0) === 0) {
      throw new TurnError('ERR_TURN_INVALID_OPTION', 'no listen address');
    }
    this.resolveRelayHosts();
    try {
      for (const address of this.options.listen) await this.bindUdpAndTcp(address);
      for (const address of this.options.tlsListen ?? []) {
        await this.bindStream(address, address.port, 'tls');
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    const interval = this.options.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), interval);
      this.sweepTimer.unref();
    }
    this.log.info(
      {
        listen: this.addresses,
        tls: this.tlsAddresses,
        relays: this.relayAddresses,
        realm: this.options.realm,
      },
      'turn server listening',
    );
  }

  private resolveRelayHosts(): void {
    const explicit = this.options.relayIps ?? [];
    for (const text of explicit) {
      const family = ipFamily(text);
      if (family === 0)
        throw new TurnError('ERR_TURN_INVALID_OPTION', `relay-ip "${text}" is not an IP address`);
      if (!this.relayHosts.has(family))
        this.relayHosts.set(family, { host: canonicalIp(text)!, advertisedHost: '' });
    }
    if (explicit.length === 0) {
      for (const { host } of [...this.options.listen, ...(this.options.tlsListen ?? [])]) {
        const family = ipFamily(host);
        if (family === 0)
          throw new TurnError('ERR_TURN_INVALID_OPTION', `listen host "${host}" is not an IP address`);
        if (this.relayHosts.has(family)) continue;
        const relayHost = isWildcard(host) ? firstInterfaceAddress(family) : canonicalIp(host);
        if (relayHost) this.relayHosts.set(family, { host: relayHost, advertisedHost: '' });
        // A dual-stack wildcard listener can relay IPv4 too.
        if (host === '::' && !this.relayHosts.has(4)) {
          const v4 = firstInterfaceAddress(4);
          if (v4) this.relayHosts.set(4, { host: v4, advertisedHost: '' });
        }
      }
      if (this.relayHosts.size === 0) this.relayHosts.set(4, { host: '127.0.0.1', advertisedHost: '' });
    }
    for (const relay of this.relayHosts.values()) relay.advertisedHost = relay.host;
    for (const text of this.options.externalIps ?? []) {
      const [publicText, privateText] = text.split('/');
      const publicIp = canonicalIp(publicText);
      const privateIp = privateText === undefined ? undefined : canonicalIp(privateText);
      if (!publicIp || (privateText !== undefined && !privateIp)) {
        throw new TurnError(
          'ERR_TURN_INVALID_OPTION',
          `external-ip "${text}" is not PUBLIC or PUBLIC/PRIVATE`,
        );
      }
      for (const [family, relay] of this.relayHosts) {
        if (privateIp ? relay.host === privateIp : family === ipFamily(publicIp))
          relay.advertisedHost = publicIp;
      }
    }
  }

  /**
   * Binds UDP and, unless turned off, TCP on the same address and port (with
   * TLS told apart by its first byte when a certificate is configured). Port
   * 0 picks a port free for both.
   */
  private async bindUdpAndTcp(address: ListenAddress): Promise<void> {
    const withTcp = this.options.tcp !== false;
    for (let attempt = 0; ; attempt++) {
      const udp = await this.bindListener(address);
      if (!withTcp) {
        this.listeners.push(udp);
        return;
      }
      try {
        await this.bindStream(address, udp.port, this.secureContext ? 'auto' : 'tcp');
        this.listeners.push(udp);
        return;
      } catch (error) {
        await new Promise<void>((resolve) => udp.socket.close(() => resolve()));
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        // With port 0 the UDP port was free but its TCP twin was not: pick another.
        if (address.port !== 0 || !inUse || attempt >= 20) throw error;
      }
    }
  }

  private async bindStream(address: ListenAddress, port: number, mode: StreamMode): Promise<void> {
    const family = ipFamily(address.host);
    if (family === 0)
      throw new TurnError('ERR_TURN_INVALID_OPTION', `listen host "${address.host}" is not an IP address`);
    const listener = new StreamListener({
      host: address.host,
      port,
      family,
      mode,
      secureContext: () => this.secureContext,
      onConnection: (connection) => this.onStreamConnection(connection),
      maxConnections: this.options.maxStreamConnections ?? 10_000,
      log: this.log,
      onRejected: () => {
        this.stats.streamConnectionsRejected++;
      },
    });
    await listener.listen();
    this.streamListeners.push(listener);
  }

  private bindListener(address: ListenAddress): Promise<UdpListener> {
    const family = ipFamily(address.host);
    if (family === 0)
      throw new TurnError('ERR_TURN_INVALID_OPTION', `listen host "${address.host}" is not an IP address`);
    return new Promise((resolve, reject) => {
      const socket = createLiteralSocket(family, {
        ipv6Only: false,
        // Several threads share the port; the kernel keeps each client's datagrams on one of them.
        ...(this.options.reusePort ? { reusePort: true } : {}),
        recvBufferSize: 4 * 1024 * 1024,
        sendBufferSize: 4 * 1024 * 1024,
      });
      socket.once('error', reject);
      socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
        socket.off('error', reject);
        const listener: UdpListener = {
          socket,
          host: address.host,
          port: socket.address().port,
          family,
          allocations: new Map(),
          pending: new Map(),
        };
        socket.on('message', (data, rinfo) => {
          try {
            this.onDatagram(listener, data, rinfo);
          } catch (error) {
            this.stats.internalErrors++;
            this.log.error({ err: error, client: rinfo.address }, 'error handling a datagram');
          }
        });
        socket.on('error', (error) => this.log.warn({ err: error }, 'listener socket error'));
        resolve(listener);
      });
    });
  }

  private onStreamConnection(connection: StreamConnection): void {
    if (this.closed) {
      connection.destroy();
      return;
    }
    this.stats.streamConnectionsAccepted++;
    this.streamConnections.add(connection);
    connection.onFrame = (frame) => {
      try {
        this.onClientMessage(connection.path, connection, connection, frame);
      } catch (error) {
        this.stats.internalErrors++;
        this.log.error({ err: error, client: connection.path.address }, 'error handling a stream message');
      }
    };
    connection.onProtocolError = () => {
      this.stats.droppedMalformed++;
    };
    connection.onClose = () => {
      this.streamConnections.delete(connection);
      // RFC 8656 §3.1 / RFC 6062 §5: an allocation made over a connection ends with it.
      for (const allocation of connection.allocations.values()) this.deleteAllocation(allocation, 'deleted');
    };
  }

  /** Starts handling UDP datagrams after `startPaused`. */
  acceptTraffic(): void {
    this.accepting = true;
  }

  /** Entry point for every datagram a client sends on a UDP listener (RFC 7983 demultiplexing). */
  private onDatagram(listener: UdpListener, data: Buffer, rinfo: RemoteInfo): void {
    if (!this.accepting) return;
    if (isChannelData(data)) {
      const allocation = listener.allocations.get(`${rinfo.address}|${rinfo.port}`);
      this.onChannelData(allocation, data);
      return;
    }
    this.onClientMessage(udpPath(listener, rinfo), listener, undefined, data);
  }

  /** A STUN or ChannelData message from a client, on any transport. */
  private onClientMessage(
    path: ClientPath,
    table: AllocationTable,
    connection: StreamConnection | undefined,
    data: Buffer,
  ): void {
    if (isChannelData(data)) {
      this.onChannelData(table.allocations.get(path.key), data);
      return;
    }
    if (data.length === 0 || data[0] > 3) {
      this.stats.droppedMalformed++;
      return;
    }
    const decoded = decodeMessage(data);
    if (!decoded.ok) {
      this.stats.droppedMalformed++;
      this.log.debug({ client: path.address, reason: decoded.error.code }, 'dropped malformed STUN');
      return;
    }
    const message = decoded.message;
    const request: Request = { path, table, connection, message };
    switch (message.messageClass) {
      case MessageClass.Request:
        this.onRequest(request);
        return;
      case MessageClass.Indication:
        if (message.method === Method.Send && message.hasMagicCookie) this.onSendIndication(request);
        else this.stats.droppedUnexpected++;
        return;
      default:
        this.stats.droppedUnexpected++;
    }
  }

  private onRequest(request: Request): void {
    const { message } = request;
    if (message.method === Method.Binding) {
      this.onBinding(request);
      return;
    }
    if (!message.hasMagicCookie) {
      this.stats.droppedMalformed++;
      return;
    }
    const method = message.method;
    if (
      method !== Method.Allocate &&
      method !== Method.Refresh &&
      method !== Method.CreatePermission &&
      method !== Method.ChannelBind &&
      method !== Method.Connect &&
      method !== Method.ConnectionBind
    ) {
      this.sendError(request, ErrorCode.BadRequest, `${methodNames.get(method) ?? 'method'} not supported`);
      return;
    }
    if (request.connection?.isDataConnection) {
      // Cannot happen: a data connection is no longer framed. Kept as a guard.
      this.stats.droppedUnexpected++;
      return;
    }
    if ((method === Method.Connect || method === Method.ConnectionBind) && !request.path.stream) {
      // RFC 6062 §5.2, §5.4: these need a TCP or TLS connection.
      this.sendError(request, ErrorCode.BadRequest, `${methodNames.get(method)} needs TCP or TLS`);
      return;
    }
    if (!this.authenticate(request)) return;
    const unknown = request.message.attributes
      .map((attribute) => attribute.type)
      .filter((type) => isComprehensionRequired(type) && !KNOWN_ATTRIBUTES.has(type));
    if (unknown.length > 0) {
      this.sendError(request, ErrorCode.UnknownAttribute, undefined, (b) => b.addUnknownAttributes(unknown));
      return;
    }
    switch (method) {
      case Method.Allocate:
        void this.onAllocate(request).catch((error) => {
          this.stats.internalErrors++;
          this.log.error({ err: error }, 'allocate failed');
        });
        return;
      case Method.Refresh:
        this.onRefresh(request);
        return;
      case Method.CreatePermission:
        this.onCreatePermission(request);
        return;
      case Method.ChannelBind:
        this.onChannelBind(request);
        return;
      case Method.Connect:
        this.onConnect(request);
        return;
      case Method.ConnectionBind:
        this.onConnectionBind(request);
        return;
    }
  }

  // ---- Binding (RFC 8489 §12) ----

  private onBinding(request: Request): void {
    if (!this.unauthenticatedLimiter.take(request.path.address)) {
      this.stats.droppedRateLimited++;
      return;
    }
    this.stats.bindingRequests++;
    const { message } = request;
    const mapped = clientTransportAddress(request.path);
    const builder = StunMessageBuilder.response(message, MessageClass.SuccessResponse);
    if (message.hasMagicCookie) {
      builder.addXorAddress(AttributeType.XorMappedAddress, mapped);
      builder.addAddress(AttributeType.MappedAddress, mapped);
      if (this.software) builder.add(AttributeType.Software, this.software);
      if (message.has(AttributeType.Fingerprint)) builder.addFingerprint();
    } else {
      // RFC 3489 client: MAPPED-ADDRESS only, cookie field echoed (RFC 8489 §12).
      builder.addAddress(AttributeType.MappedAddress, mapped);
    }
    this.sendControl(request, builder.build());
  }

  // ---- Authentication (RFC 8489 §9.2.4) ----

  private authenticate(request: Request): boolean {
    const { message } = request;
    const client = request.path.nonceKey;
    if (!message.has(AttributeType.MessageIntegrity) && !message.has(AttributeType.MessageIntegritySha256)) {
      this.challenge(request, ErrorCode.Unauthorized);
      return false;
    }
    const username = message.getString(AttributeType.Username);
    const userhash = message.get(AttributeType.Userhash);
    const realm = message.getString(AttributeType.Realm);
    const nonce = message.getString(AttributeType.Nonce);
    if ((username === undefined && userhash === undefined) || realm === undefined || nonce === undefined) {
      this.stats.authFailures++;
      this.sendError(request, ErrorCode.BadRequest, 'Missing USERNAME, REALM or NONCE');
      return false;
    }
    const nonceState = this.nonces.check(nonce, client);
    if (nonceState !== 'valid') {
      this.stats.authFailures++;
      this.challenge(request, ErrorCode.StaleNonce);
      return false;
    }
    // Password algorithm negotiation (RFC 8489 §9.2.4, bid-down protection).
    let algorithm: PasswordAlgorithm = PasswordAlgorithm.MD5;
    const offered = message.get(AttributeType.PasswordAlgorithms);
    const chosen = message.get(AttributeType.PasswordAlgorithm);
    if (offered !== undefined || chosen !== undefined) {
      const entry = chosen && decodePasswordAlgorithm(chosen);
      if (
        !offered ||
        !entry ||
        !offered.equals(this.passwordAlgorithms) ||
        (entry.algorithm !== PasswordAlgorithm.MD5 && entry.algorithm !== PasswordAlgorithm.SHA256)
      ) {
        this.stats.authFailures++;
        this.sendError(request, ErrorCode.BadRequest, 'Bad PASSWORD-ALGORITHM(S)');
        return false;
      }
      algorithm = entry.algorithm as PasswordAlgorithm;
    }
    if (realm !== this.options.realm) {
      this.rejectCredentials(request, 'realm mismatch');
      return false;
    }
    const name = username ?? this.auth.usernameForUserhash(userhash!);
    if (name === undefined) {
      this.rejectCredentials(request, 'unknown userhash');
      return false;
    }
    const candidates = this.auth.candidates(name, algorithm);
    if (typeof candidates === 'string') {
      this.rejectCredentials(request, candidates === 'expired' ? 'expired REST credential' : 'unknown user');
      return false;
    }
    for (const candidate of candidates) {
      const verified = message.checkIntegrity(candidate.key);
      if (verified === 'sha1' || verified === 'sha256') {
        request.credential = candidate;
        request.integrity = verified;
        return true;
      }
    }
    this.rejectCredentials(request, 'integrity check failed');
    return false;
  }

  private rejectCredentials(request: Request, reason: string): void {
    this.stats.authFailures++;
    // The username is not a secret; the password and key never reach a log.
    this.log.debug(
      { client: request.path.address, username: request.message.getString(AttributeType.Username), reason },
      'authentication failed',
    );
    this.challenge(request, ErrorCode.Unauthorized);
  }

  /** A 401 or 438 with a fresh nonce and the realm (RFC 8489 §9.2.4). */
  private challenge(request: Request, code: number): void {
    this.sendError(request, code, undefined, (builder) => {
      builder.add(AttributeType.Realm, this.options.realm);
      builder.add(AttributeType.Nonce, this.nonces.issue(request.path.nonceKey));
      if (this.nonces.advertisesPasswordAlgorithms) {
        builder.add(AttributeType.PasswordAlgorithms, this.passwordAlgorithms);
      }
    });
  }

  // ---- Allocate (RFC 8656 §7.2, RFC 6062 §5.1) ----

  private async onAllocate(request: Request): Promise<void> {
    const { path, table, message } = request;
    const transaction = message.transactionId.toString('hex');
    const existing = table.allocations.get(path.key);
    if (existing) {
      if (existing.allocateTransaction === transaction && existing.allocateResponse) {
        // A retransmission whose response was lost: answer it again (RFC 8656 §7.2).
        path.send(existing.allocateResponse);
      } else {
        this.sendError(request, ErrorCode.AllocationMismatch);
      }
      return;
    }
    const pending = table.pending.get(path.key);
    if (pending !== undefined) {
      // Still binding ports for this client; a retransmission is answered when that finishes.
      if (pending !== transaction) this.sendError(request, ErrorCode.AllocationMismatch);
      return;
    }

    const transportValue = message.get(AttributeType.RequestedTransport);
    if (transportValue?.length !== 4) {
      this.sendError(request, ErrorCode.BadRequest, 'Missing REQUESTED-TRANSPORT');
      return;
    }
    const transport = transportValue[0];
    if (transport !== TransportProtocol.UDP && transport !== TransportProtocol.TCP) {
      this.sendError(request, ErrorCode.UnsupportedTransportProtocol);
      return;
    }
    const tcpAllocation = transport === TransportProtocol.TCP;
    const evenPort = message.get(AttributeType.EvenPort);
    const token = message.get(AttributeType.ReservationToken);
    const requestedFamilyValue = message.get(AttributeType.RequestedAddressFamily);
    const additionalFamilyValue = message.get(AttributeType.AdditionalAddressFamily);
    if (tcpAllocation) {
      // RFC 6062 §5.1: TCP allocations over TCP/TLS only, without the UDP-only attributes.
      if (!path.stream) {
        this.sendError(request, ErrorCode.BadRequest, 'TCP allocations need a TCP or TLS connection');
        return;
      }
      if (evenPort || token || message.has(AttributeType.DontFragment) || additionalFamilyValue) {
        this.sendError(request, ErrorCode.BadRequest, 'Attribute not allowed in a TCP allocation');
        return;
      }
    }
    if (evenPort && evenPort.length !== 1) {
      this.sendError(request, ErrorCode.BadRequest, 'Bad EVEN-PORT');
      return;
    }
    if (token && (token.length !== 8 || evenPort || requestedFamilyValue || additionalFamilyValue)) {
      this.sendError(request, ErrorCode.BadRequest, 'RESERVATION-TOKEN with EVEN-PORT or an address family');
      return;
    }
    if (requestedFamilyValue && additionalFamilyValue) {
      this.sendError(request, ErrorCode.BadRequest, 'REQUESTED- and ADDITIONAL-ADDRESS-FAMILY together');
      return;
    }
    let families: (4 | 6)[] = [4];
    if (requestedFamilyValue) {
      const family = requestedFamilyValue.length === 4 ? requestedFamilyValue[0] : 0;
      if (family !== AddressFamily.IPv4 && family !== AddressFamily.IPv6) {
        this.sendError(request, ErrorCode.AddressFamilyNotSupported);
        return;
      }
      families = [family === AddressFamily.IPv4 ? 4 : 6];
    }
    let ipv6Error = false;
    if (additionalFamilyValue) {
      if (additionalFamilyValue.length !== 4 || additionalFamilyValue[0] !== AddressFamily.IPv6) {
        this.sendError(request, ErrorCode.BadRequest, 'ADDITIONAL-ADDRESS-FAMILY must be IPv6');
        return;
      }
      if (this.relayHosts.has(6)) families = [4, 6];
      else ipv6Error = true;
    }
    if (!token) {
      for (const family of families) {
        if (!this.relayHosts.has(family)) {
          this.sendError(request, ErrorCode.AddressFamilyNotSupported);
          return;
        }
      }
    }
    if (this.draining) {
      this.stats.refusedDraining++;
      const alternate = this.options.alternateServer;
      if (alternate) {
        this.sendError(request, ErrorCode.TryAlternate, 'Server is draining', (builder) =>
          builder.addAddress(AttributeType.AlternateServer, alternate),
        );
      } else {
        this.sendError(request, ErrorCode.InsufficientCapacity, 'Server is draining');
      }
      return;
    }
    const credential = request.credential!;
    let reservation: Reservation | undefined;
    if (token) {
      table.pending.set(path.key, transaction);
      reservation = await this.takeReservation(token);
      table.pending.delete(path.key);
      if (!reservation) {
        this.sendError(request, ErrorCode.InsufficientCapacity, 'Unknown or expired RESERVATION-TOKEN');
        return;
      }
    }

    // Everything validated: take a quota slot, then ports. Retransmissions meanwhile wait.
    table.pending.set(path.key, transaction);
    const refusal = await this.quota.acquire(credential.quotaKey);
    if (refusal) {
      table.pending.delete(path.key);
      if (reservation) this.ports.release(reservation.relay.host, reservation.relay.bound);
      if (refusal === 'user') this.sendError(request, ErrorCode.AllocationQuotaReached);
      else this.sendError(request, ErrorCode.InsufficientCapacity);
      return;
    }
    const relays: Relay[] = [];
    let tcpRelay: TcpRelay | undefined;
    let reservedToken: Buffer | undefined;
    const releaseAll = () => {
      for (const relay of relays) this.ports.release(relay.host, relay.bound);
      if (tcpRelay) this.ports.release(tcpRelay.host, tcpRelay.bound);
    };
    try {
      if (reservation) {
        relays.push(reservation.relay);
      } else if (tcpAllocation) {
        const host = this.relayHosts.get(families[0])!;
        const bound = await this.ports.bindTcp(host.host, families[0]);
        tcpRelay = { family: families[0], host: host.host, advertisedHost: host.advertisedHost, bound };
      } else {
        const reserveNext = evenPort !== undefined && (evenPort[0] & 0x80) !== 0;
        for (const family of families) {
          const host = this.relayHosts.get(family)!;
          const bound = await this.ports.bind(host.host, family, {
            even: evenPort !== undefined && family === families[0],
            reserveNext: reserveNext && family === families[0],
          });
          relays.push({ family, host: host.host, advertisedHost: host.advertisedHost, bound: bound.primary });
          if (bound.reserved) {
            reservedToken = this.reserve({
              family,
              host: host.host,
              advertisedHost: host.advertisedHost,
              bound: bound.reserved,
            });
          }
        }
      }
    } catch (error) {
      releaseAll();
      this.unpend(table, path.key, credential.quotaKey);
      if (this.closed) return;
      this.log.warn({ err: error }, 'no relay port');
      this.sendError(request, ErrorCode.InsufficientCapacity);
      return;
    }
    table.pending.delete(path.key);
    if (this.closed || request.connection?.isClosed) {
      // The server or the client's connection closed while ports were being bound.
      releaseAll();
      this.quota.release(credential.quotaKey);
      return;
    }

    const now = this.now();
    const allocation = new Allocation({
      clientAddress: path.address,
      clientPort: path.port,
      username: credential.username,
      quotaKey: credential.quotaKey,
      relays,
      expiresAt: now + this.grantedLifetimeMs(message),
    });
    allocation.path = path;
    allocation.table = table;
    allocation.tcpRelay = tcpRelay;
    allocation.limiters = this.limitersFor(credential.quotaKey, now);
    for (const relay of relays) {
      relay.bound.socket.on('message', (data, rinfo) => {
        try {
          this.onPeerDatagram(allocation, relay, data, rinfo);
        } catch (error) {
          this.stats.internalErrors++;
          this.log.error({ err: error }, 'error relaying a datagram');
        }
      });
      relay.bound.socket.on('error', (error) => this.log.warn({ err: error }, 'relay socket error'));
    }
    if (tcpRelay) {
      tcpRelay.bound.server.on('connection', (socket) => this.onPeerTcpConnection(allocation, socket));
      tcpRelay.bound.server.on('error', (error) => this.log.warn({ err: error }, 'TCP relay error'));
    }
    table.allocations.set(path.key, allocation);
    this.liveAllocations.add(allocation);
    this.allocationCount++;
    this.stats.allocationsCreated++;

    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    for (const relayed of this.relayedAddresses(allocation)) {
      builder.addXorAddress(AttributeType.XorRelayedAddress, relayed);
    }
    if (ipv6Error) {
      // RFC 8656 §7.2: IPv4 granted, IPv6 refused, reported in ADDRESS-ERROR-CODE.
      const value = Buffer.alloc(4 + 28);
      value[0] = AddressFamily.IPv6;
      value[2] = 4;
      value[3] = 40;
      value.write('Address Family not Supported', 4, 'utf8');
      builder.add(AttributeType.AddressErrorCode, value);
    }
    builder.addUint32(AttributeType.Lifetime, Math.floor((allocation.expiresAt - now) / 1000));
    if (reservedToken) builder.add(AttributeType.ReservationToken, reservedToken);
    builder.addXorAddress(AttributeType.XorMappedAddress, clientTransportAddress(path));
    const response = this.finish(request, builder);
    allocation.allocateTransaction = transaction;
    allocation.allocateResponse = response;
    this.sendControl(request, response);
    this.log.debug(
      {
        client: clientTransportAddress(path),
        protocol: path.protocol,
        username: credential.username,
        relayed: this.relayedAddresses(allocation).map((relayed) => `${relayed.address}:${relayed.port}`),
      },
      'allocation created',
    );
  }

  /** XOR-RELAYED-ADDRESS values of an allocation. */
  private relayedAddresses(allocation: Allocation): TransportAddress[] {
    const { tcpRelay } = allocation;
    if (tcpRelay) {
      return [{ family: tcpRelay.family, address: tcpRelay.advertisedHost, port: tcpRelay.bound.port }];
    }
    return allocation.relays.map((relay) => ({
      family: relay.family,
      address: relay.advertisedHost,
      port: relay.bound.port,
    }));
  }

  /** The bandwidth buckets a new allocation of the user charges, creating the user's when capped. */
  private limitersFor(quotaKey: string, now: number): ByteRateLimiter[] {
    const limiters: ByteRateLimiter[] = [];
    const perAllocation = this.options.allocationBandwidth ?? 0;
    if (perAllocation > 0) limiters.push(new ByteRateLimiter(perAllocation, now));
    const perUser = this.options.userBandwidth ?? 0;
    if (perUser > 0) {
      let limiter = this.userLimiters.get(quotaKey);
      if (!limiter) {
        limiter = new ByteRateLimiter(perUser, now);
        this.userLimiters.set(quotaKey, limiter);
      }
      limiter.users++;
      limiters.push(limiter);
    }
    if (this.serverLimiter) limiters.push(this.serverLimiter);
    return limiters;
  }

  private unpend(table: AllocationTable, key: string, quotaKey: string): void {
    table.pending.delete(key);
    this.quota.release(quotaKey);
  }

  private reserve(relay: Relay): Buffer {
    const token = Buffer.allocUnsafe(8);
    do {
      randomFillSync(token);
      // The first byte names the thread that holds the port (threads.ts).
      token[0] = this.options.threadIndex ?? 0;
    } while (this.reservations.has(token.toString('hex')));
    this.reservations.set(token.toString('hex'), { relay, expiresAt: this.now() + RESERVATION_LIFETIME_MS });
    return token;
  }

  /**
   * The reservation of a RESERVATION-TOKEN: this server's own, or, when
   * another thread issued it, the same port handed over by that thread.
   */
  private async takeReservation(token: Buffer): Promise<Reservation | undefined> {
    const tokenKey = token.toString('hex');
    const own = this.reservations.get(tokenKey);
    if (own) {
      this.reservations.delete(tokenKey);
      if (own.expiresAt > this.now()) return own;
      this.ports.release(own.relay.host, own.relay.bound);
      return undefined;
    }
    const claim = this.options.claimReservation;
    if (!claim || token[0] === (this.options.threadIndex ?? 0)) return undefined;
    const released = await claim(Buffer.from(token));
    if (!released) return undefined;
    const bound = await this.ports.bindExact(released.host, released.port, released.family);
    if (!bound) return undefined;
    this.log.debug(
      { fromThread: token[0], port: released.port },
      'reserved port handed over by another thread',
    );
    const relayHost = this.relayHosts.get(released.family);
    const advertisedHost = relayHost?.host === released.host ? relayHost.advertisedHost : released.host;
    return {
      relay: { family: released.family, host: released.host, advertisedHost, bound },
      expiresAt: this.now() + RESERVATION_LIFETIME_MS,
    };
  }

  /**
   * Gives up a reservation this server holds so that another thread can bind
   * its port for the client that presented the token. Returns the port, or
   * undefined for an unknown or expired token.
   */
  releaseReservation(token: Buffer): { family: 4 | 6; host: string; port: number } | undefined {
    const tokenKey = token.toString('hex');
    const reservation = this.reservations.get(tokenKey);
    if (!reservation) return undefined;
    this.reservations.delete(tokenKey);
    const { relay } = reservation;
    this.ports.release(relay.host, relay.bound);
    if (reservation.expiresAt <= this.now()) return undefined;
    return { family: relay.family, host: relay.host, port: relay.bound.port };
  }

  /** RFC 8656 §7.2: min(requested, max), but never below the default. */
  private grantedLifetimeMs(message: StunMessage): number {
    const requested = message.getUint32(AttributeType.Lifetime);
    if (requested === undefined) return this.defaultLifetimeMs;
    return Math.min(this.maxLifetimeMs, Math.max(this.defaultLifetimeMs, requested * 1000));
  }

  /** The allocation of the request's 5-tuple, answering 437/441 when there is none or it is someone else's. */
  private allocationOf(request: Request): Allocation | undefined {
    const allocation = request.table.allocations.get(request.path.key);
    if (!allocation) {
      this.sendError(request, ErrorCode.AllocationMismatch);
      return undefined;
    }
    if (allocation.username !== request.credential!.username) {
      this.sendError(request, ErrorCode.WrongCredentials);
      return undefined;
    }
    return allocation;
  }

  // ---- Refresh (RFC 8656 §7.3) ----

  private onRefresh(request: Request): void {
    const allocation = this.allocationOf(request);
    if (!allocation) return;
    const { message } = request;
    const familyValue = message.get(AttributeType.RequestedAddressFamily);
    let family: 4 | 6 | undefined;
    if (familyValue) {
      family = familyValue.length === 4 && familyValue[0] === AddressFamily.IPv6 ? 6 : 4;
      const hasFamily = allocation.relayFor(family) || allocation.tcpRelay?.family === family;
      if (familyValue.length !== 4 || !hasFamily) {
        this.sendError(request, ErrorCode.PeerAddressFamilyMismatch);
        return;
      }
    }
    const requested = message.getUint32(AttributeType.Lifetime);
    let lifetimeSeconds: number;
    if (requested === 0) {
      lifetimeSeconds = 0;
      if (family !== undefined && allocation.relays.length > 1) {
        // Deletes one family of a dual allocation.
        const index = allocation.relays.findIndex((relay) => relay.family === family);
        const [relay] = allocation.relays.splice(index, 1);
        this.ports.release(relay.host, relay.bound);
      } else {
        this.deleteAllocation(allocation, 'deleted');
      }
    } else {
      const now = this.now();
      allocation.expiresAt = now + this.grantedLifetimeMs(message);
      lifetimeSeconds = Math.floor((allocation.expiresAt - now) / 1000);
    }
    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    builder.addUint32(AttributeType.Lifetime, lifetimeSeconds);
    this.sendControl(request, this.finish(request, builder));
  }

  // ---- CreatePermission (RFC 8656 §9) ----

  /** The family an allocation relays `family` peers on, if any. */
  private relaysFamily(allocation: Allocation, family: 4 | 6): boolean {
    return allocation.tcpRelay ? allocation.tcpRelay.family === family : !!allocation.relayFor(family);
  }

  /** Validates peer addresses; answers 400/403/443 and returns undefined when one fails. */
  private checkPeers(request: Request, allocation: Allocation, peers: (TransportAddress | undefined)[]) {
    if (peers.length === 0) {
      this.sendError(request, ErrorCode.BadRequest, 'Missing XOR-PEER-ADDRESS');
      return undefined;
    }
    const valid: TransportAddress[] = [];
    for (const peer of peers) {
      if (!peer) {
        this.sendError(request, ErrorCode.BadRequest, 'Bad XOR-PEER-ADDRESS');
        return undefined;
      }
      if (!this.relaysFamily(allocation, peer.family)) {
        this.sendError(request, ErrorCode.PeerAddressFamilyMismatch);
        return undefined;
      }
      if (!this.peers.isAllowed(peer.address)) {
        this.sendError(request, ErrorCode.Forbidden, 'Peer address not allowed');
        return undefined;
      }
      valid.push(peer);
    }
    return valid;
  }

  private onCreatePermission(request: Request): void {
    const allocation = this.allocationOf(request);
    if (!allocation) return;
    const peers = this.checkPeers(
      request,
      allocation,
      request.message.getAllXorAddresses(AttributeType.XorPeerAddress),
    );
    if (!peers) return;
    const now = this.now();
    for (const peer of peers) {
      if (!allocation.hasPermission(peer.address, now)) this.stats.permissionsCreated++;
      allocation.permit(peer.address, now);
    }
    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    this.sendControl(request, this.finish(request, builder));
  }

  // ---- ChannelBind (RFC 8656 §11) ----

  private onChannelBind(request: Request): void {
    const allocation = this.allocationOf(request);
    if (!allocation) return;
    if (allocation.tcpRelay) {
      this.sendError(request, ErrorCode.BadRequest, 'No channels on a TCP allocation');
      return;
    }
    const { message } = request;
    const numberValue = message.get(AttributeType.ChannelNumber);
    const number = numberValue && numberValue.length === 4 ? numberValue.readUInt16BE(0) : -1;
    if (!isValidChannel(number)) {
      this.sendError(request, ErrorCode.BadRequest, 'Bad CHANNEL-NUMBER');
      return;
    }
    const peerValues = message.getAllXorAddresses(AttributeType.XorPeerAddress);
    if (peerValues.length > 1) {
      this.sendError(request, ErrorCode.BadRequest, 'One XOR-PEER-ADDRESS per ChannelBind');
      return;
    }
    const peers = this.checkPeers(request, allocation, peerValues);
    if (!peers) return;
    const peer = peers[0];
    const peerKey = `${peer.address}:${peer.port}`;
    const now = this.now();
    const byNumber = allocation.channelsByNumber.get(number);
    const byPeer = allocation.channelsByPeer.get(peerKey);
    // A channel stays with one peer, and a peer with one channel, while bound (RFC 8656 §11.2).
    if ((byNumber && byNumber.peerKey !== peerKey) || (byPeer && byPeer.number !== number)) {
      this.sendError(request, ErrorCode.BadRequest, 'Channel or peer already bound');
      return;
    }
    if (!byNumber) this.stats.channelsBound++;
    allocation.bindChannel(number, peer, peerKey, now);
    if (!allocation.hasPermission(peer.address, now)) this.stats.permissionsCreated++;
    allocation.permit(peer.address, now);
    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    this.sendControl(request, this.finish(request, builder));
  }

  // ---- TCP allocations (RFC 6062 §5.2–§5.4) ----

  /** Connect: the client asks the relay to open a TCP connection to a peer. */
  private onConnect(request: Request): void {
    const allocation = this.allocationOf(request);
    if (!allocation) return;
    if (!allocation.tcpRelay) {
      this.sendError(request, ErrorCode.BadRequest, 'Connect needs a TCP allocation');
      return;
    }
    const peers = request.message.getAllXorAddresses(AttributeType.XorPeerAddress);
    if (peers.length > 1) {
      this.sendError(request, ErrorCode.BadRequest, 'One XOR-PEER-ADDRESS per Connect');
      return;
    }
    const valid = this.checkPeers(request, allocation, peers);
    if (!valid) return;
    const peer = valid[0];
    const peerKey = `${peer.address}:${peer.port}`;
    if (allocation.peerConnections.has(peerKey)) {
      this.sendError(request, ErrorCode.ConnectionAlreadyExists);
      return;
    }
    if (allocation.peerConnections.size >= MAX_PEER_CONNECTIONS) {
      this.sendError(request, ErrorCode.InsufficientCapacity, 'Too many peer connections');
      return;
    }
    const relay = allocation.tcpRelay;
    const socket = connectTcp({
      host: peer.address,
      port: peer.port,
      localAddress: relay.host,
      family: peer.family,
      noDelay: true,
    });
    const connection = this.addPeerConnection(allocation, peer, peerKey, socket, 'connecting');
    // RFC 6062 §5.2: a relay socket never accepts data before it is bound; pause until then.
    socket.pause();
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), PEER_CONNECT_TIMEOUT_MS);
    timer.unref();
    socket.once('connect', () => {
      clearTimeout(timer);
      if (allocation.closed || connection.state !== 'connecting') return;
      connection.state = 'waiting';
      this.armBindTimer(connection);
      const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
      builder.addUint32(AttributeType.ConnectionId, connection.id);
      this.sendControl(request, this.finish(request, builder));
      socket.resume();
    });
    socket.once('error', () => {
      clearTimeout(timer);
      if (connection.state === 'connecting' && !allocation.closed) {
        this.sendError(request, ErrorCode.ConnectionTimeoutOrFailure);
      }
    });
  }

  /** A peer connected to the relayed address of a TCP allocation (RFC 6062 §5.3). */
  private onPeerTcpConnection(allocation: Allocation, socket: TcpSocket): void {
    const address = unmapped(socket.remoteAddress ?? '');
    const family = ipFamily(address) === 6 ? 6 : 4;
    const peer: TransportAddress = {
      family,
      address: family === 6 ? (canonicalIp(address) ?? address) : address,
      port: socket.remotePort ?? 0,
    };
    const peerKey = `${peer.address}:${peer.port}`;
    if (
      allocation.closed ||
      !allocation.hasPermission(peer.address, this.now()) ||
      allocation.peerConnections.has(peerKey) ||
      allocation.peerConnections.size >= MAX_PEER_CONNECTIONS
    ) {
      this.stats.droppedNoPermission++;
      socket.destroy();
      return;
    }
    const connection = this.addPeerConnection(allocation, peer, peerKey, socket, 'waiting');
    this.armBindTimer(connection);
    socket.resume();
    const indication = StunMessageBuilder.create(Method.ConnectionAttempt, MessageClass.Indication)
      .addUint32(AttributeType.ConnectionId, connection.id)
      .addXorAddress(AttributeType.XorPeerAddress, peer)
      .build();
    this.sendToAllocationClient(allocation, indication, true);
  }

  private addPeerConnection(
    allocation: Allocation,
    peer: TransportAddress,
    peerKey: string,
    socket: TcpSocket,
    state: PeerConnection['state'],
  ): PeerConnection {
    let id = this.nextConnectionId;
    while (this.peerConnections.has(id) || id === 0) id = (id + 1) >>> 0;
    this.nextConnectionId = (id + 1) >>> 0;
    const connection: PeerConnection = {
      id,
      allocation,
      peer,
      peerKey,
      socket,
      state,
      buffered: [],
      bufferedBytes: 0,
      bindTimer: undefined,
      client: undefined,
    };
    this.peerConnections.set(id, connection);
    allocation.peerConnections.set(peerKey, connection);
    this.stats.peerConnectionsOpened++;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (connection.state === 'bound') return; // piped directly once bound
      connection.buffered.push(chunk);
      connection.bufferedBytes += chunk.length;
      if (connection.bufferedBytes >= PEER_BUFFER_BYTES) socket.pause();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.closePeerConnection(connection));
    return connection;
  }

  private armBindTimer(connection: PeerConnection): void {
    connection.bindTimer = setTimeout(() => {
      if (connection.state !== 'bound') connection.socket.destroy();
    }, CONNECTION_BIND_TIMEOUT_MS);
    connection.bindTimer.unref();
  }

  /** ConnectionBind on a new client connection: it becomes the data connection of a peer connection. */
  private onConnectionBind(request: Request): void {
    const connection = request.connection!;
    if (request.table.allocations.size > 0) {
      this.sendError(request, ErrorCode.BadRequest, 'ConnectionBind on a control connection');
      return;
    }
    const value = request.message.get(AttributeType.ConnectionId);
    const peerConnection = value?.length === 4 ? this.peerConnections.get(value.readUInt32BE(0)) : undefined;
    if (peerConnection?.state !== 'waiting') {
      this.sendError(request, ErrorCode.BadRequest, 'Unknown CONNECTION-ID');
      return;
    }
    if (peerConnection.allocation.username !== request.credential!.username) {
      this.sendError(request, ErrorCode.WrongCredentials);
      return;
    }
    peerConnection.state = 'bound';
    clearTimeout(peerConnection.bindTimer);
    peerConnection.client = connection.socket;
    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    this.sendControl(request, this.finish(request, builder));
    // From here on both connections carry the application's bytes unchanged.
    const peerSocket = peerConnection.socket;
    const clientSocket = connection.socket;
    connection.startRaw((chunk) => {
      this.stats.bytesToPeer += chunk.length;
      if (!peerSocket.write(chunk)) {
        clientSocket.pause();
        peerSocket.once('drain', () => clientSocket.resume());
      }
    });
    for (const chunk of peerConnection.buffered) {
      this.stats.bytesToClient += chunk.length;
      clientSocket.write(chunk);
    }
    peerConnection.buffered = [];
    peerConnection.bufferedBytes = 0;
    peerSocket.on('data', (chunk: Buffer) => {
      this.stats.bytesToClient += chunk.length;
      if (!clientSocket.write(chunk)) {
        peerSocket.pause();
        clientSocket.once('drain', () => peerSocket.resume());
      }
    });
    peerSocket.resume();
    // Either side closing closes the other (RFC 6062 §5.5).
    const previousClose = connection.onClose;
    connection.onClose = () => {
      previousClose();
      peerSocket.destroy();
    };
  }

  private closePeerConnection(connection: PeerConnection): void {
    if (this.peerConnections.get(connection.id) !== connection) return;
    this.peerConnections.delete(connection.id);
    connection.allocation.peerConnections.delete(connection.peerKey);
    clearTimeout(connection.bindTimer);
    connection.buffered = [];
    connection.socket.destroy();
    if (connection.client) {
      connection.client.end();
      const client = connection.client;
      setTimeout(() => client.destroy(), 2000).unref();
    }
  }

  // ---- Data path (RFC 8656 §10, §12) ----

  private onSendIndication(request: Request): void {
    const allocation = request.table.allocations.get(request.path.key);
    if (!allocation) {
      this.stats.droppedNoAllocation++;
      return;
    }
    const { message } = request;
    const peer = message.getXorAddress(AttributeType.XorPeerAddress);
    const data = message.get(AttributeType.Data);
    if (!peer || !data) {
      this.stats.droppedMalformed++;
      return;
    }
    const relay = allocation.relayFor(peer.family);
    const now = this.now();
    if (!relay || !allocation.hasPermission(peer.address, now)) {
      this.stats.droppedNoPermission++;
      return;
    }
    if (allocation.limiters.length > 0 && !takeAll(allocation.limiters, data.length, now)) {
      this.stats.droppedBandwidth++;
      return;
    }
    this.stats.packetsToPeer++;
    this.stats.bytesToPeer += data.length;
    relay.bound.socket.send(data, peer.port, peer.address);
  }

  private onChannelData(allocation: Allocation | undefined, data: Buffer): void {
    if (!allocation) {
      this.stats.droppedNoAllocation++;
      return;
    }
    const decoded = decodeChannelData(data);
    if (!decoded) {
      this.stats.droppedMalformed++;
      return;
    }
    const channel = allocation.channelsByNumber.get(decoded.channel);
    const now = this.now();
    if (!channel || channel.expiresAt <= now) {
      this.stats.droppedNoChannel++;
      return;
    }
    if (!allocation.hasPermission(channel.peer.address, now)) {
      this.stats.droppedNoPermission++;
      return;
    }
    const relay = allocation.relayFor(channel.peer.family);
    if (!relay) {
      this.stats.droppedNoChannel++;
      return;
    }
    if (allocation.limiters.length > 0 && !takeAll(allocation.limiters, decoded.data.length, now)) {
      this.stats.droppedBandwidth++;
      return;
    }
    this.stats.packetsToPeer++;
    this.stats.bytesToPeer += decoded.data.length;
    relay.bound.socket.send(decoded.data, channel.peer.port, channel.peer.address);
  }

  /** A datagram from a peer on a relay socket: to the client as ChannelData or a Data indication. */
  private onPeerDatagram(allocation: Allocation, relay: Relay, data: Buffer, rinfo: RemoteInfo) {
    if (allocation.closed) return;
    const peerIp = relay.family === 6 ? (canonicalIp(rinfo.address) ?? rinfo.address) : rinfo.address;
    const now = this.now();
    if (!allocation.hasPermission(peerIp, now)) {
      this.stats.droppedNoPermission++;
      return;
    }
    if (allocation.limiters.length > 0 && !takeAll(allocation.limiters, data.length, now)) {
      this.stats.droppedBandwidth++;
      return;
    }
    const channel = allocation.channelsByPeer.get(`${peerIp}:${rinfo.port}`);
    let out: Buffer;
    if (channel && channel.expiresAt > now) {
      out = encodeChannelData(channel.number, data, allocation.path.stream);
    } else {
      out = StunMessageBuilder.create(Method.Data, MessageClass.Indication)
        .addXorAddress(AttributeType.XorPeerAddress, {
          family: relay.family,
          address: peerIp,
          port: rinfo.port,
        })
        .add(AttributeType.Data, data)
        .build();
    }
    if (!this.sendToAllocationClient(allocation, out, false)) {
      this.stats.droppedBackpressure++;
      return;
    }
    this.stats.packetsToClient++;
    this.stats.bytesToClient += data.length;
  }

  /** Sends to an allocation's client; on a stream, relayed data may be dropped under backpressure. */
  private sendToAllocationClient(allocation: Allocation, data: Buffer, control: boolean): boolean {
    const { path } = allocation;
    if (!path.stream) return path.send(data);
    const connection = allocation.table as StreamConnection;
    return connection.send(data, control);
  }

  // ---- Responses ----

  private responseBuilder(request: Request, messageClass: MessageClass): StunMessageBuilder {
    const builder = StunMessageBuilder.response(request.message, messageClass);
    if (this.software) builder.add(AttributeType.Software, this.software);
    return builder;
  }

  /** Adds integrity (the request's algorithm, when it authenticated) and fingerprint (when it had one). */
  private finish(request: Request, builder: StunMessageBuilder): Buffer {
    if (request.credential && request.integrity)
      builder.addIntegrity(request.integrity, request.credential.key);
    if (request.message.has(AttributeType.Fingerprint)) builder.addFingerprint();
    return builder.build();
  }

  private sendError(
    request: Request,
    code: number,
    reason?: string,
    extra?: (builder: StunMessageBuilder) => void,
  ): void {
    if (!request.credential && !this.unauthenticatedLimiter.take(request.path.address)) {
      this.stats.droppedRateLimited++;
      return;
    }
    this.stats.errorResponses++;
    const builder = this.responseBuilder(request, MessageClass.ErrorResponse);
    builder.addErrorCode(code, reason);
    extra?.(builder);
    this.sendControl(request, this.finish(request, builder));
  }

  /** Sends a response: always queued on a stream, whatever its backlog. */
  private sendControl(request: Request, data: Buffer): void {
    if (request.connection) request.connection.send(data, true);
    else request.path.send(data);
  }

  // ---- Lifetimes ----

  /** Expires allocations, permissions, channels and reservations; called periodically. */
  sweep(): void {
    const now = this.now();
    for (const allocation of this.liveAllocations) {
      if (allocation.expiresAt <= now) {
        this.deleteAllocation(allocation, 'expired');
        continue;
      }
      allocation.prune(now);
    }
    this.unauthenticatedLimiter.prune();
    for (const [token, reservation] of this.reservations) {
      if (reservation.expiresAt <= now) {
        this.reservations.delete(token);
        this.ports.release(reservation.relay.host, reservation.relay.bound);
      }
    }
  }

  private deleteAllocation(allocation: Allocation, why: 'expired' | 'deleted') {
    if (allocation.closed) return;
    allocation.closed = true;
    allocation.table.allocations.delete(allocation.path.key);
    this.liveAllocations.delete(allocation);
    this.allocationCount--;
    this.quota.release(allocation.quotaKey);
    for (const relay of allocation.relays) this.ports.release(relay.host, relay.bound);
    if (allocation.tcpRelay) this.ports.release(allocation.tcpRelay.host, allocation.tcpRelay.bound);
    for (const connection of [...allocation.peerConnections.values()]) this.closePeerConnection(connection);
    for (const limiter of allocation.limiters) {
      if (limiter.users > 0 && --limiter.users === 0) this.userLimiters.delete(allocation.quotaKey);
    }
    if (why === 'expired') this.stats.allocationsExpired++;
    else this.stats.allocationsDeleted++;
    // An expired allocation over TCP/TLS takes its connection with it (RFC 6062 §5.5 does
    // the same for a TCP allocation's control connection).
    if (why === 'expired' && allocation.path.stream) (allocation.table as StreamConnection).close();
    this.log.debug(
      {
        client: `${allocation.clientAddress}:${allocation.clientPort}`,
        protocol: allocation.path.protocol,
        why,
      },
      'allocation closed',
    );
  }

  /** Closes every listener, connection, allocation and reservation. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const allocation of [...this.liveAllocations]) this.deleteAllocation(allocation, 'deleted');
    for (const reservation of this.reservations.values()) {
      this.ports.release(reservation.relay.host, reservation.relay.bound);
    }
    this.reservations.clear();
    for (const connection of this.streamConnections) connection.destroy();
    await Promise.all([
      ...this.listeners.map(
        (listener) => new Promise<void>((resolve) => listener.socket.close(() => resolve())),
      ),
      ...this.streamListeners.map((listener) => listener.close()),
    ]);
    this.listeners.length = 0;
    this.streamListeners.length = 0;
  }
}

export type { BoundSocket };
