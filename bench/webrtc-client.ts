/**
 * A minimal client-side WebRTC endpoint for the SFU benchmark, built on the
 * project's own layers and nothing else: one UDP socket on loopback, a
 * controlling ICE agent with a single candidate pair, a DTLS endpoint in
 * whichever role the SDP gives it, and an SRTP session per direction.
 *
 *   datagram → RFC 7983 demux (src/ice/demux)
 *     STUN → our checks' answers, or the server's checks (answered)
 *     DTLS → DtlsEndpoint → SRTP keys
 *     SRTP/SRTCP → SrtpSession → 'rtp' / 'rtcp' events
 *
 * ICE (RFC 8445): controlling, the client nominates the one pair it has at
 * once (aggressive nomination, USE-CANDIDATE on every check, §8.1.1 of
 * RFC 5245); controlled (a full agent offered), it checks without
 * USE-CANDIDATE and takes the pair once the peer nominated it. Either way
 * the peer's Binding requests are answered with our own credentials (§7.3),
 * and checks go on every few seconds as consent (RFC 7675).
 *
 * Deliberately little: no trickle, no candidates but the server's first UDP
 * host candidate, no retransmission of media, no RTCP of its own but what
 * the caller sends. It exists so that a load generator can hold a hundred
 * subscribers on one core.
 */
import type { Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { DtlsEndpoint, type DtlsFingerprint } from '../src/dtls/index.js';
import { classifyPacket } from '../src/ice/demux.js';
import { generateIceParameters, type IceParameters } from '../src/ice/index.js';
import { SrtpError, SrtpSession, srtpProfileByName } from '../src/srtp/index.js';
import {
  AttributeType,
  decodeMessage,
  MessageClass,
  Method,
  StunMessageBuilder,
  shortTermKey,
} from '../src/stun/index.js';
import type { SelfSignedCertificate } from '../src/util/certificate.js';
import { createLiteralSocket } from '../src/util/udp.js';

/** The remote end, from its SDP. */
export interface RemoteEndpoint {
  /** Its ICE username fragment and password. */
  ice: IceParameters;
  /** Its UDP host candidate on loopback. */
  address: string;
  port: number;
  /** Our DTLS role: `client` when the remote said passive (or it offered actpass and we chose active). */
  dtlsRole: 'client' | 'server';
  /** The remote certificate's fingerprint. */
  fingerprint: DtlsFingerprint;
  /**
   * Our ICE role (RFC 8445 §6.1.1): controlling when we offered or the
   * remote is ICE-lite, controlled when a full agent offered.
   */
  controlling: boolean;
}

/** Events of a {@link WebRtcClient}. */
export interface WebRtcClientEvents {
  /** SRTP keys are in place. */
  connected: [];
  /** A decrypted RTP packet (a view, valid during the call). */
  rtp: [packet: Buffer];
  /** A decrypted RTCP compound packet (a view, valid during the call). */
  rtcp: [packet: Buffer];
  /** ICE or DTLS failed, or the peer closed. */
  failed: [reason: string];
}

/** Counters of one client. */
export interface WebRtcClientStats {
  checksSent: number;
  checksAnswered: number;
  rtpReceived: number;
  rtcpReceived: number;
  rtpSent: number;
  srtpErrors: number;
  /** Datagrams that were neither STUN, DTLS nor SRTP, or arrived before the keys. */
  dropped: number;
}

/** ICE priority of our single host candidate: type 126, local 65535, component 1 (RFC 8445 §5.1.2.1). */
const HOST_PRIORITY = (126 << 24) | (65535 << 8) | 255;
/** Our peer-reflexive priority, as PRIORITY in checks (§7.1.1). */
const PRFLX_PRIORITY = (110 << 24) | (65535 << 8) | 255;
/** Checks before the first answer, ms apart. */
const CHECK_INTERVAL_MS = 50;
/** Consent refresh once connected (RFC 7675 §5.1: about every 5 s; kept shorter). */
const CONSENT_INTERVAL_MS = 2000;
/** Largest packet handled. */
const MAX_PACKET_SIZE = 2048;

/** One loopback WebRTC endpoint: a controlling ICE agent, DTLS and SRTP. */
export class WebRtcClient extends EventEmitter<WebRtcClientEvents> {
  /** Our ICE credentials, for our SDP. */
  readonly iceParameters: IceParameters = generateIceParameters(false);
  readonly stats: WebRtcClientStats = {
    checksSent: 0,
    checksAnswered: 0,
    rtpReceived: 0,
    rtcpReceived: 0,
    rtpSent: 0,
    srtpErrors: 0,
    dropped: 0,
  };
  readonly #socket: Socket;
  readonly #certificate: SelfSignedCertificate;
  readonly #tieBreaker = BigInt.asUintN(64, BigInt(Math.floor(Math.random() * 2 ** 52)) << 12n);
  #remote: RemoteEndpoint | undefined;
  #dtls: DtlsEndpoint | undefined;
  #inbound: SrtpSession | undefined;
  #outbound: SrtpSession | undefined;
  #iceConnected = false;
  /** Controlled: a successful check of ours, and the peer's USE-CANDIDATE. */
  #checkSucceeded = false;
  #nominated = false;
  #checkTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #receiveBuffer = Buffer.allocUnsafe(MAX_PACKET_SIZE);
  readonly #sendBuffer = Buffer.allocUnsafe(MAX_PACKET_SIZE + 64);
  #port = 0;
  #address = '127.0.0.1';

  private constructor(socket: Socket, certificate: SelfSignedCertificate) {
    super();
    this.#socket = socket;
    this.#certificate = certificate;
    socket.on('message', (data, rinfo) => {
      try {
        this.#onDatagram(data, rinfo.address, rinfo.port);
      } catch {
        this.stats.dropped++;
      }
    });
    socket.on('error', () => {});
  }

  /** A client on a fresh UDP port of `address` (a local IPv4 address, loopback by default). */
  static async open(certificate: SelfSignedCertificate, address = '127.0.0.1'): Promise<WebRtcClient> {
    // Sends must leave synchronously: the send buffer is reused for the next
    // packet, and Node's default lookup would defer every send by a tick.
    const socket = createLiteralSocket(4, { recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const client = new WebRtcClient(socket, certificate);
    client.#port = socket.address().port;
    client.#address = address;
    return client;
  }

  /** Our UDP port. */
  get port(): number {
    return this.#port;
  }

  /** Our certificate's SHA-256 fingerprint, for `a=fingerprint`. */
  get fingerprint(): string {
    return this.#certificate.fingerprintSha256;
  }

  /** The local address the socket is bound to. */
  get address(): string {
    return this.#address;
  }

  /** Our host candidate, as an `a=candidate` value. */
  get candidateLine(): string {
    return `1 1 udp ${HOST_PRIORITY >>> 0} ${this.#address} ${this.#port} typ host`;
  }

  /** True once SRTP keys are in place. */
  get connected(): boolean {
    return this.#outbound !== undefined;
  }

  /** Starts ICE checks towards the remote candidate, then DTLS. */
  connect(remote: RemoteEndpoint): void {
    if (this.#remote) throw new Error('connect() was already called');
    this.#remote = remote;
    const dtls = new DtlsEndpoint({
      role: remote.dtlsRole,
      certificate: this.#certificate,
      remoteFingerprints: [remote.fingerprint],
      send: (datagram) => this.#socket.send(datagram, remote.port, remote.address),
    });
    this.#dtls = dtls;
    dtls.on('connected', () => this.#onDtlsConnected());
    dtls.on('close', (info) => {
      if (!this.#closed) this.emit('failed', `DTLS closed: ${info.reason}`);
    });
    if (remote.dtlsRole === 'server') dtls.start();
    this.#sendCheck();
    this.#checkTimer = setInterval(() => this.#sendCheck(), CHECK_INTERVAL_MS);
  }

  /** Encrypts and sends one RTP packet; false before the keys. */
  sendRtp(packet: Uint8Array): boolean {
    const remote = this.#remote;
    if (!this.#outbound || !remote) return false;
    const sealed = this.#outbound.protectRtpTo(packet, this.#sendBuffer);
    if (sealed instanceof SrtpError) {
      this.stats.srtpErrors++;
      return false;
    }
    this.#socket.send(sealed, remote.port, remote.address);
    this.stats.rtpSent++;
    return true;
  }

  /** Encrypts and sends one RTCP compound packet; false before the keys. */
  sendRtcp(packet: Uint8Array): boolean {
    const remote = this.#remote;
    if (!this.#outbound || !remote) return false;
    const sealed = this.#outbound.protectRtcpTo(packet, this.#sendBuffer);
    if (sealed instanceof SrtpError) {
      this.stats.srtpErrors++;
      return false;
    }
    this.#socket.send(sealed, remote.port, remote.address);
    return true;
  }

  /** Stops checks, closes DTLS and the socket; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#checkTimer);
    this.#dtls?.close();
    this.#socket.close();
  }

  /** A Binding request from us to the remote candidate (RFC 8445 §7.2.2). */
  #sendCheck(): void {
    const remote = this.#remote;
    if (!remote || this.#closed) return;
    const check = StunMessageBuilder.create(Method.Binding, MessageClass.Request)
      .add(AttributeType.Username, `${remote.ice.usernameFragment}:${this.iceParameters.usernameFragment}`)
      .addUint32(AttributeType.Priority, PRFLX_PRIORITY);
    if (remote.controlling) {
      check.addUint64(AttributeType.IceControlling, this.#tieBreaker).addEmpty(AttributeType.UseCandidate);
    } else {
      check.addUint64(AttributeType.IceControlled, this.#tieBreaker);
    }
    const datagram = check.addMessageIntegrity(shortTermKey(remote.ice.password)).addFingerprint().build();
    this.#socket.send(datagram, remote.port, remote.address);
    this.stats.checksSent++;
  }

  #onDatagram(data: Buffer, address: string, port: number): void {
    const kind = classifyPacket(data);
    if (kind === 'rtp' || kind === 'rtcp') {
      const inbound = this.#inbound;
      if (!inbound) {
        this.stats.dropped++;
        return;
      }
      const plain =
        kind === 'rtp'
          ? inbound.unprotectRtpTo(data, this.#receiveBuffer)
          : inbound.unprotectRtcpTo(data, this.#receiveBuffer);
      if (plain instanceof SrtpError) {
        this.stats.srtpErrors++;
        return;
      }
      if (kind === 'rtp') {
        this.stats.rtpReceived++;
        this.emit('rtp', plain);
      } else {
        this.stats.rtcpReceived++;
        this.emit('rtcp', plain);
      }
      return;
    }
    if (kind === 'dtls') {
      if (this.#dtls) this.#dtls.handleDatagram(data);
      else this.stats.dropped++;
      return;
    }
    if (kind === 'stun') {
      this.#onStun(data, address, port);
      return;
    }
    this.stats.dropped++;
  }

  #onStun(data: Buffer, address: string, port: number): void {
    const decoded = decodeMessage(data);
    if (!decoded.ok || decoded.message.method !== Method.Binding) return;
    const message = decoded.message;
    if (message.messageClass === MessageClass.Request) {
      // The peer's check (RFC 8445 §7.3): it must name our ufrag first and sign with our password.
      const username = message.getString(AttributeType.Username) ?? '';
      if (!username.startsWith(`${this.iceParameters.usernameFragment}:`)) return;
      const key = shortTermKey(this.iceParameters.password);
      if (message.checkIntegrity(key) !== 'sha1') return;
      const response = StunMessageBuilder.response(message, MessageClass.SuccessResponse)
        .addXorAddress(AttributeType.XorMappedAddress, { address, port, family: 4 })
        .addMessageIntegrity(key)
        .addFingerprint()
        .build();
      this.#socket.send(response, port, address);
      this.stats.checksAnswered++;
      if (message.has(AttributeType.UseCandidate)) {
        this.#nominated = true;
        this.#maybeIceConnected();
      }
      return;
    }
    if (message.messageClass === MessageClass.SuccessResponse && this.#remote) {
      if (message.checkIntegrity(shortTermKey(this.#remote.ice.password)) === false) return;
      this.#checkSucceeded = true;
      this.#maybeIceConnected();
    }
  }

  /** Controlling: our check succeeded (and nominated). Controlled: that, and the peer nominated. */
  #maybeIceConnected(): void {
    const remote = this.#remote;
    if (this.#iceConnected || !remote || !this.#checkSucceeded) return;
    if (!remote.controlling && !this.#nominated) return;
    this.#iceConnected = true;
    clearInterval(this.#checkTimer);
    this.#checkTimer = setInterval(() => this.#sendCheck(), CONSENT_INTERVAL_MS);
    this.#checkTimer.unref();
    if (this.#dtls?.state === 'new') this.#dtls.start();
  }

  #onDtlsConnected(): void {
    const dtls = this.#dtls;
    if (!dtls) return;
    const keys = dtls.srtpKeys();
    const profile = srtpProfileByName(keys.profile);
    if (!profile) {
      this.emit('failed', `unsupported SRTP profile ${keys.profile}`);
      return;
    }
    this.#outbound = new SrtpSession({
      profile,
      masterKey: keys.localMasterKey,
      masterSalt: keys.localMasterSalt,
    });
    this.#inbound = new SrtpSession({
      profile,
      masterKey: keys.remoteMasterKey,
      masterSalt: keys.remoteMasterSalt,
    });
    this.emit('connected');
  }
}
