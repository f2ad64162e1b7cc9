/**
 * A TURN client over UDP, TCP or TLS (RFC 8656 §7–§12): allocate, refresh,
 * permissions, channels, Send/Data indications and ChannelData, and RFC 6062
 * TCP allocations (Connect, ConnectionAttempt, ConnectionBind). It performs
 * the long-term credential handshake (401 → retry with REALM and NONCE,
 * 438 → retry with the new nonce) and RFC 8489 password-algorithm
 * negotiation, and verifies the integrity of authenticated responses.
 */
import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { type ConnectionOptions, connect as connectTls } from 'node:tls';
import {
  AddressFamily,
  AttributeType,
  decodeMessage,
  decodePasswordAlgorithms,
  ErrorCode,
  type IntegrityAlgorithm,
  longTermKey,
  MessageClass,
  Method,
  PasswordAlgorithm,
  type StunMessage,
  StunMessageBuilder,
  TransactionManager,
  type TransactionOptions,
  TransportProtocol,
} from '../stun/index.js';
import { ipFamily, type TransportAddress } from '../util/ip.js';
import { decodeChannelData, encodeChannelData, isChannelData, MIN_CHANNEL } from './channel-data.js';
import { TurnError } from './errors.js';
import { StreamFramer } from './stream-framer.js';

/** Options of a TURN client. */
export interface TurnClientOptions {
  server: { host: string; port: number };
  /** Transport to the server. Default 'udp'. */
  transport?: 'udp' | 'tcp' | 'tls';
  /** TLS options (ca, servername, rejectUnauthorized …) for 'tls'. */
  tls?: ConnectionOptions;
  username: string;
  password: string;
  /** Local address to bind; default: any address of the server's family. */
  localAddress?: string;
  /** SOFTWARE sent in requests; omitted when empty. */
  software?: string;
  /** Retransmission settings (defaults: RFC 8489). */
  transactions?: TransactionOptions;
  /** Prefer SHA-256 when the server offers it (RFC 8489 §9.2). Default true. */
  preferSha256?: boolean;
}

/** Options of an Allocate request. */
export interface AllocateOptions {
  /** Requested lifetime, seconds. */
  lifetime?: number;
  /** REQUESTED-TRANSPORT protocol number; default UDP (17). */
  transport?: number;
  /** EVEN-PORT; `reserve` sets the R bit to hold the next port. */
  evenPort?: { reserve: boolean };
  /** RESERVATION-TOKEN from an earlier EVEN-PORT allocation. */
  reservationToken?: Buffer;
  /** REQUESTED-ADDRESS-FAMILY. */
  family?: 4 | 6;
  /** ADDITIONAL-ADDRESS-FAMILY (IPv6) for a dual allocation. */
  additionalFamily?: 6;
  /** Adds DONT-FRAGMENT. */
  dontFragment?: boolean;
}

/** A successful Allocate. */
export interface AllocateResult {
  /** The first relayed address. */
  relayed: TransportAddress;
  /** Every relayed address (two for a dual allocation). */
  relayedAddresses: TransportAddress[];
  /** The client's address as the server saw it. */
  mapped: TransportAddress | undefined;
  /** Granted lifetime, seconds. */
  lifetime: number;
  /** Present when EVEN-PORT with R was granted. */
  reservationToken?: Buffer;
  /** The whole response, for tests. */
  response: StunMessage;
}

/** Events of a TURN client. */
export interface TurnClientEvents {
  data: [peer: TransportAddress, data: Buffer, via: 'channel' | 'indication'];
  /** RFC 6062 §4.4: a peer connected to the relayed address of a TCP allocation. */
  connectionAttempt: [peer: TransportAddress, connectionId: number];
  /** The TCP/TLS connection to the server closed. */
  close: [];
  error: [error: Error];
}

function familyValue(family: 4 | 6): number {
  return (family === 4 ? AddressFamily.IPv4 : AddressFamily.IPv6) << 24;
}

/** Opens a TCP or TLS connection to the server; resolves once it is ready. */
function openStream(options: TurnClientOptions): { socket: TcpSocket; ready: Promise<void> } {
  const { host, port } = options.server;
  const tcp = connectTcp({ host, port, localAddress: options.localAddress });
  const socket = options.transport === 'tls' ? connectTls({ socket: tcp, ...options.tls }) : tcp;
  socket.setNoDelay(true);
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once(options.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return { socket, ready };
}

/** TURN client on its own UDP socket or TCP/TLS connection. */
export class TurnClient extends EventEmitter<TurnClientEvents> {
  private readonly options: TurnClientOptions;
  private readonly socket: Socket | undefined;
  private readonly stream: TcpSocket | undefined;
  private readonly transactions: TransactionManager;
  private readonly ready: Promise<void>;
  private realm: string | undefined;
  private nonce: string | undefined;
  private algorithm: PasswordAlgorithm = PasswordAlgorithm.MD5;
  private offeredAlgorithms: Buffer | undefined;
  private key: Buffer | undefined;
  private readonly channelsByPeer = new Map<string, number>();
  private readonly peersByChannel = new Map<number, TransportAddress>();
  private nextChannel = MIN_CHANNEL;
  private closed = false;
  /** Datagrams that were neither a response, a Data indication nor known ChannelData. */
  droppedDatagrams = 0;

  constructor(options: TurnClientOptions) {
    super();
    this.options = options;
    if (options.transport === 'tcp' || options.transport === 'tls') {
      const { socket, ready } = openStream(options);
      this.stream = socket;
      this.ready = ready;
      this.ready.catch(() => {});
      this.transactions = new TransactionManager((message) => socket.write(message), {
        ...options.transactions,
        reliable: true,
      });
      const framer = new StreamFramer((frame) => this.onMessage(frame));
      socket.on('data', (chunk: Buffer) => {
        if (framer.push(chunk)) socket.destroy();
      });
      socket.on('error', (error) => this.emit('error', error));
      socket.on('close', () => {
        this.transactions.close();
        this.emit('close');
      });
      return;
    }
    const family = ipFamily(options.server.host) === 6 ? 6 : 4;
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    this.socket = socket;
    this.transactions = new TransactionManager(
      (message) => socket.send(message, options.server.port, options.server.host),
      options.transactions,
    );
    this.ready = new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: options.localAddress, port: 0 }, () => {
        socket.off('error', reject);
        socket.on('error', (error) => this.emit('error', error));
        resolve();
      });
    });
    socket.on('message', (data) => this.onMessage(data));
  }

  /** True over TCP and TLS. */
  get isStream(): boolean {
    return this.stream !== undefined;
  }

  /** The local address of the client's socket. */
  async localAddress(): Promise<TransportAddress> {
    await this.ready;
    if (this.stream) {
      const address = this.stream.localAddress ?? '';
      return { family: ipFamily(address) === 6 ? 6 : 4, address, port: this.stream.localPort ?? 0 };
    }
    const { address, port, family } = this.socket!.address();
    return { family: family === 'IPv6' ? 6 : 4, address, port };
  }

  private onMessage(data: Buffer): void {
    if (isChannelData(data)) {
      const decoded = decodeChannelData(data);
      const peer = decoded && this.peersByChannel.get(decoded.channel);
      if (!decoded || !peer) {
        this.droppedDatagrams++;
        return;
      }
      this.emit('data', peer, decoded.data, 'channel');
      return;
    }
    const result = decodeMessage(data);
    if (!result.ok) {
      this.droppedDatagrams++;
      return;
    }
    const message = result.message;
    if (message.messageClass === MessageClass.Indication && message.method === Method.Data) {
      const peer = message.getXorAddress(AttributeType.XorPeerAddress);
      const payload = message.get(AttributeType.Data);
      if (peer && payload) this.emit('data', peer, payload, 'indication');
      else this.droppedDatagrams++;
      return;
    }
    if (message.messageClass === MessageClass.Indication && message.method === Method.ConnectionAttempt) {
      const peer = message.getXorAddress(AttributeType.XorPeerAddress);
      const id = message.getUint32(AttributeType.ConnectionId);
      if (peer && id !== undefined) this.emit('connectionAttempt', peer, id);
      else this.droppedDatagrams++;
      return;
    }
    if (
      message.messageClass === MessageClass.SuccessResponse ||
      message.messageClass === MessageClass.ErrorResponse
    ) {
      if (!this.transactions.handleResponse(message)) this.droppedDatagrams++;
      return;
    }
    this.droppedDatagrams++;
  }

  /** Sends one request and waits for its response, without authentication. */
  private async transact(builder: StunMessageBuilder): Promise<StunMessage> {
    await this.ready;
    if (this.closed) throw new TurnError('ERR_TURN_CLOSED', 'client is closed');
    const message = builder.build();
    return this.transactions.request(message, builder.transactionId);
  }

  /** A Binding request; resolves with the mapped address. */
  async binding(): Promise<TransportAddress> {
    const response = await this.transact(StunMessageBuilder.create(Method.Binding, MessageClass.Request));
    const mapped =
      response.getXorAddress(AttributeType.XorMappedAddress) ??
      response.getAddress(AttributeType.MappedAddress);
    if (response.messageClass !== MessageClass.SuccessResponse || !mapped) {
      throw new TurnError('ERR_TURN_BAD_RESPONSE', 'Binding failed');
    }
    return mapped;
  }

  /**
   * Sends an authenticated request built by `addAttributes`, handling 401 and
   * 438 by retrying with fresh credentials. Resolves with the final response,
   * success or error: callers that want exceptions use the typed methods.
   */
  async request(
    method: number,
    addAttributes: (builder: StunMessageBuilder) => void = () => {},
  ): Promise<StunMessage> {
    let response: StunMessage | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const builder = StunMessageBuilder.create(method, MessageClass.Request);
      if (this.options.software) builder.add(AttributeType.Software, this.options.software);
      addAttributes(builder);
      const integrity = this.addCredentials(builder);
      response = await this.transact(builder);
      if (response.messageClass === MessageClass.ErrorResponse) {
        const code = response.getErrorCode()?.code;
        const canRetry =
          (code === ErrorCode.Unauthorized && (attempt === 0 || this.key === undefined)) ||
          code === ErrorCode.StaleNonce;
        if (canRetry && this.learnChallenge(response)) continue;
      }
      if (integrity && response.messageClass === MessageClass.SuccessResponse) {
        if (response.checkIntegrity(this.key!) === false) {
          throw new TurnError('ERR_TURN_BAD_RESPONSE', 'response integrity check failed');
        }
      }
      return response;
    }
    return response!;
  }

  private addCredentials(builder: StunMessageBuilder): IntegrityAlgorithm | undefined {
    if (!this.key || this.realm === undefined || this.nonce === undefined) return undefined;
    builder.add(AttributeType.Username, this.options.username);
    builder.add(AttributeType.Realm, this.realm);
    builder.add(AttributeType.Nonce, this.nonce);
    if (this.offeredAlgorithms) {
      const chosen = Buffer.alloc(4);
      chosen.writeUInt16BE(this.algorithm, 0);
      builder.add(AttributeType.PasswordAlgorithm, chosen);
      builder.add(AttributeType.PasswordAlgorithms, this.offeredAlgorithms);
    }
    const integrity: IntegrityAlgorithm = this.algorithm === PasswordAlgorithm.SHA256 ? 'sha256' : 'sha1';
    builder.addIntegrity(integrity, this.key);
    return integrity;
  }

  /** Takes REALM, NONCE and PASSWORD-ALGORITHMS from a 401/438; false when they are missing. */
  private learnChallenge(response: StunMessage): boolean {
    const realm = response.getString(AttributeType.Realm);
    const nonce = response.getString(AttributeType.Nonce);
    if (realm === undefined || nonce === undefined) return false;
    this.realm = realm;
    this.nonce = nonce;
    const offered = response.get(AttributeType.PasswordAlgorithms);
    const entries = offered && decodePasswordAlgorithms(offered);
    if (offered && entries && entries.length > 0) {
      this.offeredAlgorithms = Buffer.from(offered);
      const sha256 = entries.some((entry) => entry.algorithm === PasswordAlgorithm.SHA256);
      this.algorithm =
        sha256 && this.options.preferSha256 !== false ? PasswordAlgorithm.SHA256 : PasswordAlgorithm.MD5;
    } else {
      this.offeredAlgorithms = undefined;
      this.algorithm = PasswordAlgorithm.MD5;
    }
    this.key = longTermKey(this.options.username, realm, this.options.password, this.algorithm);
    return true;
  }

  private fail(response: StunMessage, what: string): never {
    const error = response.getErrorCode();
    throw new TurnError(
      'ERR_TURN_ERROR_RESPONSE',
      `${what} failed: ${error ? `${error.code} ${error.reason}` : 'bad response'}`,
      error?.code ?? 0,
    );
  }

  /** Creates the allocation. */
  async allocate(options: AllocateOptions = {}): Promise<AllocateResult> {
    const response = await this.request(Method.Allocate, (builder) => {
      builder.addUint32(AttributeType.RequestedTransport, (options.transport ?? TransportProtocol.UDP) << 24);
      if (options.lifetime !== undefined) builder.addUint32(AttributeType.Lifetime, options.lifetime);
      if (options.evenPort)
        builder.add(AttributeType.EvenPort, Buffer.from([options.evenPort.reserve ? 0x80 : 0]));
      if (options.reservationToken) builder.add(AttributeType.ReservationToken, options.reservationToken);
      if (options.family)
        builder.addUint32(AttributeType.RequestedAddressFamily, familyValue(options.family));
      if (options.additionalFamily) {
        builder.addUint32(AttributeType.AdditionalAddressFamily, familyValue(options.additionalFamily));
      }
      if (options.dontFragment) builder.addEmpty(AttributeType.DontFragment);
    });
    if (response.messageClass !== MessageClass.SuccessResponse) this.fail(response, 'Allocate');
    const relayedAddresses = response
      .getAllXorAddresses(AttributeType.XorRelayedAddress)
      .filter((address): address is TransportAddress => address !== undefined);
    const lifetime = response.getUint32(AttributeType.Lifetime);
    if (relayedAddresses.length === 0 || lifetime === undefined) {
      throw new TurnError(
        'ERR_TURN_BAD_RESPONSE',
        'Allocate response without XOR-RELAYED-ADDRESS or LIFETIME',
      );
    }
    const token = response.get(AttributeType.ReservationToken);
    return {
      relayed: relayedAddresses[0],
      relayedAddresses,
      mapped: response.getXorAddress(AttributeType.XorMappedAddress),
      lifetime,
      reservationToken: token ? Buffer.from(token) : undefined,
      response,
    };
  }

  /** Refreshes the allocation; lifetime 0 deletes it. Resolves with the granted lifetime. */
  async refresh(lifetime?: number, family?: 4 | 6): Promise<number> {
    const response = await this.request(Method.Refresh, (builder) => {
      if (lifetime !== undefined) builder.addUint32(AttributeType.Lifetime, lifetime);
      if (family) builder.addUint32(AttributeType.RequestedAddressFamily, familyValue(family));
    });
    if (response.messageClass !== MessageClass.SuccessResponse) this.fail(response, 'Refresh');
    return response.getUint32(AttributeType.Lifetime) ?? 0;
  }

  /** Installs or refreshes permissions for the peers' IP addresses. */
  async createPermission(peers: readonly TransportAddress[]): Promise<void> {
    const response = await this.request(Method.CreatePermission, (builder) => {
      for (const peer of peers) builder.addXorAddress(AttributeType.XorPeerAddress, peer);
    });
    if (response.messageClass !== MessageClass.SuccessResponse) this.fail(response, 'CreatePermission');
  }

  /** Binds (or refreshes) a channel to the peer; resolves with the channel number. */
  async channelBind(peer: TransportAddress, channel?: number): Promise<number> {
    const key = `${peer.address}:${peer.port}`;
    const number = channel ?? this.channelsByPeer.get(key) ?? this.nextChannel++;
    const response = await this.request(Method.ChannelBind, (builder) => {
      const value = Buffer.alloc(4);
      value.writeUInt16BE(number, 0);
      builder.add(AttributeType.ChannelNumber, value);
      builder.addXorAddress(AttributeType.XorPeerAddress, peer);
    });
    if (response.messageClass !== MessageClass.SuccessResponse) this.fail(response, 'ChannelBind');
    this.channelsByPeer.set(key, number);
    this.peersByChannel.set(number, peer);
    return number;
  }

  /** Sends data to a peer: ChannelData when a channel is bound, else a Send indication. */
  send(peer: TransportAddress, data: Buffer): void {
    const channel = this.channelsByPeer.get(`${peer.address}:${peer.port}`);
    if (channel !== undefined) this.sendChannelData(channel, data);
    else this.sendIndication(peer, data);
  }

  /** Sends a Send indication (RFC 8656 §10.1). */
  sendIndication(peer: TransportAddress, data: Buffer): void {
    const message = StunMessageBuilder.create(Method.Send, MessageClass.Indication)
      .addXorAddress(AttributeType.XorPeerAddress, peer)
      .add(AttributeType.Data, data)
      .build();
    this.sendRaw(message);
  }

  /** Sends a ChannelData message on a bound channel (padded to 4 bytes on streams, RFC 8656 §12.5). */
  sendChannelData(channel: number, data: Buffer): void {
    this.sendRaw(encodeChannelData(channel, data, this.stream !== undefined));
  }

  /** Sends raw bytes to the server (tests use it for malformed input). */
  sendRaw(data: Buffer): void {
    if (this.closed) return;
    if (this.stream) this.stream.write(data);
    else this.socket!.send(data, this.options.server.port, this.options.server.host);
  }

  // ---- TCP allocations (RFC 6062 §4) ----

  /** Connect: asks the relay of a TCP allocation to connect to a peer; resolves with the CONNECTION-ID. */
  async connect(peer: TransportAddress): Promise<number> {
    const response = await this.request(Method.Connect, (builder) => {
      builder.addXorAddress(AttributeType.XorPeerAddress, peer);
    });
    if (response.messageClass !== MessageClass.SuccessResponse) this.fail(response, 'Connect');
    const id = response.getUint32(AttributeType.ConnectionId);
    if (id === undefined)
      throw new TurnError('ERR_TURN_BAD_RESPONSE', 'Connect response without CONNECTION-ID');
    return id;
  }

  /**
   * Opens a data connection for a peer connection (RFC 6062 §4.3): a new
   * connection to the server that sends ConnectionBind and, once it succeeds,
   * carries the peer's bytes unchanged. Resolves with that socket.
   */
  async connectionBind(connectionId: number): Promise<TcpSocket> {
    if (!this.stream) throw new TurnError('ERR_TURN_INVALID_OPTION', 'ConnectionBind needs TCP or TLS');
    const { socket, ready } = openStream(this.options);
    try {
      await ready;
      for (let attempt = 0; attempt < 2; attempt++) {
        const builder = StunMessageBuilder.create(Method.ConnectionBind, MessageClass.Request);
        builder.addUint32(AttributeType.ConnectionId, connectionId);
        this.addCredentials(builder);
        socket.write(builder.build());
        const response = await readOneMessage(socket);
        if (response.messageClass === MessageClass.SuccessResponse) return socket;
        const code = response.getErrorCode()?.code;
        if (attempt === 0 && code === ErrorCode.StaleNonce && this.learnChallenge(response)) continue;
        this.fail(response, 'ConnectionBind');
      }
      throw new TurnError('ERR_TURN_BAD_RESPONSE', 'ConnectionBind failed');
    } catch (error) {
      socket.destroy();
      throw error;
    }
  }

  /** Closes the socket; with `deallocate`, first deletes the allocation (Refresh lifetime 0). */
  async close(options: { deallocate?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    if (options.deallocate && this.key) {
      await this.refresh(0).catch(() => {});
    }
    this.closed = true;
    this.transactions.close();
    await this.ready.catch(() => {});
    if (this.stream) {
      const stream = this.stream;
      if (stream.destroyed) return;
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.end();
        setTimeout(() => stream.destroy(), 1000).unref();
      });
      return;
    }
    await new Promise<void>((resolve) => this.socket!.close(() => resolve()));
  }
}

/**
 * Reads the first STUN message from a fresh connection, then stops reading so
 * that later bytes stay in the socket for its user; any that arrived in the
 * same read are pushed back.
 */
function readOneMessage(socket: TcpSocket): Promise<StunMessage> {
  return new Promise((resolve, reject) => {
    let held = Buffer.alloc(0);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new TurnError('ERR_TURN_CLOSED', 'connection closed before the response'));
    };
    const onData = (chunk: Buffer) => {
      held = Buffer.concat([held, chunk]);
      if (held.length < 20) return;
      const size = 20 + held.readUInt16BE(2);
      if (held.length < size) return;
      cleanup();
      socket.pause();
      if (held.length > size) socket.unshift(held.subarray(size));
      const decoded = decodeMessage(held.subarray(0, size));
      if (decoded.ok) resolve(decoded.message);
      else
        reject(new TurnError('ERR_TURN_BAD_RESPONSE', `bad ConnectionBind response: ${decoded.error.code}`));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
  });
}
