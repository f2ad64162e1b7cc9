/**
 * The STUN/TURN server (RFC 8489 Binding, RFC 8656 TURN over UDP).
 *
 * Every listener answers Binding requests without authentication and TURN
 * requests with long-term credentials. Authentication happens before any
 * resource is taken, so a request that fails it costs no allocation and no
 * port. Malformed datagrams are counted by reason and dropped; no input ends
 * the process.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
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
import { Allocation, type Relay } from './allocation.js';
import { type CredentialCandidate, TurnAuthenticator } from './auth.js';
import { decodeChannelData, encodeChannelData, isChannelData, isValidChannel } from './channel-data.js';
import { TurnError } from './errors.js';
import type { ListenAddress, TurnServerOptions } from './options.js';
import { PeerFilter } from './peer-filter.js';
import { type BoundSocket, PortPool } from './port-pool.js';
import { RateLimiter } from './rate-limiter.js';

/** How long an EVEN-PORT reservation is held (RFC 8656 §7.2: "about 30 seconds"). */
const RESERVATION_LIFETIME_MS = 30_000;

/** Attributes this server understands in requests; anything else below 0x8000 earns a 420. */
const KNOWN_ATTRIBUTES = new Set<number>(Object.values(AttributeType));

/** Counters, plain numbers so the hot path only increments. */
export class TurnStats {
  /** Binding requests answered. */
  bindingRequests = 0;
  allocationsCreated = 0;
  allocationsDeleted = 0;
  allocationsExpired = 0;
  permissionsCreated = 0;
  channelsBound = 0;
  authFailures = 0;
  /** Error responses sent, all codes. */
  errorResponses = 0;
  packetsToPeer = 0;
  bytesToPeer = 0;
  packetsToClient = 0;
  bytesToClient = 0;
  /** Datagrams that are neither STUN nor ChannelData, or do not decode. */
  droppedMalformed = 0;
  /** ChannelData, Send indications or relay traffic with no allocation behind them. */
  droppedNoAllocation = 0;
  droppedNoPermission = 0;
  droppedNoChannel = 0;
  /** STUN indications or responses the server does not handle. */
  droppedUnexpected = 0;
  /** Unauthenticated requests left unanswered because their source exceeded its rate. */
  droppedRateLimited = 0;
  /** Exceptions caught at a socket boundary (a bug if ever non-zero). */
  internalErrors = 0;
}

/** A bound listening socket and the allocations made through it. */
interface Listener {
  socket: Socket;
  host: string;
  port: number;
  family: 4 | 6;
  /** Allocations by client "address|port". */
  allocations: Map<string, Allocation>;
  /** Allocate requests being served (binding ports is asynchronous), by client key → transaction id. */
  pending: Map<string, string>;
}

/** A request being processed. */
interface Request {
  listener: Listener;
  rinfo: RemoteInfo;
  clientKey: string;
  message: StunMessage;
  credential?: CredentialCandidate;
  integrity?: IntegrityAlgorithm;
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
function clientTransportAddress(rinfo: RemoteInfo): TransportAddress {
  const address =
    rinfo.address.startsWith('::ffff:') && rinfo.address.includes('.')
      ? rinfo.address.slice(7)
      : rinfo.address;
  return { family: ipFamily(address) === 6 ? 6 : 4, address, port: rinfo.port };
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

/** A STUN/TURN server over UDP. */
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
  private readonly listeners: Listener[] = [];
  private readonly relayHosts = new Map<4 | 6, { host: string; advertisedHost: string }>();
  private readonly reservations = new Map<string, Reservation>();
  private readonly allocationsByQuotaKey = new Map<string, number>();
  private allocationCount = 0;
  private pendingCount = 0;
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
    this.nonces = new NonceManager({ lifetimeSeconds: options.nonceLifetimeSeconds ?? 600, now: this.now });
    this.peers = new PeerFilter({
      allowLoopback: options.allowLoopbackPeers,
      allow: options.allowPeers,
      deny: options.denyPeers,
    });
    this.ports = new PortPool(options.minPort ?? 49152, options.maxPort ?? 65535);
    const rate = options.unauthenticatedRateLimit ?? 50;
    this.unauthenticatedLimiter = new RateLimiter({ perSecond: rate, burst: rate * 2, now: this.now });
    this.passwordAlgorithms = encodePasswordAlgorithms([PasswordAlgorithm.MD5, PasswordAlgorithm.SHA256]);
    this.maxLifetimeMs = (options.maxLifetimeSeconds ?? 3600) * 1000;
    this.defaultLifetimeMs = Math.min((options.defaultLifetimeSeconds ?? 600) * 1000, this.maxLifetimeMs);
    this.software = options.software ?? 'Switchboard';
  }

  /** The bound listening addresses (actual ports when 0 was asked for). */
  get addresses(): { host: string; port: number; family: 4 | 6 }[] {
    return this.listeners.map(({ host, port, family }) => ({ host, port, family }));
  }

  /** The relay addresses in use per family: bound host and advertised host. */
  get relayAddresses(): { family: 4 | 6; host: string; advertisedHost: string }[] {
    return [...this.relayHosts].map(([family, relay]) => ({ family, ...relay }));
  }

  /** Number of live allocations. */
  get allocations(): number {
    return this.allocationCount;
  }

  /** Binds every listener and starts the expiry sweep. */
  async start(): Promise<void> {
    if (this.options.listen.length === 0) throw new TurnError('ERR_TURN_INVALID_OPTION', 'no listen address');
    this.resolveRelayHosts();
    try {
      for (const address of this.options.listen) this.listeners.push(await this.bindListener(address));
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
      { listen: this.addresses, relays: this.relayAddresses, realm: this.options.realm },
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
      for (const { host } of this.options.listen) {
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

  private bindListener(address: ListenAddress): Promise<Listener> {
    const family = ipFamily(address.host);
    if (family === 0)
      throw new TurnError('ERR_TURN_INVALID_OPTION', `listen host "${address.host}" is not an IP address`);
    return new Promise((resolve, reject) => {
      const socket = createSocket({
        type: family === 6 ? 'udp6' : 'udp4',
        ipv6Only: false,
        recvBufferSize: 4 * 1024 * 1024,
        sendBufferSize: 4 * 1024 * 1024,
      });
      socket.once('error', reject);
      socket.bind({ address: address.host, port: address.port, exclusive: true }, () => {
        socket.off('error', reject);
        const listener: Listener = {
          socket,
          host: address.host,
          port: socket.address().port,
          family,
          allocations: new Map(),
          pending: new Map(),
        };
        socket.on('message', (data, rinfo) => {
          try {
            this.onListenerMessage(listener, data, rinfo);
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

  /** Entry point for every datagram a client sends (RFC 7983 demultiplexing). */
  private onListenerMessage(listener: Listener, data: Buffer, rinfo: RemoteInfo): void {
    if (isChannelData(data)) {
      this.onChannelData(listener, data, rinfo);
      return;
    }
    if (data.length === 0 || data[0] > 3) {
      this.stats.droppedMalformed++;
      return;
    }
    const decoded = decodeMessage(data);
    if (!decoded.ok) {
      this.stats.droppedMalformed++;
      this.log.debug({ client: rinfo.address, reason: decoded.error.code }, 'dropped malformed STUN');
      return;
    }
    const message = decoded.message;
    const request: Request = { listener, rinfo, clientKey: `${rinfo.address}|${rinfo.port}`, message };
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
      method !== Method.ChannelBind
    ) {
      // Connect/ConnectionBind need a TCP control connection (RFC 6062); anything else is unknown.
      this.sendError(
        request,
        ErrorCode.BadRequest,
        `${methodNames.get(method) ?? 'method'} not supported over UDP`,
      );
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
    }
  }

  // ---- Binding (RFC 8489 §12) ----

  private onBinding(request: Request): void {
    if (!this.unauthenticatedLimiter.take(request.rinfo.address)) {
      this.stats.droppedRateLimited++;
      return;
    }
    this.stats.bindingRequests++;
    const { message } = request;
    const mapped = clientTransportAddress(request.rinfo);
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
    this.sendToClient(request.listener, request.rinfo, builder.build());
  }

  // ---- Authentication (RFC 8489 §9.2.4) ----

  private authenticate(request: Request): boolean {
    const { message } = request;
    const client = request.clientKey;
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
      { client: request.rinfo.address, username: request.message.getString(AttributeType.Username), reason },
      'authentication failed',
    );
    this.challenge(request, ErrorCode.Unauthorized);
  }

  /** A 401 or 438 with a fresh nonce and the realm (RFC 8489 §9.2.4). */
  private challenge(request: Request, code: number): void {
    this.sendError(request, code, undefined, (builder) => {
      builder.add(AttributeType.Realm, this.options.realm);
      builder.add(AttributeType.Nonce, this.nonces.issue(request.clientKey));
      if (this.nonces.advertisesPasswordAlgorithms) {
        builder.add(AttributeType.PasswordAlgorithms, this.passwordAlgorithms);
      }
    });
  }

  // ---- Allocate (RFC 8656 §7.2) ----

  private async onAllocate(request: Request): Promise<void> {
    const { listener, clientKey, message } = request;
    const transaction = message.transactionId.toString('hex');
    const existing = listener.allocations.get(clientKey);
    if (existing) {
      if (existing.allocateTransaction === transaction && existing.allocateResponse) {
        // A retransmission whose response was lost: answer it again (RFC 8656 §7.2).
        this.sendToClient(listener, request.rinfo, existing.allocateResponse);
      } else {
        this.sendError(request, ErrorCode.AllocationMismatch);
      }
      return;
    }
    const pending = listener.pending.get(clientKey);
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
    if (transportValue[0] !== TransportProtocol.UDP) {
      this.sendError(request, ErrorCode.UnsupportedTransportProtocol);
      return;
    }
    const evenPort = message.get(AttributeType.EvenPort);
    const token = message.get(AttributeType.ReservationToken);
    const requestedFamilyValue = message.get(AttributeType.RequestedAddressFamily);
    const additionalFamilyValue = message.get(AttributeType.AdditionalAddressFamily);
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
    const credential = request.credential!;
    const userQuota = this.options.userQuota ?? 0;
    const totalQuota = this.options.totalQuota ?? 0;
    if (userQuota > 0 && (this.allocationsByQuotaKey.get(credential.quotaKey) ?? 0) >= userQuota) {
      this.sendError(request, ErrorCode.AllocationQuotaReached);
      return;
    }
    if (totalQuota > 0 && this.allocationCount + this.pendingCount >= totalQuota) {
      this.sendError(request, ErrorCode.InsufficientCapacity);
      return;
    }
    let reservation: Reservation | undefined;
    if (token) {
      const tokenKey = token.toString('hex');
      reservation = this.reservations.get(tokenKey);
      if (!reservation || reservation.expiresAt <= this.now()) {
        this.sendError(request, ErrorCode.InsufficientCapacity, 'Unknown or expired RESERVATION-TOKEN');
        return;
      }
      this.reservations.delete(tokenKey);
    }

    // Everything validated: take resources.
    listener.pending.set(clientKey, transaction);
    this.pendingCount++;
    this.allocationsByQuotaKey.set(
      credential.quotaKey,
      (this.allocationsByQuotaKey.get(credential.quotaKey) ?? 0) + 1,
    );
    const relays: Relay[] = [];
    let reservedToken: Buffer | undefined;
    try {
      if (reservation) {
        relays.push(reservation.relay);
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
      for (const relay of relays) this.ports.release(relay.host, relay.bound);
      this.unpend(listener, clientKey, credential.quotaKey);
      if (this.closed) return;
      this.log.warn({ err: error }, 'no relay port');
      this.sendError(request, ErrorCode.InsufficientCapacity);
      return;
    }
    if (this.closed) {
      for (const relay of relays) this.ports.release(relay.host, relay.bound);
      return;
    }
    listener.pending.delete(clientKey);
    this.pendingCount--;

    const now = this.now();
    const allocation = new Allocation({
      clientAddress: request.rinfo.address,
      clientPort: request.rinfo.port,
      username: credential.username,
      quotaKey: credential.quotaKey,
      relays,
      expiresAt: now + this.grantedLifetimeMs(message),
    });
    for (const relay of relays) {
      relay.bound.socket.on('message', (data, rinfo) => {
        try {
          this.onPeerMessage(listener, allocation, relay, data, rinfo);
        } catch (error) {
          this.stats.internalErrors++;
          this.log.error({ err: error }, 'error relaying a datagram');
        }
      });
      relay.bound.socket.on('error', (error) => this.log.warn({ err: error }, 'relay socket error'));
    }
    listener.allocations.set(clientKey, allocation);
    this.allocationCount++;
    this.stats.allocationsCreated++;

    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    for (const relay of relays) {
      builder.addXorAddress(AttributeType.XorRelayedAddress, {
        family: relay.family,
        address: relay.advertisedHost,
        port: relay.bound.port,
      });
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
    builder.addXorAddress(AttributeType.XorMappedAddress, clientTransportAddress(request.rinfo));
    const response = this.finish(request, builder);
    allocation.allocateTransaction = transaction;
    allocation.allocateResponse = response;
    this.sendToClient(listener, request.rinfo, response);
    this.log.debug(
      {
        client: clientTransportAddress(request.rinfo),
        username: credential.username,
        relayed: relays.map((relay) => `${relay.advertisedHost}:${relay.bound.port}`),
      },
      'allocation created',
    );
  }

  private unpend(listener: Listener, clientKey: string, quotaKey: string): void {
    listener.pending.delete(clientKey);
    this.pendingCount--;
    this.decrementQuota(quotaKey);
  }

  private decrementQuota(quotaKey: string): void {
    const count = (this.allocationsByQuotaKey.get(quotaKey) ?? 1) - 1;
    if (count <= 0) this.allocationsByQuotaKey.delete(quotaKey);
    else this.allocationsByQuotaKey.set(quotaKey, count);
  }

  private reserve(relay: Relay): Buffer {
    const token = Buffer.allocUnsafe(8);
    do {
      token.writeUInt32BE((Math.random() * 0x100000000) >>> 0, 0);
      token.writeUInt32BE((Math.random() * 0x100000000) >>> 0, 4);
    } while (this.reservations.has(token.toString('hex')));
    this.reservations.set(token.toString('hex'), { relay, expiresAt: this.now() + RESERVATION_LIFETIME_MS });
    return token;
  }

  /** RFC 8656 §7.2: min(requested, max), but never below the default. */
  private grantedLifetimeMs(message: StunMessage): number {
    const requested = message.getUint32(AttributeType.Lifetime);
    if (requested === undefined) return this.defaultLifetimeMs;
    return Math.min(this.maxLifetimeMs, Math.max(this.defaultLifetimeMs, requested * 1000));
  }

  /** The allocation of the request's 5-tuple, answering 437/441 when there is none or it is someone else's. */
  private allocationOf(request: Request): Allocation | undefined {
    const allocation = request.listener.allocations.get(request.clientKey);
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
      if (familyValue.length !== 4 || !allocation.relayFor(family)) {
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
        this.deleteAllocation(request.listener, request.clientKey, allocation, 'deleted');
      }
    } else {
      const now = this.now();
      allocation.expiresAt = now + this.grantedLifetimeMs(message);
      lifetimeSeconds = Math.floor((allocation.expiresAt - now) / 1000);
    }
    const builder = this.responseBuilder(request, MessageClass.SuccessResponse);
    builder.addUint32(AttributeType.Lifetime, lifetimeSeconds);
    this.sendToClient(request.listener, request.rinfo, this.finish(request, builder));
  }

  // ---- CreatePermission (RFC 8656 §9) ----

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
      if (!allocation.relayFor(peer.family)) {
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
    this.sendToClient(request.listener, request.rinfo, this.finish(request, builder));
  }

  // ---- ChannelBind (RFC 8656 §11) ----

  private onChannelBind(request: Request): void {
    const allocation = this.allocationOf(request);
    if (!allocation) return;
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
    this.sendToClient(request.listener, request.rinfo, this.finish(request, builder));
  }

  // ---- Data path (RFC 8656 §10, §12) ----

  private onSendIndication(request: Request): void {
    const allocation = request.listener.allocations.get(request.clientKey);
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
    if (!relay || !allocation.hasPermission(peer.address, this.now())) {
      this.stats.droppedNoPermission++;
      return;
    }
    this.stats.packetsToPeer++;
    this.stats.bytesToPeer += data.length;
    relay.bound.socket.send(data, peer.port, peer.address);
  }

  private onChannelData(listener: Listener, data: Buffer, rinfo: RemoteInfo): void {
    const allocation = listener.allocations.get(`${rinfo.address}|${rinfo.port}`);
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
    this.stats.packetsToPeer++;
    this.stats.bytesToPeer += decoded.data.length;
    relay.bound.socket.send(decoded.data, channel.peer.port, channel.peer.address);
  }

  /** A datagram from a peer on a relay socket: to the client as ChannelData or a Data indication. */
  private onPeerMessage(
    listener: Listener,
    allocation: Allocation,
    relay: Relay,
    data: Buffer,
    rinfo: RemoteInfo,
  ) {
    if (allocation.closed) return;
    const peerIp = relay.family === 6 ? (canonicalIp(rinfo.address) ?? rinfo.address) : rinfo.address;
    const now = this.now();
    if (!allocation.hasPermission(peerIp, now)) {
      this.stats.droppedNoPermission++;
      return;
    }
    const channel = allocation.channelsByPeer.get(`${peerIp}:${rinfo.port}`);
    let out: Buffer;
    if (channel && channel.expiresAt > now) {
      out = encodeChannelData(channel.number, data);
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
    this.stats.packetsToClient++;
    this.stats.bytesToClient += data.length;
    listener.socket.send(out, allocation.clientPort, allocation.clientAddress);
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
    if (!request.credential && !this.unauthenticatedLimiter.take(request.rinfo.address)) {
      this.stats.droppedRateLimited++;
      return;
    }
    this.stats.errorResponses++;
    const builder = this.responseBuilder(request, MessageClass.ErrorResponse);
    builder.addErrorCode(code, reason);
    extra?.(builder);
    this.sendToClient(request.listener, request.rinfo, this.finish(request, builder));
  }

  private sendToClient(listener: Listener, rinfo: RemoteInfo, data: Buffer): void {
    listener.socket.send(data, rinfo.port, rinfo.address);
  }

  // ---- Lifetimes ----

  /** Expires allocations, permissions, channels and reservations; called periodically. */
  sweep(): void {
    const now = this.now();
    for (const listener of this.listeners) {
      for (const [clientKey, allocation] of listener.allocations) {
        if (allocation.expiresAt <= now) {
          this.deleteAllocation(listener, clientKey, allocation, 'expired');
          continue;
        }
        allocation.prune(now);
      }
    }
    this.unauthenticatedLimiter.prune();
    for (const [token, reservation] of this.reservations) {
      if (reservation.expiresAt <= now) {
        this.reservations.delete(token);
        this.ports.release(reservation.relay.host, reservation.relay.bound);
      }
    }
  }

  private deleteAllocation(
    listener: Listener,
    clientKey: string,
    allocation: Allocation,
    why: 'expired' | 'deleted',
  ) {
    if (allocation.closed) return;
    allocation.closed = true;
    listener.allocations.delete(clientKey);
    this.allocationCount--;
    this.decrementQuota(allocation.quotaKey);
    for (const relay of allocation.relays) this.ports.release(relay.host, relay.bound);
    if (why === 'expired') this.stats.allocationsExpired++;
    else this.stats.allocationsDeleted++;
    this.log.debug(
      { client: `${allocation.clientAddress}:${allocation.clientPort}`, why },
      'allocation closed',
    );
  }

  /** Closes every listener, allocation and reservation. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const listener of this.listeners) {
      for (const [clientKey, allocation] of listener.allocations) {
        this.deleteAllocation(listener, clientKey, allocation, 'deleted');
      }
    }
    for (const reservation of this.reservations.values()) {
      this.ports.release(reservation.relay.host, reservation.relay.bound);
    }
    this.reservations.clear();
    await Promise.all(
      this.listeners.map(
        (listener) => new Promise<void>((resolve) => listener.socket.close(() => resolve())),
      ),
    );
    this.listeners.length = 0;
  }
}

export type { BoundSocket };
